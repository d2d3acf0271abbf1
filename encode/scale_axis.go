package encode

import "slices"

// boxAxis is the area-averaging (box filter) table of one axis: which
// source samples each destination sample covers and by how much.
//
// Both axes are measured in a common integer unit in which a source sample
// is dst/g long and a destination sample src/g long (g = gcd(src, dst)).
// The overlaps are then exact integers that sum to src/g for every
// destination sample, so any ratio (2:1, 3:1, 1280→704) is averaged without
// rounding error until the single division at the end.
type boxAxis struct {
	start []int32  // first source sample of each destination sample
	count []int32  // number of source samples it covers
	off   []int32  // index of its first weight in w
	w     []uint32 // overlap of each covered source sample, in the common unit
	sum   uint32   // the weights of every destination sample add up to this
	unit  int      // n when every destination sample is n whole source samples (all weights 1), else 0
	taps3 []uint32 // when every run is at most 3 samples (ratios up to 2:1): w padded to 3 per destination sample, else nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// newBoxAxis builds the table for src samples shrinking to dst (dst <= src).
func newBoxAxis(src, dst int) boxAxis {
	g := gcd(src, dst)
	srcLen, dstLen := dst/g, src/g // length of one sample of each, in common units
	a := boxAxis{
		start: make([]int32, dst),
		count: make([]int32, dst),
		off:   make([]int32, dst),
		sum:   uint32(dstLen),
	}
	for i := range dst {
		lo, hi := i*dstLen, (i+1)*dstLen
		first, last := lo/srcLen, (hi-1)/srcLen
		a.start[i], a.count[i], a.off[i] = int32(first), int32(last-first+1), int32(len(a.w))
		for j := first; j <= last; j++ {
			a.w = append(a.w, uint32(min(hi, (j+1)*srcLen)-max(lo, j*srcLen)))
		}
	}
	if srcLen == 1 {
		a.unit = dstLen
	}
	if maxRun := slices.Max(a.count); maxRun <= 3 {
		// A fixed three-tap layout lets the hot loop run without the
		// per-sample count and offset; missing taps weigh 0.
		a.taps3 = make([]uint32, 3*dst)
		for i := range dst {
			copy(a.taps3[3*i:3*i+3], a.w[a.off[i]:a.off[i]+a.count[i]])
		}
	}
	return a
}

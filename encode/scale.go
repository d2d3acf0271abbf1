package encode

import (
	"errors"
	"fmt"

	"camagent/media"
)

// divShift is the fixed-point precision of the final division: every output
// sample is (sum·mul + ½) >> divShift with mul = ⌈2^divShift / total⌉.
// Multiplying instead of dividing keeps the inner loop cheap, and at this
// precision the result equals the exactly rounded average whenever
// 510·total² < 2^divShift, which maxBoxTotal guarantees (see sumRow).
const divShift = 54

// maxBoxTotal bounds the product of the two axes' weight sums. Reduced by
// their gcd, real camera ratios stay far below it (1920x1080→640x360 is 9,
// 1280x720→704x396 is 400); only near-coprime sizes such as 4095→4094 reach it.
const maxBoxTotal = 1 << 22

// Scaler makes a smaller I420 copy of each picture for the sub stream.
//
// It averages the source area each destination sample covers (a box
// filter), which is exact for any ratio and, unlike bilinear sampling,
// never skips source pixels, so fine detail and sensor noise are averaged
// rather than aliased. The tables depend on the source size; they are built
// on the first call and again only when that size changes, so the steady
// state does not allocate. A Scaler is not safe for concurrent use.
type Scaler struct {
	dstW, dstH int
	srcW, srcH int // geometry the tables were built for; 0 before the first call
	luma       planeScale
	chroma     planeScale
	acc        []uint32 // one source row's worth of vertical sums
}

// planeScale holds the tables of one plane (luma, or both chroma planes).
type planeScale struct {
	x, y boxAxis
	mul  uint64
}

// NewScaler prepares a scaler to dstW×dstH; both must be even and positive
// (Scale reports it otherwise).
func NewScaler(dstW, dstH int) *Scaler {
	return &Scaler{dstW: dstW, dstH: dstH}
}

// Scale writes src (I420 or NV12, any size ≥ dst) into dst (I420, dstW×dstH), copying PTS/Seq/Wall.
func (s *Scaler) Scale(dst, src *media.Frame) error {
	if err := s.check(dst, src); err != nil {
		return err
	}
	if src.Width != s.srcW || src.Height != s.srcH {
		if err := s.build(src.Width, src.Height); err != nil {
			return err
		}
	}
	out := func(i int) planeOut { return planeOut{dst.Planes[i], dst.Stride[i]} }
	w := src.Width
	s.plane(&s.luma, src.Planes[0], src.Stride[0], w, [2]planeOut{out(0)}, 1)
	if src.Format == media.NV12 {
		// One pass over the interleaved rows yields U (even bytes) and V (odd).
		s.plane(&s.chroma, src.Planes[1], src.Stride[1], w, [2]planeOut{out(1), out(2)}, 2)
	} else {
		s.plane(&s.chroma, src.Planes[1], src.Stride[1], w/2, [2]planeOut{out(1)}, 1)
		s.plane(&s.chroma, src.Planes[2], src.Stride[2], w/2, [2]planeOut{out(2)}, 1)
	}
	dst.Seq, dst.PTS, dst.Wall = src.Seq, src.PTS, src.Wall
	return nil
}

// check refuses what would be wrong or would panic, before touching dst.
func (s *Scaler) check(dst, src *media.Frame) error {
	switch {
	case dst == nil || src == nil:
		return errors.New("scale: nil frame")
	case s.dstW <= 0 || s.dstH <= 0 || s.dstW%2 != 0 || s.dstH%2 != 0:
		return fmt.Errorf("scale: destination %dx%d must be even and positive", s.dstW, s.dstH)
	case dst.Format != media.I420:
		return fmt.Errorf("scale: destination is %v, want I420", dst.Format)
	case dst.Width != s.dstW || dst.Height != s.dstH:
		return fmt.Errorf("scale: destination frame is %dx%d, scaler makes %dx%d", dst.Width, dst.Height, s.dstW, s.dstH)
	case src.Format != media.I420 && src.Format != media.NV12:
		return fmt.Errorf("scale: source is %v, want I420 or NV12", src.Format)
	case src.Width%2 != 0 || src.Height%2 != 0:
		return fmt.Errorf("scale: source %dx%d must be even", src.Width, src.Height)
	case src.Width < s.dstW || src.Height < s.dstH:
		return fmt.Errorf("scale: source %dx%d is smaller than destination %dx%d", src.Width, src.Height, s.dstW, s.dstH)
	}
	w, h, cw, ch := src.Width, src.Height, src.Width/2, src.Height/2
	if err := planeFits("source Y", src.Planes[0], src.Stride[0], w, h); err != nil {
		return err
	}
	if src.Format == media.NV12 {
		if err := planeFits("source UV", src.Planes[1], src.Stride[1], 2*cw, ch); err != nil {
			return err
		}
	} else {
		if err := planeFits("source U", src.Planes[1], src.Stride[1], cw, ch); err != nil {
			return err
		}
		if err := planeFits("source V", src.Planes[2], src.Stride[2], cw, ch); err != nil {
			return err
		}
	}
	dw, dh := s.dstW, s.dstH
	if err := planeFits("destination Y", dst.Planes[0], dst.Stride[0], dw, dh); err != nil {
		return err
	}
	if err := planeFits("destination U", dst.Planes[1], dst.Stride[1], dw/2, dh/2); err != nil {
		return err
	}
	return planeFits("destination V", dst.Planes[2], dst.Stride[2], dw/2, dh/2)
}

func planeFits(name string, p []byte, stride, rowBytes, rows int) error {
	if stride < rowBytes || len(p) < (rows-1)*stride+rowBytes {
		return fmt.Errorf("scale: %s plane too small (%d bytes, stride %d) for %d rows of %d", name, len(p), stride, rows, rowBytes)
	}
	return nil
}

// build makes the tables for a source of w×h.
func (s *Scaler) build(w, h int) error {
	luma := planeScale{x: newBoxAxis(w, s.dstW), y: newBoxAxis(h, s.dstH)}
	chroma := planeScale{x: newBoxAxis(w/2, s.dstW/2), y: newBoxAxis(h/2, s.dstH/2)}
	for _, p := range []*planeScale{&luma, &chroma} {
		total := uint64(p.x.sum) * uint64(p.y.sum)
		if total > maxBoxTotal {
			return fmt.Errorf("scale: %dx%d to %dx%d has no small common unit (box weight %d > %d); pick a size with a rounder ratio", w, h, s.dstW, s.dstH, total, maxBoxTotal)
		}
		p.mul = (1<<divShift + total - 1) / total
	}
	s.luma, s.chroma, s.srcW, s.srcH = luma, chroma, w, h
	if cap(s.acc) < w+accSpare {
		s.acc = make([]uint32, w+accSpare)
	}
	return nil
}

// plane box-filters one source plane into n destination planes: one for
// I420, two (U from even bytes, V from odd) for NV12's interleaved chroma.
//
// Exact 2:1 and 3:1 (the usual sub streams) average their blocks directly.
// Any other ratio goes rows first: the source rows a destination row
// covers are summed, each times its vertical weight, into acc (a plain
// multiply-add over contiguous bytes); then each destination sample sums
// its horizontal run of acc and is divided once. The largest sum is
// 255·maxBoxTotal < 2^30, so uint32 cannot overflow.
func (s *Scaler) plane(p *planeScale, src []byte, srcStride, rowBytes int, outs [2]planeOut, n int) {
	switch {
	case p.x.unit == 2 && p.y.unit == 2:
		for i := range n {
			halve(outs[i], src, srcStride, len(p.x.start), len(p.y.start), n, i)
		}
		return
	case p.x.unit == 3 && p.y.unit == 3:
		for i := range n {
			third(outs[i], src, srcStride, len(p.x.start), len(p.y.start), n, i, p.mul)
		}
		return
	}
	acc := s.acc[:rowBytes]
	for dy := range len(p.y.start) {
		ys, yn, yo := int(p.y.start[dy]), int(p.y.count[dy]), int(p.y.off[dy])
		for k := range yn {
			wy := p.y.w[yo+k]
			row := src[(ys+k)*srcStride : (ys+k)*srcStride+rowBytes]
			acc := acc[:len(row)] // same length: no bounds checks below
			if k == 0 {
				for x, v := range row {
					acc[x] = wy * uint32(v)
				}
				continue
			}
			for x, v := range row {
				acc[x] += wy * uint32(v)
			}
		}
		for i := range n {
			o := outs[i]
			line := o.buf[dy*o.stride : dy*o.stride+len(p.x.start)]
			sumRow(line, s.acc[:rowBytes+accSpare], &p.x, n, i, p.mul)
		}
	}
}

// halve is plane for the commonest ratio, exactly 2:1 both ways
// (1280x720→640x360, 1920x1080→960x540): each output is the rounded mean
// of a 2x2 block, read straight from the two source rows.
func halve(o planeOut, src []byte, srcStride, dw, dh, step, off int) {
	for dy := range dh {
		r0 := src[2*dy*srcStride : 2*dy*srcStride+2*dw*step]
		r1 := src[(2*dy+1)*srcStride : (2*dy+1)*srcStride+2*dw*step]
		line := o.buf[dy*o.stride : dy*o.stride+dw]
		i := off
		for dx := range line {
			line[dx] = byte((uint32(r0[i]) + uint32(r0[i+step]) + uint32(r1[i]) + uint32(r1[i+step]) + 2) >> 2)
			i += 2 * step
		}
	}
}

// third is plane for exactly 3:1 both ways (1920x1080→640x360): the
// rounded mean of each 3x3 block.
func third(o planeOut, src []byte, srcStride, dw, dh, step, off int, mul uint64) {
	const half = 1 << (divShift - 1)
	n := 3 * dw * step
	for dy := range dh {
		at := 3 * dy * srcStride
		r0, r1, r2 := src[at:at+n], src[at+srcStride:at+srcStride+n], src[at+2*srcStride:at+2*srcStride+n]
		line := o.buf[dy*o.stride : dy*o.stride+dw]
		i := off
		for dx := range line {
			j, k := i+step, i+2*step
			sum := uint32(r0[i]) + uint32(r0[j]) + uint32(r0[k]) +
				uint32(r1[i]) + uint32(r1[j]) + uint32(r1[k]) +
				uint32(r2[i]) + uint32(r2[j]) + uint32(r2[k])
			line[dx] = byte((uint64(sum)*mul + half) >> divShift)
			i += 3 * step
		}
	}
}

// accSpare is the slack after a row of vertical sums that three-tap reads
// of interleaved chroma (two taps of step 2 past the last sample) may touch.
const accSpare = 4

// planeOut is one destination plane.
type planeOut struct {
	buf    []byte
	stride int
}

// sumRow finishes one destination row from the vertical sums in acc, whose
// samples are step apart from off. Integer ratios (2:1, 3:1), where every
// weight is 1, take a loop without the weight table.
func sumRow(out []byte, acc []uint32, ax *boxAxis, step, off int, mul uint64) {
	const half = 1 << (divShift - 1)
	switch {
	case ax.unit == 2 && step == 1:
		for dx := range out {
			a := acc[2*dx : 2*dx+2]
			out[dx] = byte((uint64(a[0]+a[1])*mul + half) >> divShift)
		}
	case ax.unit > 0:
		n := ax.unit
		for dx := range out {
			i := (dx*n)*step + off
			var sum uint32
			for range n {
				sum += acc[i]
				i += step
			}
			out[dx] = byte((uint64(sum)*mul + half) >> divShift)
		}
	case ax.taps3 != nil:
		// acc has 2·step spare entries, so the third tap of the last
		// sample stays in bounds (its weight is 0).
		for dx := range out {
			i := int(ax.start[dx])*step + off
			w := ax.taps3[3*dx : 3*dx+3]
			sum := w[0]*acc[i] + w[1]*acc[i+step] + w[2]*acc[i+2*step]
			out[dx] = byte((uint64(sum)*mul + half) >> divShift)
		}
	default:
		for dx := range out {
			i := int(ax.start[dx])*step + off
			o, c := int(ax.off[dx]), int(ax.count[dx])
			var sum uint32
			for _, w := range ax.w[o : o+c] {
				sum += w * acc[i]
				i += step
			}
			out[dx] = byte((uint64(sum)*mul + half) >> divShift)
		}
	}
}

// The final division, round(sum/total), is (sum·mul + ½·2^divShift) >>
// divShift with mul = ⌈2^divShift/total⌉. mul exceeds 2^divShift/total by
// less than 1, so the quotient is high by less than sum/2^divShift ≤
// 255·total/2^divShift. A non-tie average lies at least 1/(2·total) from a
// rounding boundary, and 255·total/2^divShift < 1/(2·total) while total ≤
// maxBoxTotal: the result is exactly rounded, and ties round up.

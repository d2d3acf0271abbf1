package capture

import (
	"fmt"
	"strings"
)

// FourCC is a V4L2 pixel format code (V4L2_PIX_FMT_*).
type FourCC uint32

func fourcc(s string) FourCC {
	return FourCC(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
}

// The camera formats the V4L2 source can turn into encoder frames.
var (
	FourCCYUYV  = fourcc("YUYV") // packed 4:2:2, what most UVC webcams give uncompressed
	FourCCNV12  = fourcc("NV12")
	FourCCYU12  = fourcc("YU12") // I420
	FourCCMJPEG = fourcc("MJPG")
	FourCCJPEG  = fourcc("JPEG") // some drivers name their MJPEG this way
	FourCCH264  = fourcc("H264") // UVC cameras that encode: passed through
)

// String is the four characters; V4L2's big-endian variants (bit 31 set)
// get a -BE suffix instead of a garbage byte.
func (f FourCC) String() string {
	be := f&(1<<31) != 0
	f &^= 1 << 31
	b := []byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)}
	for i, c := range b {
		if c < ' ' || c > '~' {
			b[i] = '?'
		}
	}
	s := strings.TrimRight(string(b), " ")
	if be {
		s += "-BE"
	}
	return s
}

// ParseFourCC accepts the configuration names; MJPEG is an alias of MJPG.
func ParseFourCC(s string) (FourCC, error) {
	switch strings.ToUpper(s) {
	case "YUYV":
		return FourCCYUYV, nil
	case "NV12":
		return FourCCNV12, nil
	case "YU12", "I420":
		return FourCCYU12, nil
	case "MJPG", "MJPEG":
		return FourCCMJPEG, nil
	case "JPEG":
		return FourCCJPEG, nil
	case "H264":
		return FourCCH264, nil
	}
	return 0, fmt.Errorf("camera format %q: want YUYV, NV12, YU12, MJPEG or H264", s)
}

// supported reports whether the source has a converter for f.
func (f FourCC) supported() bool {
	switch f {
	case FourCCYUYV, FourCCNV12, FourCCYU12, FourCCMJPEG, FourCCJPEG, FourCCH264:
		return true
	}
	return false
}

// Fract is a V4L2 fraction; frame intervals are seconds per frame.
type Fract struct{ Num, Den uint32 }

// FPS is the frame rate the interval stands for (0 for an empty interval).
func (f Fract) FPS() float64 {
	if f.Num == 0 {
		return 0
	}
	return float64(f.Den) / float64(f.Num)
}

func (f Fract) String() string { return fmt.Sprintf("%d/%d", f.Num, f.Den) }

// FrameSize is one size a camera offers for a format. A discrete size has
// Min == Max; stepwise and continuous ranges carry their step (1 for
// continuous).
type FrameSize struct {
	MinW, MaxW, StepW uint32
	MinH, MaxH, StepH uint32
}

func (s FrameSize) String() string {
	if s.MinW == s.MaxW && s.MinH == s.MaxH {
		return fmt.Sprintf("%dx%d", s.MinW, s.MinH)
	}
	return fmt.Sprintf("%dx%d..%dx%d", s.MinW, s.MinH, s.MaxW, s.MaxH)
}

// nearest is the size inside s closest to w×h.
func (s FrameSize) nearest(w, h uint32) (uint32, uint32) {
	return clampStep(w, s.MinW, s.MaxW, s.StepW), clampStep(h, s.MinH, s.MaxH, s.StepH)
}

func clampStep(v, lo, hi, step uint32) uint32 {
	if v <= lo {
		return lo
	}
	if v >= hi {
		return hi
	}
	if step <= 1 {
		return v
	}
	n := (v - lo + step/2) / step
	if r := lo + n*step; r <= hi {
		return r
	}
	return hi
}

// FormatOffer is what a camera offers for one pixel format.
type FormatOffer struct {
	FourCC      FourCC
	Description string
	Sizes       []FrameSize
	flags       uint32 // V4L2_FMT_FLAG_*, for the device listing
}

// Mode is one negotiated capture mode.
type Mode struct {
	FourCC        FourCC
	Width, Height uint32
	Interval      Fract // seconds per frame
}

func (m Mode) String() string {
	return fmt.Sprintf("%v %dx%d @ %.3g fps (%v s)", m.FourCC, m.Width, m.Height, m.Interval.FPS(), m.Interval)
}

// describeOffers lists formats and sizes for error messages, so the user
// sees what the camera could have given.
// checkGranted compares what S_FMT set with what was asked: another pixel
// format (the driver refused ours) or an odd size (4:2:0 needs even ones)
// is a permanent error naming the device and what it offers.
func checkGranted(name string, want, got Mode, offers []FormatOffer) error {
	if got.FourCC != want.FourCC {
		return permanent{fmt.Errorf("%s: %w: asked for %v %dx%d, driver set %v; camera offers %s",
			name, ErrFormatRefused, want.FourCC, want.Width, want.Height, got.FourCC, describeOffers(offers))}
	}
	if got.Width%2 != 0 || got.Height%2 != 0 {
		return permanent{fmt.Errorf("%s: %w: granted odd size %dx%d", name, ErrFormatRefused, got.Width, got.Height)}
	}
	return nil
}

func describeOffers(offers []FormatOffer) string {
	var b strings.Builder
	for i, o := range offers {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(o.FourCC.String())
		if len(o.Sizes) > 0 {
			sizes := make([]string, 0, len(o.Sizes))
			for _, s := range o.Sizes {
				sizes = append(sizes, s.String())
			}
			b.WriteString(" " + strings.Join(sizes, ","))
		}
	}
	if b.Len() == 0 {
		return "nothing"
	}
	return b.String()
}

// chooseMode picks the camera format and size closest to the request: the
// size nearest in pixel distance wins first (a 1280x720 MJPEG beats a
// 640x480 YUYV when 720p was asked for, because scaling is not ours to do),
// then the earlier entry of prefer. The frame interval is chosen
// separately, once the size is known, because cameras enumerate intervals
// per size.
func chooseMode(offers []FormatOffer, prefer []FourCC, w, h uint32) (Mode, error) {
	best, bestDist, bestRank := Mode{}, uint64(0), -1
	for _, o := range offers {
		rank := -1
		for i, p := range prefer {
			if p == o.FourCC || (p == FourCCMJPEG && o.FourCC == FourCCJPEG) {
				rank = i
				break
			}
		}
		if rank < 0 {
			continue
		}
		sizes := o.Sizes
		if len(sizes) == 0 {
			// The driver does not enumerate sizes: ask for the request and
			// let S_FMT adjust it.
			sizes = []FrameSize{{MinW: w, MaxW: w, MinH: h, MaxH: h}}
		}
		for _, s := range sizes {
			cw, ch := s.nearest(w, h)
			d := sqDist(cw, w) + sqDist(ch, h)
			if bestRank < 0 || d < bestDist || (d == bestDist && rank < bestRank) {
				best, bestDist, bestRank = Mode{FourCC: o.FourCC, Width: cw, Height: ch}, d, rank
			}
		}
	}
	if bestRank < 0 {
		want := make([]string, len(prefer))
		for i, p := range prefer {
			want[i] = p.String()
		}
		return Mode{}, fmt.Errorf("%w: wanted one of %s, camera offers %s",
			ErrNoUsableFormat, strings.Join(want, ","), describeOffers(offers))
	}
	return best, nil
}

func sqDist(a, b uint32) uint64 {
	d := int64(a) - int64(b)
	return uint64(d * d)
}

// chooseInterval picks the offered interval whose rate is closest to fps.
// Intervals are either a discrete list or one stepwise range given as
// [min, max] (step ignored: S_PARM rounds). With nothing offered it asks
// for 1/fps and lets S_PARM answer.
func chooseInterval(discrete []Fract, stepMin, stepMax Fract, fps int) Fract {
	want := Fract{Num: 1, Den: uint32(fps)}
	if len(discrete) == 0 {
		if stepMin.Num == 0 || stepMax.Num == 0 {
			return want
		}
		// Shorter interval = higher rate: clamp the rate into the range.
		hi, lo := stepMin.FPS(), stepMax.FPS()
		switch f := float64(fps); {
		case f > hi:
			return stepMin
		case f < lo:
			return stepMax
		}
		return want
	}
	best, bestD := discrete[0], -1.0
	for _, iv := range discrete {
		d := iv.FPS() - float64(fps)
		if d < 0 {
			d = -d
		}
		if bestD < 0 || d < bestD {
			best, bestD = iv, d
		}
	}
	return best
}

package encode

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"camagent/media"
)

// scaleRatios are the sub-stream sizes that matter: exact 2:1 and 3:1, a
// fractional ratio (1280→704 is 20:11), identity, a tiny odd case, and
// whole ratios on one axis only: every code path of Scale.
var scaleRatios = []struct{ sw, sh, dw, dh int }{
	{1280, 720, 640, 360},
	{1920, 1080, 640, 360},
	{1280, 720, 704, 396},
	{640, 480, 640, 480},
	{10, 6, 4, 4},
	{64, 48, 32, 36}, // 2:1 across, 4:3 down
	{96, 48, 32, 36}, // 3:1 across, 4:3 down
}

// planarFrame makes an I420 or NV12 frame with pad bytes of stride padding per row,
// so the tests also prove strides are honoured.
func planarFrame(format media.PixelFormat, w, h, pad int) *media.Frame {
	cw, ch := w/2, h/2
	f := &media.Frame{Format: format, Width: w, Height: h}
	f.Stride[0] = w + pad
	f.Planes[0] = make([]byte, f.Stride[0]*h)
	if format == media.NV12 {
		f.Stride[1] = 2*cw + pad
		f.Planes[1] = make([]byte, f.Stride[1]*ch)
		return f
	}
	for i := 1; i < 3; i++ {
		f.Stride[i] = cw + pad
		f.Planes[i] = make([]byte, f.Stride[i]*ch)
	}
	return f
}

// fillPlanes sets each sample of plane i of an I420 frame to fn(i, x, y).
func fillPlanes(f *media.Frame, fn func(plane, x, y int) byte) {
	for i := range 3 {
		w, h := f.Width, f.Height
		if i > 0 {
			w, h = w/2, h/2
		}
		for y := range h {
			for x := range w {
				f.Planes[i][y*f.Stride[i]+x] = fn(i, x, y)
			}
		}
	}
}

func sample(f *media.Frame, plane, x, y int) byte { return f.Planes[plane][y*f.Stride[plane]+x] }

// toNV12 interleaves an I420 frame's chroma.
func toNV12(src *media.Frame) *media.Frame {
	f := planarFrame(media.NV12, src.Width, src.Height, 8)
	for y := range src.Height {
		copy(f.Planes[0][y*f.Stride[0]:], src.Planes[0][y*src.Stride[0]:y*src.Stride[0]+src.Width])
	}
	for y := range src.Height / 2 {
		for x := range src.Width / 2 {
			f.Planes[1][y*f.Stride[1]+2*x] = sample(src, 1, x, y)
			f.Planes[1][y*f.Stride[1]+2*x+1] = sample(src, 2, x, y)
		}
	}
	return f
}

func scaled(t *testing.T, src *media.Frame, dw, dh int) *media.Frame {
	t.Helper()
	dst := planarFrame(media.I420, dw, dh, 0)
	if err := NewScaler(dw, dh).Scale(dst, src); err != nil {
		t.Fatal(err)
	}
	return dst
}

func noiseFrame(w, h int, seed uint64) *media.Frame {
	r := rand.New(rand.NewPCG(seed, 1))
	f := planarFrame(media.I420, w, h, 6)
	fillPlanes(f, func(int, int, int) byte { return byte(r.Uint32()) })
	return f
}

func TestScaleFlatStaysFlat(t *testing.T) {
	for _, r := range scaleRatios {
		t.Run(fmt.Sprintf("%dx%d-%dx%d", r.sw, r.sh, r.dw, r.dh), func(t *testing.T) {
			src := planarFrame(media.I420, r.sw, r.sh, 0)
			want := [3]byte{77, 200, 30}
			fillPlanes(src, func(p, _, _ int) byte { return want[p] })
			dst := scaled(t, src, r.dw, r.dh)
			for p := range 3 {
				w, h := r.dw, r.dh
				if p > 0 {
					w, h = w/2, h/2
				}
				for y := range h {
					for x := range w {
						if got := sample(dst, p, x, y); got != want[p] {
							t.Fatalf("plane %d (%d,%d) = %d, want %d", p, x, y, got, want[p])
						}
					}
				}
			}
		})
	}
}

// A gradient along one axis stays a gradient: monotonic along it, constant
// across it, and with the source's mean (an area average preserves it up
// to rounding and the partial weights of the edge samples).
func TestScaleGradientMonotonic(t *testing.T) {
	for _, r := range scaleRatios[:3] {
		for _, vertical := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%d-%dx%d-vertical=%v", r.sw, r.sh, r.dw, r.dh, vertical), func(t *testing.T) {
				src := planarFrame(media.I420, r.sw, r.sh, 0)
				fillPlanes(src, func(p, x, y int) byte {
					n, i := r.sw, x
					if vertical {
						n, i = r.sh, y
					}
					if p > 0 {
						n /= 2
					}
					return byte(i * 255 / (n - 1))
				})
				dst := scaled(t, src, r.dw, r.dh)
				for p := range 3 {
					w, h, sw, sh := r.dw, r.dh, r.sw, r.sh
					if p > 0 {
						w, h, sw, sh = w/2, h/2, sw/2, sh/2
					}
					for y := range h {
						for x := range w {
							along, across := x, y
							if vertical {
								along, across = y, x
							}
							prev, same := sample(dst, p, x, y), sample(dst, p, x, y)
							if along > 0 {
								if vertical {
									prev = sample(dst, p, x, y-1)
								} else {
									prev = sample(dst, p, x-1, y)
								}
							}
							if across > 0 {
								if vertical {
									same = sample(dst, p, x-1, y)
								} else {
									same = sample(dst, p, x, y-1)
								}
							}
							if prev > sample(dst, p, x, y) {
								t.Fatalf("plane %d not monotonic at (%d,%d): %d after %d", p, x, y, sample(dst, p, x, y), prev)
							}
							if same != sample(dst, p, x, y) {
								t.Fatalf("plane %d not constant across the gradient at (%d,%d)", p, x, y)
							}
						}
					}
					if ms, md := planeMean(src, p, sw, sh), planeMean(dst, p, w, h); math.Abs(ms-md) > 0.5 {
						t.Errorf("plane %d mean %.3f, source mean %.3f", p, md, ms)
					}
				}
			})
		}
	}
}

func planeMean(f *media.Frame, p, w, h int) float64 {
	sum := 0
	for y := range h {
		for x := range w {
			sum += int(sample(f, p, x, y))
		}
	}
	return float64(sum) / float64(w*h)
}

func TestScaleTwoToOneAveragesBlocks(t *testing.T) {
	src := noiseFrame(1280, 720, 1)
	dst := scaled(t, src, 640, 360)
	for p := range 3 {
		w, h := 640, 360
		if p > 0 {
			w, h = w/2, h/2
		}
		for y := range h {
			for x := range w {
				sum := int(sample(src, p, 2*x, 2*y)) + int(sample(src, p, 2*x+1, 2*y)) + int(sample(src, p, 2*x, 2*y+1)) + int(sample(src, p, 2*x+1, 2*y+1))
				if want := byte((sum + 2) / 4); sample(dst, p, x, y) != want {
					t.Fatalf("plane %d (%d,%d) = %d, want (%d+2)/4 = %d", p, x, y, sample(dst, p, x, y), sum, want)
				}
			}
		}
	}
}

// Every ratio matches a direct two-dimensional area average (not separable,
// no common-unit reduction, float division), exactly rounded half up.
func TestScaleMatchesAreaAverage(t *testing.T) {
	for i, r := range scaleRatios {
		t.Run(fmt.Sprintf("%dx%d-%dx%d", r.sw, r.sh, r.dw, r.dh), func(t *testing.T) {
			src := noiseFrame(r.sw, r.sh, uint64(i))
			dst := scaled(t, src, r.dw, r.dh)
			for p := range 3 {
				sw, sh, dw, dh := r.sw, r.sh, r.dw, r.dh
				if p > 0 {
					sw, sh, dw, dh = sw/2, sh/2, dw/2, dh/2
				}
				for y := range dh {
					for x := range dw {
						if want := areaAverage(src, p, sw, sh, dw, dh, x, y); sample(dst, p, x, y) != want {
							t.Fatalf("plane %d (%d,%d) = %d, want %d", p, x, y, sample(dst, p, x, y), want)
						}
					}
				}
			}
		})
	}
}

// areaAverage is the reference: in units where a source sample is dw (dh)
// long and a destination sample sw (sh), weigh each covered sample by its
// overlap area.
func areaAverage(f *media.Frame, p, sw, sh, dw, dh, x, y int) byte {
	overlap := func(i, j, srcLen, dstLen int) int {
		return max(0, min((i+1)*dstLen, (j+1)*srcLen)-max(i*dstLen, j*srcLen))
	}
	var sum, total float64
	for sy := y * sh / dh; sy < sh && sy*dh < (y+1)*sh; sy++ {
		wy := overlap(y, sy, dh, sh)
		for sx := x * sw / dw; sx < sw && sx*dw < (x+1)*sw; sx++ {
			w := float64(wy * overlap(x, sx, dw, sw))
			sum += w * float64(sample(f, p, sx, sy))
			total += w
		}
	}
	return byte(math.Floor(sum/total + 0.5))
}

func TestScaleNV12MatchesI420(t *testing.T) {
	for i, r := range scaleRatios {
		src := noiseFrame(r.sw, r.sh, uint64(10+i))
		want := scaled(t, src, r.dw, r.dh)
		got := scaled(t, toNV12(src), r.dw, r.dh)
		for p := range 3 {
			if string(got.Planes[p]) != string(want.Planes[p]) {
				t.Errorf("%dx%d→%dx%d: plane %d from NV12 differs from I420", r.sw, r.sh, r.dw, r.dh, p)
			}
		}
	}
}

func TestScaleCopiesTiming(t *testing.T) {
	src := noiseFrame(64, 48, 3)
	src.Seq, src.PTS, src.Wall = 42, 1400*time.Millisecond, time.Unix(1700000000, 5)
	dst := scaled(t, src, 32, 24)
	if dst.Seq != 42 || dst.PTS != src.PTS || !dst.Wall.Equal(src.Wall) {
		t.Errorf("got seq %d pts %v wall %v, want the source's", dst.Seq, dst.PTS, dst.Wall)
	}
}

// The tables follow the source when its size changes (encoder Resize).
func TestScaleFollowsSourceSize(t *testing.T) {
	s := NewScaler(32, 24)
	dst := planarFrame(media.I420, 32, 24, 0)
	for _, size := range [][2]int{{64, 48}, {96, 72}, {64, 48}} {
		src := noiseFrame(size[0], size[1], 4)
		if err := s.Scale(dst, src); err != nil {
			t.Fatal(err)
		}
		want := scaled(t, src, 32, 24)
		for p := range 3 {
			if string(dst.Planes[p]) != string(want.Planes[p]) {
				t.Fatalf("after switching to %dx%d plane %d differs from a fresh scaler", size[0], size[1], p)
			}
		}
	}
}

func TestScaleDoesNotAllocate(t *testing.T) {
	src := toNV12(noiseFrame(1280, 720, 5))
	s := NewScaler(640, 360)
	dst := planarFrame(media.I420, 640, 360, 0)
	if err := s.Scale(dst, src); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(5, func() { _ = s.Scale(dst, src) }); n != 0 {
		t.Errorf("Scale allocates %v times per frame, want 0", n)
	}
}

func TestScaleRefuses(t *testing.T) {
	i420 := func(w, h int) *media.Frame { return planarFrame(media.I420, w, h, 0) }
	short := i420(64, 48)
	short.Planes[2] = short.Planes[2][:10]
	cases := []struct {
		name     string
		dw, dh   int
		dst, src *media.Frame
		want     string
	}{
		{"dst larger than src", 640, 360, i420(640, 360), i420(320, 240), "smaller than destination"},
		{"dst taller than src", 320, 360, i420(320, 360), i420(640, 240), "smaller than destination"},
		{"odd dst", 33, 24, i420(33, 24), i420(64, 48), "even"},
		{"odd src", 32, 24, i420(32, 24), i420(65, 48), "even"},
		{"NV12 dst", 32, 24, planarFrame(media.NV12, 32, 24, 0), i420(64, 48), "want I420"},
		{"unknown src format", 32, 24, i420(32, 24), &media.Frame{Format: 7, Width: 64, Height: 48}, "want I420 or NV12"},
		{"dst frame of another size", 32, 24, i420(40, 30), i420(64, 48), "scaler makes 32x24"},
		{"short plane", 32, 24, i420(32, 24), short, "source V plane too small"},
		{"nil", 32, 24, nil, i420(64, 48), "nil frame"},
	}
	for _, c := range cases {
		err := NewScaler(c.dw, c.dh).Scale(c.dst, c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

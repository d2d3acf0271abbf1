package capture

import (
	"fmt"
	"testing"
	"time"

	"camagent/media"
)

var renderSizes = [][2]int{{640, 480}, {1280, 720}, {1920, 1080}}

func TestRenderDoesNotAllocate(t *testing.T) {
	for _, format := range []media.PixelFormat{media.I420, media.NV12} {
		r := newRenderer(1280, 720, format)
		f, _ := media.NewFramePool(1, format, 1280, 720).Get()
		seq := uint64(0)
		allocs := testing.AllocsPerRun(50, func() {
			r.render(f, seq, epoch.Add(time.Duration(seq)*time.Millisecond))
			seq++
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per frame", format, allocs)
		}
	}
}

// BenchmarkTestPatternRender measures drawing one frame (ns/op is ns/frame).
func BenchmarkTestPatternRender(b *testing.B) {
	for _, format := range []media.PixelFormat{media.I420, media.NV12} {
		for _, s := range renderSizes {
			b.Run(fmt.Sprintf("%v/%dx%d", format, s[0], s[1]), func(b *testing.B) {
				r := newRenderer(s[0], s[1], format)
				f, _ := media.NewFramePool(1, format, s[0], s[1]).Get()
				b.SetBytes(int64(media.FrameSize(s[0], s[1])))
				b.ReportAllocs()
				seq := uint64(0)
				for b.Loop() {
					r.render(f, seq, epoch)
					seq++
				}
			})
		}
	}
}

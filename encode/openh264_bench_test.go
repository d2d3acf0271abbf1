//go:build cgo

package encode

import (
	"fmt"
	"testing"

	"camagent/media"
)

// BenchmarkOpenH264 measures software encode speed on one thread at the
// three common camera sizes; the frames/s figure is 1e9/ns-per-op.
// The picture changes every frame (a moving gradient) so the encoder does
// real motion search rather than skipping static macroblocks.
func BenchmarkOpenH264(b *testing.B) {
	for _, size := range [][2]int{{640, 480}, {1280, 720}, {1920, 1080}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			w, h := size[0], size[1]
			enc, err := NewSoftware(SoftwareConfig{Width: w, Height: h, FPS: 30, BitrateKbps: 2000 * w * h / (1280 * 720), GOP: 30, Threads: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer enc.Close()
			// Eight pre-rendered pictures of a gradient moving 3 pixels per
			// frame plus pseudo-random sensor noise, so rendering is not timed.
			const distinct = 8
			pool := media.NewFramePool(distinct, media.I420, w, h)
			var pics [distinct]*media.Frame
			seed := uint32(1)
			for k := range pics {
				f := pool.MustGet()
				for i := range f.Planes[1] {
					f.Planes[1][i], f.Planes[2][i] = 128, 128
				}
				for r := range h {
					for c := range w {
						seed = seed*1664525 + 1013904223
						f.Planes[0][r*w+c] = byte(c+r+3*k) + byte(seed>>29)
					}
				}
				pics[k] = f
			}
			var bytes int
			n := 0
			for b.Loop() {
				nalus, err := enc.Encode(pics[n%distinct], false)
				if err != nil {
					b.Fatal(err)
				}
				for _, x := range nalus {
					bytes += len(x)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(float64(bytes*8)/float64(n)*30/1000, "kbit/s@30fps")
		})
	}
}

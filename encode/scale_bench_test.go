package encode

import (
	"fmt"
	"testing"

	"camagent/media"
)

// BenchmarkScale measures one sub-stream picture from the common main
// stream sizes; MB/s counts source bytes (what the camera delivers).
func BenchmarkScale(b *testing.B) {
	for _, format := range []media.PixelFormat{media.I420, media.NV12} {
		for _, r := range []struct{ sw, sh, dw, dh int }{{1280, 720, 640, 360}, {1920, 1080, 640, 360}, {1280, 720, 704, 396}} {
			b.Run(fmt.Sprintf("%v/%dx%d-%dx%d", format, r.sw, r.sh, r.dw, r.dh), func(b *testing.B) {
				src := noiseFrame(r.sw, r.sh, 7)
				if format == media.NV12 {
					src = toNV12(src)
				}
				dst := media.NewFramePool(1, media.I420, r.dw, r.dh).MustGet()
				s := NewScaler(r.dw, r.dh)
				if err := s.Scale(dst, src); err != nil { // builds the tables
					b.Fatal(err)
				}
				b.SetBytes(int64(media.FrameSize(r.sw, r.sh)))
				b.ReportAllocs()
				for b.Loop() {
					if err := s.Scale(dst, src); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

package capture

import (
	"fmt"
	"image"
	"testing"

	"camagent/media"
)

var benchSizes = [][2]int{{1280, 720}, {1920, 1080}}

// BenchmarkV4L2Convert: one op = one frame from the driver buffer into the
// encoder's frame (the only copy on the raw path).
func BenchmarkV4L2Convert(b *testing.B) {
	for _, sz := range benchSizes {
		w, h := sz[0], sz[1]
		yuyv := yuyvPicture(w, h, 2*w)
		nv12 := make([]byte, media.FrameSize(w, h))
		for _, c := range []struct {
			in  FourCC
			src []byte
			bpl int
			out media.PixelFormat
		}{
			{FourCCYUYV, yuyv, 2 * w, media.I420},
			{FourCCYUYV, yuyv, 2 * w, media.NV12},
			{FourCCNV12, nv12, w, media.NV12},
			{FourCCNV12, nv12, w, media.I420},
			{FourCCYU12, nv12, w, media.I420},
		} {
			b.Run(fmt.Sprintf("%v-to-%v-%dx%d", c.in, c.out, w, h), func(b *testing.B) {
				f := media.NewFramePool(1, c.out, w, h).MustGet()
				l := rawLayout{c.in, w, h, c.bpl}
				b.SetBytes(int64(len(c.src)))
				defer cpuTimer(b)()
				for b.Loop() {
					if err := convertRaw(f, c.src, l); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkV4L2MJPEG: one op = decode one 4:2:2 MJPEG frame (what UVC
// cameras send) with image/jpeg and copy it into an I420 frame. The
// picture is a smooth gradient at quality 90, easier than camera noise.
func BenchmarkV4L2MJPEG(b *testing.B) {
	for _, sz := range benchSizes {
		w, h := sz[0], sz[1]
		jpg := stripDHT(encodeJPEG(b, w, h, image.YCbCrSubsampleRatio422))
		b.Run(fmt.Sprintf("%dx%d", w, h), func(b *testing.B) {
			f := media.NewFramePool(1, media.I420, w, h).MustGet()
			b.SetBytes(int64(len(jpg)))
			b.ReportAllocs()
			defer cpuTimer(b)()
			for b.Loop() {
				if err := decodeMJPEG(f, jpg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

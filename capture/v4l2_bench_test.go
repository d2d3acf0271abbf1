package capture

import (
	"fmt"
	"image"
	"sync"
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

// BenchmarkV4L2MJPEG: one op = one 4:2:2 MJPEG frame (what UVC cameras
// send: no Huffman tables, quality 90) decoded into the encoder's I420
// frame, chroma downsampled to 4:2:0 included, by each decoder of the build:
// image-jpeg always, libjpeg-turbo with `-tags turbojpeg` (cgo). The
// picture is a gradient with sensor-like noise (cameraPicture).
func BenchmarkV4L2MJPEG(b *testing.B) {
	for _, d := range mjpegDecoders {
		for _, sz := range benchSizes {
			w, h := sz[0], sz[1]
			jpg := benchMJPEGFrame(b, w, h)
			b.Run(fmt.Sprintf("%s/%dx%d", d.name, w, h), func(b *testing.B) {
				f := media.NewFramePool(1, media.I420, w, h).MustGet()
				b.SetBytes(int64(len(jpg)))
				b.ReportAllocs()
				defer cpuTimer(b)()
				for b.Loop() {
					if err := d.decode(f, jpg); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

var benchMJPEGFrames sync.Map // [2]int -> []byte

// benchMJPEGFrame encodes the benchmark frame once per size.
func benchMJPEGFrame(b *testing.B, w, h int) []byte {
	if jpg, ok := benchMJPEGFrames.Load([2]int{w, h}); ok {
		return jpg.([]byte)
	}
	jpg := stripDHT(encodeJPEGSampled(b, cameraPicture(w, h, image.YCbCrSubsampleRatio422), nil, 90))
	benchMJPEGFrames.Store([2]int{w, h}, jpg)
	return jpg
}

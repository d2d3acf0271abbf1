package capture

import (
	"bytes"
	"image/jpeg"
	"os"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"camagent/media"
)

// FuzzSplitAnnexB feeds arbitrary bytes through everything NewFile does with
// a file's contents: splitting, grouping, validation and SPS parsing.
func FuzzSplitAnnexB(f *testing.F) {
	for _, tt := range parseCases {
		f.Add(tt.in)
	}
	for _, p := range []string{fixture, fixtureBFrame} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 4096)]) // the head: parameter sets and the IDR
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nalus, err := splitAnnexB(data)
		if err == nil {
			for i, n := range nalus {
				if len(n) == 0 || n[len(n)-1] == 0 || bytes.Contains(n, startCode) {
					t.Fatalf("NAL unit %d = %x is empty, ends in zero or holds a start code", i, n)
				}
			}
		}
		s, err := parseH264(data)
		if err != nil {
			return
		}
		if len(s.aus) == 0 || !s.aus[0].idr {
			t.Fatal("accepted a stream that does not start with an IDR access unit")
		}
		for i, au := range s.aus {
			if len(au.nalus) == 0 {
				t.Fatalf("access unit %d is empty", i)
			}
			for _, n := range au.nalus {
				if h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter {
					t.Fatalf("access unit %d kept an AUD", i)
				}
			}
		}
		_, _ = describe(s)
	})
}

// FuzzMJPEG feeds arbitrary frames to every MJPEG decoder of the build
// (image/jpeg; libjpeg-turbo too with cgo and the tag "turbojpeg"): an
// error is fine, a panic, a crash or a write past the frame is not. The
// frame has the size the data's own header claims (up to 256x256), so
// the fuzzer gets past the size check into the scan.
func FuzzMJPEG(f *testing.F) {
	for _, fr := range mjpegTestFrames(f) {
		if fr.w*fr.h <= 64*48 {
			f.Add(fr.jpg)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w, h := 16, 16
		if c, err := jpeg.DecodeConfig(bytes.NewReader(withHuffmanTables(data))); err == nil && c.Width > 0 && c.Height > 0 && c.Width <= 256 && c.Height <= 256 {
			w, h = c.Width, c.Height
		}
		for _, d := range mjpegDecoders {
			for _, out := range []media.PixelFormat{media.I420, media.NV12} {
				fr, canary := canaryFrame(out, w, h)
				err := d.decode(fr, data)
				for _, b := range canary {
					if b != 0xA5 {
						t.Fatalf("%s %v: wrote past the frame (err %v)", d.name, out, err)
					}
				}
			}
		}
	})
}

// canaryFrame lays out a w x h frame like media.FramePool does, followed by
// 64 canary bytes (0xA5) that no decoder may write.
func canaryFrame(format media.PixelFormat, w, h int) (*media.Frame, []byte) {
	y, cw, ch := w*h, (w+1)/2, (h+1)/2
	n := media.FrameSize(w, h)
	buf := append(make([]byte, n, n+64), bytes.Repeat([]byte{0xA5}, 64)...)
	f := &media.Frame{Format: format, Width: w, Height: h, Buf: buf[:n:n]}
	f.Planes[0], f.Stride[0] = buf[:y:y], w
	if format == media.NV12 {
		f.Planes[1], f.Stride[1] = buf[y:n:n], 2*cw
	} else {
		f.Planes[1], f.Stride[1] = buf[y:y+cw*ch:y+cw*ch], cw
		f.Planes[2], f.Stride[2] = buf[y+cw*ch:n:n], cw
	}
	return f, buf[n:]
}

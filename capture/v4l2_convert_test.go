package capture

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"camagent/media"
)

// yuyvPicture makes a YUYV picture with every sample distinct enough to
// catch a misplaced byte, and pad bytes (0xEE) past the visible width.
func yuyvPicture(w, h, bpl int) []byte {
	b := bytes.Repeat([]byte{0xEE}, bpl*h)
	for y := range h {
		for x := 0; x < w; x += 2 {
			p := b[y*bpl+2*x:]
			p[0], p[1], p[2], p[3] = byte(y*7+x), byte(100+y+x/2), byte(y*7+x+1), byte(200-y-x/2)
		}
	}
	return b
}

func TestYUYVTo420(t *testing.T) {
	const w, h, bpl = 6, 5, 16 // odd height: the last chroma row has one source row
	src := yuyvPicture(w, h, bpl)
	for _, out := range []media.PixelFormat{media.I420, media.NV12} {
		f := media.NewFramePool(1, out, w, h).MustGet()
		if err := convertRaw(f, src, rawLayout{FourCCYUYV, w, h, bpl}); err != nil {
			t.Fatal(err)
		}
		for y := range h {
			for x := range w {
				if got, want := f.Planes[0][y*f.Stride[0]+x], byte(y*7+x); got != want {
					t.Fatalf("%v Y(%d,%d) = %d, want %d", out, x, y, got, want)
				}
			}
		}
		for cy := range (h + 1) / 2 {
			for cx := range w / 2 {
				y0, y1 := 2*cy, min(2*cy+1, h-1)
				wu := byte((100 + y0 + cx + 100 + y1 + cx + 1) / 2)
				wv := byte((200 - y0 - cx + 200 - y1 - cx + 1) / 2)
				var u, v byte
				if out == media.NV12 {
					u, v = f.Planes[1][cy*f.Stride[1]+2*cx], f.Planes[1][cy*f.Stride[1]+2*cx+1]
				} else {
					u, v = f.Planes[1][cy*f.Stride[1]+cx], f.Planes[2][cy*f.Stride[2]+cx]
				}
				if u != wu || v != wv {
					t.Fatalf("%v chroma(%d,%d) = %d,%d want %d,%d", out, cx, cy, u, v, wu, wv)
				}
			}
		}
	}
}

// TestRawRoundTrip: NV12 and YU12 input reach both outputs unchanged,
// with padded source rows.
func TestRawRoundTrip(t *testing.T) {
	const w, h = 8, 4
	ref := media.NewFramePool(1, media.I420, w, h).MustGet()
	for i := range ref.Buf {
		ref.Buf[i] = byte(i*13 + 1)
	}
	const bpl = 12
	nv12 := bytes.Repeat([]byte{0xEE}, bpl*h+bpl*h/2)
	yu12 := bytes.Repeat([]byte{0xEE}, bpl*h+2*(bpl/2)*(h/2))
	for y := range h {
		copy(nv12[y*bpl:], ref.Planes[0][y*w:(y+1)*w])
		copy(yu12[y*bpl:], ref.Planes[0][y*w:(y+1)*w])
	}
	for cy := range h / 2 {
		for cx := range w / 2 {
			u, v := ref.Planes[1][cy*w/2+cx], ref.Planes[2][cy*w/2+cx]
			nv12[bpl*h+cy*bpl+2*cx], nv12[bpl*h+cy*bpl+2*cx+1] = u, v
			yu12[bpl*h+cy*bpl/2+cx] = u
			yu12[bpl*h+(bpl/2)*(h/2)+cy*bpl/2+cx] = v
		}
	}
	for _, in := range []struct {
		fcc FourCC
		b   []byte
	}{{FourCCNV12, nv12}, {FourCCYU12, yu12}} {
		for _, out := range []media.PixelFormat{media.I420, media.NV12} {
			f := media.NewFramePool(1, out, w, h).MustGet()
			if err := convertRaw(f, in.b, rawLayout{in.fcc, w, h, bpl}); err != nil {
				t.Fatal(err)
			}
			back := f
			if out == media.NV12 { // compare in I420
				back = media.NewFramePool(1, media.I420, w, h).MustGet()
				if err := convertRaw(back, append(append([]byte{}, f.Planes[0]...), f.Planes[1]...), rawLayout{FourCCNV12, w, h, w}); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(back.Buf, ref.Buf) {
				t.Errorf("%v -> %v: picture changed", in.fcc, out)
			}
		}
	}
}

func TestConvertShortBuffer(t *testing.T) {
	f := media.NewFramePool(1, media.I420, 64, 48).MustGet()
	err := convertRaw(f, make([]byte, 100), rawLayout{FourCCYUYV, 64, 48, 128})
	if err == nil {
		t.Fatal("short buffer accepted")
	}
}

func encodeJPEG(t testing.TB, w, h int, ratio image.YCbCrSubsampleRatio) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = byte(x + y)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 90, 160
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// stripDHT removes the Huffman tables the way many UVC cameras send MJPEG.
func stripDHT(b []byte) []byte {
	out := append([]byte{}, b[:2]...)
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF {
		n := int(b[i+2])<<8 | int(b[i+3])
		if b[i+1] != 0xC4 {
			out = append(out, b[i:i+2+n]...)
		}
		if b[i+1] == 0xDA {
			return append(out, b[i+2+n:]...)
		}
		i += 2 + n
	}
	return out
}

func TestMJPEGDecode(t *testing.T) {
	const w, h = 64, 48
	jpg := encodeJPEG(t, w, h, image.YCbCrSubsampleRatio420)
	for name, src := range map[string][]byte{"with tables": jpg, "without DHT": stripDHT(jpg)} {
		if name == "without DHT" && bytes.Contains(src, []byte{0xFF, 0xC4}) {
			t.Fatal("stripDHT left a DHT")
		}
		for _, out := range []media.PixelFormat{media.I420, media.NV12} {
			f := media.NewFramePool(1, out, w, h).MustGet()
			if err := decodeMJPEG(f, src); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if d := int(f.Planes[0][10*w+10]) - 20; d < -4 || d > 4 {
				t.Errorf("%s %v: luma(10,10) = %d, want ~20", name, out, f.Planes[0][10*w+10])
			}
			u := f.Planes[1][5]
			if out == media.NV12 {
				u = f.Planes[1][10]
			}
			if d := int(u) - 90; d < -4 || d > 4 {
				t.Errorf("%s %v: Cb = %d, want ~90", name, out, u)
			}
		}
	}
	f := media.NewFramePool(1, media.I420, 32, 32).MustGet()
	if err := decodeMJPEG(f, jpg); err == nil {
		t.Error("size mismatch accepted")
	}
	if err := decodeMJPEG(f, []byte("not a jpeg")); err == nil {
		t.Error("garbage accepted")
	}
}

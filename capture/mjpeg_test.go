package capture

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"runtime"
	"testing"

	"camagent/media"
)

// mjpegDecoders are the decoders this build has, by name: image/jpeg
// always, libjpeg-turbo with cgo and the tag "turbojpeg"
// (mjpeg_turbojpeg_test.go adds it).
var mjpegDecoders = []struct {
	name   string
	decode func(*media.Frame, []byte) error
}{{"image-jpeg", decodeMJPEGStd}}

// mjpegTestFrame is an encoded test picture and the 4:2:0 picture a decoder
// should make of it.
type mjpegTestFrame struct {
	name   string
	jpg    []byte
	w, h   int
	y      []byte // w*h
	cb, cr []byte // (w+1)/2 x (h+1)/2 (grey: 128)
}

// mjpegTestFrames: every chroma subsampling a camera may send (4:2:2 above
// all), even and odd sizes, grey, with and without Huffman tables.
func mjpegTestFrames(t testing.TB) []mjpegTestFrame {
	var out []mjpegTestFrame
	add := func(name string, jpg []byte, src image.Image) {
		f := mjpegTestFrame{name: name, jpg: jpg, w: src.Bounds().Dx(), h: src.Bounds().Dy()}
		want := media.NewFramePool(1, media.I420, f.w, f.h).MustGet()
		switch m := src.(type) {
		case *image.YCbCr:
			ycbcrTo420(want, m)
		case *image.Gray:
			copyPlane(want.Planes[0], want.Stride[0], m.Pix, m.Stride, f.w, f.h)
			fillChroma(want, 128)
		}
		f.y, f.cb, f.cr = want.Planes[0], want.Planes[1], want.Planes[2]
		out = append(out, f, mjpegTestFrame{name + "/no-DHT", stripDHT(jpg), f.w, f.h, f.y, f.cb, f.cr})
	}
	for _, sz := range [][2]int{{64, 48}, {61, 37}, {16, 8}} {
		w, h := sz[0], sz[1]
		for _, r := range []image.YCbCrSubsampleRatio{
			image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio444,
			image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411,
		} {
			m := cameraPicture(w, h, r)
			add(fmt.Sprintf("%dx%d-%v", w, h, r), encodeJPEGSampled(t, m, nil, 90), m)
		}
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = byte(i * 7)
		}
		add(fmt.Sprintf("%dx%d-grey", w, h), encodeJPEGSampled(t, nil, g, 90), g)
		// image/jpeg's own encoder (4:2:0), as in TestMJPEGDecode.
		m := cameraPicture(w, h, image.YCbCrSubsampleRatio420)
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		add(fmt.Sprintf("%dx%d-image-jpeg-420", w, h), buf.Bytes(), m)
	}
	// Padding between the scan and EOI, as some UVC cameras send: libjpeg
	// warns "extraneous bytes before marker 0xd9", image/jpeg skips it.
	m := cameraPicture(64, 48, image.YCbCrSubsampleRatio422)
	jpg := encodeJPEGSampled(t, m, nil, 90)
	padded := append(append(append([]byte{}, jpg[:len(jpg)-2]...), 0, 0, 0), 0xFF, 0xD9)
	add("64x48-422-padded-before-EOI", padded, m)
	return out
}

// meanMaxDiff compares the w x h samples of two planes.
func meanMaxDiff(a []byte, as int, b []byte, bs, w, h int) (mean float64, maxd int) {
	sum := 0
	for y := range h {
		for x := range w {
			d := int(a[y*as+x]) - int(b[y*bs+x])
			d = max(d, -d)
			sum += d
			maxd = max(maxd, d)
		}
	}
	return float64(sum) / float64(w*h), maxd
}

// TestMJPEGDecoders: every decoder of the build makes the encoded picture
// (within JPEG's loss at quality 90) of every test frame, in I420 and NV12,
// and every decoder makes the same picture as image/jpeg within rounding.
func TestMJPEGDecoders(t *testing.T) {
	for _, fr := range mjpegTestFrames(t) {
		ref := map[media.PixelFormat]*media.Frame{}
		for _, d := range mjpegDecoders {
			for _, out := range []media.PixelFormat{media.I420, media.NV12} {
				f := media.NewFramePool(1, out, fr.w, fr.h).MustGet()
				if err := d.decode(f, fr.jpg); err != nil {
					t.Errorf("%s %s %v: %v", d.name, fr.name, out, err)
					continue
				}
				cw, ch := (fr.w+1)/2, (fr.h+1)/2
				cb, cr, cs := f.Planes[1], f.Planes[2], f.Stride[1]
				if out == media.NV12 {
					cb, cr, cs = make([]byte, cw*ch), make([]byte, cw*ch), cw
					for i := range cw * ch {
						p := f.Planes[1][i/cw*f.Stride[1]+2*(i%cw):]
						cb[i], cr[i] = p[0], p[1]
					}
				}
				for _, p := range []struct {
					name      string
					got, want []byte
					gs, w, h  int
				}{
					{"Y", f.Planes[0], fr.y, f.Stride[0], fr.w, fr.h},
					{"Cb", cb, fr.cb, cs, cw, ch},
					{"Cr", cr, fr.cr, cs, cw, ch},
				} {
					mean, maxd := meanMaxDiff(p.got, p.gs, p.want, p.w, p.w, p.h)
					if mean > 4 || maxd > 40 {
						t.Errorf("%s %s %v: %s differs from the source by %.2f on average, %d at most", d.name, fr.name, out, p.name, mean, maxd)
					}
				}
				r, ok := ref[out]
				if !ok {
					ref[out] = f
					continue
				}
				n := len(f.Buf)
				if mean, maxd := meanMaxDiff(f.Buf, n, r.Buf, n, n, 1); mean > 0.5 || maxd > 3 {
					t.Errorf("%s %s %v: differs from %s by %.3f on average, %d at most", d.name, fr.name, out, mjpegDecoders[0].name, mean, maxd)
				}
			}
		}
	}
}

// TestMJPEGDecodeErrors: corrupt frames are errors, not panics, for every
// decoder of the build.
func TestMJPEGDecodeErrors(t *testing.T) {
	m := cameraPicture(64, 48, image.YCbCrSubsampleRatio422)
	jpg := stripDHT(encodeJPEGSampled(t, m, nil, 90))
	sos := bytes.Index(jpg, []byte{0xFF, 0xDA})
	cases := map[string][]byte{
		"empty":           nil,
		"garbage":         []byte("not a jpeg"),
		"SOI only":        jpg[:2],
		"headers only":    jpg[:sos],
		"truncated scan":  jpg[:sos+(len(jpg)-sos)/2],
		"no EOI":          jpg[:len(jpg)-2],
		"wrong size":      stripDHT(encodeJPEGSampled(t, cameraPicture(32, 48, image.YCbCrSubsampleRatio422), nil, 90)),
		"zero dimensions": bytes.Replace(jpg, []byte{0xFF, 0xC0, 0, 17, 8, 0, 48, 0, 64}, []byte{0xFF, 0xC0, 0, 17, 8, 0, 0, 0, 0}, 1),
	}
	for _, d := range mjpegDecoders {
		for name, src := range cases {
			f := media.NewFramePool(1, media.I420, 64, 48).MustGet()
			if err := d.decode(f, src); err == nil {
				t.Errorf("%s: %s accepted", d.name, name)
			}
		}
		f := media.NewFramePool(1, media.I420, 64, 48).MustGet()
		if err := d.decode(f, jpg); err != nil {
			t.Errorf("%s: the intact frame: %v", d.name, err)
		}
	}
}

func TestAvgRows(t *testing.T) {
	for n := range 40 {
		a, b, d := make([]byte, n), make([]byte, n), make([]byte, n)
		for i := range n {
			a[i], b[i] = byte(i*37+n), byte(255-i*91)
		}
		avgRows(d, a, b)
		for i := range n {
			if want := byte((int(a[i]) + int(b[i]) + 1) / 2); d[i] != want {
				t.Fatalf("n=%d: avg(%d, %d) = %d, want %d", n, a[i], b[i], d[i], want)
			}
		}
	}
}

// TestMJPEGHugeHeader: a corrupt header claiming 65535x65535 is refused
// before anything of that size is allocated (image/jpeg would allocate the
// whole picture before reading the scan).
func TestMJPEGHugeHeader(t *testing.T) {
	jpg := stripDHT(encodeJPEGSampled(t, cameraPicture(64, 48, image.YCbCrSubsampleRatio422), nil, 90))
	huge := bytes.Replace(jpg, []byte{0xFF, 0xC0, 0, 17, 8, 0, 48, 0, 64}, []byte{0xFF, 0xC0, 0, 17, 8, 0xFF, 0xFF, 0xFF, 0xFF}, 1)
	if bytes.Equal(huge, jpg) {
		t.Fatal("SOF0 not found")
	}
	for _, d := range mjpegDecoders {
		f := media.NewFramePool(1, media.I420, 64, 48).MustGet()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := d.decode(f, huge)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: accepted", d.name)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%s: allocated %d bytes for a refused frame", d.name, n)
		}
	}
}

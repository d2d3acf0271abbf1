package capture

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"sync"

	"camagent/media"
)

// decodeMJPEG decodes one MJPEG frame with the standard library and copies
// it into dst as 4:2:0. image/jpeg allocates its own picture per frame, so
// this path costs a decode plus one copy and garbage per frame; it is the
// correct first decoder, not the fast one (see V4L2.md for figures).
func decodeMJPEG(dst *media.Frame, src []byte) error {
	img, err := jpeg.Decode(bytes.NewReader(withHuffmanTables(src)))
	if err != nil {
		return fmt.Errorf("mjpeg: %w", err)
	}
	b := img.Bounds()
	if b.Dx() != dst.Width || b.Dy() != dst.Height {
		return fmt.Errorf("mjpeg: picture %dx%d, negotiated %dx%d", b.Dx(), b.Dy(), dst.Width, dst.Height)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		ycbcrTo420(dst, m)
	case *image.Gray:
		for y := range dst.Height {
			copy(dst.Planes[0][y*dst.Stride[0]:y*dst.Stride[0]+dst.Width], m.Pix[y*m.Stride:])
		}
		fillChroma(dst, 128)
	default:
		return fmt.Errorf("mjpeg: unsupported colour model %T", img)
	}
	return nil
}

// ycbcrTo420 copies luma and resamples chroma to 4:2:0. UVC MJPEG is
// nearly always 4:2:2, where the two chroma rows a 4:2:0 sample covers are
// averaged; the other ratios are point-sampled.
func ycbcrTo420(dst *media.Frame, m *image.YCbCr) {
	w, h := dst.Width, dst.Height
	for y := range h {
		o := m.YOffset(m.Rect.Min.X, m.Rect.Min.Y+y)
		copy(dst.Planes[0][y*dst.Stride[0]:y*dst.Stride[0]+w], m.Y[o:o+w])
	}
	cw, ch := (w+1)/2, (h+1)/2
	for cy := range ch {
		for cx := range cw {
			x, y := m.Rect.Min.X+2*cx, m.Rect.Min.Y+2*cy
			i := m.COffset(x, y)
			cb, cr := m.Cb[i], m.Cr[i]
			if m.SubsampleRatio == image.YCbCrSubsampleRatio422 && 2*cy+1 < h {
				j := m.COffset(x, y+1)
				cb = byte((uint(cb) + uint(m.Cb[j]) + 1) >> 1)
				cr = byte((uint(cr) + uint(m.Cr[j]) + 1) >> 1)
			}
			putChroma(dst, cx, cy, cb, cr)
		}
	}
}

func putChroma(dst *media.Frame, cx, cy int, cb, cr byte) {
	if dst.Format == media.NV12 {
		p := dst.Planes[1][cy*dst.Stride[1]+2*cx:]
		p[0], p[1] = cb, cr
		return
	}
	dst.Planes[1][cy*dst.Stride[1]+cx] = cb
	dst.Planes[2][cy*dst.Stride[2]+cx] = cr
}

func fillChroma(dst *media.Frame, v byte) {
	for i := 1; i < 3; i++ {
		for j := range dst.Planes[i] {
			dst.Planes[i][j] = v
		}
	}
}

// Many UVC cameras send MJPEG frames without Huffman tables (DHT), relying
// on the standard tables of JPEG Annex K, which image/jpeg does not assume.
// The tables are taken once from image/jpeg's own encoder, which writes
// exactly the Annex K tables.
var stdDHT = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	// A colour picture: for grey the encoder writes only the luma tables.
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		panic(err)
	}
	var dht []byte
	forEachSegment(buf.Bytes(), func(marker byte, seg []byte) bool {
		if marker == 0xC4 {
			dht = append(dht, seg...)
		}
		return marker != 0xDA
	})
	return dht
})

// withHuffmanTables inserts the standard DHT after SOI when the frame has
// none before its scan.
func withHuffmanTables(src []byte) []byte {
	if len(src) < 4 || src[0] != 0xFF || src[1] != 0xD8 {
		return src
	}
	has := false
	forEachSegment(src, func(marker byte, _ []byte) bool {
		if marker == 0xC4 {
			has = true
		}
		return marker != 0xDA && !has
	})
	if has {
		return src
	}
	dht := stdDHT()
	out := make([]byte, 0, len(src)+len(dht))
	out = append(out, src[:2]...)
	out = append(out, dht...)
	return append(out, src[2:]...)
}

// forEachSegment walks the marker segments after SOI (each with its marker
// and length bytes) until fn returns false or SOS is reached.
func forEachSegment(b []byte, fn func(marker byte, seg []byte) bool) {
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF {
		marker := b[i+1]
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return
		}
		if !fn(marker, b[i:i+2+n]) || marker == 0xDA {
			return
		}
		i += 2 + n
	}
}

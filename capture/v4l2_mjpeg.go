package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"sync"

	"camagent/media"
)

// decodeMJPEGStd decodes one MJPEG frame with the standard library and
// copies it into dst as 4:2:0. image/jpeg allocates its own picture per
// frame, so this path costs a decode plus one copy and garbage per frame.
// It is the decoder of pure-Go builds; builds with cgo and the build tag
// "turbojpeg" use libjpeg-turbo instead (mjpeg_turbojpeg.go, V4L2.md).
func decodeMJPEGStd(dst *media.Frame, src []byte) error {
	src = withHuffmanTables(src)
	// The size first: image/jpeg allocates the whole picture its header
	// claims before it reads the scan, so a corrupt header (up to
	// 65535x65535) would cost gigabytes before failing.
	c, err := jpeg.DecodeConfig(bytes.NewReader(src))
	if err != nil {
		return fmt.Errorf("mjpeg: %w", err)
	}
	if c.Width != dst.Width || c.Height != dst.Height {
		return fmt.Errorf("mjpeg: picture %dx%d, negotiated %dx%d", c.Width, c.Height, dst.Width, dst.Height)
	}
	img, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		return fmt.Errorf("mjpeg: %w", err)
	}
	if b := img.Bounds(); b.Dx() != dst.Width || b.Dy() != dst.Height {
		return fmt.Errorf("mjpeg: picture %dx%d, negotiated %dx%d", b.Dx(), b.Dy(), dst.Width, dst.Height)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		ycbcrTo420(dst, m)
	case *image.Gray:
		copyPlane(dst.Planes[0], dst.Stride[0], m.Pix, m.Stride, dst.Width, dst.Height)
		fillChroma(dst, 128)
	default:
		return fmt.Errorf("mjpeg: unsupported colour model %T", img)
	}
	return nil
}

// ycbcrTo420 copies luma and resamples chroma to 4:2:0. UVC MJPEG is
// nearly always 4:2:2, where the two chroma rows a 4:2:0 sample covers are
// averaged (chroma422To420); 4:2:0 is copied; the other ratios are
// point-sampled.
func ycbcrTo420(dst *media.Frame, m *image.YCbCr) {
	o := m.YOffset(m.Rect.Min.X, m.Rect.Min.Y)
	copyPlane(dst.Planes[0], dst.Stride[0], m.Y[o:], m.YStride, dst.Width, dst.Height)
	ycbcrTo420Chroma(dst, m)
}

// ycbcrTo420Chroma is ycbcrTo420's chroma half.
func ycbcrTo420Chroma(dst *media.Frame, m *image.YCbCr) {
	co := m.COffset(m.Rect.Min.X, m.Rect.Min.Y)
	if m.Rect.Min.X%2 == 0 && m.Rect.Min.Y%2 == 0 {
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			chroma422To420(dst, m.Cb[co:], m.Cr[co:], m.CStride)
			return
		case image.YCbCrSubsampleRatio420:
			chroma420(dst, m.Cb[co:], m.Cr[co:], m.CStride)
			return
		}
	}
	cw, ch := (dst.Width+1)/2, (dst.Height+1)/2
	for cy := range ch {
		for cx := range cw {
			x, y := m.Rect.Min.X+2*cx, m.Rect.Min.Y+2*cy
			i := m.COffset(x, y)
			putChroma(dst, cx, cy, m.Cb[i], m.Cr[i])
		}
	}
}

// copyPlane copies h rows of w bytes.
func copyPlane(dst []byte, dstStride int, src []byte, srcStride, w, h int) {
	for y := range h {
		copy(dst[y*dstStride:y*dstStride+w], src[y*srcStride:y*srcStride+w])
	}
}

// chroma422To420 turns 4:2:2 chroma planes (full height, (w+1)/2 wide,
// rows stride bytes apart) into dst's 4:2:0 chroma by averaging each pair
// of rows (the last row of an odd height is taken alone).
func chroma422To420(dst *media.Frame, cb, cr []byte, stride int) {
	cw, ch := (dst.Width+1)/2, (dst.Height+1)/2
	for cy := range ch {
		y0 := 2 * cy
		y1 := min(y0+1, dst.Height-1)
		b0, b1 := cb[y0*stride:y0*stride+cw], cb[y1*stride:y1*stride+cw]
		r0, r1 := cr[y0*stride:y0*stride+cw], cr[y1*stride:y1*stride+cw]
		if dst.Format == media.NV12 {
			d := dst.Planes[1][cy*dst.Stride[1] : cy*dst.Stride[1]+2*cw]
			for x := range cw {
				d[2*x] = byte((uint(b0[x]) + uint(b1[x]) + 1) >> 1)
				d[2*x+1] = byte((uint(r0[x]) + uint(r1[x]) + 1) >> 1)
			}
			continue
		}
		avgRows(dst.Planes[1][cy*dst.Stride[1]:cy*dst.Stride[1]+cw], b0, b1)
		avgRows(dst.Planes[2][cy*dst.Stride[2]:cy*dst.Stride[2]+cw], r0, r1)
	}
}

// avgRows sets d[x] to the rounded mean of a[x] and b[x], eight bytes at a
// time: per byte, (a+b+1)>>1 = (a|b) - ((a^b)>>1).
func avgRows(d, a, b []byte) {
	a, b = a[:len(d)], b[:len(d)]
	x := 0
	for ; x+8 <= len(d); x += 8 {
		u, v := binary.LittleEndian.Uint64(a[x:]), binary.LittleEndian.Uint64(b[x:])
		binary.LittleEndian.PutUint64(d[x:], (u|v)-((u^v)>>1&0x7f7f7f7f7f7f7f7f))
	}
	for ; x < len(d); x++ {
		d[x] = byte((uint(a[x]) + uint(b[x]) + 1) >> 1)
	}
}

// chroma420 copies 4:2:0 chroma planes ((w+1)/2 x (h+1)/2, rows stride
// bytes apart) into dst, interleaving them for NV12.
func chroma420(dst *media.Frame, cb, cr []byte, stride int) {
	cw, ch := (dst.Width+1)/2, (dst.Height+1)/2
	if dst.Format != media.NV12 {
		copyPlane(dst.Planes[1], dst.Stride[1], cb, stride, cw, ch)
		copyPlane(dst.Planes[2], dst.Stride[2], cr, stride, cw, ch)
		return
	}
	for cy := range ch {
		b, r := cb[cy*stride:cy*stride+cw], cr[cy*stride:cy*stride+cw]
		d := dst.Planes[1][cy*dst.Stride[1] : cy*dst.Stride[1]+2*cw]
		for x := range cw {
			d[2*x], d[2*x+1] = b[x], r[x]
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

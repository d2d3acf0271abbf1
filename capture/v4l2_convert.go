package capture

import (
	"encoding/binary"
	"fmt"

	"camagent/media"
)

// rawLayout is where a driver put one raw picture: bpl is the luma row
// pitch the driver reported (rows may be padded past the visible width).
type rawLayout struct {
	fourcc FourCC
	w, h   int
	bpl    int
}

// need is the smallest buffer that holds the picture. Chroma pitches follow
// the V4L2 single-planar conventions: YU12 chroma rows are bpl/2, NV12's
// interleaved row is bpl.
func (l rawLayout) need() int {
	ch := (l.h + 1) / 2
	switch l.fourcc {
	case FourCCYUYV:
		return l.bpl * l.h
	case FourCCNV12:
		return l.bpl*l.h + l.bpl*ch
	case FourCCYU12:
		return l.bpl*l.h + 2*(l.bpl/2)*ch
	}
	return 0
}

// convertRaw writes the driver's picture into dst, which has the same
// size. It is the one copy between the mmap'ed driver buffer and the
// encoder's frame: YUYV is converted to 4:2:0 inside that copy, never via
// an intermediate picture.
func convertRaw(dst *media.Frame, src []byte, l rawLayout) error {
	if dst.Width != l.w || dst.Height != l.h {
		return fmt.Errorf("frame %dx%d, picture %dx%d", dst.Width, dst.Height, l.w, l.h)
	}
	if n := l.need(); len(src) < n {
		return fmt.Errorf("%v %dx%d: buffer has %d bytes, want %d (bytesperline %d)", l.fourcc, l.w, l.h, len(src), n, l.bpl)
	}
	switch l.fourcc {
	case FourCCYUYV:
		yuyvTo420(dst, src, l.w, l.h, l.bpl)
	case FourCCNV12:
		nv12To(dst, src, l)
	case FourCCYU12:
		yu12To(dst, src, l)
	default:
		return fmt.Errorf("no raw converter for %v", l.fourcc)
	}
	return nil
}

// yuyvTo420 converts packed 4:2:2 (Y0 U Y1 V) to I420 or NV12. Each chroma
// sample of the output is the mean of the two source rows it covers, which
// keeps vertical colour edges where they were instead of shifting them
// half a line up.
func yuyvTo420(dst *media.Frame, src []byte, w, h, bpl int) {
	yp, ys := dst.Planes[0], dst.Stride[0]
	nv12 := dst.Format == media.NV12
	cw := w / 2
	for y := 0; y < h; y += 2 {
		r0 := src[y*bpl : y*bpl+2*w]
		r1 := r0
		if y+1 < h {
			r1 = src[(y+1)*bpl : (y+1)*bpl+2*w]
		}
		y0 := yp[y*ys : y*ys+w]
		y1 := y0
		if y+1 < h {
			y1 = yp[(y+1)*ys : (y+1)*ys+w]
		}
		cy := y / 2
		if nv12 {
			uv := dst.Planes[1][cy*dst.Stride[1] : cy*dst.Stride[1]+2*cw]
			for x := 0; x < cw; x++ {
				a := r0[4*x : 4*x+4 : 4*x+4]
				b := r1[4*x : 4*x+4 : 4*x+4]
				y0[2*x], y0[2*x+1] = a[0], a[2]
				y1[2*x], y1[2*x+1] = b[0], b[2]
				uv[2*x] = byte((uint(a[1]) + uint(b[1]) + 1) >> 1)
				uv[2*x+1] = byte((uint(a[3]) + uint(b[3]) + 1) >> 1)
			}
			continue
		}
		u := dst.Planes[1][cy*dst.Stride[1] : cy*dst.Stride[1]+cw]
		v := dst.Planes[2][cy*dst.Stride[2] : cy*dst.Stride[2]+cw]
		// One 32-bit load per macropixel (two pixels) and source row, and a
		// 16-bit store per luma pair, instead of byte-wise access.
		r0, r1 = r0[:4*cw], r1[:4*cw]
		y0, y1 = y0[:2*cw], y1[:2*cw]
		for x := range u {
			a := binary.LittleEndian.Uint32(r0[4*x:])
			b := binary.LittleEndian.Uint32(r1[4*x:])
			binary.LittleEndian.PutUint16(y0[2*x:], uint16(a&0xff|a>>8&0xff00))
			binary.LittleEndian.PutUint16(y1[2*x:], uint16(b&0xff|b>>8&0xff00))
			u[x] = byte((a>>8&0xff + b>>8&0xff + 1) >> 1)
			v[x] = byte((a>>24 + b>>24 + 1) >> 1)
		}
	}
}

func copyLuma(dst *media.Frame, src []byte, w, h, bpl int) {
	for y := range h {
		copy(dst.Planes[0][y*dst.Stride[0]:y*dst.Stride[0]+w], src[y*bpl:y*bpl+w])
	}
}

// nv12To copies NV12, de-interleaving the chroma when the encoder wants I420.
func nv12To(dst *media.Frame, src []byte, l rawLayout) {
	copyLuma(dst, src, l.w, l.h, l.bpl)
	cw, ch := (l.w+1)/2, (l.h+1)/2
	uvBase := l.bpl * l.h
	for y := range ch {
		row := src[uvBase+y*l.bpl : uvBase+y*l.bpl+2*cw]
		if dst.Format == media.NV12 {
			copy(dst.Planes[1][y*dst.Stride[1]:], row)
			continue
		}
		u := dst.Planes[1][y*dst.Stride[1] : y*dst.Stride[1]+cw]
		v := dst.Planes[2][y*dst.Stride[2] : y*dst.Stride[2]+cw]
		for x := range cw {
			u[x], v[x] = row[2*x], row[2*x+1]
		}
	}
}

// yu12To copies I420, interleaving the chroma when the encoder wants NV12.
func yu12To(dst *media.Frame, src []byte, l rawLayout) {
	copyLuma(dst, src, l.w, l.h, l.bpl)
	cw, ch := (l.w+1)/2, (l.h+1)/2
	cbpl := l.bpl / 2
	uBase := l.bpl * l.h
	vBase := uBase + cbpl*ch
	for y := range ch {
		u := src[uBase+y*cbpl : uBase+y*cbpl+cw]
		v := src[vBase+y*cbpl : vBase+y*cbpl+cw]
		if dst.Format == media.NV12 {
			uv := dst.Planes[1][y*dst.Stride[1] : y*dst.Stride[1]+2*cw]
			for x := range cw {
				uv[2*x], uv[2*x+1] = u[x], v[x]
			}
			continue
		}
		copy(dst.Planes[1][y*dst.Stride[1]:], u)
		copy(dst.Planes[2][y*dst.Stride[2]:], v)
	}
}

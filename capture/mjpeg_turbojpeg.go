//go:build cgo && turbojpeg

package capture

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

// camagent_tj_decode decodes into the three planes. The plane pointers and
// strides are put into C arrays here: Go may pass Go pointers as arguments,
// but not a Go array holding them.
static int camagent_tj_decode(tjhandle h, const unsigned char *jpg, unsigned long n,
		unsigned char *y, unsigned char *u, unsigned char *v,
		int sy, int suv, int w, int hgt) {
	unsigned char *planes[3] = {y, u, v};
	int strides[3] = {sy, suv, suv};
	return tjDecompressToYUVPlanes(h, jpg, n, planes, w, strides, hgt, 0);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"unsafe"

	"camagent/media"
)

// mjpegDecoder names the MJPEG decoder this build uses.
const mjpegDecoder = "libjpeg-turbo"

// decodeMJPEG decodes one MJPEG frame into dst as 4:2:0 with libjpeg-turbo.
func decodeMJPEG(dst *media.Frame, src []byte) error { return decodeMJPEGTurbo(dst, src) }

// tjDecoder is one TurboJPEG decompressor with its scratch planes. A
// handle must not be used by two goroutines at once, so each decode takes
// one from tjFree and gives it back; the list keeps at most tjFreeMax (a
// camera source decodes on one goroutine), so a steady stream reuses one
// handle and one scratch buffer and allocates nothing per frame. A handle
// that failed is destroyed at once, never reused: after an error libjpeg's
// marker reader keeps the failed frame's state, and the next frame's
// header fails too ("Bogus marker length").
type tjDecoder struct {
	h       C.tjhandle
	hdr     [4]C.int // width, height, subsampling, colour space: here, not on the heap per call
	scratch []byte
}

const tjFreeMax = 4

var tjFree struct {
	sync.Mutex
	list []*tjDecoder
}

func getTJDecoder() *tjDecoder {
	tjFree.Lock()
	defer tjFree.Unlock()
	if n := len(tjFree.list); n > 0 {
		d := tjFree.list[n-1]
		tjFree.list = tjFree.list[:n-1]
		return d
	}
	h := C.tjInitDecompress()
	if h == nil {
		return nil
	}
	return &tjDecoder{h: h}
}

func (d *tjDecoder) release(failed bool) {
	tjFree.Lock()
	defer tjFree.Unlock()
	if failed || len(tjFree.list) >= tjFreeMax {
		C.tjDestroy(d.h)
		d.h = nil
		return
	}
	tjFree.list = append(tjFree.list, d)
}

// tjSubsampling maps TurboJPEG's subsampling to image's ratio.
var tjSubsampling = map[C.int]image.YCbCrSubsampleRatio{
	C.TJSAMP_444: image.YCbCrSubsampleRatio444,
	C.TJSAMP_422: image.YCbCrSubsampleRatio422,
	C.TJSAMP_420: image.YCbCrSubsampleRatio420,
	C.TJSAMP_440: image.YCbCrSubsampleRatio440,
	C.TJSAMP_411: image.YCbCrSubsampleRatio411,
}

// decodeMJPEGTurbo decodes src straight to planar YCbCr (no colour
// conversion, no chroma upsampling). Luma goes straight into dst's Y plane
// when TurboJPEG's padded plane fits it; chroma, at the frame's own
// subsampling, goes to scratch planes and from there to 4:2:0 (4:2:2, what
// UVC cameras send, by averaging row pairs like the image/jpeg path).
//
// Frames without Huffman tables (most UVC cameras) need nothing here:
// libjpeg-turbo loads the JPEG Annex K tables when a frame has none
// (TestMJPEGDecoders checks that with the library linked).
func decodeMJPEGTurbo(dst *media.Frame, src []byte) error {
	if len(src) == 0 {
		return errors.New("mjpeg: empty frame")
	}
	d := getTJDecoder()
	if d == nil {
		return errors.New("mjpeg: libjpeg-turbo: cannot create a decompressor")
	}
	err := d.decode(dst, src)
	d.release(err != nil)
	return err
}

func (d *tjDecoder) decode(dst *media.Frame, src []byte) error {
	jpg := (*C.uchar)(unsafe.Pointer(&src[0]))
	n := C.ulong(len(src))

	if err := d.check(C.tjDecompressHeader3(d.h, jpg, n, &d.hdr[0], &d.hdr[1], &d.hdr[2], &d.hdr[3]), "header"); err != nil {
		return err
	}
	w, h, ss, cs := d.hdr[0], d.hdr[1], d.hdr[2], d.hdr[3]
	if int(w) != dst.Width || int(h) != dst.Height {
		return fmt.Errorf("mjpeg: picture %dx%d, negotiated %dx%d", w, h, dst.Width, dst.Height)
	}
	if cs != C.TJCS_YCbCr && cs != C.TJCS_GRAY {
		return fmt.Errorf("mjpeg: unsupported colour space %d", cs)
	}
	ratio, colour := tjSubsampling[ss]
	if !colour && ss != C.TJSAMP_GRAY {
		return fmt.Errorf("mjpeg: unsupported chroma subsampling %d", ss)
	}

	// TurboJPEG writes whole planes padded to its MCU grid (tjPlaneWidth/
	// Height), e.g. an even luma height for 4:2:0.
	yw, yh := int(C.tjPlaneWidth(0, w, ss)), int(C.tjPlaneHeight(0, h, ss))
	cw, ch := 0, 0
	if colour {
		cw, ch = int(C.tjPlaneWidth(1, w, ss)), int(C.tjPlaneHeight(1, h, ss))
	}
	if yw <= 0 || yh <= 0 || cw < 0 || ch < 0 {
		return fmt.Errorf("mjpeg: picture %dx%d: no plane geometry for subsampling %d", w, h, ss)
	}
	direct := yw <= dst.Stride[0] && (yh-1)*dst.Stride[0]+yw <= len(dst.Planes[0])
	need := 2 * cw * ch
	if !direct {
		need += yw * yh
	}
	if cap(d.scratch) < need {
		d.scratch = make([]byte, need)
	}
	buf := d.scratch[:need]
	cb, cr := buf[:cw*ch], buf[cw*ch:2*cw*ch]
	y, ys := dst.Planes[0], dst.Stride[0]
	if !direct {
		y, ys = buf[2*cw*ch:], yw
	}
	var u, v *C.uchar
	if colour {
		u, v = (*C.uchar)(unsafe.Pointer(&cb[0])), (*C.uchar)(unsafe.Pointer(&cr[0]))
	}
	if err := d.check(C.camagent_tj_decode(d.h, jpg, n, (*C.uchar)(unsafe.Pointer(&y[0])), u, v, C.int(ys), C.int(cw), w, h), "decode"); err != nil {
		return err
	}
	if !direct {
		copyPlane(dst.Planes[0], dst.Stride[0], y, ys, dst.Width, dst.Height)
	}
	switch {
	case !colour:
		fillChroma(dst, 128)
	case ss == C.TJSAMP_422:
		chroma422To420(dst, cb, cr, cw)
	case ss == C.TJSAMP_420:
		chroma420(dst, cb, cr, cw)
	default:
		// Rare ratios: point-sampled through image.YCbCr's geometry, which
		// matches TurboJPEG's plane sizes for these ratios.
		m := &image.YCbCr{Y: y, Cb: cb, Cr: cr, YStride: ys, CStride: cw, SubsampleRatio: ratio, Rect: image.Rect(0, 0, dst.Width, dst.Height)}
		ycbcrTo420Chroma(dst, m)
	}
	return nil
}

// check turns a TurboJPEG result into an error. libjpeg carries on after
// a warning and TurboJPEG then returns -1 with TJERR_WARNING; a frame is
// taken only when the last warning is "extraneous bytes before marker":
// junk or padding between the scan and a marker, which many UVC cameras
// send (the "Corrupt JPEG data: 2 extraneous bytes before marker 0xd9"
// familiar from webcams) and image/jpeg skips silently. Every other
// warning (a truncated frame, "Premature end of JPEG file", where libjpeg
// fills the rest with grey; a bad Huffman code) drops the frame, as
// image/jpeg's errors do.
func (d *tjDecoder) check(rc C.int, what string) error {
	if rc == 0 {
		return nil
	}
	msg := C.GoString(C.tjGetErrorStr2(d.h))
	if C.tjGetErrorCode(d.h) == C.TJERR_WARNING && strings.HasPrefix(msg, "Corrupt JPEG data: ") && strings.Contains(msg, " extraneous bytes before marker ") {
		return nil
	}
	return fmt.Errorf("mjpeg: libjpeg-turbo %s: %s", what, msg)
}

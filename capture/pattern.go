package capture

import (
	"time"

	"camagent/media"
)

// Video-range levels (BT.601/709 limited range): encoders and players assume
// them, and full-range values would clip on the way out.
const (
	lumaBlack   = 16
	lumaWhite   = 235
	chromaGrey  = 128
	maxLineText = 2 + 20 // "F " and every digit of a uint64
)

// bar is one colour of the 75% colour bars plus black, as Y'CbCr.
type bar struct{ y, u, v byte }

var bars = [...]bar{
	{180, 128, 128}, // white
	{162, 44, 142},  // yellow
	{131, 156, 44},  // cyan
	{112, 72, 58},   // green
	{84, 184, 198},  // magenta
	{65, 100, 212},  // red
	{35, 212, 114},  // blue
	{16, 128, 128},  // black
}

// renderer draws the test picture into frames of one geometry. All rows it
// copies from are built once in newRenderer, so drawing a frame is a series
// of copies and never allocates: the pattern runs at camera rates on small
// boards and must not feed the garbage collector.
type renderer struct {
	w, h   int
	format media.PixelFormat

	step  int // horizontal scroll per frame, even so chroma stays aligned
	barsH int // rows of colour bars; the rest is a grey ramp

	// Each row buffer holds two periods so a scrolled row is one contiguous
	// slice starting at the phase.
	yBars, yRamp []byte
	uBars, vBars []byte // I420, one byte per chroma sample
	uvBars       []byte // NV12, interleaved
	white, black []byte // w bytes of one luma level
	neutral      []byte // w bytes of chromaGrey (covers 2*cw for NV12)

	sq int // moving square side

	scale int // text pixel size
	lines [2][maxLineText]byte
	lens  [2]int
	scan  []byte // one composed text scanline
}

func newRenderer(w, h int, format media.PixelFormat) *renderer {
	r := &renderer{w: w, h: h, format: format}
	r.step = max(2, (w/160)&^1)
	r.barsH = (h * 3 / 4) &^ 1
	r.sq = max(8, (h/8)&^1)
	r.scale = max(1, h/160)

	cw := w / 2
	r.yBars = make([]byte, 2*w)
	r.yRamp = make([]byte, 2*w)
	for x := range w {
		b := bars[x*len(bars)/w]
		r.yBars[x], r.yBars[x+w] = b.y, b.y
		ramp := byte(lumaBlack + x*(lumaWhite-lumaBlack)/(w-1))
		r.yRamp[x], r.yRamp[x+w] = ramp, ramp
	}
	r.uBars = make([]byte, 2*cw)
	r.vBars = make([]byte, 2*cw)
	r.uvBars = make([]byte, 4*cw)
	for cx := range cw {
		b := bars[2*cx*len(bars)/w]
		for _, i := range []int{cx, cx + cw} {
			r.uBars[i], r.vBars[i] = b.u, b.v
			r.uvBars[2*i], r.uvBars[2*i+1] = b.u, b.v
		}
	}
	r.white = filled(w, lumaWhite)
	r.black = filled(w, lumaBlack)
	r.neutral = filled(w, chromaGrey)
	r.scan = make([]byte, maxLineText*(glyphW+1)*r.scale)
	return r
}

func filled(n int, v byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = v
	}
	return b
}

// render draws picture number seq, stamped with now, into f, which must have
// the renderer's geometry and format. Every pixel is written, so pooled
// frames need no clearing.
func (r *renderer) render(f *media.Frame, seq uint64, now time.Time) {
	phase := int(seq * uint64(r.step) % uint64(r.w))
	r.background(f, phase)
	r.square(f, seq)
	r.setCounter(seq)
	r.setClock(now)
	r.drawText(f)
}

// background scrolls the bars left and the ramp right, so both horizontal
// edges and a gradient move every frame.
func (r *renderer) background(f *media.Frame, phase int) {
	w, cw := r.w, r.w/2
	rampPhase := (w - phase) % w
	y := f.Planes[0]
	for row := range r.h {
		dst := y[row*f.Stride[0] : row*f.Stride[0]+w]
		if row < r.barsH {
			copy(dst, r.yBars[phase:phase+w])
		} else {
			copy(dst, r.yRamp[rampPhase:rampPhase+w])
		}
	}
	cp := phase / 2
	for row := range r.h / 2 {
		bars := row < r.barsH/2
		switch r.format {
		case media.NV12:
			dst := f.Planes[1][row*f.Stride[1] : row*f.Stride[1]+2*cw]
			if bars {
				copy(dst, r.uvBars[2*cp:2*cp+2*cw])
			} else {
				copy(dst, r.neutral)
			}
		default:
			u := f.Planes[1][row*f.Stride[1] : row*f.Stride[1]+cw]
			v := f.Planes[2][row*f.Stride[2] : row*f.Stride[2]+cw]
			if bars {
				copy(u, r.uBars[cp:cp+cw])
				copy(v, r.vBars[cp:cp+cw])
			} else {
				copy(u, r.neutral)
				copy(v, r.neutral)
			}
		}
	}
}

// square bounces a white block around the whole picture, crossing both the
// bars and the ramp, so a motion detector sees an object and not only a pan.
func (r *renderer) square(f *media.Frame, seq uint64) {
	x := triangle(seq*uint64(2*r.step), r.w-r.sq) &^ 1
	y := triangle(seq*uint64(r.step), r.h-r.sq) &^ 1
	r.fillLuma(f, x, y, x+r.sq, y+r.sq, r.white)
	r.fillChroma(f, x, y, x+r.sq, y+r.sq)
}

// triangle maps n onto 0..span..0 so positions bounce instead of jumping.
func triangle(n uint64, span int) int {
	if span <= 0 {
		return 0
	}
	m := int(n % uint64(2*span))
	if m > span {
		m = 2*span - m
	}
	return m
}

// fillLuma copies level (a row of one value) over the rectangle, clipped.
func (r *renderer) fillLuma(f *media.Frame, x0, y0, x1, y1 int, level []byte) {
	x1, y1 = min(x1, r.w), min(y1, r.h)
	if x0 >= x1 {
		return
	}
	for row := y0; row < y1; row++ {
		o := row * f.Stride[0]
		copy(f.Planes[0][o+x0:o+x1], level)
	}
}

// fillChroma makes the chroma under a luma rectangle neutral, so white and
// black stay white and black whatever colour was beneath.
func (r *renderer) fillChroma(f *media.Frame, x0, y0, x1, y1 int) {
	cw, ch := r.w/2, r.h/2
	cx0, cy0 := x0/2, y0/2
	cx1, cy1 := min((x1+1)/2, cw), min((y1+1)/2, ch)
	if cx0 >= cx1 {
		return
	}
	for row := cy0; row < cy1; row++ {
		switch r.format {
		case media.NV12:
			o := row * f.Stride[1]
			copy(f.Planes[1][o+2*cx0:o+2*cx1], r.neutral)
		default:
			o1, o2 := row*f.Stride[1], row*f.Stride[2]
			copy(f.Planes[1][o1+cx0:o1+cx1], r.neutral)
			copy(f.Planes[2][o2+cx0:o2+cx1], r.neutral)
		}
	}
}

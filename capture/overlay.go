package capture

import (
	"time"

	"camagent/media"
)

// The overlay is two lines of text in a black box at the top left: the frame
// counter and the UTC wall-clock time with milliseconds. Comparing the time
// in a decoded picture with the viewer's clock gives glass-to-glass latency,
// and gaps in the counter show drops anywhere in the pipeline.

// textLayout gives the overlay geometry in pixels for a text scale s.
func textLayout(s int) (margin, pad, advance, lineGap int) {
	return 2 * s, s, (glyphW + 1) * s, 2 * s
}

// setCounter formats "F 000123": at least six digits so the box does not
// change width every few frames, more once the counter outgrows them.
func (r *renderer) setCounter(seq uint64) {
	b := &r.lines[0]
	n := 0
	for v := seq; v > 0; v /= 10 {
		n++
	}
	n = max(n, 6)
	b[0], b[1] = 'F', ' '
	for i := 2 + n - 1; i >= 2; i-- {
		b[i] = byte('0' + seq%10)
		seq /= 10
	}
	r.lens[0] = 2 + n
}

// setClock formats "15:04:05.000" in UTC, by hand because time.Format
// allocates.
func (r *renderer) setClock(now time.Time) {
	now = now.UTC()
	h, m, s := now.Clock()
	ms := now.Nanosecond() / int(time.Millisecond)
	b := &r.lines[1]
	two := func(i, v int) { b[i], b[i+1] = byte('0'+v/10), byte('0'+v%10) }
	two(0, h)
	b[2] = ':'
	two(3, m)
	b[5] = ':'
	two(6, s)
	b[8] = '.'
	b[9], b[10], b[11] = byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10)
	r.lens[1] = 12
}

// drawText paints the box and both lines, clipped to the frame.
func (r *renderer) drawText(f *media.Frame) {
	s := r.scale
	margin, pad, advance, gap := textLayout(s)
	textW := func(n int) int { return n*advance - s }
	bw := 2*pad + textW(max(r.lens[0], r.lens[1]))
	bh := 2*pad + 2*glyphH*s + gap
	x0, y0 := margin, margin
	x1, y1 := min(x0+bw+bw%2, r.w), min(y0+bh+bh%2, r.h)
	if x0 >= x1 || y0 >= y1 {
		return
	}
	r.fillLuma(f, x0, y0, x1, y1, r.black)
	r.fillChroma(f, x0, y0, x1, y1)

	tx := x0 + pad
	for li := range r.lines {
		text := r.lines[li][:r.lens[li]]
		scan := r.scan[:textW(len(text))]
		ty := y0 + pad + li*(glyphH*s+gap)
		for gr := range glyphH {
			r.composeRow(scan, text, gr)
			for k := range s {
				row := ty + gr*s + k
				if row >= y1 || tx >= x1 {
					return
				}
				o := row * f.Stride[0]
				copy(f.Planes[0][o+tx:o+x1], scan)
			}
		}
	}
}

// composeRow renders glyph row gr of text, scaled by r.scale, into scan once,
// so that it can be copied onto r.scale picture rows.
func (r *renderer) composeRow(scan, text []byte, gr int) {
	s := r.scale
	advance := (glyphW + 1) * s
	for i, c := range text {
		bits := glyph(c)[gr]
		px := scan[i*advance:]
		for col := range glyphW {
			v := byte(lumaBlack)
			if bits&(1<<(glyphW-1-col)) != 0 {
				v = lumaWhite
			}
			cell := px[col*s : col*s+s]
			for j := range cell {
				cell[j] = v
			}
		}
		if i < len(text)-1 { // inter-glyph gap; the last glyph has none
			gapCells := px[glyphW*s : advance]
			for j := range gapCells {
				gapCells[j] = lumaBlack
			}
		}
	}
}

package capture

import (
	"bytes"
	"image"
	"math"
	"testing"
)

// encodeJPEGSampled is a small baseline JPEG encoder for the tests and
// benchmarks: image/jpeg's encoder always writes 4:2:0 (or grey), whatever
// the image.YCbCr it is given, while UVC cameras send 4:2:2. It writes the
// picture's own planes at the sampling of m.SubsampleRatio (or one grey
// component when m is nil and g is set) with the standard Huffman tables
// (Annex K, taken from stdDHT), the IJG quality scaling of the Annex K
// quantisation tables and a float DCT. No restart markers.
func encodeJPEGSampled(t testing.TB, m *image.YCbCr, g *image.Gray, quality int) []byte {
	t.Helper()
	type comp struct {
		h, v   int // sampling factors
		pix    []byte
		stride int
		pw, ph int // plane size
		q      int // quantisation table
	}
	var comps []comp
	var w, h int
	if m != nil {
		w, h = m.Rect.Dx(), m.Rect.Dy()
		yh, yv := 1, 1
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio444:
		case image.YCbCrSubsampleRatio422:
			yh = 2
		case image.YCbCrSubsampleRatio420:
			yh, yv = 2, 2
		case image.YCbCrSubsampleRatio440:
			yv = 2
		case image.YCbCrSubsampleRatio411:
			yh = 4
		default:
			t.Fatalf("encodeJPEGSampled: ratio %v", m.SubsampleRatio)
		}
		cw, ch := (w+yh-1)/yh, (h+yv-1)/yv
		comps = []comp{
			{yh, yv, m.Y, m.YStride, w, h, 0},
			{1, 1, m.Cb, m.CStride, cw, ch, 1},
			{1, 1, m.Cr, m.CStride, cw, ch, 1},
		}
	} else {
		w, h = g.Rect.Dx(), g.Rect.Dy()
		comps = []comp{{1, 1, g.Pix, g.Stride, w, h, 0}}
	}
	maxH, maxV := comps[0].h, comps[0].v

	var quant [2][64]int
	for i := range 64 {
		s := 5000 / max(quality, 1)
		if quality >= 50 {
			s = 200 - 2*quality
		}
		quant[0][i] = min(max((annexKLuma[i]*s+50)/100, 1), 255)
		quant[1][i] = min(max((annexKChroma[i]*s+50)/100, 1), 255)
	}

	// Huffman codes from the standard tables: class<<4|id -> symbol -> code.
	type code struct {
		bits uint32
		n    uint
	}
	codes := map[byte]*[256]code{}
	forEachSegment(append([]byte{0xFF, 0xD8}, stdDHT()...), func(_ byte, seg []byte) bool {
		p := seg[4:]
		for len(p) >= 17 {
			tc := p[0]
			counts, total := p[1:17], 0
			for _, c := range counts {
				total += int(c)
			}
			vals := p[17 : 17+total]
			tab := new([256]code)
			c, k := uint32(0), 0
			for l := 1; l <= 16; l++ {
				for range counts[l-1] {
					tab[vals[k]] = code{c, uint(l)}
					c++
					k++
				}
				c <<= 1
			}
			codes[tc] = tab
			p = p[17+total:]
		}
		return true
	})

	var out bytes.Buffer
	out.Write([]byte{0xFF, 0xD8})
	for i, q := range quant[:min(len(comps), 2)] {
		out.Write([]byte{0xFF, 0xDB, 0, 67, byte(i)})
		for _, z := range zigzag {
			out.WriteByte(byte(q[z]))
		}
	}
	n := len(comps)
	out.Write([]byte{0xFF, 0xC0, 0, byte(8 + 3*n), 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(n)})
	for i, c := range comps {
		out.Write([]byte{byte(i + 1), byte(c.h<<4 | c.v), byte(c.q)})
	}
	out.Write(stdDHT())
	out.Write([]byte{0xFF, 0xDA, 0, byte(6 + 2*n), byte(n)})
	for i, c := range comps {
		out.Write([]byte{byte(i + 1), byte(c.q<<4 | c.q)})
	}
	out.Write([]byte{0, 63, 0})

	var acc uint64
	var nacc uint
	put := func(bits uint32, n uint) {
		acc = acc<<n | uint64(bits)&(1<<n-1)
		nacc += n
		for nacc >= 8 {
			b := byte(acc >> (nacc - 8))
			out.WriteByte(b)
			if b == 0xFF {
				out.WriteByte(0)
			}
			nacc -= 8
		}
	}
	magnitude := func(v int) (uint32, uint) {
		a := v
		if a < 0 {
			a = -a
		}
		s := uint(0)
		for a > 0 {
			s++
			a >>= 1
		}
		if v < 0 {
			v += 1<<s - 1
		}
		return uint32(v), s
	}
	var cosTab [8][8]float64
	for x := range 8 {
		for u := range 8 {
			cosTab[x][u] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / 16)
		}
	}
	pred := make([]int, n)
	mcuW, mcuH := 8*maxH, 8*maxV
	for my := 0; my < (h+mcuH-1)/mcuH; my++ {
		for mx := 0; mx < (w+mcuW-1)/mcuW; mx++ {
			for ci, c := range comps {
				dc, ac := codes[byte(c.q)], codes[byte(0x10|c.q)]
				for by := range c.v {
					for bx := range c.h {
						var blk [64]float64
						for y := range 8 {
							for x := range 8 {
								px := min((mx*c.h+bx)*8+x, c.pw-1)
								py := min((my*c.v+by)*8+y, c.ph-1)
								blk[y*8+x] = float64(c.pix[py*c.stride+px]) - 128
							}
						}
						// Separable DCT: rows, then columns.
						var tmp [64]float64
						for y := range 8 {
							for u := range 8 {
								s := 0.0
								for x := range 8 {
									s += blk[y*8+x] * cosTab[x][u]
								}
								tmp[y*8+u] = s
							}
						}
						var coef [64]int
						for v := range 8 {
							for u := range 8 {
								s := 0.0
								for y := range 8 {
									s += tmp[y*8+u] * cosTab[y][v]
								}
								cu, cv := 1.0, 1.0
								if u == 0 {
									cu = math.Sqrt2 / 2
								}
								if v == 0 {
									cv = math.Sqrt2 / 2
								}
								coef[v*8+u] = int(math.Round(s * cu * cv / 4 / float64(quant[c.q][v*8+u])))
							}
						}
						bits, sz := magnitude(coef[0] - pred[ci])
						pred[ci] = coef[0]
						put(dc[sz].bits, dc[sz].n)
						put(bits, sz)
						run := 0
						for k := 1; k < 64; k++ {
							v := coef[zigzag[k]]
							if v == 0 {
								run++
								continue
							}
							for run > 15 {
								put(ac[0xF0].bits, ac[0xF0].n)
								run -= 16
							}
							bits, sz := magnitude(v)
							sym := byte(run<<4) | byte(sz)
							put(ac[sym].bits, ac[sym].n)
							put(bits, sz)
							run = 0
						}
						if run > 0 {
							put(ac[0].bits, ac[0].n)
						}
					}
				}
			}
		}
	}
	if nacc > 0 {
		put(0x7F, 8-nacc%8) // pad with ones
	}
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

// zigzag[k] is the natural-order index of the k-th coefficient in scan order.
var zigzag = [64]int{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// The JPEG Annex K quantisation tables, natural order.
var annexKLuma = [64]int{
	16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
	14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
	18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
	49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
}

var annexKChroma = [64]int{
	17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
	24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
}

// cameraPicture is a test picture at the given chroma subsampling: a luma
// gradient with deterministic noise of +-4 (a camera's sensor noise at a
// modest gain, so the entropy decoder has real work) and chroma ramps.
func cameraPicture(w, h int, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	r := uint32(12345)
	noise := func() int {
		r = r*1664525 + 1013904223
		return int(r>>27) - 16 // -16..15
	}
	for y := range h {
		for x := range w {
			m.Y[y*m.YStride+x] = byte(min(max(16+(x*160/w)+(y*60/h)+noise()/4, 0), 255))
		}
	}
	rows := len(m.Cb) / m.CStride
	for y := range rows {
		for x := range m.CStride {
			m.Cb[y*m.CStride+x] = byte(min(max(90+x*60/m.CStride+noise()/4, 0), 255))
			m.Cr[y*m.CStride+x] = byte(min(max(160-y*50/max(rows, 1)+noise()/4, 0), 255))
		}
	}
	return m
}

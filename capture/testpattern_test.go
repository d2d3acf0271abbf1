package capture

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

func newPattern(t *testing.T, cfg TestPatternConfig, queue int) (*TestPattern, *media.FrameQueue, *clock.Fake) {
	t.Helper()
	q := media.NewFrameQueue(queue)
	clk := clock.NewFake(epoch)
	p, err := NewTestPattern(cfg, q, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Drain)
	return p, q, clk
}

func pop(t *testing.T, q *media.FrameQueue) *media.Frame {
	t.Helper()
	select {
	case f := <-q.C():
		return f
	default:
		t.Fatal("queue is empty")
		return nil
	}
}

func TestTestPatternConfig(t *testing.T) {
	ok := TestPatternConfig{Width: 640, Height: 480, FPS: 30, Format: media.I420}
	tests := []struct {
		name string
		edit func(*TestPatternConfig)
		want string // substring of the error; empty means valid
	}{
		{"valid", func(*TestPatternConfig) {}, ""},
		{"smallest", func(c *TestPatternConfig) { c.Width, c.Height, c.FPS = 64, 64, 1 }, ""},
		{"largest", func(c *TestPatternConfig) { c.Width, c.Height, c.FPS, c.Format = 4096, 2160, 120, media.NV12 }, ""},
		{"odd width", func(c *TestPatternConfig) { c.Width = 641 }, "width 641"},
		{"odd height", func(c *TestPatternConfig) { c.Height = 479 }, "height 479"},
		{"too small", func(c *TestPatternConfig) { c.Width = 62 }, "width 62"},
		{"too large", func(c *TestPatternConfig) { c.Height = 4098 }, "height 4098"},
		{"fps zero", func(c *TestPatternConfig) { c.FPS = 0 }, "fps 0"},
		{"fps too high", func(c *TestPatternConfig) { c.FPS = 121 }, "fps 121"},
		{"no format", func(c *TestPatternConfig) { c.Format = 0 }, "format"},
		{"several at once", func(c *TestPatternConfig) { c.Width, c.FPS = 1, 0 }, "fps 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			_, err := NewTestPattern(cfg, media.NewFrameQueue(1), clock.NewFake(epoch), nil)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestTestPatternPlanes(t *testing.T) {
	for _, format := range []media.PixelFormat{media.I420, media.NV12} {
		for _, size := range [][2]int{{640, 480}, {64, 64}, {1920, 1080}} {
			w, h := size[0], size[1]
			t.Run(format.String()+"/"+itoa(w)+"x"+itoa(h), func(t *testing.T) {
				p, q, _ := newPattern(t, TestPatternConfig{Width: w, Height: h, FPS: 30, Format: format}, 4)
				p.produce()
				f := pop(t, q)
				defer f.Release()
				cw, ch := w/2, h/2
				want := [3][2]int{{w * h, w}, {cw * ch, cw}, {cw * ch, cw}}
				if format == media.NV12 {
					want = [3][2]int{{w * h, w}, {2 * cw * ch, 2 * cw}, {0, 0}}
				}
				if f.Format != format || f.Width != w || f.Height != h {
					t.Fatalf("frame %v %dx%d", f.Format, f.Width, f.Height)
				}
				for i := range want {
					if len(f.Planes[i]) != want[i][0] || f.Stride[i] != want[i][1] {
						t.Errorf("plane %d: %d bytes stride %d, want %d stride %d",
							i, len(f.Planes[i]), f.Stride[i], want[i][0], want[i][1])
					}
				}
				if st := p.Stats(); st.Format != format.String() || st.Width != w || st.Height != h || st.FPS != 30 {
					t.Errorf("stats %+v", st)
				}
			})
		}
	}
}

func itoa(v int) string {
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// readText decodes line li of the overlay back into characters by sampling
// the centre of every font pixel, as a person reading a decoded frame would.
func readText(f *media.Frame, r *renderer, li, n int) string {
	s := r.scale
	margin, pad, advance, gap := textLayout(s)
	tx, ty := margin+pad, margin+pad+li*(glyphH*s+gap)
	out := make([]byte, n)
	for i := range n {
		var g [glyphH]uint8
		for gr := range glyphH {
			for col := range glyphW {
				x, y := tx+i*advance+col*s+s/2, ty+gr*s+s/2
				if f.Planes[0][y*f.Stride[0]+x] > 128 {
					g[gr] |= 1 << (glyphW - 1 - col)
				}
			}
		}
		out[i] = '?'
		for c := range font {
			if font[c] == g {
				out[i] = byte(c + fontFirst)
				break
			}
		}
	}
	return string(out)
}

func TestTestPatternText(t *testing.T) {
	for _, size := range [][2]int{{640, 480}, {1280, 720}, {1920, 1080}, {320, 240}} {
		for _, format := range []media.PixelFormat{media.I420, media.NV12} {
			w, h := size[0], size[1]
			t.Run(format.String()+"/"+itoa(w)+"x"+itoa(h), func(t *testing.T) {
				p, q, clk := newPattern(t, TestPatternConfig{Width: w, Height: h, FPS: 30, Format: format}, 4)
				for i, want := range [][2]string{
					{"F 000000", "12:34:56.789"},
					{"F 000001", "12:34:56.822"},
					{"F 000002", "12:34:56.855"},
				} {
					p.produce()
					f := pop(t, q)
					if got := readText(f, p.r, 0, 8); got != want[0] {
						t.Errorf("frame %d line 1 = %q, want %q", i, got, want[0])
					}
					if got := readText(f, p.r, 1, 12); got != want[1] {
						t.Errorf("frame %d line 2 = %q, want %q", i, got, want[1])
					}
					f.Release()
					clk.Advance(33 * time.Millisecond)
				}
				if p.r.scale < h/160 || (h >= 480 && p.r.scale < 3) {
					t.Errorf("text scale %d too small for height %d", p.r.scale, h)
				}
			})
		}
	}
}

func TestCounterWidens(t *testing.T) {
	r := newRenderer(640, 480, media.I420)
	for _, tt := range []struct {
		seq  uint64
		want string
	}{{0, "F 000000"}, {123, "F 000123"}, {999999, "F 999999"}, {1234567, "F 1234567"}, {^uint64(0), "F 18446744073709551615"}} {
		r.setCounter(tt.seq)
		if got := string(r.lines[0][:r.lens[0]]); got != tt.want {
			t.Errorf("counter %d = %q, want %q", tt.seq, got, tt.want)
		}
	}
	// The widest counter still fits the scan buffer and clips at the edge.
	f := media.NewFramePool(1, media.I420, 64, 64)
	fr, _ := f.Get()
	small := newRenderer(64, 64, media.I420)
	small.render(fr, ^uint64(0), epoch)
}

// region copies the luma of a rectangle.
func region(f *media.Frame, x0, y0, x1, y1 int) []byte {
	var b []byte
	for y := y0; y < y1; y++ {
		b = append(b, f.Planes[0][y*f.Stride[0]+x0:y*f.Stride[0]+x1]...)
	}
	return b
}

func TestTestPatternMotion(t *testing.T) {
	for _, format := range []media.PixelFormat{media.I420, media.NV12} {
		t.Run(format.String(), func(t *testing.T) {
			const w, h = 640, 480
			p, q, clk := newPattern(t, TestPatternConfig{Width: w, Height: h, FPS: 30, Format: format}, 4)
			p.produce()
			clk.Advance(time.Second / 30)
			p.produce()
			a, b := pop(t, q), pop(t, q)
			defer a.Release()
			defer b.Release()

			changed := 0
			for i := range a.Planes[0] {
				if a.Planes[0][i] != b.Planes[0][i] {
					changed++
				}
			}
			if changed < w*h/50 {
				t.Errorf("only %d of %d luma samples changed between frames", changed, w*h)
			}
			if bytes.Equal(a.Planes[1], b.Planes[1]) {
				t.Error("chroma did not change between frames")
			}
			// Bars, ramp and the counter each move on their own.
			s := p.r.scale
			margin, pad, advance, _ := textLayout(s)
			boxBottom := margin + 2*pad + 2*glyphH*s + 2*s
			for _, reg := range []struct {
				name           string
				x0, y0, x1, y1 int
			}{
				{"bars", 0, boxBottom + 4, w, p.r.barsH},
				{"ramp", 0, p.r.barsH, w, h},
				{"counter", margin + pad, margin + pad, margin + pad + 8*advance, margin + pad + glyphH*s},
			} {
				if bytes.Equal(region(a, reg.x0, reg.y0, reg.x1, reg.y1), region(b, reg.x0, reg.y0, reg.x1, reg.y1)) {
					t.Errorf("%s region identical in consecutive frames", reg.name)
				}
			}
			if a.Seq != 0 || b.Seq != 1 || a.PTS != 0 || b.PTS != time.Second/30 {
				t.Errorf("seq %d,%d pts %v,%v", a.Seq, b.Seq, a.PTS, b.PTS)
			}
			if !a.Wall.Equal(epoch) || !b.Wall.Equal(epoch.Add(time.Second/30)) {
				t.Errorf("wall %v, %v", a.Wall, b.Wall)
			}
		})
	}
}

// The box must read as white on black whatever is under it: luma only at the
// two levels and neutral chroma.
func TestTextBoxIsNeutral(t *testing.T) {
	for _, format := range []media.PixelFormat{media.I420, media.NV12} {
		p, q, _ := newPattern(t, TestPatternConfig{Width: 640, Height: 480, FPS: 30, Format: format}, 4)
		p.produce()
		f := pop(t, q)
		s := p.r.scale
		margin, pad, advance, gap := textLayout(s)
		x1 := margin + 2*pad + 12*advance - s
		y1 := margin + 2*pad + 2*glyphH*s + gap
		for _, v := range region(f, margin, margin, x1, y1) {
			if v != lumaBlack && v != lumaWhite {
				t.Fatalf("%v: luma %d inside the text box", format, v)
			}
		}
		for cy := margin / 2; cy < y1/2; cy++ {
			for cx := margin / 2; cx < x1/2; cx++ {
				var u, v byte
				if format == media.NV12 {
					u, v = f.Planes[1][cy*f.Stride[1]+2*cx], f.Planes[1][cy*f.Stride[1]+2*cx+1]
				} else {
					u, v = f.Planes[1][cy*f.Stride[1]+cx], f.Planes[2][cy*f.Stride[2]+cx]
				}
				if u != chromaGrey || v != chromaGrey {
					t.Fatalf("%v: chroma (%d,%d) at %d,%d under the text box", format, u, v, cx, cy)
				}
			}
		}
		f.Release()
	}
}

func TestTestPatternDrops(t *testing.T) {
	cfg := TestPatternConfig{Width: 64, Height: 64, FPS: 30, Format: media.I420}

	t.Run("queue full", func(t *testing.T) {
		p, q, _ := newPattern(t, cfg, 1)
		p.produce() // queued
		p.produce() // queue full: released back to the pool
		p.produce()
		if st := p.Stats(); st.Frames != 1 || st.Dropped != 2 {
			t.Fatalf("stats %+v, want 1 frame 2 dropped", st)
		}
		f := pop(t, q)
		if f.Seq != 0 {
			t.Fatalf("queued seq %d", f.Seq)
		}
		f.Release()
		p.produce()
		if f := pop(t, q); f.Seq != 3 { // the gap shows the drops
			t.Fatalf("seq after drops %d, want 3", f.Seq)
		} else {
			f.Release()
		}
	})

	t.Run("pool exhausted", func(t *testing.T) {
		p, q, _ := newPattern(t, cfg, 2*patternPool)
		for range patternPool + 3 {
			p.produce()
		}
		if st := p.Stats(); st.Frames != patternPool || st.Dropped != 3 {
			t.Fatalf("stats %+v, want %d frames 3 dropped", st, patternPool)
		}
		// Returning one frame makes the source produce again.
		pop(t, q).Release()
		p.produce()
		if st := p.Stats(); st.Frames != patternPool+1 {
			t.Fatalf("stats %+v after a release", st)
		}
	})
}

func TestTestPatternRun(t *testing.T) {
	const fps = 25
	p, q, clk := newPattern(t, TestPatternConfig{Width: 128, Height: 96, FPS: fps, Format: media.NV12}, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	waitFor(t, "ticker", func() bool { return clk.Waiters() == 1 })

	for i := range 10 {
		clk.Advance(time.Second / fps)
		var f *media.Frame
		select {
		case f = <-q.C():
		case <-time.After(10 * time.Second):
			t.Fatalf("tick %d: no frame", i)
		}
		if f.Seq != uint64(i) || f.PTS != time.Duration(i)*time.Second/fps || !f.Wall.Equal(clk.Now()) {
			t.Fatalf("tick %d: seq %d pts %v wall %v", i, f.Seq, f.PTS, f.Wall)
		}
		f.Release()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if w := clk.Waiters(); w != 0 {
		t.Errorf("ticker still armed after Run returned (%d waiters)", w)
	}
	if st := p.Stats(); st.Frames != 10 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

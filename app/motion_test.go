package app

import (
	"context"
	"runtime"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// scene draws a 320x240 grey frame with a bright 40x40 square at x.
func scene(pool *media.FramePool, x int) *media.Frame {
	f, _ := pool.Get()
	for y := range f.Height {
		row := f.Planes[0][y*f.Stride[0]:]
		for i := range f.Width {
			row[i] = 60
			if x >= 0 && i >= x && i < x+40 && y >= 100 && y < 140 {
				row[i] = 230
			}
		}
	}
	return f
}

type motionRecorder struct {
	t      *testing.T
	clk    *clock.Fake
	m      *motionDetector
	pool   *media.FramePool
	events []bool
}

func newMotionRecorder(t *testing.T, sensitivity int) *motionRecorder {
	r := &motionRecorder{t: t, clk: clock.NewFake(time.Unix(0, 0)), pool: media.NewFramePool(1, media.I420, 320, 240)}
	r.m = newMotionDetector(r.clk, sensitivity, func(on bool) { r.events = append(r.events, on) })
	return r
}

// frames feeds n frames at 10 fps; pos gives the square's x per frame (-1 none).
func (r *motionRecorder) frames(n int, pos func(i int) int) {
	for i := range n {
		f := scene(r.pool, pos(i))
		r.m.Observe(f)
		f.Release()
		r.clk.Advance(motionEvery)
	}
}

func still(int) int { return 100 }

func TestMotionStartsAndEndsWithHysteresis(t *testing.T) {
	r := newMotionRecorder(t, 50)
	r.frames(20, still)
	if len(r.events) != 0 {
		t.Fatalf("still scene: %v", r.events)
	}
	r.frames(10, func(i int) int { return 20 + 20*i }) // the square crosses the picture
	if len(r.events) != 1 || !r.events[0] {
		t.Fatalf("moving square: %v", r.events)
	}
	r.frames(int(motionHold/motionEvery)-2, still) // stops; not yet quiet for motionHold
	if len(r.events) != 1 {
		t.Fatalf("ended too early: %v", r.events)
	}
	r.frames(5, still)
	if len(r.events) != 2 || r.events[1] {
		t.Fatalf("after hold: %v", r.events)
	}
}

func TestMotionIgnoresASingleChange(t *testing.T) {
	// The square vanishes for good: one moving sample, then stillness.
	r := newMotionRecorder(t, 50)
	r.frames(10, still)
	r.frames(10, func(i int) int {
		if i == 0 {
			return 100
		}
		return -1
	})
	if len(r.events) != 0 {
		t.Fatalf("a single change raised motion: %v", r.events)
	}
}

func TestMotionSensitivity(t *testing.T) {
	// A small change: one grid cell blinks. Sensitivity 100 reports it,
	// sensitivity 1 wants three cells.
	faint := func(r *motionRecorder) {
		for i := range 10 {
			f, _ := r.pool.Get()
			for y := range f.Height {
				row := f.Planes[0][y*f.Stride[0]:]
				for x := range f.Width {
					row[x] = 60
					if i%2 == 1 && x < 20 && y < 20 {
						row[x] = 200
					}
				}
			}
			r.m.Observe(f)
			f.Release()
			r.clk.Advance(motionEvery)
		}
	}
	low, high := newMotionRecorder(t, 1), newMotionRecorder(t, 100)
	faint(low)
	faint(high)
	if len(low.events) != 0 || len(high.events) != 1 {
		t.Fatalf("sensitivity 1: %v, 100: %v", low.events, high.events)
	}
}

func TestSignalWatchReportsLossAndRecovery(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	m := newMotionDetector(clk, 0, func(bool) {})
	got := make(chan bool, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- signalWatch{clk: clk, m: m, publish: func(l bool) { got <- l }}.Run(ctx) }()
	tick := func() bool {
		for clk.Waiters() == 0 {
			runtime.Gosched()
		}
		clk.Advance(time.Second)
		return <-got
	}
	pool := media.NewFramePool(1, media.I420, 64, 64)
	frame := func() { f, _ := pool.Get(); m.Observe(f); f.Release() }
	frame()
	if tick() || tick() {
		t.Fatal("loss reported while frames are fresh")
	}
	if !tick() { // 3 s without a frame
		t.Fatal("no loss after 3 s")
	}
	frame()
	if tick() {
		t.Fatal("no recovery")
	}
	cancel()
	<-done
}

package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"camagent/internal/clock"
	"camagent/media"
)

// TestPatternConfig describes the generated picture.
type TestPatternConfig struct {
	Width, Height, FPS int
	Format             media.PixelFormat
}

// Limits of the generated picture. The upper size bound keeps the four pooled
// frames (about 100 MB at the bound) within what a camera board has.
const (
	minPatternSide = 64
	maxPatternSide = 4096
	maxFPS         = 120
	patternPool    = 4
)

func (c TestPatternConfig) validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    int
	}{{"width", c.Width}, {"height", c.Height}} {
		if d.v < minPatternSide || d.v > maxPatternSide || d.v%2 != 0 {
			errs = append(errs, fmt.Errorf("%s %d: want an even number in %d..%d", d.name, d.v, minPatternSide, maxPatternSide))
		}
	}
	if c.FPS < 1 || c.FPS > maxFPS {
		errs = append(errs, fmt.Errorf("fps %d: want 1..%d", c.FPS, maxFPS))
	}
	if c.Format != media.I420 && c.Format != media.NV12 {
		errs = append(errs, fmt.Errorf("format %v: want I420 or NV12", c.Format))
	}
	return errors.Join(errs...)
}

// TestPattern is a raw source that needs no camera: moving colour bars, a
// bouncing square and the burned-in frame counter and time.
type TestPattern struct {
	cfg  TestPatternConfig
	out  *media.FrameQueue
	clk  clock.Clock
	log  *slog.Logger
	pool *media.FramePool
	r    *renderer

	seq uint64 // next sequence number; only Run touches it
	counters
}

// NewTestPattern validates cfg and allocates the frame pool up front, so Run
// never allocates frame memory.
func NewTestPattern(cfg TestPatternConfig, out *media.FrameQueue, clk clock.Clock, log *slog.Logger) (*TestPattern, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("capture: test pattern: %w", err)
	}
	if out == nil || clk == nil {
		return nil, errors.New("capture: test pattern: nil queue or clock")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &TestPattern{
		cfg:  cfg,
		out:  out,
		clk:  clk,
		log:  log.With("source", "testpattern"),
		pool: media.NewFramePool(patternPool, cfg.Format, cfg.Width, cfg.Height),
		r:    newRenderer(cfg.Width, cfg.Height, cfg.Format),
	}, nil
}

// Run produces one frame per tick until ctx ends, then returns nil. It never
// blocks on the consumer: with no free frame or a full queue the picture is
// dropped and counted. Run must not be called concurrently with itself.
func (t *TestPattern) Run(ctx context.Context) error {
	ticker := t.clk.NewTicker(interval(t.cfg.FPS))
	defer ticker.Stop()
	t.log.Info("test pattern started", "width", t.cfg.Width, "height", t.cfg.Height,
		"fps", t.cfg.FPS, "format", t.cfg.Format.String())
	for {
		select {
		case <-ctx.Done():
			st := t.Stats()
			t.log.Info("test pattern stopped", "frames", st.Frames, "dropped", st.Dropped)
			return nil
		case <-ticker.C():
			t.produce()
		}
	}
}

// produce makes the next picture. The sequence number advances even when the
// picture is dropped, so consumers see the gap.
func (t *TestPattern) produce() {
	seq := t.seq
	t.seq++
	f, ok := t.pool.Get()
	if !ok {
		t.dropped.Add(1)
		return
	}
	now := t.clk.Now()
	t.r.render(f, seq, now)
	f.Seq = seq
	f.PTS = ptsFor(seq, t.cfg.FPS)
	f.Wall = now
	if t.out.Push(f) {
		t.frames.Add(1)
	} else {
		t.dropped.Add(1)
	}
}

// Stats is safe to call from any goroutine.
func (t *TestPattern) Stats() SourceStats {
	return SourceStats{
		Frames:  t.frames.Load(),
		Dropped: t.dropped.Load(),
		Width:   t.cfg.Width,
		Height:  t.cfg.Height,
		FPS:     t.cfg.FPS,
		Format:  t.cfg.Format.String(),
	}
}

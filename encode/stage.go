package encode

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// Publisher receives encoded access units. Publish takes over the caller's
// reference and must not block.
type Publisher interface {
	Publish(au *media.AccessUnit)
}

// StageConfig tunes the encoding stage.
type StageConfig struct {
	// KeyframeMinInterval is the shortest gap between a forced IDR and the
	// previous IDR; requests inside it wait, so a burst of joining readers
	// costs one IDR, not one each.
	KeyframeMinInterval time.Duration
	// Resize, when set, opens a new encoder for a picture whose size
	// differs from the current one (a camera granted another mode, or
	// came back after an unplug in another mode). Without it such a
	// frame is an error.
	Resize func(width, height int) (Encoder, error)
	// InitialWidth and InitialHeight are the size the first encoder was
	// opened for.
	InitialWidth, InitialHeight int
	// Observe, when set, sees every raw frame before it is encoded (for
	// snapshots and motion detection). It runs on the encoding goroutine:
	// it must not block, and must not retain the frame or its planes after
	// it returns (copy what it needs).
	Observe func(*media.Frame)
}

// Stage takes raw frames from a queue, encodes them and publishes access
// units that always carry SPS and PPS (id 0) in front of every IDR.
type Stage struct {
	cfg  StageConfig
	in   *media.FrameQueue
	enc  Encoder
	out  Publisher
	clk  clock.Clock
	log  *slog.Logger
	pool *media.AUPool
	norm ParamSetNormalizer

	keyRequested atomic.Bool
	lastIDR      time.Time
	sps, pps     []byte
	scratch      [][]byte
	seq          uint64
	backend      atomic.Pointer[string] // read by Stats from other goroutines
	lastRestart  time.Time
	width        int // picture size the current encoder was opened for; 0 before the first frame
	height       int

	stats stageCounters
}

type stageCounters struct {
	framesIn, framesOut, errors, idrs, forced, bytes, restarts atomic.Uint64
}

// StageStats is a snapshot of the stage's counters.
type StageStats struct {
	Backend                   string
	FramesIn, FramesOut       uint64
	Errors, IDRs, ForcedIDRs  uint64
	Bytes                     uint64
	QueuePushed, QueueDropped uint64
	Restarts                  uint64 // encoder reopened after a failure
}

// NewStage wires an encoder between a frame queue and a publisher.
func NewStage(cfg StageConfig, in *media.FrameQueue, enc Encoder, out Publisher, clk clock.Clock, log *slog.Logger) *Stage {
	s := &Stage{cfg: cfg, in: in, enc: enc, out: out, clk: clk, log: log, pool: media.NewAUPool(64)}
	b := enc.Backend()
	s.backend.Store(&b)
	return s
}

// RequestKeyframe asks for an IDR as soon as the rate limit allows. Safe
// from any goroutine; repeated requests before it is served collapse into one.
func (s *Stage) RequestKeyframe() { s.keyRequested.Store(true) }

// Run encodes until ctx ends or the encoder fails; it closes the encoder.
func (s *Stage) Run(ctx context.Context) error {
	defer s.in.Drain()
	defer func() { // s.enc may be swapped by fitEncoder or reopen, or be nil
		if s.enc != nil {
			s.enc.Close()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-s.in.C():
			err := s.encode(f)
			f.Release()
			if err != nil {
				return err
			}
		}
	}
}

func (s *Stage) encode(f *media.Frame) error {
	s.stats.framesIn.Add(1)
	if s.cfg.Observe != nil {
		s.cfg.Observe(f)
	}
	now := s.clk.Now()
	force := false
	if s.keyRequested.Load() && now.Sub(s.lastIDR) >= s.cfg.KeyframeMinInterval {
		force = true
		s.keyRequested.Store(false)
	}
	if s.enc == nil && !s.reopen(f, now) {
		return nil // still broken; this picture is lost and counted
	}
	if err := s.fitEncoder(f); err != nil {
		s.stats.errors.Add(1)
		return err
	}
	nalus, err := s.enc.Encode(f, force)
	if err != nil {
		s.stats.errors.Add(1)
		if s.cfg.Resize == nil {
			return fmt.Errorf("encode frame %d: %w", f.Seq, err)
		}
		// A hardware encoder can fail (device reset, unbound driver):
		// close it and reopen, without stopping the agent.
		s.log.Warn("encoder failed; reopening it", "seq", f.Seq, "err", err)
		s.enc.Close()
		s.enc = nil
		s.reopen(f, now)
		return nil
	}
	if len(nalus) == 0 {
		return nil
	}
	nalus, err = s.norm.NormalizeAU(nalus)
	if err != nil {
		// A unit we cannot normalise would desynchronise readers' parameter
		// sets; dropping one picture is the lesser harm.
		s.stats.errors.Add(1)
		s.log.Warn("dropping access unit with unparseable parameter sets", "seq", f.Seq, "err", err)
		return nil
	}
	au := s.pool.Get()
	au.IDR = s.withParamSets(nalus, au)
	au.PTS, au.Wall, au.Seq = f.PTS, f.Wall, s.seq
	s.seq++
	if au.IDR {
		s.lastIDR = now
		s.stats.idrs.Add(1)
		if force {
			s.stats.forced.Add(1)
		}
	}
	s.stats.framesOut.Add(1)
	s.stats.bytes.Add(uint64(au.Size()))
	s.out.Publish(au)
	return nil
}

// withParamSets fills au from nalus, remembering the latest SPS and PPS and
// inserting them before an IDR slice that arrives without them. It reports
// whether the unit is a random access point.
func (s *Stage) withParamSets(nalus [][]byte, au *media.AccessUnit) bool {
	hasSPS, hasPPS, idr := false, false, false
	for _, n := range nalus {
		switch n[0] & 0x1f {
		case naluSPS:
			s.sps = append(s.sps[:0], n...)
			hasSPS = true
		case naluPPS:
			s.pps = append(s.pps[:0], n...)
			hasPPS = true
		case naluIDR:
			idr = true
		}
	}
	if !idr || (hasSPS && hasPPS) {
		au.SetNALUs(nalus)
		return idr
	}
	s.scratch = s.scratch[:0]
	if !hasSPS && s.sps != nil {
		s.scratch = append(s.scratch, s.sps)
	}
	if !hasPPS && s.pps != nil {
		s.scratch = append(s.scratch, s.pps)
	}
	s.scratch = append(s.scratch, nalus...)
	au.SetNALUs(s.scratch)
	return s.sps != nil && s.pps != nil
}

// Stats snapshots the counters.
func (s *Stage) Stats() StageStats {
	pushed, dropped := s.in.Stats()
	return StageStats{
		Backend:      *s.backend.Load(),
		FramesIn:     s.stats.framesIn.Load(),
		FramesOut:    s.stats.framesOut.Load(),
		Errors:       s.stats.errors.Load(),
		IDRs:         s.stats.idrs.Load(),
		ForcedIDRs:   s.stats.forced.Load(),
		Bytes:        s.stats.bytes.Load(),
		QueuePushed:  pushed,
		QueueDropped: dropped,
		Restarts:     s.stats.restarts.Load(),
	}
}

// NAL unit types the stage inspects.
const (
	naluIDR = 5
	naluSPS = 7
	naluPPS = 8
)

// fitEncoder swaps in an encoder of the frame's size when it changed. The
// first frame only records the size: the initial encoder was built for the
// configured one, and a mismatch there is handled the same way.
func (s *Stage) fitEncoder(f *media.Frame) error {
	if s.cfg.Resize == nil || (f.Width == s.width && f.Height == s.height) {
		return nil
	}
	if s.width == 0 && s.cfg.InitialWidth == f.Width && s.cfg.InitialHeight == f.Height {
		s.width, s.height = f.Width, f.Height
		return nil
	}
	enc, err := s.cfg.Resize(f.Width, f.Height)
	if err != nil {
		return fmt.Errorf("reopen encoder for %dx%d: %w", f.Width, f.Height, err)
	}
	s.log.Info("encoder reopened for a new picture size", "width", f.Width, "height", f.Height, "backend", enc.Backend())
	s.enc.Close()
	s.enc = enc
	b := enc.Backend()
	s.backend.Store(&b)
	s.width, s.height = f.Width, f.Height
	// The new encoder starts with an IDR; make the next one count as such.
	s.keyRequested.Store(true)
	return nil
}

// reopen tries to open a new encoder for f's size, at most once per
// restartInterval so a dead device is not hammered at the frame rate.
// Pictures that arrive while there is no encoder are dropped and counted.
func (s *Stage) reopen(f *media.Frame, now time.Time) bool {
	if !s.lastRestart.IsZero() && now.Sub(s.lastRestart) < restartInterval {
		s.stats.errors.Add(1)
		return false
	}
	s.lastRestart = now
	enc, err := s.cfg.Resize(f.Width, f.Height)
	if err != nil {
		s.stats.errors.Add(1)
		s.log.Warn("encoder reopen failed; retrying", "err", err, "in", restartInterval)
		return false
	}
	s.enc = enc
	b := enc.Backend()
	s.backend.Store(&b)
	s.width, s.height = f.Width, f.Height
	s.keyRequested.Store(true)
	s.stats.restarts.Add(1)
	s.log.Info("encoder reopened", "backend", b)
	return true
}

// restartInterval spaces encoder reopen attempts after a failure.
const restartInterval = time.Second

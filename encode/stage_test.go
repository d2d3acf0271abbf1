package encode

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// scriptedEncoder returns canned output: an IDR with parameter sets every
// gop frames (or when forced), P slices otherwise, optionally without the
// parameter sets to prove the stage re-inserts them.
type scriptedEncoder struct {
	gop       int
	n         int
	omitPS    bool
	forcedAt  []int
	failAfter int
}

func (e *scriptedEncoder) Encode(f *media.Frame, force bool) ([][]byte, error) {
	defer func() { e.n++ }()
	if e.failAfter > 0 && e.n >= e.failAfter {
		return nil, errors.New("device vanished")
	}
	if force {
		e.forcedAt = append(e.forcedAt, e.n)
	}
	// SPS id 0 (ue 1 bit '1'), PPS ids 0/0, slices with pps id 0.
	sps := []byte{0x67, 0x42, 0xc0, 0x1e, 0x80 | 0x40}
	pps := []byte{0x68, 0xce, 0x3c, 0x80}
	if force || e.n%e.gop == 0 {
		if e.omitPS {
			return [][]byte{{0x65, 0x88, 0xc0}}, nil
		}
		return [][]byte{sps, pps, {0x65, 0x88, 0xc0}}, nil
	}
	return [][]byte{{0x41, 0x9a, 0x80}}, nil
}
func (e *scriptedEncoder) Backend() string { return "scripted" }
func (e *scriptedEncoder) Close() error    { return nil }

type collector struct{ aus []*media.AccessUnit }

func (c *collector) Publish(au *media.AccessUnit) { c.aus = append(c.aus, au) }

func feed(t *testing.T, s *Stage, clk *clock.Fake, frames int, before func(i int)) {
	t.Helper()
	pool := media.NewFramePool(2, media.I420, 16, 16)
	for i := range frames {
		if before != nil {
			before(i)
		}
		f, _ := pool.Get()
		f.Seq = uint64(i)
		if err := s.encode(f); err != nil {
			t.Fatal(err)
		}
		f.Release()
		clk.Advance(50 * time.Millisecond) // 20 fps keeps the arithmetic exact
	}
}

func hasType(au *media.AccessUnit, typ byte) bool {
	for _, n := range au.NALUs {
		if n[0]&0x1f == typ {
			return true
		}
	}
	return false
}

func TestStageKeyframeOnRequestIsRateLimited(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	enc := &scriptedEncoder{gop: 1000}
	out := &collector{}
	s := NewStage(StageConfig{KeyframeMinInterval: 500 * time.Millisecond}, media.NewFrameQueue(2), enc, out, clk, slog.New(slog.DiscardHandler))
	feed(t, s, clk, 60, func(i int) {
		if i == 20 || i == 22 || i == 40 {
			s.RequestKeyframe()
		}
	})
	// Frame 0 (t=0) is the encoder's own IDR; the request at frame 20
	// (t=1s) is served at once; the one at 22 waits until 500 ms after the
	// last IDR (frame 30); the one at 40 is exactly 500 ms later, so served.
	if want := []int{20, 30, 40}; !equalInts(enc.forcedAt, want) {
		t.Errorf("forced IDRs at %v, want %v", enc.forcedAt, want)
	}
	st := s.Stats()
	if st.IDRs != 4 || st.ForcedIDRs != 3 || st.FramesIn != 60 || st.FramesOut != 60 {
		t.Errorf("stats %+v", st)
	}
}

func TestStageInsertsParamSetsBeforeEveryIDR(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	enc := &scriptedEncoder{gop: 10}
	out := &collector{}
	s := NewStage(StageConfig{}, media.NewFrameQueue(2), enc, out, clk, slog.New(slog.DiscardHandler))
	feed(t, s, clk, 10, nil) // learns SPS/PPS from the first IDR
	enc.omitPS = true
	feed(t, s, clk, 21, nil)
	idrs := 0
	for i, au := range out.aus {
		if !hasType(au, naluIDR) {
			if au.IDR {
				t.Errorf("unit %d marked IDR without an IDR slice", i)
			}
			continue
		}
		idrs++
		if !au.IDR || !hasType(au, naluSPS) || !hasType(au, naluPPS) {
			t.Errorf("IDR unit %d lacks SPS/PPS: %x", i, au.NALUs)
		}
		if au.NALUs[0][0]&0x1f != naluSPS || au.NALUs[1][0]&0x1f != naluPPS {
			t.Errorf("IDR unit %d: parameter sets not in front: %x", i, au.NALUs)
		}
	}
	if idrs != 4 {
		t.Errorf("%d IDR units, want 4", idrs)
	}
}

func TestStageRunStopsAndReportsEncoderFailure(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	q := media.NewFrameQueue(2)
	s := NewStage(StageConfig{}, q, &scriptedEncoder{gop: 30, failAfter: 3}, &collector{}, clk, slog.New(slog.DiscardHandler))
	pool := media.NewFramePool(4, media.I420, 16, 16)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	for range 4 {
		f, _ := pool.Get()
		for !q.Push(f) {
			f, _ = pool.Get()
		}
	}
	err := <-done
	if err == nil || !errors.Is(err, err) {
		t.Fatalf("Run = %v, want the encoder failure", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	s2 := NewStage(StageConfig{}, media.NewFrameQueue(2), &scriptedEncoder{gop: 30}, &collector{}, clk, slog.New(slog.DiscardHandler))
	go func() { done <- s2.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStageObserveSeesEveryFrameBeforeEncoding(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	enc := &scriptedEncoder{gop: 1000}
	var seen []uint64
	cfg := StageConfig{Observe: func(f *media.Frame) { seen = append(seen, f.Seq) }}
	s := NewStage(cfg, media.NewFrameQueue(2), enc, &collector{}, clk, slog.New(slog.DiscardHandler))
	feed(t, s, clk, 5, nil)
	if !equalInts(toInts(seen), []int{0, 1, 2, 3, 4}) {
		t.Fatalf("observed %v", seen)
	}
}

func toInts(u []uint64) []int {
	out := make([]int, len(u))
	for i, v := range u {
		out[i] = int(v)
	}
	return out
}

// A source that changes picture size (a camera granting another mode, or
// back from an unplug in another mode) gets a fresh encoder, not an error.
func TestStageReopensEncoderOnNewSize(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	var opened [][2]int
	resize := func(w, h int) (Encoder, error) {
		opened = append(opened, [2]int{w, h})
		return &scriptedEncoder{gop: 30}, nil
	}
	out := &collector{}
	s := NewStage(StageConfig{Resize: resize, InitialWidth: 16, InitialHeight: 16}, media.NewFrameQueue(2), &scriptedEncoder{gop: 30}, out, clk, slog.New(slog.DiscardHandler))
	for _, size := range [][2]int{{16, 16}, {16, 16}, {32, 24}, {32, 24}, {16, 16}} {
		f := media.NewFramePool(1, media.I420, size[0], size[1]).MustGet()
		if err := s.encode(f); err != nil {
			t.Fatal(err)
		}
	}
	if len(opened) != 2 || opened[0] != [2]int{32, 24} || opened[1] != [2]int{16, 16} {
		t.Errorf("encoders opened for %v, want [32x24 16x16]", opened)
	}
	if len(out.aus) != 5 {
		t.Errorf("%d units out of 5 frames", len(out.aus))
	}
}

// A failing encoder (a hardware device that reset or vanished) is closed
// and reopened, at most once a second, while the agent keeps running.
func TestStageRestartsFailedEncoder(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	opens := 0
	resize := func(w, h int) (Encoder, error) {
		opens++
		if opens == 1 {
			return nil, errors.New("device still gone")
		}
		return &scriptedEncoder{gop: 30}, nil
	}
	out := &collector{}
	s := NewStage(StageConfig{Resize: resize, InitialWidth: 16, InitialHeight: 16}, media.NewFrameQueue(2),
		&scriptedEncoder{gop: 30, failAfter: 3}, out, clk, slog.New(slog.DiscardHandler))
	pool := media.NewFramePool(1, media.I420, 16, 16)
	for range 60 { // two seconds at 30 fps
		f := pool.MustGet()
		if err := s.encode(f); err != nil {
			t.Fatalf("stage gave up: %v", err)
		}
		f.Release()
		clk.Advance(time.Second / 30)
	}
	st := s.Stats()
	if opens != 2 || st.Restarts != 1 {
		t.Errorf("reopen attempts %d, restarts %d; want 2 attempts one second apart and 1 restart", opens, st.Restarts)
	}
	if len(out.aus) < 20 || len(out.aus) > 30 {
		t.Errorf("%d units out: want the 3 before the failure and those after the restart (~27)", len(out.aus))
	}
	if !out.aus[3].IDR {
		t.Errorf("the first unit after the restart is not an IDR")
	}
}

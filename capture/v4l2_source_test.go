package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// fakeStream hands out the buffers the test sends on frames; an error on
// errs ends the session as an unplug would.
type fakeStream struct {
	mode     Mode
	frames   chan v4l2Buf
	errs     chan error
	closed   chan struct{}
	requeued int
}

func newFakeStream(w, h uint32) *fakeStream {
	return &fakeStream{
		mode:   Mode{FourCC: FourCCYUYV, Width: w, Height: h, Interval: Fract{1, 30}},
		frames: make(chan v4l2Buf), errs: make(chan error), closed: make(chan struct{}),
	}
}

func (f *fakeStream) Name() string      { return "/dev/fake0 (fake)" }
func (f *fakeStream) Mode() Mode        { return f.mode }
func (f *fakeStream) BytesPerLine() int { return int(f.mode.Width) * 2 }
func (f *fakeStream) Next(ctx context.Context, _ time.Duration) (v4l2Buf, error) {
	select {
	case b := <-f.frames:
		return b, nil
	case err := <-f.errs:
		return v4l2Buf{}, err
	case <-ctx.Done():
		return v4l2Buf{}, ctx.Err()
	}
}
func (f *fakeStream) Requeue(v4l2Buf) error { f.requeued++; return nil }
func (f *fakeStream) Close() error          { close(f.closed); return nil }

// fakeCamera is the opener: each call takes the next scripted result.
type fakeCamera struct {
	mu      sync.Mutex
	results []any // a v4l2Stream or an error
	calls   int
}

func (c *fakeCamera) open(V4L2Config, *slog.Logger) (v4l2Stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if len(c.results) == 0 {
		return nil, errors.New("no more cameras")
	}
	r := c.results[0]
	c.results = c.results[1:]
	if s, ok := r.(v4l2Stream); ok {
		return s, nil
	}
	return nil, r.(error)
}

func (c *fakeCamera) opened() int { c.mu.Lock(); defer c.mu.Unlock(); return c.calls }

func yuyvBuf(w, h int, seq uint32, ts time.Duration) v4l2Buf {
	return v4l2Buf{Data: yuyvPicture(w, h, 2*w), Seq: seq, TS: ts, Wall: epoch.Add(ts)}
}

func testConfig() V4L2Config {
	return V4L2Config{Match: "fake", Width: 64, Height: 48, FPS: 30,
		ReconnectMin: 100 * time.Millisecond, ReconnectMax: time.Second}
}

func TestV4L2ReconnectsAfterUnplug(t *testing.T) {
	s1, s2 := newFakeStream(64, 48), newFakeStream(64, 48)
	cam := &fakeCamera{results: []any{s1, errors.New("ENOENT"), errors.New("ENOENT"), s2}}
	clk := clock.NewFake(epoch)
	q := media.NewFrameQueue(16)
	v, err := newV4L2(testConfig(), q, clk, nil, cam.open)
	if err != nil {
		t.Fatal(err)
	}
	v.bo.rand = func(n int64) int64 { return n - 1 } // always the full delay
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()

	ms := time.Millisecond
	s1.frames <- yuyvBuf(64, 48, 10, 1000*ms)
	s1.frames <- yuyvBuf(64, 48, 11, 1033*ms)
	s1.frames <- yuyvBuf(64, 48, 13, 1100*ms) // driver dropped seq 12
	waitFor(t, "3 frames", func() bool { return v.Stats().Frames == 3 })
	if st := v.V4L2Stats(); !st.Up || st.CameraFormat != "YUYV" || st.Width != 64 || st.FPS != 30 {
		t.Errorf("stats while streaming: %+v", st)
	}
	s1.errs <- fmt.Errorf("VIDIOC_DQBUF: %w", errors.New("no such device"))
	<-s1.closed
	// Two failed opens, then success: waits of 100 ms, 200 ms, 400 ms.
	for i, d := range []time.Duration{100 * ms, 200 * ms, 400 * ms} {
		waitFor(t, "a backoff timer", func() bool { return clk.Waiters() == 1 })
		if st := v.V4L2Stats(); st.Up {
			t.Error("up while reconnecting")
		}
		clk.Advance(d - ms)
		if cam.opened() != i+1 {
			t.Fatalf("reopened before the backoff expired (wait %d)", i)
		}
		clk.Advance(ms)
		waitFor(t, "reopen", func() bool { return cam.opened() == i+2 })
	}
	s2.frames <- yuyvBuf(64, 48, 0, 5000*ms) // a new session starts its sequence at 0
	waitFor(t, "4 frames", func() bool { return v.Stats().Frames == 4 })
	st := v.V4L2Stats()
	if !st.Up || st.Reconnects != 3 || st.Dropped != 1 {
		t.Errorf("after reconnect: %+v", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	var pts []time.Duration
	for range 4 {
		f := <-q.C()
		seqs = append(seqs, f.Seq)
		pts = append(pts, f.PTS)
		f.Release()
	}
	if fmt.Sprint(seqs) != "[0 1 3 4]" {
		t.Errorf("sequence %v: want the driver's gap kept and no reset after the reconnect", seqs)
	}
	if fmt.Sprint(pts) != "[0s 33ms 100ms 4s]" {
		t.Errorf("PTS %v: want driver timestamps from the first frame", pts)
	}
}

func TestV4L2PermanentErrorAtStart(t *testing.T) {
	cam := &fakeCamera{results: []any{permanent{fmt.Errorf("/dev/video9: %w", ErrNoUsableFormat)}}}
	v, err := newV4L2(testConfig(), media.NewFrameQueue(1), clock.NewFake(epoch), nil, cam.open)
	if err != nil {
		t.Fatal(err)
	}
	err = v.Run(context.Background())
	if !errors.Is(err, ErrNoUsableFormat) {
		t.Fatalf("Run = %v", err)
	}
}

// TestV4L2DropsWhenPoolEmpty: the source never waits for the encoder; with
// every pooled frame held downstream a picture is dropped and counted, and
// the driver buffer still goes back to the camera.
func TestV4L2DropsWhenPoolEmpty(t *testing.T) {
	s := newFakeStream(64, 48)
	cam := &fakeCamera{results: []any{s}}
	cfg := testConfig()
	cfg.PoolFrames = 2
	q := media.NewFrameQueue(8)
	v, err := newV4L2(cfg, q, clock.NewFake(epoch), nil, cam.open)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	for i := range 5 {
		s.frames <- yuyvBuf(64, 48, uint32(i), time.Duration(i)*time.Millisecond)
	}
	waitFor(t, "5 frames handled", func() bool { st := v.Stats(); return st.Frames+st.Dropped == 5 })
	cancel()
	<-done
	if st := v.Stats(); st.Frames != 2 || st.Dropped != 3 {
		t.Errorf("frames %d dropped %d, want 2 and 3", st.Frames, st.Dropped)
	}
	if s.requeued != 5 {
		t.Errorf("requeued %d buffers, want 5", s.requeued)
	}
	q.Drain()
}

func TestV4L2BadFrameCounted(t *testing.T) {
	s := newFakeStream(64, 48)
	cam := &fakeCamera{results: []any{s}}
	v, _ := newV4L2(testConfig(), media.NewFrameQueue(8), clock.NewFake(epoch), nil, cam.open)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	s.frames <- v4l2Buf{Data: make([]byte, 10)}
	waitFor(t, "bad frame", func() bool { return v.V4L2Stats().DecodeErrors == 1 })
	cancel()
	<-done
	if st := v.Stats(); st.Dropped != 1 || st.Frames != 0 {
		t.Errorf("%+v", st)
	}
}

func TestV4L2ConfigErrors(t *testing.T) {
	q, clk := media.NewFrameQueue(1), clock.NewFake(epoch)
	for _, c := range []V4L2Config{
		{Width: 640, Height: 480, FPS: 30},
		{Device: "/dev/video0", Width: 641, Height: 480, FPS: 30},
		{Device: "/dev/video0", Width: 640, Height: 480, FPS: 0},
		{Device: "/dev/video0", Width: 640, Height: 480, FPS: 30, Formats: []FourCC{fourcc("H264")}},
	} {
		if _, err := NewV4L2(c, q, clk, nil); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestV4L2MJPEGSession: an MJPEG camera (vivid has none, so only here)
// reaches the encoder as decoded 4:2:0 frames with its timestamps.
func TestV4L2MJPEGSession(t *testing.T) {
	s := newFakeStream(64, 48)
	s.mode.FourCC = FourCCMJPEG
	cam := &fakeCamera{results: []any{s}}
	q := media.NewFrameQueue(4)
	v, err := newV4L2(testConfig(), q, clock.NewFake(epoch), nil, cam.open)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	jpg := stripDHT(encodeJPEG(t, 64, 48, image.YCbCrSubsampleRatio422))
	s.frames <- v4l2Buf{Data: jpg, Seq: 7, TS: 3 * time.Second, Wall: epoch}
	f := <-q.C()
	cancel()
	<-done
	if f.Width != 64 || f.Height != 48 || f.Seq != 0 || f.PTS != 0 || !f.Wall.Equal(epoch) {
		t.Errorf("frame %dx%d seq %d pts %v wall %v", f.Width, f.Height, f.Seq, f.PTS, f.Wall)
	}
	if d := int(f.Planes[0][10*64+10]) - 20; d < -4 || d > 4 {
		t.Errorf("luma(10,10) = %d, want ~20", f.Planes[0][10*64+10])
	}
	f.Release()
	if st := v.V4L2Stats(); st.CameraFormat != "MJPG" || st.Frames != 1 {
		t.Errorf("%+v", st)
	}
}

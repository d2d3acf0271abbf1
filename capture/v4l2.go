package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// V4L2Config selects and configures a V4L2 camera.
type V4L2Config struct {
	// Device is a node path (/dev/video0). Match is used instead when set:
	// a case-insensitive substring of the card name or bus info
	// ("usb-0000:01:00.0-1.2", "HD Pro Webcam"), because /dev/videoN numbers
	// follow probe order and change between boots.
	Device string
	Match  string

	Width, Height, FPS int
	// Formats is the camera formats to accept, most wanted first. Empty
	// means NV12, YU12, YUYV, MJPEG: raw formats first because they cost a
	// copy, MJPEG costs a decode.
	Formats []FourCC
	// Output is the encoder's layout (I420 or NV12).
	Output media.PixelFormat
	// AUs receives the camera's own H.264 (Formats = [H264]): each buffer
	// is published as an access unit, passed through without re-encoding.
	// The frame queue is then unused and may be nil.
	AUs AUSink
	// Lend hands the driver's buffers to the pipeline without a copy when
	// the camera delivers Output's layout (NV12, YU12), with a dma-buf a
	// hardware encoder can import. Worth it only when the consumers give
	// frames back quickly: each one out holds a driver buffer.
	Lend bool
	// NewPool, when set, allocates the frames that converted pictures
	// (YUYV, MJPEG, or a layout the encoder does not share) are written
	// into, in memory the encoder can import (encode.NewM2MFramePool);
	// nil or failing means Go memory.
	NewPool func(format media.PixelFormat, w, h, n int) (*media.FramePool, error)

	Buffers      int           // driver buffers (mmap); 0 = 4
	PoolFrames   int           // encoder frames; 0 = 4
	FrameTimeout time.Duration // no frame for this long = camera gone; 0 = 2 s
	ReconnectMin time.Duration // 0 = 250 ms
	ReconnectMax time.Duration // 0 = 10 s
}

// Errors callers can test for with errors.Is. The messages wrapping them name
// the device and what it offers.
var (
	ErrNotV4L2        = errors.New("not a V4L2 video capture device")
	ErrNoUsableFormat = errors.New("camera offers none of the accepted formats")
	ErrFormatRefused  = errors.New("camera refused the format")
	ErrNoDevice       = errors.New("no matching V4L2 capture device")
)

// permanent wraps errors that a retry cannot fix (a wrong path, a camera
// that lacks the formats): at start-up Run returns them instead of looping.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

func (c *V4L2Config) setDefaults() {
	if len(c.Formats) == 0 {
		c.Formats = []FourCC{FourCCNV12, FourCCYU12, FourCCYUYV, FourCCMJPEG}
	}
	if c.Output == 0 {
		c.Output = media.I420
	}
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Buffers, 4)
	def(&c.PoolFrames, 4)
	defD := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	defD(&c.FrameTimeout, 2*time.Second)
	defD(&c.ReconnectMin, 250*time.Millisecond)
	defD(&c.ReconnectMax, 10*time.Second)
}

func (c V4L2Config) validate() error {
	var errs []error
	if c.Device == "" && c.Match == "" {
		errs = append(errs, errors.New("device or match: one is required"))
	}
	if c.Width < 16 || c.Height < 16 || c.Width > 8192 || c.Height > 8192 || c.Width%2 != 0 || c.Height%2 != 0 {
		errs = append(errs, fmt.Errorf("size %dx%d: want even sides in 16..8192", c.Width, c.Height))
	}
	if c.FPS < 1 || c.FPS > maxFPS {
		errs = append(errs, fmt.Errorf("fps %d: want 1..%d", c.FPS, maxFPS))
	}
	for _, f := range c.Formats {
		if !f.supported() {
			errs = append(errs, fmt.Errorf("format %v: want YUYV, NV12, YU12, MJPEG or H264", f))
		}
	}
	passthrough := slices.Contains(c.Formats, FourCCH264)
	switch {
	case passthrough && len(c.Formats) != 1:
		errs = append(errs, errors.New("formats: H264 (passthrough) cannot be mixed with raw formats: the pipeline differs"))
	case passthrough && c.AUs == nil:
		errs = append(errs, errors.New("formats: H264 needs an access-unit sink"))
	case !passthrough && c.AUs != nil:
		errs = append(errs, errors.New("an access-unit sink needs formats [H264]"))
	}
	if c.Output != media.I420 && c.Output != media.NV12 {
		errs = append(errs, fmt.Errorf("output %v: want I420 or NV12", c.Output))
	}
	if c.Buffers < 2 || c.Buffers > 32 || c.PoolFrames < 1 || c.PoolFrames > 32 {
		errs = append(errs, fmt.Errorf("buffers %d / pool %d: want 2..32 / 1..32", c.Buffers, c.PoolFrames))
	}
	return errors.Join(errs...)
}

// v4l2Buf is one dequeued driver buffer. Data aliases the driver's mmap and
// is valid until the buffer is requeued.
type v4l2Buf struct {
	index int
	Data  []byte
	Seq   uint32        // driver sequence number
	TS    time.Duration // driver timestamp, CLOCK_MONOTONIC
	Wall  time.Time     // TS mapped to wall-clock time
}

// v4l2Stream is one streaming session on an opened device; a reconnect
// makes a new one. The Linux implementation is in v4l2_linux.go; tests use
// fakes.
type v4l2Stream interface {
	Name() string // path and card, for logs
	Mode() Mode
	BytesPerLine() int
	// Next waits up to timeout for a filled buffer. Any error means the
	// session is unusable (unplugged, driver error, timeout).
	Next(ctx context.Context, timeout time.Duration) (v4l2Buf, error)
	Requeue(v4l2Buf) error
	Close() error
}

type v4l2Opener func(cfg V4L2Config, log *slog.Logger) (v4l2Stream, error)

// V4L2 is a camera source. It reconnects by itself when the camera goes
// away (USB unplug, driver reset) and reports whether it is up in Stats.
type V4L2 struct {
	cfg  V4L2Config
	out  *media.FrameQueue
	clk  clock.Clock
	log  *slog.Logger
	open v4l2Opener
	bo   backoff

	pool         *media.FramePool // per geometry; replaced when a reconnect grants another size
	auPool       *media.AUPool    // H.264 passthrough
	h264         h264State
	poolW, poolH int
	seq          uint64        // next source sequence number; only Run touches it
	ptsAt        time.Duration // driver timestamp of PTS 0 (first frame ever)
	hasTS        bool
	lastP        time.Duration

	counters
	up           atomic.Bool
	reconnects   atomic.Uint64
	decodeErrors atomic.Uint64
	lent         atomic.Uint64
	mu           sync.Mutex
	mode         Mode
	name         string
}

// NewV4L2 validates cfg; the camera is opened by Run.
func NewV4L2(cfg V4L2Config, out *media.FrameQueue, clk clock.Clock, log *slog.Logger) (*V4L2, error) {
	return newV4L2(cfg, out, clk, log, openV4L2Stream)
}

func newV4L2(cfg V4L2Config, out *media.FrameQueue, clk clock.Clock, log *slog.Logger, open v4l2Opener) (*V4L2, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("capture: v4l2: %w", err)
	}
	if (out == nil && cfg.AUs == nil) || clk == nil {
		return nil, errors.New("capture: v4l2: nil queue or clock")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &V4L2{
		cfg: cfg, out: out, clk: clk, open: open,
		log: log.With("source", "v4l2"),
		bo:  backoff{min: cfg.ReconnectMin, max: cfg.ReconnectMax, rand: rand.Int64N},
	}, nil
}

// Run captures until ctx ends, then returns nil. A camera that fails or
// disappears is closed and reopened with jittered backoff. A permanent
// error (not a V4L2 device, no usable format) on the first open is
// returned, so a wrong configuration fails loudly at start-up.
func (v *V4L2) Run(ctx context.Context) error {
	first := true
	for ctx.Err() == nil {
		s, err := v.open(v.cfg, v.log)
		if err != nil {
			var p permanent
			if first && errors.As(err, &p) {
				return fmt.Errorf("capture: v4l2: %w", p.error)
			}
			v.log.Warn("camera unavailable", "err", err)
		} else {
			delivered := v.session(ctx, s)
			if delivered {
				v.bo.reset()
			}
		}
		first = false
		if ctx.Err() != nil {
			break
		}
		v.reconnects.Add(1)
		d := v.bo.next()
		v.log.Info("reconnecting to camera", "in", d, "reconnects", v.reconnects.Load())
		t := v.clk.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C():
		}
	}
	if v.pool != nil {
		v.pool.Close()
	}
	st := v.Stats()
	v.log.Info("v4l2 source stopped", "frames", st.Frames, "dropped", st.Dropped)
	return nil
}

// newPool makes the frames conversions write into: NewPool's (memory the
// encoder can import) when configured and it works, else Go memory.
func (v *V4L2) newPool(w, h int) *media.FramePool {
	if v.cfg.NewPool != nil {
		p, err := v.cfg.NewPool(v.cfg.Output, w, h, v.cfg.PoolFrames)
		if err == nil {
			return p
		}
		v.log.Warn("pictures in ordinary memory: the encoder will copy them", "err", err)
	}
	return media.NewFramePool(v.cfg.PoolFrames, v.cfg.Output, w, h)
}

// session streams from one opened camera until it fails or ctx ends and
// reports whether any frame arrived.
func (v *V4L2) session(ctx context.Context, s v4l2Stream) bool {
	m := s.Mode()
	w, h := int(m.Width), int(m.Height)
	v.mu.Lock()
	v.mode, v.name = m, s.Name()
	v.mu.Unlock()
	if m.FourCC == FourCCH264 {
		if v.auPool == nil {
			v.auPool = media.NewAUPool(v.cfg.PoolFrames * 4)
		}
		v.h264.synced = false // a new session starts at its first IDR
	} else if v.pool == nil || v.poolW != w || v.poolH != h {
		if v.pool != nil {
			v.pool.Close() // its memory goes back once its frames are
		}
		v.pool = v.newPool(w, h)
		v.poolW, v.poolH = w, h
	}
	v.up.Store(true)
	defer v.up.Store(false)
	v.log.Info("camera streaming", "device", s.Name(), "mode", m.String(), "bytesperline", s.BytesPerLine())
	layout := rawLayout{fourcc: m.FourCC, w: w, h: h, bpl: s.BytesPerLine()}
	var ln *lender
	if v.cfg.Lend && m.FourCC != FourCCH264 {
		ln = newLender(s, layout, v.cfg.Output, v.log.With("device", s.Name()))
	}
	if ln != nil {
		defer func() {
			if ctx.Err() != nil {
				// Stopping: the consumer may be gone already, so lent
				// frames still queued would never come back.
				v.out.Drain()
			}
			ln.close(v.clk, 2*v.cfg.FrameTimeout)
		}()
	} else {
		defer s.Close()
	}
	// A camera granted a slow rate must not be declared dead between two
	// of its frames.
	timeout := v.cfg.FrameTimeout
	if iv := m.Interval; iv.Den != 0 {
		timeout = max(timeout, 3*time.Duration(iv.Num)*time.Second/time.Duration(iv.Den))
	}
	var lastSeq uint32
	got := false
	for {
		b, err := s.Next(ctx, timeout)
		if err != nil {
			if ctx.Err() == nil {
				v.log.Warn("camera lost", "device", s.Name(), "err", err)
			}
			return got
		}
		if got && b.Seq > lastSeq+1 {
			gap := uint64(b.Seq - lastSeq - 1)
			v.seq += gap // the driver dropped frames: show the gap downstream
			v.dropped.Add(gap)
		}
		lastSeq, got = b.Seq, true
		switch {
		case m.FourCC == FourCCH264:
			v.deliverAU(b)
		case ln != nil && v.lend(ln, b):
			continue // back to the driver when the frame is released
		default:
			v.deliver(b, layout)
		}
		if err := s.Requeue(b); err != nil {
			v.log.Warn("camera lost", "device", s.Name(), "err", err)
			return got
		}
	}
}

// deliver turns one driver buffer into a frame for the encoder, or drops
// it when every pooled frame is still in use downstream.
func (v *V4L2) deliver(b v4l2Buf, l rawLayout) {
	seq := v.seq
	v.seq++
	f, ok := v.pool.Get()
	if !ok {
		v.dropped.Add(1)
		return
	}
	var err error
	if l.fourcc == FourCCMJPEG || l.fourcc == FourCCJPEG {
		err = decodeMJPEG(f, b.Data)
	} else {
		err = convertRaw(f, b.Data, l)
	}
	if err != nil {
		f.Release()
		v.badFrame(err)
		return
	}
	f.Seq, f.PTS, f.Wall = seq, v.pts(b), b.Wall
	if v.out.Push(f) {
		v.frames.Add(1)
	} else {
		v.dropped.Add(1)
	}
}

// lend hands b on in the driver's own buffer; false means it must be
// copied (too many buffers out already).
func (v *V4L2) lend(ln *lender, b v4l2Buf) bool {
	if len(b.Data) < ln.layout.need() {
		return false // short buffer: deliver reports it
	}
	f, ok := ln.lend(b)
	if !ok {
		return false
	}
	f.Seq, f.PTS, f.Wall = v.seq, v.pts(b), b.Wall
	v.seq++
	v.lent.Add(1)
	if v.out.Push(f) {
		v.frames.Add(1)
	} else {
		v.dropped.Add(1)
	}
	return true
}

// V4L2Stats adds the camera's state to SourceStats.
type V4L2Stats struct {
	SourceStats
	Up           bool   // streaming now
	Reconnects   uint64 // reopen attempts since start
	DecodeErrors uint64 // frames dropped because they could not be converted
	Lent         uint64 // frames handed on in the driver's buffer, without a copy
	Device       string // path and card of the current or last camera
	CameraFormat string // negotiated camera format
}

// Stats is safe to call from any goroutine.
func (v *V4L2) Stats() SourceStats { return v.V4L2Stats().SourceStats }

// V4L2Stats is safe to call from any goroutine.
func (v *V4L2) V4L2Stats() V4L2Stats {
	v.mu.Lock()
	m, name := v.mode, v.name
	v.mu.Unlock()
	st := V4L2Stats{
		SourceStats: SourceStats{
			Frames: v.frames.Load(), Dropped: v.dropped.Load(),
			Width: int(m.Width), Height: int(m.Height), FPS: int(m.Interval.FPS() + 0.5),
			Format: v.cfg.Output.String(),
		},
		Up: v.up.Load(), Reconnects: v.reconnects.Load(), DecodeErrors: v.decodeErrors.Load(),
		Lent: v.lent.Load(), Device: name,
	}
	if m.FourCC != 0 {
		st.CameraFormat = m.FourCC.String()
	}
	return st
}

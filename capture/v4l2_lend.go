package capture

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// lendable is a stream whose buffers can leave the capture loop: how many
// the driver has, and a dma-buf for buffer i (VIDIOC_EXPBUF) so that a
// hardware encoder can read the picture where the camera wrote it.
type lendable interface {
	Buffers() int
	Export(i int) (fd int, err error)
}

// minQueued buffers always stay with the driver: a camera with no buffer
// to fill stalls, and the capture loop would take that for an unplug.
const minQueued = 2

// lender hands a session's driver buffers to the pipeline as frames, when
// the camera already delivers the encoder's layout (NV12 for NV12, YU12
// for I420): no copy at all on this side, and a V4L2 encoder that can
// import the buffer's dma-buf needs none on its side either. A buffer goes
// back to the driver when its frame is released. When too many are out,
// the picture is copied into the pool as usual instead.
type lender struct {
	s      v4l2Stream
	lb     lendable
	format media.PixelFormat
	layout rawLayout // the camera's picture: the encoder's layout, or there is no lending
	n      int
	log    *slog.Logger

	mu       sync.Mutex
	frames   []*media.Frame // by buffer index, built when first lent
	out      int
	closed   bool
	orphaned bool          // close gave up waiting: the last release closes the stream
	idle     chan struct{} // closed when the last frame is back after close
	noExport bool          // EXPBUF failed once: lend without dma-bufs
}

// newLender returns nil, and says why, when the session cannot lend.
func newLender(s v4l2Stream, l rawLayout, output media.PixelFormat, log *slog.Logger) *lender {
	lb, ok := s.(lendable)
	var why string
	switch {
	case !ok:
		why = "the stream cannot lend buffers"
	case !(l.fourcc == FourCCNV12 && output == media.NV12) && !(l.fourcc == FourCCYU12 && output == media.I420):
		why = fmt.Sprintf("camera %v is not the encoder's %v: converted in the one copy", l.fourcc, output)
	case l.w%2 != 0 || l.h%2 != 0:
		why = "odd picture size"
	case lb.Buffers() <= minQueued:
		why = fmt.Sprintf("%d driver buffers; lending needs more than %d", lb.Buffers(), minQueued)
	}
	if why != "" {
		log.Info("camera buffers copied, not lent", "reason", why)
		return nil
	}
	return &lender{s: s, lb: lb, format: output, layout: l, n: lb.Buffers(), log: log,
		frames: make([]*media.Frame, lb.Buffers()), idle: make(chan struct{})}
}

// lend wraps buffer b in a frame, or reports false when it must be copied.
func (l *lender) lend(b v4l2Buf) (*media.Frame, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.out >= l.n-minQueued || b.index < 0 || b.index >= l.n {
		return nil, false
	}
	f := l.frames[b.index]
	if f == nil {
		full := b.Data[:cap(b.Data)] // the whole mmap, whatever BytesUsed said
		i := b.index
		var err error
		c := l.layout
		f, err = media.NewLentFrame(l.format, c.w, c.h, c.bpl, full, func() { l.giveBack(i) })
		if err != nil {
			l.log.Warn("camera buffer cannot be lent", "index", i, "err", err)
			return nil, false
		}
		f.DMA = l.export(i, len(full))
		l.frames[i] = f
	}
	l.out++
	return f, true
}

// export makes buffer i's dma-buf, once; nil when the driver has none.
func (l *lender) export(i, size int) *media.DMABuf {
	if l.noExport {
		return nil
	}
	fd, err := l.lb.Export(i)
	if err != nil {
		l.noExport = true
		l.log.Info("camera buffers lent without dma-buf: the encoder copies them once", "err", err)
		return nil
	}
	c := l.layout
	y := c.bpl * c.h
	d := &media.DMABuf{FD: fd, Len: size, Offsets: [3]int{0, y, 0}}
	if l.format == media.I420 {
		d.Offsets[2] = y + c.bpl/2*(c.h/2)
	}
	return d
}

// giveBack runs when a lent frame is released, on whichever goroutine
// released it: the buffer is queued to the driver again.
func (l *lender) giveBack(i int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out--
	if !l.closed {
		if err := l.s.Requeue(v4l2Buf{index: i}); err != nil {
			// The capture loop sees the same failure at its next DQBUF.
			l.log.Debug("camera buffer requeue failed", "index", i, "err", err)
		}
		return
	}
	if l.out == 0 {
		if l.orphaned {
			_ = l.s.Close()
			return
		}
		close(l.idle)
	}
}

// close ends the session: the stream is closed once every lent frame is
// back, since closing unmaps the memory the frames point into. It waits up
// to wait (the encoder finishes a picture in bounded time); after that the
// last release closes it.
func (l *lender) close(clk clock.Clock, wait time.Duration) {
	l.mu.Lock()
	l.closed = true
	if l.out == 0 {
		l.mu.Unlock()
		_ = l.s.Close()
		return
	}
	l.mu.Unlock()
	t := clk.NewTimer(wait)
	defer t.Stop()
	select {
	case <-l.idle:
		_ = l.s.Close()
		return
	case <-t.C():
	}
	l.mu.Lock()
	if l.out == 0 { // back between the timer and the lock: idle is closed
		l.mu.Unlock()
		_ = l.s.Close()
		return
	}
	l.orphaned = true
	n := l.out
	l.mu.Unlock()
	l.log.Warn("camera closed late: frames still downstream", "frames", n, "waited", wait)
}

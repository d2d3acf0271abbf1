package media

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// PixelFormat is the memory layout of a raw frame.
type PixelFormat int

// Raw layouts the pipeline understands. Both are 4:2:0, 8 bits per sample.
const (
	I420 PixelFormat = iota + 1 // planar Y, U, V (V4L2 YU12)
	NV12                        // planar Y, interleaved UV
)

func (p PixelFormat) String() string {
	switch p {
	case I420:
		return "I420"
	case NV12:
		return "NV12"
	}
	return fmt.Sprintf("PixelFormat(%d)", int(p))
}

// ParsePixelFormat accepts the names used in the configuration file.
func ParsePixelFormat(s string) (PixelFormat, error) {
	switch s {
	case "I420", "i420", "YU12", "yu12":
		return I420, nil
	case "NV12", "nv12":
		return NV12, nil
	}
	return 0, fmt.Errorf("unknown pixel format %q (want I420 or NV12)", s)
}

// FrameSize is the number of bytes of a tightly packed 4:2:0 frame.
func FrameSize(w, h int) int { return w*h + 2*((w+1)/2)*((h+1)/2) }

// Frame is one raw picture. Planes alias Buf; strides are in bytes.
// For I420 Planes holds Y, U, V; for NV12 it holds Y, UV and an empty third plane.
type Frame struct {
	Format PixelFormat
	Width  int
	Height int
	Planes [3][]byte
	Stride [3]int
	Buf    []byte

	Seq  uint64        // source sequence number, gaps mean the source dropped frames
	PTS  time.Duration // presentation time since the source started
	Wall time.Time     // wall-clock capture time (for latency measurement)

	// DMA, when set, names the dma-buf that holds Buf: the frame is a
	// driver's buffer lent to the pipeline, and a hardware encoder can take
	// it without a copy. Nil for frames in Go memory.
	DMA *DMABuf

	pool    *FramePool
	release func()
}

// DMABuf describes a frame's memory as a dma-buf: its file descriptor
// (owned by the lender, valid while the frame is), its length, and where
// each plane starts, so an importer can check the layout matches its own.
type DMABuf struct {
	FD      int
	Len     int
	Offsets [3]int
}

// Release returns the frame to its pool, or to whoever lent it. Frames from
// neither ignore it.
func (f *Frame) Release() {
	switch {
	case f.release != nil:
		f.release()
	case f.pool != nil:
		f.pool.put(f)
	}
}

// NewLentFrame wraps memory the pipeline does not own, such as a camera
// driver's mmap'ed buffer, laid out as format with luma stride stride and
// the chroma right after h luma rows (the V4L2 single-plane layouts: YU12
// chroma stride stride/2, NV12 stride). release runs at every Release and
// hands the memory back to its owner; the frame may then be lent again.
func NewLentFrame(format PixelFormat, w, h, stride int, buf []byte, release func()) (*Frame, error) {
	f, err := layoutFrame(format, w, h, stride, h, buf)
	if err != nil {
		return nil, err
	}
	f.release = release
	return f, nil
}

// layoutFrame lays a w×h picture out in buf: luma rows stride bytes
// apart, chroma after rows luma rows (rows ≥ h: drivers may pad), YU12
// chroma stride stride/2 with V after rows/2 rows of U, NV12 stride.
func layoutFrame(format PixelFormat, w, h, stride, rows int, buf []byte) (*Frame, error) {
	cw, ch := (w+1)/2, (h+1)/2
	if w <= 0 || h <= 0 || stride < w || rows < h {
		return nil, fmt.Errorf("media: frame %dx%d with stride %d and %d rows", w, h, stride, rows)
	}
	f := &Frame{Format: format, Width: w, Height: h}
	y := stride * rows
	switch format {
	case NV12:
		if len(buf) < y+stride*(ch-1)+2*cw {
			return nil, fmt.Errorf("media: NV12 %dx%d stride %d needs more than %d bytes", w, h, stride, len(buf))
		}
		f.Planes[0], f.Planes[1] = buf[:y], buf[y:]
		f.Stride = [3]int{stride, stride, 0}
	case I420:
		cs, crows := stride/2, (rows+1)/2
		if cs < cw || len(buf) < y+cs*crows+cs*(ch-1)+cw {
			return nil, fmt.Errorf("media: I420 %dx%d stride %d needs more than %d bytes", w, h, stride, len(buf))
		}
		f.Planes[0], f.Planes[1], f.Planes[2] = buf[:y], buf[y:y+cs*crows], buf[y+cs*crows:]
		f.Stride = [3]int{stride, cs, cs}
	default:
		return nil, fmt.Errorf("media: frame format %v", format)
	}
	f.Buf = buf
	return f, nil
}

// FramePool is a fixed set of frame buffers of one geometry. Get never
// allocates: when every buffer is in use it reports false, and the source
// drops the picture instead of blocking the camera.
type FramePool struct {
	free     chan *Frame
	n        int
	closed   atomic.Bool
	release  func() // gives the memory back (pools over foreign memory)
	freeOnce sync.Once
}

// NewFramePool allocates n packed frames of the given geometry.
func NewFramePool(n int, format PixelFormat, w, h int) *FramePool {
	p := &FramePool{free: make(chan *Frame, n), n: n}
	for range n {
		p.free <- newPackedFrame(p, format, w, h)
	}
	return p
}

func newPackedFrame(p *FramePool, format PixelFormat, w, h int) *Frame {
	cw, ch := (w+1)/2, (h+1)/2
	buf := make([]byte, FrameSize(w, h))
	f := &Frame{Format: format, Width: w, Height: h, Buf: buf, pool: p}
	f.Planes[0], f.Stride[0] = buf[:w*h], w
	switch format {
	case NV12:
		f.Planes[1], f.Stride[1] = buf[w*h:], 2*cw
	default:
		f.Planes[1], f.Stride[1] = buf[w*h:w*h+cw*ch], cw
		f.Planes[2], f.Stride[2] = buf[w*h+cw*ch:], cw
	}
	return f
}

// NewFramePoolOver makes a pool of one frame per buffer of memory the
// pool does not own (a hardware encoder's buffers, exported as dma-bufs),
// laid out as layoutFrame does with stride and rows the owner wants;
// dmas, when given, describe each buffer. free runs once, after Close,
// when every frame is back: the memory may still be read until then.
func NewFramePoolOver(format PixelFormat, w, h, stride, rows int, bufs [][]byte, dmas []*DMABuf, free func()) (*FramePool, error) {
	p := &FramePool{free: make(chan *Frame, len(bufs)), n: len(bufs), release: free}
	for i, b := range bufs {
		f, err := layoutFrame(format, w, h, stride, rows, b)
		if err != nil {
			return nil, err
		}
		if i < len(dmas) {
			f.DMA = dmas[i]
		}
		f.pool = p
		p.free <- f
	}
	return p, nil
}

// Close retires the pool: Get hands out nothing more, and the memory is
// given back (NewFramePoolOver's free) once every frame is.
func (p *FramePool) Close() {
	p.closed.Store(true)
	p.maybeFree()
}

func (p *FramePool) maybeFree() {
	if p.closed.Load() && len(p.free) == p.n && p.release != nil {
		p.freeOnce.Do(p.release)
	}
}

// Get takes a free frame, or reports false when all are in use.
func (p *FramePool) Get() (*Frame, bool) {
	if p.closed.Load() {
		return nil, false
	}
	select {
	case f := <-p.free:
		return f, true
	default:
		return nil, false
	}
}

func (p *FramePool) put(f *Frame) {
	select {
	case p.free <- f:
	default:
		panic("media: frame released twice")
	}
	p.maybeFree()
}

// FrameQueue is a bounded hand-off between two stages. Push never blocks:
// when the queue is full the newest frame is released and counted as dropped.
type FrameQueue struct {
	ch      chan *Frame
	pushed  atomic.Uint64
	dropped atomic.Uint64
	closeMu sync.Once
}

// NewFrameQueue makes a queue holding at most n frames.
func NewFrameQueue(n int) *FrameQueue { return &FrameQueue{ch: make(chan *Frame, n)} }

// Push offers f to the consumer; false means it was dropped (and released).
func (q *FrameQueue) Push(f *Frame) bool {
	select {
	case q.ch <- f:
		q.pushed.Add(1)
		return true
	default:
		q.dropped.Add(1)
		f.Release()
		return false
	}
}

// C is the consumer's side.
func (q *FrameQueue) C() <-chan *Frame { return q.ch }

// Stats reports frames accepted and dropped since creation.
func (q *FrameQueue) Stats() (pushed, dropped uint64) { return q.pushed.Load(), q.dropped.Load() }

// Drain releases every frame still queued (used on shutdown).
func (q *FrameQueue) Drain() {
	for {
		select {
		case f := <-q.ch:
			f.Release()
		default:
			return
		}
	}
}

// MustGet takes a frame from a freshly made pool; it panics if the pool is
// empty, which is a programming error at construction time.
func (p *FramePool) MustGet() *Frame {
	f, ok := p.Get()
	if !ok {
		panic("media: MustGet on an empty pool")
	}
	return f
}

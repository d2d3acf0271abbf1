package capture

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// lendStream is a fakeStream whose n buffers can be lent: it records
// requeues by index (from any goroutine) and exports fake dma-bufs.
type lendStream struct {
	*fakeStream
	bufs   [][]byte
	noExp  bool
	mu     sync.Mutex
	queued map[int]int // requeues per buffer index
	closes int
}

func newLendStream(f FourCC, w, h, n int) *lendStream {
	s := &lendStream{fakeStream: newFakeStream(uint32(w), uint32(h)), queued: map[int]int{}}
	s.mode.FourCC = f
	for range n {
		s.bufs = append(s.bufs, make([]byte, w*h*3/2))
	}
	return s
}

func (s *lendStream) BytesPerLine() int { return int(s.mode.Width) }
func (s *lendStream) Buffers() int      { return len(s.bufs) }
func (s *lendStream) Export(i int) (int, error) {
	if s.noExp {
		return -1, errors.New("VIDIOC_EXPBUF: inappropriate ioctl for device")
	}
	return 100 + i, nil
}
func (s *lendStream) Requeue(b v4l2Buf) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued[b.index]++
	return nil
}
func (s *lendStream) Close() error {
	s.mu.Lock()
	s.closes++
	s.mu.Unlock()
	return s.fakeStream.Close()
}
func (s *lendStream) requeues(i int) int { s.mu.Lock(); defer s.mu.Unlock(); return s.queued[i] }
func (s *lendStream) closed() int        { s.mu.Lock(); defer s.mu.Unlock(); return s.closes }

// buf is driver buffer i holding picture number seq: luma = seq.
func (s *lendStream) buf(i int, seq uint32) v4l2Buf {
	d := s.bufs[i]
	for j := range int(s.mode.Width * s.mode.Height) {
		d[j] = byte(seq)
	}
	ts := time.Duration(seq) * 40 * time.Millisecond
	return v4l2Buf{index: i, Data: d, Seq: seq, TS: ts, Wall: epoch.Add(ts)}
}

func runLend(t *testing.T, cfg V4L2Config, s v4l2Stream, q *media.FrameQueue, clk clock.Clock) (*V4L2, context.CancelFunc, chan error) {
	t.Helper()
	v, err := newV4L2(cfg, q, clk, nil, (&fakeCamera{results: []any{s}}).open)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	return v, cancel, done
}

func lendConfig(out media.PixelFormat) V4L2Config {
	cfg := testConfig()
	cfg.Lend, cfg.Output, cfg.Formats = true, out, []FourCC{FourCCNV12, FourCCYU12}
	return cfg
}

// TestV4L2LendsDriverBuffers: an NV12 camera feeding an NV12 encoder hands
// its buffers on as they are — the frame's planes are the driver's memory,
// with the exported dma-buf and plane offsets — and the buffer goes back
// to the driver only when the frame is released. With all but two buffers
// out, the next picture is copied into the pool instead of starving the
// driver.
func TestV4L2LendsDriverBuffers(t *testing.T) {
	for _, tc := range []struct {
		cam FourCC
		out media.PixelFormat
		uv  [3]int
	}{
		{FourCCNV12, media.NV12, [3]int{0, 64 * 48, 0}},
		{FourCCYU12, media.I420, [3]int{0, 64 * 48, 64*48 + 32*24}},
	} {
		t.Run(tc.cam.String(), func(t *testing.T) {
			s := newLendStream(tc.cam, 64, 48, 4)
			q := media.NewFrameQueue(8)
			v, cancel, done := runLend(t, lendConfig(tc.out), s, q, clock.NewFake(epoch))
			s.frames <- s.buf(0, 1)
			s.frames <- s.buf(1, 2)
			s.frames <- s.buf(2, 3) // two out, two left with the driver: copied
			waitFor(t, "3 frames", func() bool { return v.Stats().Frames == 3 })

			f1, f2, f3 := <-q.C(), <-q.C(), <-q.C()
			if &f1.Planes[0][0] != &s.bufs[0][0] || &f2.Planes[0][0] != &s.bufs[1][0] {
				t.Error("lent frames do not alias the driver's buffers")
			}
			if f1.DMA == nil || f1.DMA.FD != 100 || f1.DMA.Len != len(s.bufs[0]) || f1.DMA.Offsets != tc.uv {
				t.Errorf("lent frame DMA %+v, want fd 100, len %d, offsets %v", f1.DMA, len(s.bufs[0]), tc.uv)
			}
			if f3.DMA != nil || &f3.Planes[0][0] == &s.bufs[2][0] || f3.Planes[0][0] != 3 {
				t.Errorf("third frame: want a pool copy of picture 3 (DMA %+v, luma %d)", f3.DMA, f3.Planes[0][0])
			}
			if f1.Seq != 0 || f2.Seq != 1 || f3.Seq != 2 || f2.PTS != 40*time.Millisecond {
				t.Errorf("seq %d %d %d, pts %v", f1.Seq, f2.Seq, f3.Seq, f2.PTS)
			}
			waitFor(t, "the copied buffer requeued", func() bool { return s.requeues(2) == 1 })
			if s.requeues(0) != 0 || s.requeues(1) != 0 {
				t.Errorf("lent buffers requeued before their frames were released: %d %d", s.requeues(0), s.requeues(1))
			}
			f1.Release()
			if s.requeues(0) != 1 {
				t.Error("buffer 0 not back with the driver after its frame was released")
			}
			f2.Release()
			f3.Release()
			if st := v.V4L2Stats(); st.Lent != 2 {
				t.Errorf("lent %d, want 2", st.Lent)
			}
			// Buffer 0 comes round again: the same frame, lent again.
			s.frames <- s.buf(0, 4)
			f4 := <-q.C()
			if f4 != f1 || f4.Planes[0][0] != 4 {
				t.Error("buffer 0 not lent again as the same frame")
			}
			f4.Release()
			cancel()
			<-done
		})
	}
}

// TestV4L2LendNeedsSameLayout: a YUYV camera is converted (the one copy),
// and so is an NV12 camera when the encoder wants I420.
func TestV4L2LendNeedsSameLayout(t *testing.T) {
	s := newLendStream(FourCCNV12, 64, 48, 4)
	q := media.NewFrameQueue(8)
	v, cancel, done := runLend(t, lendConfig(media.I420), s, q, clock.NewFake(epoch))
	s.frames <- s.buf(0, 1)
	f := <-q.C()
	if f.DMA != nil || &f.Planes[0][0] == &s.bufs[0][0] {
		t.Error("NV12 camera lent to an I420 encoder")
	}
	f.Release()
	// The capture loop requeues a copied buffer right after handing the
	// copy over, whatever the frame's consumer does.
	waitFor(t, "the copied buffer requeued", func() bool { return s.requeues(0) == 1 })
	if v.V4L2Stats().Lent != 0 {
		t.Error("NV12 camera lent to an I420 encoder")
	}
	cancel()
	<-done
}

// TestV4L2LendWithoutExport: a driver that cannot export still lends its
// mmap (the encoder then copies once); frames carry no DMA.
func TestV4L2LendWithoutExport(t *testing.T) {
	s := newLendStream(FourCCNV12, 64, 48, 4)
	s.noExp = true
	q := media.NewFrameQueue(8)
	_, cancel, done := runLend(t, lendConfig(media.NV12), s, q, clock.NewFake(epoch))
	s.frames <- s.buf(0, 1)
	f := <-q.C()
	if f.DMA != nil || &f.Planes[0][0] != &s.bufs[0][0] {
		t.Error("want the mmap lent without a dma-buf")
	}
	f.Release()
	cancel()
	<-done
}

// TestV4L2LentFramesOutliveTheSession: a camera lost while a frame is
// downstream is closed (and its memory unmapped) only once that frame is
// back; if the encoder holds it past the wait, the source moves on and the
// last release closes the old stream.
func TestV4L2LentFramesOutliveTheSession(t *testing.T) {
	s := newLendStream(FourCCNV12, 64, 48, 4)
	q := media.NewFrameQueue(8)
	clk := clock.NewFake(epoch)
	v, cancel, done := runLend(t, lendConfig(media.NV12), s, q, clk)
	s.frames <- s.buf(0, 1)
	f := <-q.C()
	s.errs <- errors.New("VIDIOC_DQBUF: no such device")
	waitFor(t, "the close to wait", func() bool { return clk.Waiters() == 1 })
	if s.closed() != 0 {
		t.Fatal("stream closed with a frame downstream")
	}
	f.Release()
	<-s.fakeStream.closed
	if s.requeues(0) != 0 {
		t.Error("buffer requeued into a closing stream")
	}
	cancel()
	<-done

	s2 := newLendStream(FourCCNV12, 64, 48, 4)
	v, cancel, done = runLend(t, lendConfig(media.NV12), s2, q, clk)
	s2.frames <- s2.buf(1, 1)
	f = <-q.C()
	s2.errs <- errors.New("VIDIOC_DQBUF: no such device")
	waitFor(t, "the close to wait", func() bool { return clk.Waiters() == 1 })
	clk.Advance(4 * time.Second) // twice the default frame timeout
	waitFor(t, "the source to move on", func() bool { return v.V4L2Stats().Reconnects == 1 })
	if s2.closed() != 0 {
		t.Fatal("stream closed under a frame still downstream")
	}
	f.Release()
	if s2.closed() != 1 {
		t.Error("the last release did not close the orphaned stream")
	}
	cancel()
	<-done
}

// TestV4L2StopReturnsLentFrames: on shutdown the consumer may already be
// gone; lent frames still queued are released by the source itself, so
// Run returns without waiting and the camera is closed.
func TestV4L2StopReturnsLentFrames(t *testing.T) {
	s := newLendStream(FourCCNV12, 64, 48, 4)
	q := media.NewFrameQueue(8)
	v, cancel, done := runLend(t, lendConfig(media.NV12), s, q, clock.NewFake(epoch))
	s.frames <- s.buf(0, 1)
	s.frames <- s.buf(1, 2)
	waitFor(t, "2 frames", func() bool { return v.Stats().Frames == 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s.closed() != 1 {
		t.Errorf("closed %d times, want once", s.closed())
	}
}

package app

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
	"camagent/onvif"
)

// paint fills f: luma 40 on the left half and 210 on the right, chroma
// (Cb 90, Cr 200) everywhere.
func paint(f *media.Frame) {
	for y := range f.Height {
		row := f.Planes[0][y*f.Stride[0]:]
		for x := range f.Width {
			row[x] = 40
			if x >= f.Width/2 {
				row[x] = 210
			}
		}
	}
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	for y := range ch {
		for x := range cw {
			if f.Format == media.NV12 {
				f.Planes[1][y*f.Stride[1]+2*x], f.Planes[1][y*f.Stride[1]+2*x+1] = 90, 200
			} else {
				f.Planes[1][y*f.Stride[1]+x], f.Planes[2][y*f.Stride[2]+x] = 90, 200
			}
		}
	}
}

func TestSnapshotJPEGFromI420AndNV12(t *testing.T) {
	for _, pf := range []media.PixelFormat{media.I420, media.NV12} {
		t.Run(pf.String(), func(t *testing.T) {
			s := newSnapshotter(clock.NewFake(time.Unix(0, 0)))
			if _, err := s.Snapshot(); !errors.Is(err, onvif.ErrNoPicture) {
				t.Fatalf("before any frame: %v", err)
			}
			pool := media.NewFramePool(1, pf, 320, 240)
			f, _ := pool.Get()
			paint(f)
			s.Observe(f)
			f.Release()
			b, err := s.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != image.Rect(0, 0, 320, 240) {
				t.Fatalf("JPEG %v, want 320x240", img.Bounds())
			}
			yc, ok := img.(*image.YCbCr)
			if !ok {
				t.Fatalf("decoded %T", img)
			}
			near := func(got, want uint8) bool { return int(got)-int(want) < 6 && int(want)-int(got) < 6 }
			l, r := yc.YCbCrAt(40, 120), yc.YCbCrAt(280, 120)
			if !near(l.Y, 40) || !near(r.Y, 210) || !near(l.Cb, 90) || !near(r.Cr, 200) {
				t.Fatalf("pixels left %+v right %+v", l, r)
			}
			t.Logf("%s 320x240: %d JPEG bytes", pf, len(b))
		})
	}
}

func TestSnapshotCopiesAtMostEveryInterval(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	s := newSnapshotter(clk)
	pool := media.NewFramePool(1, media.I420, 64, 64)
	feed := func(seq uint64) {
		f, _ := pool.Get()
		f.Seq = seq
		s.Observe(f)
		f.Release()
	}
	feed(1)
	clk.Advance(100 * time.Millisecond)
	feed(2) // inside the interval: not copied
	if s.curSeq != 1 {
		t.Fatalf("copied frame %d", s.curSeq)
	}
	clk.Advance(snapshotEvery)
	s.mu.Lock() // a snapshot is being encoded: the observer must not wait
	feed(3)
	s.mu.Unlock()
	if s.curSeq != 1 {
		t.Fatalf("swapped under a held lock: %d", s.curSeq)
	}
	feed(4) // the retry happens at the next frame
	if s.curSeq != 4 {
		t.Fatalf("after the lock: frame %d", s.curSeq)
	}
	a, _ := s.Snapshot()
	b, _ := s.Snapshot()
	if &a[0] != &b[0] {
		t.Fatal("same picture encoded twice")
	}
}

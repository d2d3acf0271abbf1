//go:build linux

package encode

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"camagent/media"
)

// lentFrame is what the camera's lender hands on: a picture in a driver
// buffer (here plain memory registered with the fake as dma-buf fd), rows
// of luma before chroma as the camera lays them out.
func lentFrame(t *testing.T, fk *fakeBCM, fd int, format media.PixelFormat, w, h, rows, i int) *media.Frame {
	t.Helper()
	buf := make([]byte, w*rows*3/2)
	for j := range buf {
		buf[j] = byte(j%13 + i)
	}
	f, err := media.NewLentFrame(format, w, rows, w, buf, func() {})
	if err != nil {
		t.Fatal(err)
	}
	f.Height = h // the visible picture; rows may include the driver's padding
	f.DMA = &media.DMABuf{FD: fd, Len: len(buf), Offsets: [3]int{0, w * rows, 0}}
	if format == media.I420 {
		f.DMA.Offsets[2] = w*rows + w/2*(rows/2)
	}
	fk.dmabufs[fd] = buf
	return f
}

// TestM2MFakeImportsLentFrames: frames that carry a dma-buf in the
// encoder's layout are queued as they are (V4L2_MEMORY_DMABUF on OUTPUT),
// after one reopen of the encoder in import mode; each imported buffer is
// back from the driver before Encode returns, so the camera may reuse it.
func TestM2MFakeImportsLentFrames(t *testing.T) {
	for _, format := range []media.PixelFormat{media.NV12, media.I420} {
		t.Run(format.String(), func(t *testing.T) {
			e, fk, lb, err := fakeEncoder(t, M2MConfig{Width: 640, Height: 480, Input: format})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				f := lentFrame(t, fk, 40+i, format, 640, 480, 480, i)
				units, err := e.Encode(f, false)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if len(units) == 0 {
					t.Fatalf("frame %d: no units", i)
				}
				if !bytes.Equal(fk.lastOut, f.Buf[:640*480*3/2]) {
					t.Fatalf("frame %d: the driver did not read the lent buffer", i)
				}
				if len(e.out.free) != e.out.count {
					t.Fatalf("frame %d: %d of %d OUTPUT buffers still with the driver after Encode", i, e.out.count-len(e.out.free), e.out.count)
				}
			}
			if imp, cp := e.Copies(); imp != 3 || cp != 0 || fk.imports != 3 {
				t.Errorf("imported %d copied %d (driver saw %d imports), want 3 0 3", imp, cp, fk.imports)
			}
			if fk.opens != 2 || !strings.Contains(lb.String(), "imports the camera's buffers") {
				t.Errorf("opens %d, want the first and one reopen in import mode; log:\n%s", fk.opens, lb.String())
			}
			// A picture from Go memory (the camera came back in YUYV) needs
			// the mmap'ed queue again.
			if _, err := e.Encode(testFrame(format, 640, 480, 9), false); err != nil {
				t.Fatal(err)
			}
			if imp, cp := e.Copies(); imp != 3 || cp != 1 || fk.opens != 3 {
				t.Errorf("after a Go-memory frame: imported %d copied %d opens %d", imp, cp, fk.opens)
			}
		})
	}
}

// TestM2MFakeImportLayoutMismatch: bcm2835-codec pads 1080 luma rows to
// 1088; a camera buffer with 1080 rows has its chroma elsewhere, so the
// picture is copied (once) into the encoder's own layout instead.
func TestM2MFakeImportLayoutMismatch(t *testing.T) {
	e, fk, _, err := fakeEncoder(t, M2MConfig{Width: 1920, Height: 1080, Input: media.NV12})
	if err != nil {
		t.Fatal(err)
	}
	f := lentFrame(t, fk, 7, media.NV12, 1920, 1080, 1080, 0)
	if _, err := e.Encode(f, false); err != nil {
		t.Fatal(err)
	}
	if imp, cp := e.Copies(); imp != 0 || cp != 1 || fk.opens != 1 {
		t.Errorf("imported %d copied %d opens %d: want one copy, no reopen", imp, cp, fk.opens)
	}
	// The same camera with the driver's padding is imported.
	f = lentFrame(t, fk, 8, media.NV12, 1920, 1080, 1088, 1)
	if _, err := e.Encode(f, false); err != nil {
		t.Fatal(err)
	}
	if imp, _ := e.Copies(); imp != 1 {
		t.Errorf("padded camera buffer not imported")
	}
}

// TestM2MFakeImportRefused: a driver that cannot reach the camera's memory
// (dma-contig and a vmalloc'ed USB camera buffer) refuses at QBUF; the
// picture is still encoded, by copying, and the encoder does not try again.
func TestM2MFakeImportRefused(t *testing.T) {
	e, fk, lb, err := fakeEncoder(t, M2MConfig{Width: 640, Height: 480, Input: media.NV12})
	if err != nil {
		t.Fatal(err)
	}
	fk.refuseImport = true
	for i := range 3 {
		units, err := e.Encode(lentFrame(t, fk, 50+i, media.NV12, 640, 480, 480, i), false)
		if err != nil || len(units) == 0 {
			t.Fatalf("frame %d: %v units %d", i, err, len(units))
		}
	}
	if imp, cp := e.Copies(); imp != 0 || cp != 3 {
		t.Errorf("imported %d copied %d, want 0 3", imp, cp)
	}
	if n := strings.Count(lb.String(), "cannot import"); n != 1 || fk.opens != 3 {
		t.Errorf("refusal logged %d times, opens %d (want 1 and 3: start, import, back to copy)", n, fk.opens)
	}
}

// TestM2MFakeFramePool: pictures allocated in the encoder's own memory
// have its layout — at 1080p bcm2835-codec's 1088 luma rows, which no
// camera buffer has — so whatever the source writes there is imported,
// never copied. Closing the pool unmaps and closes once frames are back.
func TestM2MFakeFramePool(t *testing.T) {
	fk := newFakeBCM()
	open := func(string) (m2mIO, error) { fk.reopen(); return fk, nil }
	cfg := M2MConfig{Width: 1920, Height: 1080, Input: media.NV12, Timeout: 50 * time.Millisecond}
	pool, err := newM2MFramePool(cfg, 3, slog.New(slog.DiscardHandler), open, []string{"/dev/video11"})
	if err != nil {
		t.Fatal(err)
	}
	if !fk.closed {
		t.Error("the allocating node stayed open")
	}
	e, err := newM2M(cfg, slog.New(slog.DiscardHandler), open, []string{"/dev/video11"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i := range 4 {
		f, ok := pool.Get()
		if !ok {
			t.Fatalf("picture %d: pool empty", i)
		}
		if f.Stride[0] != 1920 || f.DMA == nil || f.DMA.Offsets[1] != 1920*1088 {
			t.Fatalf("pool frame layout: stride %d DMA %+v", f.Stride[0], f.DMA)
		}
		for j := range f.Planes[0] {
			f.Planes[0][j] = byte(i + j)
		}
		if _, err := e.Encode(f, false); err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		if !bytes.Equal(fk.lastOut[:1920*1080], f.Planes[0][:1920*1080]) {
			t.Fatalf("picture %d: the encoder did not read the pool's memory", i)
		}
		f.Release()
	}
	if imp, cp := e.Copies(); imp != 4 || cp != 0 {
		t.Errorf("imported %d copied %d, want 4 0", imp, cp)
	}
	f, _ := pool.Get()
	pool.Close()
	fd := f.DMA.FD
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		t.Fatal("pool memory freed while a frame was out")
	}
	f.Release()
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
		t.Error("dma-buf still open after the pool closed and its last frame came back")
	}
}

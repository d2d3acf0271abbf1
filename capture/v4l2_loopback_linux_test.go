//go:build linux && vmtest

package capture

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"camagent/internal/clock"
	"camagent/media"
)

// MJPEG from a kernel driver: v4l2loopback (built by test/vm/oot-build.sh)
// is a capture node whose pictures come from a writer on its output side.
// The test is the writer: it sets MJPG on the output queue and write()s
// image/jpeg frames that carry their frame number, while the V4L2 source
// captures them through the normal mmap streaming path and decodes them.

// loopbackLabel is the card name test/vm/guest/capture.sh gives the
// v4l2loopback device (card_label=...); the source finds it by that name.
const loopbackLabel = "camagent-mjpeg"

const (
	bufTypeVideoOutput = 2
	loopbackBits       = 8  // bars carrying the frame number in the top half
	loopbackFPS        = 15 // the writer's rate, announced with S_PARM
	loopbackCb         = 96 // the picture's fixed colour
	loopbackCr         = 160
)

// needLoopback: these tests are built only for the VM bench (build tag
// vmtest, test/vm/lib.sh's guest_suite), whose guest script loads the
// module and sets CAMAGENT_LOOPBACK=1; without it they fail, never skip.
func needLoopback(t *testing.T) *slog.Logger {
	t.Helper()
	if os.Getenv("CAMAGENT_LOOPBACK") != "1" {
		t.Fatal("CAMAGENT_LOOPBACK=1 not set: run through test/vm/capture.sh, which loads v4l2loopback (card_label=" + loopbackLabel + ")")
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func TestLoopbackMJPEG(t *testing.T) {
	log := needLoopback(t)
	for _, size := range [][2]int{{640, 480}, {1280, 720}} {
		t.Run(fmt.Sprintf("MJPG-%dx%d", size[0], size[1]), func(t *testing.T) {
			captureLoopback(t, log, size[0], size[1])
		})
	}
}

// TestLoopbackPicture checks the picture code without the driver, so it runs
// everywhere: frames encoded by the writer's code, decoded by the source's
// MJPEG decoder, give their frame numbers back.
func TestLoopbackPicture(t *testing.T) {
	for _, size := range [][2]int{{640, 480}, {1280, 720}} {
		w, h := size[0], size[1]
		pool := media.NewFramePool(1, media.I420, w, h)
		for _, k := range []int{0, 1, 90, 165, 255} {
			b, err := loopbackJPEG(w, h, k)
			if err != nil {
				t.Fatal(err)
			}
			if dht := bytes.Contains(b, []byte{0xFF, 0xC4}); dht != (k%2 == 0) {
				t.Fatalf("frame %d: Huffman tables present: %v", k, dht)
			}
			f, ok := pool.Get()
			if !ok {
				t.Fatal("pool empty")
			}
			if err := decodeMJPEG(f, b); err != nil {
				t.Fatal(err)
			}
			if got := loopbackFrameNumber(t, f, k); got != k {
				t.Errorf("%dx%d: frame %d read back as %d", w, h, k, got)
			}
			f.Release()
		}
	}
}

// captureLoopback starts the writer at w×h, then the source with Formats
// [MJPEG], and checks 12 frames: geometry, growing Seq and PTS (frameCheck),
// the frame number read back from the decoded picture growing, Seq steps
// equal to the frame-number steps, and the picture's levels within JPEG's
// error. Halfway it stops taking frames until the source has dropped some,
// so the steps include real gaps: every picture lost between the driver and
// the queue must show up in Seq and in Dropped.
func captureLoopback(t *testing.T, log *slog.Logger, w, h int) {
	const want, pauseAt = 12, 6
	// Writer first: with exclusive_caps=1 the node only announces
	// VIDEO_CAPTURE once a writer has given it a format and a frame.
	wr := startLoopWriter(t, w, h)
	q := media.NewFrameQueue(4)
	// Buffers as many as the module's max_buffers: v4l2loopback lets the
	// writer overwrite a buffer the reader still holds once it has gone
	// round the ring, so a long ring keeps a slow (TCG) decode untorn.
	cfg := V4L2Config{Match: loopbackLabel, Width: w, Height: h, FPS: 30, Formats: []FourCC{FourCCMJPEG}, Buffers: 16}
	v, err := NewV4L2(cfg, q, clock.Real{}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- v.Run(ctx) }()
	c := &frameCheck{t: t, w: w, h: h}
	firstK, lastK, firstSeq, jumps := -1, -1, uint64(0), 0
	take := func(n int) {
		t.Helper()
		for end := c.n + n; c.n < end; {
			select {
			case f := <-q.C():
				k := loopbackFrameNumber(t, f, c.n)
				switch {
				case c.n == 0:
					firstK, firstSeq = k, f.Seq
				case k <= lastK:
					t.Fatalf("frame %d: frame number %d after %d", c.n, k, lastK)
				// The first frame's driver sequence may be 0:
				// v4l2loopback's REQBUFS resets every buffer's
				// metadata, including the one the writer filled last.
				// From the second frame on, the sequence is the
				// writer's count.
				case c.n >= 2 && f.Seq-c.lastSeq != uint64(k-lastK):
					t.Errorf("frame %d: seq %d after %d (step %d), but frame number %d after %d", c.n, f.Seq, c.lastSeq,
						f.Seq-c.lastSeq, k, lastK)
				}
				if c.n >= 1 && k-lastK > 1 {
					jumps++
				}
				lastK = k
				c.check(f) // releases f
			case err := <-done:
				t.Fatalf("Run ended: %v", err)
			case <-wr.done:
				t.Fatalf("writer stopped after %d frames: %v", wr.written.Load(), wr.err)
			case <-ctx.Done():
				t.Fatalf("%d frames in 90 s; writer wrote %d; %+v", c.n, wr.written.Load(), v.V4L2Stats())
			}
		}
	}
	take(pauseAt)
	// Stop taking: the queue and then the source's frame pool fill up, and
	// the source drops what the writer goes on sending.
	waitFor(t, "the source to drop frames while nobody takes them", func() bool { return v.V4L2Stats().Dropped >= 3 })
	take(want - pauseAt)
	el := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	q.Drain()
	written, wfps, enc := wr.stop()
	st := v.V4L2Stats()
	if st.CameraFormat != FourCCMJPEG.String() || st.Width != w || st.Height != h {
		t.Errorf("stats %+v: want camera format %v at %dx%d", st, FourCCMJPEG, w, h)
	}
	if st.FPS != loopbackFPS {
		t.Errorf("granted %d fps, want the writer's %d (S_PARM on the output queue)", st.FPS, loopbackFPS)
	}
	if st.DecodeErrors != 0 {
		t.Errorf("%d decode errors", st.DecodeErrors)
	}
	// Frames left in the queue at the end were delivered but not taken.
	if missing := c.lastSeq - firstSeq + 1 - uint64(c.n); jumps == 0 || st.Dropped < missing {
		t.Errorf("%d frame-number jumps, Seq %d..%d over %d frames taken, but %d dropped", jumps, firstSeq, c.lastSeq, c.n, st.Dropped)
	}
	t.Logf("MJPG %dx%d: %d frames in %v (granted %d fps), frame numbers %d..%d with %d jump(s), seq %d..%d, "+
		"dropped %d, decode errors %d; writer: %d frames at %.1f fps, encode %v/frame, %d-%d bytes",
		w, h, c.n, el.Round(time.Millisecond), st.FPS, firstK, lastK, jumps, firstSeq, c.lastSeq,
		st.Dropped, st.DecodeErrors, written, wfps, enc, wr.minLen.Load(), wr.maxLen.Load())
}

// loopbackPicture is frame k: the top half carries k in loopbackBits
// vertical bars (most significant at the left; luma 48 = 0, 208 = 1), the
// bottom half a flat luma level that follows k too, the chroma a fixed colour.
// Bar edges fall on 16-pixel MCU boundaries at both sizes.
func loopbackPicture(w, h, k int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	bw := w / loopbackBits
	for y := range h {
		row := img.Y[y*img.YStride : y*img.YStride+w]
		for x := range row {
			if y < h/2 {
				row[x] = byte(48 + 160*(k>>(loopbackBits-1-x/bw)&1))
			} else {
				row[x] = loopbackLevel(k)
			}
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = loopbackCb, loopbackCr
	}
	return img
}

func loopbackLevel(k int) byte { return byte(32 + k*37%192) }

// loopbackJPEG is frame k as the writer sends it: image/jpeg at quality 90
// (4:2:0), the odd frames without their Huffman tables, as many UVC cameras
// send MJPEG (the decoder must assume JPEG's standard tables, which are the
// ones image/jpeg wrote).
func loopbackJPEG(w, h, k int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, loopbackPicture(w, h, k), &jpeg.Options{Quality: 90}); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if k%2 == 0 {
		return b, nil
	}
	out := append([]byte(nil), b[:2]...) // SOI
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF && b[i+1] != 0xDA { // the segments before SOS
		n := 2 + (int(b[i+2])<<8 | int(b[i+3]))
		if b[i+1] != 0xC4 {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return append(out, b[i:]...), nil
}

// loopbackFrameNumber reads k back from a decoded frame (I420) and checks
// the picture: every bar clearly dark or light, the bottom level and the
// chroma within JPEG's error (quality 90, flat areas: a few steps).
func loopbackFrameNumber(t *testing.T, f *media.Frame, n int) int {
	t.Helper()
	w, h := f.Width, f.Height
	mean := func(p int, x0, y0, x1, y1 int) float64 {
		sum := 0
		for y := y0; y < y1; y++ {
			for _, b := range f.Planes[p][y*f.Stride[p]+x0 : y*f.Stride[p]+x1] {
				sum += int(b)
			}
		}
		return float64(sum) / float64((x1-x0)*(y1-y0))
	}
	near := func(got float64, want, tol int) bool { return got >= float64(want-tol) && got <= float64(want+tol) }
	bw := w / loopbackBits
	k := 0
	var bars []string
	for i := range loopbackBits {
		m := mean(0, i*bw+bw/4, h/8, (i+1)*bw-bw/4, 3*h/8)
		bars = append(bars, fmt.Sprintf("%.0f", m))
		bit := 0
		if m >= 128 {
			bit = 1
		}
		if !near(m, 48+160*bit, 12) {
			t.Fatalf("frame %d: bar %d has luma %.1f, neither dark (48) nor light (208): bars %s", n, i, m, strings.Join(bars, " "))
		}
		k = k<<1 | bit
	}
	if m := mean(0, w/4, 5*h/8, 3*w/4, 7*h/8); !near(m, int(loopbackLevel(k)), 6) {
		t.Fatalf("frame %d (number %d, bars %s): bottom luma %.1f, written %d", n, k, strings.Join(bars, " "), m, loopbackLevel(k))
	}
	cw, ch := (w+1)/2, (h+1)/2
	if u, v := mean(1, cw/4, ch/4, 3*cw/4, 3*ch/4), mean(2, cw/4, ch/4, 3*cw/4, 3*ch/4); !near(u, loopbackCb, 6) || !near(v, loopbackCr, 6) {
		t.Fatalf("frame %d (number %d): chroma %.1f/%.1f, written %d/%d", n, k, u, v, loopbackCb, loopbackCr)
	}
	return k
}

// loopWriter feeds the v4l2loopback node's output side: S_FMT MJPG, S_PARM
// loopbackFPS, STREAMON, then one write() per frame (loopbackJPEG), encoded
// when its tick comes (a slow guest writes at a lower rate: the ticker drops
// ticks).
type loopWriter struct {
	fd             int
	w, h           int
	quit           chan struct{}
	done           chan struct{} // closed when the writing goroutine ends
	err            error         // why it ended; read after done
	written        atomic.Int64
	encode         atomic.Int64 // ns spent encoding
	minLen, maxLen atomic.Int64
	since          time.Time // frame 0 written
	started        bool      // the writing goroutine runs
	stopped        bool
}

// startLoopWriter opens the loopback node, sets the format and writes
// frame 0 before it returns, so the capture side exists; the rest follow
// from a goroutine until stop (or the test's cleanup).
func startLoopWriter(t *testing.T, w, h int) *loopWriter {
	t.Helper()
	path := findLoopback(t)
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	wr := &loopWriter{fd: fd, w: w, h: h, quit: make(chan struct{}), done: make(chan struct{})}
	t.Cleanup(func() { wr.stop() })

	var f v4l2Format
	f.Type = bufTypeVideoOutput
	p := f.Pix()
	p.Width, p.Height, p.PixelFormat, p.Field = uint32(w), uint32(h), uint32(FourCCMJPEG), fieldNone
	p.SizeImage = uint32(w * h) // a bound for a JPEG; the driver sets its own
	if err := ioctl(fd, vidiocSFmt, unsafe.Pointer(&f)); err != nil {
		t.Fatalf("%s: VIDIOC_S_FMT output MJPG %dx%d: %v", path, w, h, err)
	}
	if FourCC(p.PixelFormat) != FourCCMJPEG || p.Width != uint32(w) || p.Height != uint32(h) {
		t.Fatalf("%s: output format granted %v %dx%d, asked MJPG %dx%d", path, FourCC(p.PixelFormat), p.Width, p.Height, w, h)
	}
	var sp v4l2Streamparm
	sp.Type = bufTypeVideoOutput
	sp.TimePerFrame = v4l2Fract{Num: 1, Den: loopbackFPS}
	if err := ioctl(fd, vidiocSParm, unsafe.Pointer(&sp)); err != nil {
		t.Fatalf("%s: VIDIOC_S_PARM output 1/%d: %v", path, loopbackFPS, err)
	}
	// STREAMON makes this file the device's writer. Frames still go in by
	// write(), but v4l2loopback 0.12.7 only announces VIDEO_OUTPUT again
	// after a writer that streamed closes: after a write()-only writer the
	// node has neither direction and the next writer's S_FMT fails with
	// EINVAL (the v4l2 core checks the device caps that QUERYCAP last set).
	typ := int32(bufTypeVideoOutput)
	if err := ioctl(fd, vidiocStreamon, unsafe.Pointer(&typ)); err != nil {
		t.Fatalf("%s: VIDIOC_STREAMON output: %v", path, err)
	}
	t.Logf("writer on %s: MJPG %dx%d, sizeimage %d, 1/%d s", path, p.Width, p.Height, p.SizeImage, loopbackFPS)
	if err := wr.writeFrame(0, int(p.SizeImage)); err != nil {
		t.Fatal(err)
	}
	wr.since, wr.started = time.Now(), true
	go func() {
		defer close(wr.done)
		tick := time.NewTicker(time.Second / loopbackFPS)
		defer tick.Stop()
		for k := 1; ; k++ {
			select {
			case <-wr.quit:
				return
			case <-tick.C:
			}
			if k >= 1<<loopbackBits {
				wr.err = fmt.Errorf("frame numbers exhausted (%d frames)", k)
				return
			}
			if wr.err = wr.writeFrame(k, int(p.SizeImage)); wr.err != nil {
				return
			}
		}
	}()
	return wr
}

func (wr *loopWriter) writeFrame(k, limit int) error {
	t0 := time.Now()
	b, err := loopbackJPEG(wr.w, wr.h, k)
	if err != nil {
		return fmt.Errorf("writer: encode frame %d: %w", k, err)
	}
	wr.encode.Add(int64(time.Since(t0)))
	if len(b) > limit {
		return fmt.Errorf("writer: frame %d is %d bytes, the driver's sizeimage %d", k, len(b), limit)
	}
	n, err := unix.Write(wr.fd, b)
	if err != nil || n != len(b) {
		return fmt.Errorf("writer: write frame %d (%d bytes): wrote %d, %v", k, len(b), n, err)
	}
	if wr.minLen.Load() == 0 || int64(n) < wr.minLen.Load() {
		wr.minLen.Store(int64(n))
	}
	if int64(n) > wr.maxLen.Load() {
		wr.maxLen.Store(int64(n))
	}
	wr.written.Add(1)
	return nil
}

// stop ends the writing goroutine and closes the node; it returns the
// frames written, their rate and the mean encode time. Idempotent.
func (wr *loopWriter) stop() (n int64, fps float64, enc time.Duration) {
	if !wr.stopped {
		wr.stopped = true
		close(wr.quit)
		if wr.started {
			<-wr.done
		}
		unix.Close(wr.fd)
	}
	n = wr.written.Load()
	if el := time.Since(wr.since); n > 1 {
		fps = float64(n-1) / el.Seconds()
	}
	return n, fps, time.Duration(wr.encode.Load() / max(n, 1)).Round(time.Millisecond / 10)
}

// findLoopback returns the v4l2loopback node labelled loopbackLabel, by
// QUERYCAP (no udev in the guest; node numbers follow the load order).
func findLoopback(t *testing.T) string {
	t.Helper()
	nodes, _ := filepath.Glob("/dev/video*")
	var seen []string
	for _, p := range nodes {
		c, err := queryCap(p)
		if err != nil {
			seen = append(seen, fmt.Sprintf("%s (%v)", p, err))
			continue
		}
		if cstr(c.Driver[:]) == "v4l2 loopback" && cstr(c.Card[:]) == loopbackLabel {
			return p
		}
		seen = append(seen, fmt.Sprintf("%s %q (%s)", p, cstr(c.Card[:]), cstr(c.Driver[:])))
	}
	t.Fatalf("no v4l2loopback node with card %q (modprobe v4l2loopback card_label=%s); seen: %s",
		loopbackLabel, loopbackLabel, strings.Join(seen, "; "))
	return ""
}

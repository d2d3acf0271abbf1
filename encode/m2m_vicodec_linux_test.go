//go:build linux

package encode

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"camagent/media"
)

// The vicodec tests run in the VM bench (test/vm/m2m.sh), where
// CAMAGENT_VICODEC says how the module was loaded: "single" or "mplane".
// Elsewhere they skip: no host has vicodec loaded.
func vicodecMode(t *testing.T) string {
	m := os.Getenv("CAMAGENT_VICODEC")
	if m == "" {
		t.Skip("CAMAGENT_VICODEC not set: runs in test/vm/m2m.sh")
	}
	return m
}

const (
	vcW, vcH   = 640, 480
	vcFrames   = 60
	vcMinPSNR  = 30.0
	vcDrainLen = 3
)

// tri is a triangle wave 0..255 with period 512: smooth content, so the
// codec's loss stays small and the PSNR threshold means something.
func tri(v int) byte {
	v &= 511
	if v > 255 {
		v = 511 - v
	}
	return byte(v)
}

func vicodecFrames(n int) []*media.Frame {
	pool := media.NewFramePool(n, media.I420, vcW, vcH)
	fs := make([]*media.Frame, n)
	for i := range fs {
		f := pool.MustGet()
		for y := range vcH {
			for x := range vcW {
				f.Planes[0][y*f.Stride[0]+x] = tri(x+5*i)/2 + tri(2*y+3*i)/2
			}
		}
		for y := range vcH / 2 {
			for x := range vcW / 2 {
				f.Planes[1][y*f.Stride[1]+x] = 64 + tri(2*x+4*i)/2
				f.Planes[2][y*f.Stride[2]+x] = 64 + tri(3*y+2*i)/2
			}
		}
		// An odd microsecond part proves the driver copies the timestamp
		// rather than making one up.
		f.PTS = time.Duration(i)*33333*time.Microsecond + 7*time.Microsecond
		f.Seq = uint64(i)
		fs[i] = f
	}
	return fs
}

func vicodecEncoder(t *testing.T, mode string) *M2MEncoder {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, err := newM2M(M2MConfig{Codec: M2MFWHT, Width: vcW, Height: vcH, FPS: 30, GOP: 10, Timeout: 10 * time.Second}, log, openM2MNode, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.mplane != (mode == "mplane") {
		t.Fatalf("%s: mplane=%v, vicodec loaded as %s", e.name, e.mplane, mode)
	}
	return e
}

func TestVicodecEncodeRoundTrip(t *testing.T) {
	mode := vicodecMode(t)
	frames := vicodecFrames(vcFrames)
	e := vicodecEncoder(t, mode)
	defer e.Close()

	var streams [][]byte
	lat := make([]time.Duration, 0, len(frames))
	calls0 := e.Calls()
	for i, f := range frames {
		start := time.Now()
		units, err := e.Encode(f, i == 20)
		lat = append(lat, time.Since(start))
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if len(units) != 1 || len(units[0]) == 0 {
			t.Fatalf("frame %d: %d units, want one FWHT frame", i, len(units))
		}
		if e.lastPTS.Microseconds() != f.PTS.Microseconds() {
			t.Fatalf("frame %d: CAPTURE timestamp %v, OUTPUT had %v", i, e.lastPTS, f.PTS)
		}
		streams = append(streams, append([]byte(nil), units[0]...))
	}
	perFrame := float64(e.Calls()-calls0) / float64(len(frames))
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	total := 0
	for _, s := range streams {
		total += len(s)
	}
	t.Logf("vicodec %s %dx%d: %d frames in = %d out, encode latency median %v p99 %v max %v, %.1f ioctl+poll calls/frame, %d B/frame avg (raw %d)",
		mode, vcW, vcH, len(frames), len(streams), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1],
		perFrame, total/len(streams), media.FrameSize(vcW, vcH))
	fmt.Printf("M2M-FIGURES %s frames=%d median=%v p99=%v calls/frame=%.1f\n", mode, len(frames), lat[len(lat)/2], lat[len(lat)*99/100], perFrame)

	decoded := vicodecDecode(t, mode, streams, frames)
	if len(decoded) != len(frames) {
		t.Fatalf("decoder returned %d frames for %d", len(decoded), len(frames))
	}
	worst := math.Inf(1)
	for i, d := range decoded {
		p := psnrY(frames[i], d)
		worst = min(worst, p)
		if p < vcMinPSNR {
			t.Errorf("frame %d: Y PSNR %.1f dB < %.0f", i, p, vcMinPSNR)
		}
	}
	t.Logf("round trip through the vicodec decoder: %d frames, worst Y PSNR %.1f dB", len(decoded), worst)
}

// TestVicodecDrain queues pictures without waiting, then stops: every one
// must come back, the last with the LAST flag or followed by an empty
// LAST buffer, in order, with its timestamp.
func TestVicodecDrain(t *testing.T) {
	mode := vicodecMode(t)
	frames := vicodecFrames(vcDrainLen)
	e := vicodecEncoder(t, mode)
	defer e.Close()
	for _, f := range frames {
		if err := e.submit(f); err != nil {
			t.Fatal(err)
		}
	}
	var pts []time.Duration
	calls0 := e.Calls()
	if err := e.Drain(func(units [][]byte, p time.Duration) {
		if len(units) != 1 || len(units[0]) == 0 {
			t.Errorf("drained picture %d: %d units", len(pts), len(units))
		}
		pts = append(pts, p)
	}); err != nil {
		t.Fatal(err)
	}
	if len(pts) != len(frames) {
		t.Fatalf("drain returned %d pictures, %d were queued", len(pts), len(frames))
	}
	for i, f := range frames {
		if pts[i].Microseconds() != f.PTS.Microseconds() {
			t.Errorf("drained picture %d: timestamp %v, want %v", i, pts[i], f.PTS)
		}
	}
	t.Logf("drain: %d queued, %d returned, last timestamp %v, %d ioctl+poll calls", len(frames), len(pts), pts[len(pts)-1], e.Calls()-calls0)
	if _, err := e.Encode(frames[0], false); err == nil {
		t.Error("Encode after Drain succeeded")
	}
}

// vicodecDecode runs the stateful decoder sequence (queue bitstream,
// SOURCE_CHANGE event, then CAPTURE setup) and returns I420 frames. It
// borrows the encoder's queue helpers with the roles of the queues
// swapped: OUTPUT carries FWHT, CAPTURE raw YU12.
func vicodecDecode(t *testing.T, mode string, streams [][]byte, ref []*media.Frame) []*media.Frame {
	t.Helper()
	d := findVicodecDecoder(t)
	defer d.Close()
	var of v4l2Format
	of.Type = d.out.typ
	if d.mplane {
		m := of.Mplane()
		m.Width, m.Height, m.PixelFormat, m.NumPlanes = vcW, vcH, fourccFWHT, 1
	} else {
		p := of.Pix()
		p.Width, p.Height, p.PixelFormat = vcW, vcH, fourccFWHT
	}
	if err := d.ioctl("VIDIOC_S_FMT(OUTPUT FWHT)", vidiocSFmt, unsafe.Pointer(&of)); err != nil {
		t.Fatal(err)
	}
	if err := d.mapQueue(&d.out, 8); err != nil {
		t.Fatal(err)
	}
	s := v4l2EventSubscription{Type: eventSourceChange}
	if err := d.ioctl("VIDIOC_SUBSCRIBE_EVENT(SOURCE_CHANGE)", vidiocSubscribeEvent, unsafe.Pointer(&s)); err != nil {
		t.Fatal(err)
	}
	streamon(t, d, &d.out)
	next := 0
	feed := func(i int) {
		b := streams[next]
		if len(b) > len(d.out.bufs[i]) {
			t.Fatalf("bitstream %d is %d bytes, buffer %d", next, len(b), len(d.out.bufs[i]))
		}
		copy(d.out.bufs[i], b)
		if err := d.qbuf(&d.out, i, len(b), ref[next].PTS); err != nil {
			t.Fatal(err)
		}
		next++
	}
	for i := range d.out.bufs {
		if next < len(streams) {
			feed(i)
		} else {
			d.out.free = append(d.out.free, i)
		}
	}
	// The source change event says the stream's format is known.
	deadline := time.Now().Add(d.cfg.Timeout)
	for {
		var ev v4l2Event
		if d.dev.ioctl(vidiocDqevent, unsafe.Pointer(&ev)) == nil && ev.Type == eventSourceChange {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no SOURCE_CHANGE event from the decoder")
		}
		if _, err := d.dev.poll(unix.POLLPRI, time.Until(deadline)); err != nil {
			t.Fatal(err)
		}
	}
	var cf v4l2Format
	cf.Type = d.cap.typ
	if err := d.ioctl("VIDIOC_G_FMT(CAPTURE)", vidiocGFmt, unsafe.Pointer(&cf)); err != nil {
		t.Fatal(err)
	}
	if d.mplane {
		cf.Mplane().PixelFormat = fourccYU12
	} else {
		cf.Pix().PixelFormat = fourccYU12
	}
	if err := d.ioctl("VIDIOC_S_FMT(CAPTURE YU12)", vidiocSFmt, unsafe.Pointer(&cf)); err != nil {
		t.Fatal(err)
	}
	w, h, f, bpl, size := d.granted(&cf)
	if w != vcW || h != vcH || f != fourccYU12 {
		t.Fatalf("decoder CAPTURE format %s %dx%d", fourccString(f), w, h)
	}
	rows := lumaRows(vcH, int(bpl), int(size))
	if err := d.mapQueue(&d.cap, 4); err != nil {
		t.Fatal(err)
	}
	for i := range d.cap.bufs {
		if err := d.qbuf(&d.cap, i, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	streamon(t, d, &d.cap)
	stopped := false
	stop := func() {
		cmd := v4l2DecoderCmd{Cmd: decCmdStop}
		if err := d.ioctl("VIDIOC_DECODER_CMD(STOP)", vidiocDecoderCmd, unsafe.Pointer(&cmd)); err != nil {
			t.Fatal(err)
		}
		stopped = true
	}
	pool := media.NewFramePool(len(streams), media.I420, vcW, vcH)
	var out []*media.Frame
	deadline = time.Now().Add(d.cfg.Timeout)
	for len(out) <= len(streams) {
		// Refill OUTPUT with the rest of the bitstream as buffers come back.
		for next < len(streams) {
			b, _, ok, err := d.dqbuf(&d.out)
			if err != nil {
				t.Fatalf("decoder DQBUF(OUTPUT): %v", err)
			}
			if !ok {
				break
			}
			feed(int(b.Index))
		}
		if next == len(streams) && !stopped {
			stop()
		}
		b, n, ok, err := d.dqbuf(&d.cap)
		if err != nil {
			if len(out) == len(streams) {
				break // EPIPE after the last buffer
			}
			t.Fatalf("decoder DQBUF after %d frames: %v", len(out), err)
		}
		if !ok {
			if err := d.wait(unix.POLLIN|unix.POLLOUT, deadline, "decoded frame"); err != nil {
				t.Fatalf("after %d frames: %v", len(out), err)
			}
			continue
		}
		if n > 0 {
			fr := pool.MustGet()
			fromYU12(fr, d.cap.bufs[b.Index][:n], int(bpl), rows)
			fr.PTS = time.Duration(b.Timestamp.Nano())
			out = append(out, fr)
		}
		if b.Flags&bufFlagLast != 0 {
			break
		}
		if err := d.qbuf(&d.cap, int(b.Index), 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func streamon(t *testing.T, d *M2MEncoder, q *m2mQueue) {
	t.Helper()
	typ := int32(q.typ)
	if err := d.ioctl("VIDIOC_STREAMON", vidiocStreamon, unsafe.Pointer(&typ)); err != nil {
		t.Fatal(err)
	}
	d.streaming = true
	d.drained = true // Close must not send ENCODER_CMD to a decoder
}

func findVicodecDecoder(t *testing.T) *M2MEncoder {
	t.Helper()
	nodes, _ := filepath.Glob("/dev/video*")
	for _, p := range nodes {
		dev, err := openM2MNode(p)
		if err != nil {
			continue
		}
		var c v4l2Capability
		if dev.ioctl(vidiocQuerycap, unsafe.Pointer(&c)) != nil {
			dev.close()
			continue
		}
		caps := c.Capabilities
		if caps&capDeviceCaps != 0 {
			caps = c.DeviceCaps
		}
		mplane := caps&capVideoM2MMplane != 0
		outT, capT := uint32(bufTypeVideoOutput), uint32(bufTypeVideoCapture)
		if mplane {
			outT, capT = bufTypeVideoOutputMplane, bufTypeVideoCaptureMplane
		}
		if caps&(capVideoM2M|capVideoM2MMplane) != 0 && has(enumFourccs(dev, outT), fourccFWHT) && has(enumFourccs(dev, capT), fourccYU12) {
			d := &M2MEncoder{dev: dev, name: p + " (vicodec decoder)", mplane: mplane, held: -1,
				cfg: M2MConfig{Timeout: 20 * time.Second}, log: slog.Default(), warned: map[uint32]bool{}}
			d.out.typ, d.cap.typ = outT, capT
			return d
		}
		dev.close()
	}
	t.Fatal("no vicodec stateful decoder node")
	return nil
}

// fromYU12 copies a single-plane YU12 buffer into an I420 frame.
func fromYU12(f *media.Frame, b []byte, bpl, rows int) {
	for y := range vcH {
		copy(f.Planes[0][y*f.Stride[0]:y*f.Stride[0]+vcW], b[y*bpl:])
	}
	cs, cp := bpl/2, bpl/2*(rows/2)
	for p := 1; p <= 2; p++ {
		base := bpl*rows + (p-1)*cp
		for y := range vcH / 2 {
			copy(f.Planes[p][y*f.Stride[p]:y*f.Stride[p]+vcW/2], b[base+y*cs:])
		}
	}
}

func psnrY(a, b *media.Frame) float64 {
	var se float64
	for y := range a.Height {
		ra, rb := a.Planes[0][y*a.Stride[0]:], b.Planes[0][y*b.Stride[0]:]
		for x := range a.Width {
			d := float64(ra[x]) - float64(rb[x])
			se += d * d
		}
	}
	mse := se / float64(a.Width*a.Height)
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

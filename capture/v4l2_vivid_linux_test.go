//go:build linux

package capture

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// The vivid tests need the kernel's virtual camera, which only the VM bench
// has (test/vm/capture.sh sets CAMAGENT_VIVID=1 in the guest). Elsewhere
// they skip: no machine this runs on otherwise has a camera.
func needVivid(t *testing.T) *slog.Logger {
	t.Helper()
	if v := os.Getenv("CAMAGENT_VIVID"); v != "1" && v != "mplane" {
		t.Skip("needs vivid: run through test/vm/capture.sh")
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// frameCheck verifies what reaches the encoder: geometry, sequence numbers
// that only grow, PTS that strictly grow, wall times near now.
type frameCheck struct {
	t        *testing.T
	w, h     int
	lastSeq  uint64
	lastPTS  time.Duration
	n        int
	nonBlack bool
}

func (c *frameCheck) check(f *media.Frame) {
	c.t.Helper()
	defer f.Release()
	if f.Width != c.w || f.Height != c.h || len(f.Buf) != media.FrameSize(c.w, c.h) {
		c.t.Fatalf("frame %dx%d (%d bytes), want %dx%d", f.Width, f.Height, len(f.Buf), c.w, c.h)
	}
	if c.n > 0 && (f.Seq <= c.lastSeq || f.PTS <= c.lastPTS) {
		c.t.Fatalf("frame %d: seq %d after %d, PTS %v after %v", c.n, f.Seq, c.lastSeq, f.PTS, c.lastPTS)
	}
	if d := time.Since(f.Wall); d < -time.Second || d > 10*time.Second {
		c.t.Fatalf("frame %d: wall time %v is %v away from now", c.n, f.Wall, d)
	}
	for _, b := range f.Planes[0][:c.w*c.h/2] {
		if b > 40 {
			c.nonBlack = true
			break
		}
	}
	c.lastSeq, c.lastPTS = f.Seq, f.PTS
	c.n++
}

func TestVividCapture(t *testing.T) {
	log := needVivid(t)
	for _, size := range [][2]int{{640, 480}, {1280, 720}} {
		// vivid generates no compressed formats, so MJPEG is covered by
		// TestV4L2MJPEGSession through a fake stream, not here.
		for _, fcc := range []FourCC{FourCCYUYV, FourCCNV12, FourCCYU12} {
			t.Run(fmt.Sprintf("%v-%dx%d", fcc, size[0], size[1]), func(t *testing.T) {
				captureVivid(t, log, fcc, size[0], size[1])
			})
		}
	}
}

// TestVividMultiplanar captures from vivid loaded with multiplanar=2 (a
// multi-planar-only node, as CSI receivers are), in the one-plane formats.
func TestVividMultiplanar(t *testing.T) {
	log := needVivid(t)
	if os.Getenv("CAMAGENT_VIVID") != "mplane" {
		t.Fatal("needs vivid loaded with multiplanar=2 and CAMAGENT_VIVID=mplane (test/vm/guest/capture.sh does both)")
	}
	path, err := findV4L2("vivid")
	if err != nil {
		t.Fatal(err)
	}
	d, err := openV4L2Node(path)
	if err != nil {
		t.Fatal(err)
	}
	mp := d.mplane()
	d.Close()
	if !mp {
		t.Fatalf("%s is not multi-planar only: was vivid loaded with multiplanar=2?", path)
	}
	for _, fcc := range []FourCC{FourCCYUYV, FourCCNV12} {
		t.Run(fmt.Sprintf("%v-640x480", fcc), func(t *testing.T) { captureVivid(t, log, fcc, 640, 480) })
	}
}

// captureVivid takes 12 frames of fcc at w×h and checks them.
func captureVivid(t *testing.T, log *slog.Logger, fcc FourCC, w, h int) {
	const want = 12
	size := [2]int{w, h}
	q := media.NewFrameQueue(4)
	cfg := V4L2Config{Match: "vivid", Width: size[0], Height: size[1], FPS: 30, Formats: []FourCC{fcc}}
	v, err := NewV4L2(cfg, q, clock.Real{}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- v.Run(ctx) }()
	c := &frameCheck{t: t, w: size[0], h: size[1]}
	for c.n < want {
		select {
		case f := <-q.C():
			c.check(f)
		case err := <-done:
			t.Fatalf("Run ended: %v", err)
		case <-ctx.Done():
			t.Fatalf("%d frames in 60 s", c.n)
		}
	}
	el := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	q.Drain()
	st := v.V4L2Stats()
	if st.CameraFormat != fcc.String() || st.Width != size[0] || st.Height != size[1] {
		t.Errorf("stats %+v", st)
	}
	if !c.nonBlack {
		t.Error("every frame is black: the conversion lost the picture")
	}
	t.Logf("%v %dx%d: %d frames in %v (granted %d fps), seq %d..., dropped %d", fcc, size[0], size[1],
		c.n, el.Round(time.Millisecond), st.FPS, c.lastSeq, st.Dropped)
}

// TestVividUnplug takes the camera away during capture and brings it back:
// the source must notice, report itself down, and resume with growing
// sequence numbers and timestamps on the new device node.
func TestVividUnplug(t *testing.T) {
	log := needVivid(t)
	q := media.NewFrameQueue(4)
	cfg := V4L2Config{Match: "vivid", Width: 640, Height: 480, FPS: 30, Formats: []FourCC{FourCCYUYV},
		FrameTimeout: 2 * time.Second, ReconnectMin: 100 * time.Millisecond, ReconnectMax: 500 * time.Millisecond}
	v, err := NewV4L2(cfg, q, clock.Real{}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	c := &frameCheck{t: t, w: 640, h: 480}
	take := func(n int) {
		t.Helper()
		for end := c.n + n; c.n < end; {
			select {
			case f := <-q.C():
				c.check(f)
			case <-ctx.Done():
				t.Fatalf("stuck at %d frames: %+v", c.n, v.V4L2Stats())
			}
		}
	}
	take(5)

	// rmmod first, as an operator would; the open camera holds a module
	// reference, so the kernel refuses. Unbinding the platform device is
	// then the unplug: the driver's remove runs under the open file, as
	// with a USB disconnect.
	out, err := exec.Command("rmmod", "vivid").CombinedOutput()
	t.Logf("rmmod vivid while streaming: err=%v %s", err, strings.TrimSpace(string(out)))
	unplugged := time.Now()
	if err != nil {
		if err := os.WriteFile("/sys/bus/platform/drivers/vivid/unbind", []byte("vivid.0"), 0); err != nil {
			t.Fatalf("unbind vivid.0: %v", err)
		}
		t.Log("unbound vivid.0 (hot-unplug)")
	}
	waitDown := time.Now()
	for v.V4L2Stats().Up || v.V4L2Stats().Reconnects == 0 {
		select {
		case f := <-q.C():
			c.check(f) // frames already queued before the unplug
		case <-ctx.Done():
			t.Fatalf("source never noticed the unplug: %+v", v.V4L2Stats())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Logf("source down %v after the unplug", time.Since(waitDown).Round(time.Millisecond))
	if err != nil {
		out, err := exec.Command("rmmod", "vivid").CombinedOutput()
		if err != nil {
			t.Fatalf("rmmod vivid after the source closed the camera: %v %s", err, out)
		}
		t.Log("rmmod vivid: ok")
	}
	// Frames from before the unplug may still be queued; take them so the
	// ones counted below all come from the reloaded camera.
	for drained := false; !drained; {
		select {
		case f := <-q.C():
			c.check(f)
		default:
			drained = true
		}
	}
	before := v.V4L2Stats() // nothing can be delivered before the module is back
	if out, err := exec.Command("modprobe", "vivid").CombinedOutput(); err != nil {
		t.Fatalf("modprobe vivid: %v %s", err, out)
	}
	take(5)
	// The source counts a frame just after handing it over, so the count
	// may trail what was taken by one for a moment.
	waitFor(t, "the new frames counted", func() bool { return v.V4L2Stats().Frames >= before.Frames+5 })
	st := v.V4L2Stats()
	t.Logf("resumed %v after the unplug; reconnects %d, frames %d, now on %s", time.Since(unplugged).Round(time.Millisecond),
		st.Reconnects, st.Frames, st.Device)
	if !st.Up || st.Frames < before.Frames+5 || st.Reconnects == 0 {
		t.Errorf("after reload: %+v", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	q.Drain()
}

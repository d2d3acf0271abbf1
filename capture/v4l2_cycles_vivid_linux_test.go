//go:build linux

package capture

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// TestVividUnplugCycles unplugs and replugs the camera 20 times while the
// source runs (vivid's platform device unbound under the open camera, the
// way a USB disconnect removes it, then the module unloaded and loaded
// again, which creates a new device and node): every cycle the
// source must go down and come back with frames, and afterwards it must
// hold no more goroutines or file descriptors than after the first
// reconnect. Prints the median and worst time from modprobe to the first
// new frame (VM bench only).
func TestVividUnplugCycles(t *testing.T) {
	log := needVivid(t)
	const cycles = 20
	q := media.NewFrameQueue(4)
	cfg := V4L2Config{Match: "vivid", Width: 320, Height: 240, FPS: 30, Formats: []FourCC{FourCCYUYV},
		FrameTimeout: 2 * time.Second, ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond}
	v, err := NewV4L2(cfg, q, clock.Real{}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	frame := func() {
		t.Helper()
		select {
		case f := <-q.C():
			f.Release()
		case <-ctx.Done():
			t.Fatalf("no frame: %+v", v.V4L2Stats())
		}
	}
	drain := func() {
		for {
			select {
			case f := <-q.C():
				f.Release()
			default:
				return
			}
		}
	}
	sysfs := func(file string) {
		t.Helper()
		if err := os.WriteFile("/sys/bus/platform/drivers/vivid/"+file, []byte("vivid.0"), 0); err != nil {
			t.Fatalf("%s vivid.0: %v", file, err)
		}
	}
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	frame()
	var times []time.Duration
	var baseG, baseFD int
	for i := range cycles {
		sysfs("unbind")
		for v.V4L2Stats().Up {
			select {
			case f := <-q.C():
				f.Release()
			case <-ctx.Done():
				t.Fatalf("cycle %d: the source never noticed the unplug", i)
			case <-time.After(10 * time.Millisecond):
			}
		}
		drain()
		// The source closed the camera, so the module can go, as an
		// operator's rmmod would; loading it again is the replug.
		if out, err := exec.Command("rmmod", "vivid").CombinedOutput(); err != nil {
			t.Fatalf("cycle %d: rmmod vivid after the source closed the camera: %v %s", i, err, out)
		}
		plugged := time.Now()
		if out, err := exec.Command("modprobe", "vivid").CombinedOutput(); err != nil {
			t.Fatalf("cycle %d: modprobe vivid: %v %s", i, err, out)
		}
		frame()
		times = append(times, time.Since(plugged))
		if i == 0 {
			// Measured once the reopen path has run: lazily started
			// runtime goroutines and cached handles are in the baseline.
			baseG, baseFD = runtime.NumGoroutine(), fds()
		}
	}
	st := v.V4L2Stats()
	g, fd := runtime.NumGoroutine(), fds()
	slices.Sort(times)
	t.Logf("%d unplug cycles: modprobe to first frame median %v, worst %v; reconnects %d; goroutines %d -> %d, fds %d -> %d",
		cycles, times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond), st.Reconnects, baseG, g, baseFD, fd)
	if st.Reconnects < cycles {
		t.Errorf("reconnects %d after %d unplugs", st.Reconnects, cycles)
	}
	if g > baseG+2 || fd > baseFD {
		t.Errorf("leak over %d cycles: goroutines %d -> %d, fds %d -> %d", cycles, baseG, g, baseFD, fd)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	q.Drain()
}

//go:build linux && vmtest

package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"camagent/capture"
	"camagent/encode"
	"camagent/internal/clock"
	"camagent/media"
)

// TestVividZeroCopy runs in the VM bench only (build tag vmtest;
// test/vm/zerocopy.sh sets CAMAGENT_ZEROCOPY in the guest): vivid captures NV12 and lends its buffers, or
// YUYV converted into pictures allocated in vicodec's memory; vicodec
// encodes them. Two encoders see every picture: one imports its dma-buf
// (V4L2_MEMORY_DMABUF), one copies it into its own mmap'ed buffers.
// Identical bitstreams prove the importing encoder read the picture's
// bytes; the counters prove nothing was copied on that path. Half
// way, the camera is unplugged with lent frames downstream and comes back.
// Every picture's bitstream carries the camera's timestamp (copied by the
// driver from the imported buffer), and both encoders drain on stop.
func TestVividZeroCopy(t *testing.T) {
	mode := os.Getenv("CAMAGENT_ZEROCOPY")
	if mode == "" {
		// Built only for the VM bench (build tag vmtest), whose guest
		// script loads vivid and vicodec and sets the variable.
		t.Fatal("CAMAGENT_ZEROCOPY not set: run through test/vm/zerocopy.sh")
	}
	t.Run("NV12-lent", func(t *testing.T) { zeroCopy(t, mode, capture.FourCCNV12) })
	// A YUYV camera is converted, into pictures allocated in vicodec's
	// own memory (encode.NewM2MFramePool): the conversion is the one copy
	// and the encoder imports the result.
	t.Run("YUYV-into-encoder-memory", func(t *testing.T) { zeroCopy(t, mode, capture.FourCCYUYV) })
}

func zeroCopy(t *testing.T, mode string, fourcc capture.FourCC) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	dev, err := capture.FindCamera()
	if err != nil {
		t.Fatal(err)
	}
	const w, h, n = 640, 480, 60
	cfg := encode.M2MConfig{Codec: encode.M2MFWHT, Input: media.NV12, Width: w, Height: h, FPS: 25}
	q := media.NewFrameQueue(2)
	vc := capture.V4L2Config{Device: dev, Width: w, Height: h, FPS: 25,
		Formats: []capture.FourCC{fourcc}, Output: media.NV12, Lend: true, Buffers: 8}
	if fourcc != capture.FourCCNV12 {
		vc.NewPool = func(format media.PixelFormat, w, h, n int) (*media.FramePool, error) {
			c := cfg
			c.Input, c.Width, c.Height = format, w, h
			return encode.NewM2MFramePool(c, n, log.With("pool", "vicodec"))
		}
	}
	src, err := capture.NewV4L2(vc, q, clock.Real{}, log)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := encode.NewM2M(cfg, log.With("encoder", "import"))
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Close()
	cfg.CopyOnly = true
	cp, err := encode.NewM2M(cfg, log.With("encoder", "copy"))
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		q.Drain()
	}()

	var latImp, latCp []time.Duration
	var callsImp, callsCp uint64
	var fdsBefore int
	var lastPTS time.Duration
	dmaSeen := 0
	timeout := time.After(240 * time.Second)
	for i := range n + 30 {
		if i == n {
			unplugWhileLent(t, src, q, timeout)
		}
		var f *media.Frame
		select {
		case f = <-q.C():
		case <-timeout:
			t.Fatalf("only %d pictures in 240 s", i)
		}
		if f.DMA != nil {
			dmaSeen++
		}
		c0 := imp.(interface{ Calls() uint64 }).Calls()
		t0 := time.Now()
		a, err := imp.Encode(f, false)
		if err != nil {
			t.Fatalf("picture %d, importing encoder: %v", i, err)
		}
		latImp = append(latImp, time.Since(t0))
		if ts := imp.(interface{ Timestamp() time.Duration }).Timestamp(); ts.Microseconds() != f.PTS.Microseconds() {
			t.Fatalf("picture %d: bitstream timestamp %v, camera's %v: not copied through the import", i, ts, f.PTS)
		}
		if i > 0 && f.PTS <= lastPTS {
			t.Fatalf("picture %d: PTS %v after %v", i, f.PTS, lastPTS)
		}
		lastPTS = f.PTS
		callsImp += imp.(interface{ Calls() uint64 }).Calls() - c0
		got := bytes.Clone(a[0])
		c0 = cp.(interface{ Calls() uint64 }).Calls()
		t0 = time.Now()
		b, err := cp.Encode(f, false)
		if err != nil {
			t.Fatalf("picture %d, copying encoder: %v", i, err)
		}
		latCp = append(latCp, time.Since(t0))
		callsCp += cp.(interface{ Calls() uint64 }).Calls() - c0
		if !bytes.Equal(got, b[0]) {
			t.Fatalf("picture %d: imported and copied bitstreams differ (%d vs %d bytes)", i, len(got), len(b[0]))
		}
		f.Release()
		if i == n-1 {
			fdsBefore = fds(t)
		}
	}
	for _, e := range []encode.Encoder{imp, cp} {
		if err := e.(interface {
			Drain(func([][]byte, time.Duration)) error
		}).Drain(nil); err != nil {
			t.Errorf("drain on stop: %v", err)
		}
	}
	type copies interface{ Copies() (uint64, uint64) }
	ii, ic := imp.(copies).Copies()
	ci, cc := cp.(copies).Copies()
	st := src.V4L2Stats()
	const all = n + 30
	t.Logf("%s %v: %d pictures (30 after the camera was unplugged and came back), %d with a dma-buf, %d lent by the camera; importing encoder: %d imported, %d copied; copying encoder: %d imported, %d copied; reconnects %d; fds %d -> %d",
		mode, fourcc, all, dmaSeen, st.Lent, ii, ic, ci, cc, st.Reconnects, fdsBefore, fds(t))
	t.Logf("%s %v: encode latency median/p99 import %v/%v, copy %v/%v; syscalls per picture import %.1f, copy %.1f",
		mode, fourcc, pct(latImp, 50), pct(latImp, 99), pct(latCp, 50), pct(latCp, 99),
		float64(callsImp)/all, float64(callsCp)/all)
	if dmaSeen != all || ii != all || ic != 0 || ci != 0 || cc != all {
		t.Errorf("want every picture with a dma-buf (%d), imported without a copy (%d, %d copied) by one encoder and copied by the other (%d)", dmaSeen, ii, ic, cc)
	}
	if lent := st.Lent > 0; lent != (fourcc == capture.FourCCNV12) {
		t.Errorf("%v camera: %d frames lent", fourcc, st.Lent)
	}
	if st.Reconnects != 1 || fds(t) != fdsBefore {
		t.Errorf("after the unplug: reconnects %d, fds %d -> %d (the old session's dma-bufs must be closed)", st.Reconnects, fdsBefore, fds(t))
	}
}

// unplugWhileLent removes vivid's device (as a USB disconnect does) while
// the queue may hold lent frames, keeps taking pictures until the source
// notices, and binds the device again: the source must close the old
// camera once its frames are back and lend the new one's buffers.
func unplugWhileLent(t *testing.T, src *capture.V4L2, q *media.FrameQueue, timeout <-chan time.Time) {
	t.Helper()
	sysfs := func(file string) {
		t.Helper()
		if err := os.WriteFile("/sys/bus/platform/drivers/vivid/"+file, []byte("vivid.0"), 0); err != nil {
			t.Fatalf("%s vivid.0: %v", file, err)
		}
	}
	sysfs("unbind")
	for src.V4L2Stats().Up {
		select {
		case f := <-q.C():
			f.Release()
		case <-timeout:
			t.Fatal("the source never noticed the unplug")
		case <-time.After(10 * time.Millisecond):
		}
	}
	q.Drain()
	sysfs("bind")
}

func fds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

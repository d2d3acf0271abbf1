//go:build linux

package capture

import (
	"context"
	"errors"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// TestVividControls sets brightness and contrast through the real ioctls
// on vivid while it streams (VM bench only, like the other vivid tests).
func TestVividControls(t *testing.T) {
	log := needVivid(t)
	q := media.NewFrameQueue(4)
	cfg := V4L2Config{Match: "vivid", Width: 640, Height: 480, FPS: 30, Formats: []FourCC{FourCCYUYV}}
	v, err := NewV4L2(cfg, q, clock.Real{}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	select {
	case f := <-q.C(): // streaming
		f.Release()
	case <-ctx.Done():
		t.Fatal("no frame")
	}
	c := v.Controls()
	// Run closes the controls' own handle when it ends: the tests after
	// this one unload vivid, which an open handle would prevent.
	runDone := make(chan error, 1)
	runCtx, stopRun := context.WithCancel(ctx)
	go func() { runDone <- c.Run(runCtx, time.Second) }()
	defer func() {
		stopRun()
		<-runDone
	}()
	for _, id := range []ControlID{CtrlBrightness, CtrlContrast} {
		cv, err := c.Control(id)
		if err != nil {
			t.Fatalf("%v: %v", id, err)
		}
		t.Logf("%v: %+v", id, cv)
		// The next tests check that the picture is not black.
		defer func() {
			if err := c.SetControl(id, cv.Value); err != nil {
				t.Errorf("restore %v: %v", id, err)
			}
		}()
		want := cv.Min + (cv.Max-cv.Min)/4
		if err := c.SetControl(id, want); err != nil {
			t.Fatalf("set %v: %v", id, err)
		}
		if got, err := c.Control(id); err != nil || got.Value != want {
			t.Errorf("%v after set %d: %+v %v", id, want, got, err)
		}
		if err := c.SetControl(id, cv.Max+1); !errors.Is(err, ErrControlRange) {
			t.Errorf("%v above range: %v", id, err)
		}
	}
	if _, err := c.Control(ControlID(0x0098ffff)); !errors.Is(err, ErrNoControl) {
		t.Errorf("unknown control: %v", err)
	}
	for _, id := range []ControlID{CtrlBrightness, CtrlContrast} {
		cv, _ := c.Control(id)
		t.Logf("%v now %d", id, cv.Value)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		q.Drain()
	})
}

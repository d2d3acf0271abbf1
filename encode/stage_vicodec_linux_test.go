//go:build linux

package encode

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/internal/testtool"
	"camagent/media"
)

type countingPublisher struct{ n atomic.Int64 }

func (p *countingPublisher) Publish(au *media.AccessUnit) {
	p.n.Add(1)
	au.Release()
}

// TestVicodecStageRecovery takes the hardware encoder away while the
// encoding stage runs (vicodec's platform device unbound, as a failing or
// reset codec block would vanish) and brings it back: the stage must
// report the failure, keep retrying without stopping, and resume encoding
// on the new device, counting the restart (VM bench only).
func TestVicodecStageRecovery(t *testing.T) {
	vicodecMode(t)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	open := func(w, h int) (Encoder, error) {
		e, err := newM2M(M2MConfig{Codec: M2MFWHT, Width: w, Height: h, FPS: 30, GOP: 10, Timeout: 2 * time.Second}, log, openM2MNode, nil)
		if err != nil {
			return nil, err
		}
		return e, nil
	}
	enc, err := open(vcW, vcH)
	if err != nil {
		t.Fatal(err)
	}
	frames := vicodecFrames(8)
	q := media.NewFrameQueue(2)
	pub := &countingPublisher{}
	st := NewStage(StageConfig{Resize: open, InitialWidth: vcW, InitialHeight: vcH}, q, enc, pub, clock.Real{}, log)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()

	// A feeder at about 30 fps that reuses the same pictures.
	feedCtx, stopFeed := context.WithCancel(ctx)
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		tick := time.NewTicker(33 * time.Millisecond)
		defer tick.Stop()
		pool := media.NewFramePool(4, media.I420, vcW, vcH)
		for i := 0; ; i++ {
			select {
			case <-feedCtx.Done():
				return
			case <-tick.C:
			}
			f, ok := pool.Get()
			if !ok {
				continue // the stage still holds them all
			}
			src := frames[i%len(frames)]
			for p := range 3 {
				copy(f.Planes[p], src.Planes[p])
			}
			f.PTS, f.Seq = time.Duration(i)*33*time.Millisecond, uint64(i)
			q.Push(f)
		}
	}()
	defer func() { stopFeed(); <-fed }()

	testtool.WaitFor(t, 30*time.Second, "20 pictures from vicodec", func() bool { return pub.n.Load() >= 20 })
	dev := vicodecPlatformDevice(t)
	driver := "/sys/bus/platform/drivers/vicodec/"
	if err := os.WriteFile(driver+"unbind", []byte(dev), 0); err != nil {
		t.Fatalf("unbind %s: %v", dev, err)
	}
	gone := time.Now()
	testtool.WaitFor(t, 30*time.Second, "the stage to notice the lost encoder", func() bool { return st.Stats().Errors > 0 })
	t.Logf("stage saw the encoder fail %v after the unbind: %+v", time.Since(gone).Round(time.Millisecond), st.Stats())
	before := pub.n.Load()
	if err := os.WriteFile(driver+"bind", []byte(dev), 0); err != nil {
		t.Fatalf("bind %s: %v", dev, err)
	}
	back := time.Now()
	testtool.WaitFor(t, 30*time.Second, "pictures from the rebound encoder", func() bool { return pub.n.Load() >= before+20 })
	s := st.Stats()
	t.Logf("encoding resumed %v after the rebind; restarts %d, errors %d, pictures %d", time.Since(back).Round(time.Millisecond), s.Restarts, s.Errors, pub.n.Load())
	if s.Restarts == 0 {
		t.Errorf("no restart counted: %+v", s)
	}
	stopFeed()
	<-fed
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// vicodecPlatformDevice is the bound vicodec device ("vicodec.0").
func vicodecPlatformDevice(t *testing.T) string {
	t.Helper()
	m, _ := filepath.Glob("/sys/bus/platform/drivers/vicodec/vicodec.*")
	if len(m) != 1 {
		t.Fatalf("vicodec platform devices bound: %v", m)
	}
	return filepath.Base(m[0])
}

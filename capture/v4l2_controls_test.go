package capture

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

var errGone = errors.New("no such device")

// fakeCtrlCam is a camera's control state: every reset (a replug) brings
// the defaults back and kills the open handles, as a USB camera does.
type fakeCtrlCam struct {
	mu     sync.Mutex
	ctrls  map[ControlID]*ctrlInfo
	values map[ControlID]int32
	epoch  int // handles of older epochs are dead
	opens  int
	sets   int
}

func newFakeCtrlCam() *fakeCtrlCam {
	c := &fakeCtrlCam{ctrls: map[ControlID]*ctrlInfo{
		CtrlBrightness: {ControlValue: ControlValue{Min: 0, Max: 255, Step: 1, Default: 128}},
		CtrlContrast:   {ControlValue: ControlValue{Min: 0, Max: 255, Step: 1, Default: 32}},
		CtrlSaturation: {ControlValue: ControlValue{Min: -100, Max: 100, Step: 1, Default: 0}, readOnly: true},
	}}
	c.reset()
	return c
}

func (c *fakeCtrlCam) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.values = map[ControlID]int32{}
	for id, q := range c.ctrls {
		c.values[id] = q.Default
	}
}

func (c *fakeCtrlCam) value(id ControlID) int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.values[id]
}

func (c *fakeCtrlCam) open() (ctrlDevice, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opens++
	return &fakeCtrlDev{cam: c, epoch: c.epoch}, nil
}

type fakeCtrlDev struct {
	cam    *fakeCtrlCam
	epoch  int
	closed bool
}

func (d *fakeCtrlDev) alive() error {
	if d.closed || d.epoch != d.cam.epoch {
		return errGone
	}
	return nil
}

func (d *fakeCtrlDev) query(id ControlID) (ctrlInfo, error) {
	d.cam.mu.Lock()
	defer d.cam.mu.Unlock()
	if err := d.alive(); err != nil {
		return ctrlInfo{}, err
	}
	q, ok := d.cam.ctrls[id]
	if !ok {
		return ctrlInfo{}, ErrNoControl
	}
	return *q, nil
}

func (d *fakeCtrlDev) get(id ControlID) (int32, error) {
	d.cam.mu.Lock()
	defer d.cam.mu.Unlock()
	return d.cam.values[id], d.alive()
}

func (d *fakeCtrlDev) set(id ControlID, v int32) error {
	d.cam.mu.Lock()
	defer d.cam.mu.Unlock()
	if err := d.alive(); err != nil {
		return err
	}
	d.cam.sets++
	d.cam.values[id] = v
	return nil
}

func (d *fakeCtrlDev) Close() error { d.closed = true; return nil }

// manualSession is a source's session state driven by the test.
type manualSession struct {
	gen atomic.Uint64
	up  atomic.Bool
}

func (s *manualSession) get() (uint64, bool) { return s.gen.Load(), s.up.Load() }

func TestControlsGetSet(t *testing.T) {
	cam, sess := newFakeCtrlCam(), &manualSession{}
	c := newControls(cam.open, sess.get, clock.NewFake(epoch), nil)
	if _, err := c.Control(CtrlBrightness); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("camera down: %v", err)
	}
	sess.up.Store(true)
	v, err := c.Control(CtrlBrightness)
	if err != nil || v != (ControlValue{Min: 0, Max: 255, Step: 1, Default: 128, Value: 128}) {
		t.Fatalf("Control: %+v %v", v, err)
	}
	if err := c.SetControl(CtrlBrightness, 200); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Control(CtrlBrightness); v.Value != 200 || cam.value(CtrlBrightness) != 200 {
		t.Fatalf("after set: %+v", v)
	}
	for _, bad := range []int32{-1, 256} {
		err := c.SetControl(CtrlBrightness, bad)
		var r *ControlRangeError
		if !errors.Is(err, ErrControlRange) || !errors.As(err, &r) || r.Min != 0 || r.Max != 255 || r.Value != bad {
			t.Errorf("SetControl(%d): %v", bad, err)
		}
	}
	if cam.value(CtrlBrightness) != 200 || cam.sets != 1 {
		t.Errorf("a refused value reached the camera: %d, %d sets", cam.value(CtrlBrightness), cam.sets)
	}
	if _, err := c.Control(CtrlSharpness); !errors.Is(err, ErrNoControl) {
		t.Errorf("missing control: %v", err)
	}
	if err := c.SetControl(CtrlSharpness, 1); !errors.Is(err, ErrNoControl) {
		t.Errorf("set missing control: %v", err)
	}
	if err := c.SetControl(CtrlSaturation, 1); !errors.Is(err, ErrNoControl) {
		t.Errorf("set read-only control: %v", err)
	}
	if cam.opens != 1 {
		t.Errorf("refusals reopened the camera: %d opens", cam.opens)
	}
	sess.up.Store(false)
	if err := c.SetControl(CtrlBrightness, 1); !errors.Is(err, ErrNoDevice) {
		t.Errorf("set while down: %v", err)
	}
}

// TestControlsReapplyAfterReconnect: a new session gets the values set
// before, at the next call; a dead handle is reopened.
func TestControlsReapplyAfterReconnect(t *testing.T) {
	cam, sess := newFakeCtrlCam(), &manualSession{}
	sess.up.Store(true)
	c := newControls(cam.open, sess.get, clock.NewFake(epoch), nil)
	if err := c.SetControl(CtrlContrast, 10); err != nil {
		t.Fatal(err)
	}
	if err := c.SetControl(CtrlBrightness, 200); err != nil {
		t.Fatal(err)
	}
	// Replug: defaults again, the old handle dead, a new generation.
	sess.up.Store(false)
	cam.reset()
	sess.gen.Add(1)
	sess.up.Store(true)
	v, err := c.Control(CtrlBrightness)
	if err != nil || v.Value != 200 || cam.value(CtrlContrast) != 10 {
		t.Fatalf("after reconnect: %+v %v, contrast %d", v, err, cam.value(CtrlContrast))
	}
	// A handle that dies within a session (unplug noticed by us first) is
	// reopened by the next call.
	cam.reset()
	if _, err := c.Control(CtrlBrightness); !errors.Is(err, errGone) {
		t.Fatalf("dead handle: %v", err)
	}
	if v, err := c.Control(CtrlBrightness); err != nil || v.Value != 200 {
		t.Fatalf("after reopen: %+v %v", v, err)
	}
	if cam.opens != 3 {
		t.Errorf("%d opens, want 3", cam.opens)
	}
}

// TestControlsRunReappliesAfterUnplug drives a real source through an
// unplug: Run puts the values back on the new session by itself.
func TestControlsRunReappliesAfterUnplug(t *testing.T) {
	s1, s2 := newFakeStream(64, 48), newFakeStream(64, 48)
	fc := &fakeCamera{results: []any{s1, s2}}
	clk := clock.NewFake(epoch)
	v, err := newV4L2(testConfig(), media.NewFrameQueue(16), clk, nil, fc.open)
	if err != nil {
		t.Fatal(err)
	}
	v.bo.rand = func(n int64) int64 { return n - 1 }
	cam := newFakeCtrlCam()
	c := v.Controls()
	c.open = cam.open // the fake camera's controls instead of /dev
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 2)
	go func() { done <- v.Run(ctx) }()
	go func() { done <- c.Run(ctx, time.Second) }()
	waitFor(t, "streaming", func() bool { return v.V4L2Stats().Up })
	if err := c.SetControl(CtrlBrightness, 42); err != nil {
		t.Fatal(err)
	}
	cam.reset()
	s1.errs <- errGone
	<-s1.closed
	waitFor(t, "backoff and ticker", func() bool { return clk.Waiters() == 2 })
	clk.Advance(100 * time.Millisecond)
	waitFor(t, "streaming again", func() bool { return v.V4L2Stats().Up })
	if cam.value(CtrlBrightness) != 128 {
		t.Fatal("value restored before Run's tick")
	}
	clk.Advance(time.Second)
	waitFor(t, "re-applied", func() bool { return cam.value(CtrlBrightness) == 42 })
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestControlsSetAllOrNone(t *testing.T) {
	cam, sess := newFakeCtrlCam(), &manualSession{}
	sess.up.Store(true)
	c := newControls(cam.open, sess.get, clock.NewFake(epoch), nil)
	for _, bad := range []map[ControlID]int32{
		{CtrlBrightness: 10, CtrlContrast: 300},
		{CtrlBrightness: 10, CtrlSharpness: 1},
		{CtrlBrightness: 10, CtrlSaturation: 1},
	} {
		if err := c.SetControls(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if cam.sets != 0 || cam.value(CtrlBrightness) != 128 {
		t.Fatalf("a refused set changed the camera: %d sets, brightness %d", cam.sets, cam.value(CtrlBrightness))
	}
	if err := c.SetControls(map[ControlID]int32{CtrlBrightness: 10, CtrlContrast: 20}); err != nil {
		t.Fatal(err)
	}
	cam.reset()
	sess.gen.Add(1)
	if v, err := c.Control(CtrlContrast); err != nil || v.Value != 20 || cam.value(CtrlBrightness) != 10 {
		t.Fatalf("not re-applied: %+v %v", v, err)
	}
}

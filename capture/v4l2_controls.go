package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"camagent/internal/clock"
)

// ControlID is a V4L2 control id (linux/v4l2-controls.h).
type ControlID uint32

// The user controls the agent exposes as picture settings (ONVIF Imaging).
const (
	CtrlBrightness ControlID = 0x00980900 // V4L2_CID_BRIGHTNESS
	CtrlContrast   ControlID = 0x00980901 // V4L2_CID_CONTRAST
	CtrlSaturation ControlID = 0x00980902 // V4L2_CID_SATURATION
	CtrlSharpness  ControlID = 0x0098091b // V4L2_CID_SHARPNESS
)

func (id ControlID) String() string {
	switch id {
	case CtrlBrightness:
		return "brightness"
	case CtrlContrast:
		return "contrast"
	case CtrlSaturation:
		return "saturation"
	case CtrlSharpness:
		return "sharpness"
	}
	return fmt.Sprintf("control %#08x", uint32(id))
}

// ControlValue is a control's range, as the driver reports it, and its
// current value. Values between Min and Max off the Step grid are rounded
// by the driver.
type ControlValue struct {
	Min, Max, Step, Default int32
	Value                   int32
}

// Errors of the live controls, for errors.Is. A camera that is not
// streaming (unplugged, between reconnects) gives ErrNoDevice.
var (
	ErrNoControl    = errors.New("camera has no such control")
	ErrControlRange = errors.New("control value out of range")
)

// ControlRangeError is a value outside the control's range; it matches
// ErrControlRange.
type ControlRangeError struct {
	ID       ControlID
	Value    int32
	Min, Max int32
}

func (e *ControlRangeError) Error() string {
	return fmt.Sprintf("%v: %d not in %d..%d", e.ID, e.Value, e.Min, e.Max)
}

func (e *ControlRangeError) Unwrap() error { return ErrControlRange }

// ctrlInfo is what VIDIOC_QUERYCTRL says of a control.
type ctrlInfo struct {
	ControlValue // Value unset
	readOnly     bool
}

// ctrlDevice is an open handle on the camera's controls: its own file
// descriptor on the capture node (V4L2 controls are per device, so a
// second open sees and changes the streaming session's). Tests use fakes.
type ctrlDevice interface {
	// query fails with ErrNoControl when the control is absent, disabled
	// or not a 32-bit integer, boolean or menu control.
	query(id ControlID) (ctrlInfo, error)
	get(id ControlID) (int32, error)
	set(id ControlID, v int32) error
	Close() error
}

type ctrlOpener func() (ctrlDevice, error)

// Controls reads and sets a V4L2 source's controls while it streams. A
// reconnect (unplug, driver reset) brings the camera back with its
// defaults, so the values set through Controls are remembered and applied
// again to the new session: at the next Control/SetControl call, and by Run
// without waiting for one. Safe for concurrent use.
type Controls struct {
	open    ctrlOpener
	session func() (gen uint64, up bool) // the source's session generation
	clk     clock.Clock
	log     *slog.Logger

	mu     sync.Mutex
	dev    ctrlDevice
	devGen uint64
	want   map[ControlID]int32
	order  []ControlID // first-set order, so re-applying is deterministic
}

// Controls returns the live controls of v's camera; app calls it once.
func (v *V4L2) Controls() *Controls {
	cfg := v.cfg
	return newControls(func() (ctrlDevice, error) { return openCtrlDevice(cfg) },
		func() (uint64, bool) { return v.reconnects.Load(), v.up.Load() }, v.clk, v.log)
}

func newControls(open ctrlOpener, session func() (uint64, bool), clk clock.Clock, log *slog.Logger) *Controls {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Controls{open: open, session: session, clk: clk, log: log, want: map[ControlID]int32{}}
}

// device returns the handle for the current session, opening it (and
// re-applying the remembered values) when the session changed; c.mu held.
// The generation counts reconnects, so a camera that went away and came
// back is always a new session.
func (c *Controls) device() (ctrlDevice, error) {
	gen, up := c.session()
	if !up {
		c.closeDev()
		return nil, fmt.Errorf("capture: controls: %w: camera not streaming", ErrNoDevice)
	}
	if c.dev != nil && c.devGen == gen {
		return c.dev, nil
	}
	c.closeDev()
	d, err := c.open()
	if err != nil {
		return nil, fmt.Errorf("capture: controls: %w", err)
	}
	c.dev, c.devGen = d, gen
	for _, id := range c.order {
		v := c.want[id]
		if err := d.set(id, v); err != nil {
			// Keep the value: the next session may take it again.
			c.log.Warn("camera control not re-applied", "control", id.String(), "value", v, "err", err)
		} else {
			c.log.Info("camera control re-applied", "control", id.String(), "value", v)
		}
	}
	return d, nil
}

func (c *Controls) closeDev() {
	if c.dev != nil {
		c.dev.Close()
		c.dev = nil
	}
}

// fail drops the handle after an error other than a refusal of the
// request itself, so the next call opens the camera afresh.
func (c *Controls) fail(err error) {
	var r *ControlRangeError
	if !errors.Is(err, ErrNoControl) && !errors.As(err, &r) {
		c.closeDev()
	}
}

// Control reads a control's range and current value.
func (c *Controls) Control(id ControlID) (ControlValue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.device()
	if err != nil {
		return ControlValue{}, err
	}
	q, err := d.query(id)
	if err == nil {
		q.Value, err = d.get(id)
	}
	if err != nil {
		c.fail(err)
		return ControlValue{}, fmt.Errorf("capture: %v: %w", id, err)
	}
	return q.ControlValue, nil
}

// SetControl sets a control on the streaming camera and remembers the
// value for the sessions after a reconnect. A value outside the driver's
// range is refused with a *ControlRangeError and nothing changes.
func (c *Controls) SetControl(id ControlID, v int32) error {
	return c.SetControls(map[ControlID]int32{id: v})
}

// SetControls sets several controls all or none: every value is checked
// against its control first, so a missing control or a value out of range
// changes nothing; if the driver then fails one, the ones already set are
// put back (best effort) before the error is returned.
func (c *Controls) SetControls(vals map[ControlID]int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.device()
	if err != nil {
		return err
	}
	ids := make([]ControlID, 0, len(vals))
	for id := range vals {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	old := make(map[ControlID]int32, len(ids))
	for _, id := range ids {
		v := vals[id]
		q, err := d.query(id)
		switch {
		case err != nil:
		case q.readOnly:
			err = fmt.Errorf("%w: read-only", ErrNoControl)
		case v < q.Min || v > q.Max:
			err = &ControlRangeError{ID: id, Value: v, Min: q.Min, Max: q.Max}
		default:
			old[id], err = d.get(id)
		}
		if err != nil {
			c.fail(err)
			return fmt.Errorf("capture: set %v: %w", id, err)
		}
	}
	for i, id := range ids {
		if err := d.set(id, vals[id]); err != nil {
			for _, done := range ids[:i] {
				_ = d.set(done, old[done])
			}
			c.fail(err)
			return fmt.Errorf("capture: set %v: %w", id, err)
		}
	}
	for _, id := range ids {
		if _, known := c.want[id]; !known {
			c.order = append(c.order, id)
		}
		c.want[id] = vals[id]
	}
	return nil
}

// Run re-applies the remembered values soon after the source reconnects,
// checking every interval (0: one second), until ctx ends; it returns nil.
// Without Run they are re-applied at the next Control or SetControl.
func (c *Controls) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Second
	}
	t := c.clk.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			c.mu.Lock()
			c.closeDev()
			c.mu.Unlock()
			return nil
		case <-t.C():
			c.mu.Lock()
			if len(c.want) > 0 {
				_, _ = c.device() // a camera that is down is retried next tick
			}
			c.mu.Unlock()
		}
	}
}

package device

import (
	"context"
	"time"

	"camagent/internal/clock"
)

// TamperEvent is the tamper switch opening or closing.
type TamperEvent struct {
	Open bool
	At   time.Time
}

// Tamper reports every debounced change of the tamper switch (active = open).
type Tamper struct {
	in       Input
	clk      clock.Clock
	debounce time.Duration
	onEvent  func(TamperEvent)
}

// NewTamper calls onEvent (on Run's goroutine) for each open and close.
func NewTamper(in Input, debounce time.Duration, clk clock.Clock, onEvent func(TamperEvent)) *Tamper {
	return &Tamper{in: in, clk: clk, debounce: debounce, onEvent: onEvent}
}

// Run watches the switch until ctx ends.
func (t *Tamper) Run(ctx context.Context) error {
	return watchInput(ctx, t.clk, t.in, t.debounce, func(now time.Time, v bool) {
		t.onEvent(TamperEvent{Open: v, At: now})
	}, nil, nil)
}

// ButtonLogic detects a hold of at least Hold. Pure.
type ButtonLogic struct {
	Hold    time.Duration
	pressed bool
	since   time.Time
	fired   bool
}

// Change records a debounced level.
func (b *ButtonLogic) Change(now time.Time, pressed bool) {
	b.pressed = pressed
	if pressed {
		b.since, b.fired = now, false
	}
}

// Deadline is when the current press becomes a hold.
func (b *ButtonLogic) Deadline() (time.Time, bool) {
	return b.since.Add(b.Hold), b.pressed && !b.fired
}

// Check reports, once per press, that the button has been held for Hold.
func (b *ButtonLogic) Check(now time.Time) bool {
	if b.pressed && !b.fired && !now.Before(b.since.Add(b.Hold)) {
		b.fired = true
		return true
	}
	return false
}

// ResetButton calls onReset when the button is held for the hold time,
// after confirming on the LED for confirmFor. Shorter presses do nothing.
type ResetButton struct {
	in         Input
	clk        clock.Clock
	debounce   time.Duration
	hold       time.Duration
	confirm    func()
	confirmFor time.Duration
	onReset    func()
}

// ConfirmFor is how long the LED shows StateFactoryReset before the reset.
const ConfirmFor = 2 * time.Second

// NewResetButton: confirm (may be nil) is called when the hold is reached,
// onReset confirmFor later, both on Run's goroutine.
func NewResetButton(in Input, debounce, hold time.Duration, clk clock.Clock, confirm func(), confirmFor time.Duration, onReset func()) *ResetButton {
	return &ResetButton{in: in, clk: clk, debounce: debounce, hold: hold, confirm: confirm, confirmFor: confirmFor, onReset: onReset}
}

// Run watches the button until ctx ends.
func (r *ResetButton) Run(ctx context.Context) error {
	b := &ButtonLogic{Hold: r.hold}
	var resetAt time.Time
	pending := false
	next := func() (time.Time, bool) {
		if pending {
			return resetAt, true
		}
		return b.Deadline()
	}
	return watchInput(ctx, r.clk, r.in, r.debounce, func(now time.Time, v bool) {
		b.Change(now, v)
	}, next, func(now time.Time) {
		if b.Check(now) && !pending {
			if r.confirm != nil {
				r.confirm()
			}
			pending, resetAt = true, now.Add(r.confirmFor)
		}
		if pending && !now.Before(resetAt) {
			pending = false
			r.onReset()
		}
	})
}

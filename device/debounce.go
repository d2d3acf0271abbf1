package device

import (
	"context"
	"time"

	"camagent/internal/clock"
)

// Debouncer turns raw edges into stable levels: a new level counts once it
// has held for Period with no further edge. It is pure; the caller arms a
// timer for Deadline and calls Fire when it expires.
type Debouncer struct {
	Period  time.Duration
	stable  bool
	pending bool
	due     time.Time
	armed   bool
}

// NewDebouncer starts at the level initial.
func NewDebouncer(period time.Duration, initial bool) *Debouncer {
	return &Debouncer{Period: period, stable: initial, pending: initial}
}

// Stable is the current debounced level.
func (d *Debouncer) Stable() bool { return d.stable }

// Edge records a raw level at now. With no period it is taken at once and
// changed reports whether the stable level moved.
func (d *Debouncer) Edge(now time.Time, v bool) (changed bool) {
	if d.Period <= 0 {
		d.armed = false
		changed = v != d.stable
		d.stable, d.pending = v, v
		return changed
	}
	d.pending = v
	d.due = now.Add(d.Period)
	d.armed = v != d.stable
	return false
}

// Deadline is when Fire must be called, if armed.
func (d *Debouncer) Deadline() (time.Time, bool) { return d.due, d.armed }

// Fire takes the pending level once its deadline has passed.
func (d *Debouncer) Fire(now time.Time) (changed bool) {
	if !d.armed || now.Before(d.due) {
		return false
	}
	d.armed = false
	changed = d.pending != d.stable
	d.stable = d.pending
	return changed
}

// watchInput runs until ctx ends or the input closes, calling onChange with
// each debounced level change. It also arms an extra timer through tick:
// tick(now) returns the next time the caller wants onTick, if any.
func watchInput(ctx context.Context, clk clock.Clock, in Input, period time.Duration,
	onChange func(now time.Time, v bool), next func() (time.Time, bool), onTick func(now time.Time)) error {
	timer := clk.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	v0, err := in.Value()
	if err != nil {
		return err
	}
	db := NewDebouncer(period, v0)
	for {
		// the earliest of the debounce deadline and the caller's deadline
		var when time.Time
		have := false
		if t, ok := db.Deadline(); ok {
			when, have = t, true
		}
		if next != nil {
			if t, ok := next(); ok && (!have || t.Before(when)) {
				when, have = t, true
			}
		}
		timer.Stop()
		if have {
			d := when.Sub(clk.Now())
			if d < 0 {
				d = 0
			}
			timer.Reset(d)
		}
		select {
		case <-ctx.Done():
			return nil
		case v, ok := <-in.Edges():
			if !ok {
				return nil
			}
			now := clk.Now()
			if db.Edge(now, v) {
				onChange(now, db.Stable())
			}
		case <-timer.C():
			now := clk.Now()
			if db.Fire(now) {
				onChange(now, db.Stable())
			}
			if onTick != nil {
				onTick(now)
			}
		}
	}
}

package device

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"camagent/internal/clock"
)

// Hooks are the agent's callbacks; any may be nil.
type Hooks struct {
	Tamper       func(TamperEvent)
	FactoryReset func()
}

// Board is every configured GPIO feature, built from a Config.
type Board struct {
	LED      *LED      // nil when no status_led
	DayNight *DayNight // nil when no IR-cut filter or illuminator
	Tamper   *Tamper
	Reset    *ResetButton

	closers []interface{ Close() error }
}

// OpenBoard validates cfg (with defaults) and requests every configured
// line. Any problem is an error naming the configuration path, the chip and
// the line, and nothing stays requested. A board without GPIO (ErrNoGPIO
// from the opener's constructor) is handled by the caller: pass nil opener
// and every feature is off.
func OpenBoard(cfg Config, op Opener, clk clock.Clock, hooks Hooks) (*Board, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Board{}
	if op == nil {
		return b, nil
	}
	var errs []error
	out := func(path string, r *LineRef) Output {
		if !r.Set() {
			return nil
		}
		o, err := op.Output(*r, false)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			return nil
		}
		b.closers = append(b.closers, o)
		return o
	}
	in := func(path string, r *LineRef) Input {
		if !r.Set() {
			return nil
		}
		i, err := op.Input(*r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			return nil
		}
		b.closers = append(b.closers, i)
		return i
	}
	led := out("status_led", cfg.StatusLED)
	d := cfg.DayNight
	lines := DayNightLines{
		IRCut:       out("day_night.ir_cut", d.IRCut),
		IRCutDay:    out("day_night.ir_cut_day", d.IRCutDay),
		IRCutNight:  out("day_night.ir_cut_night", d.IRCutNight),
		Illuminator: out("day_night.illuminator", d.Illuminator),
		LightSensor: in("day_night.light_sensor", d.LightSensor),
	}
	tamper := in("tamper", cfg.Tamper)
	button := in("reset_button", cfg.ResetButton)
	if len(errs) > 0 {
		b.Close()
		return nil, errors.Join(errs...)
	}
	if led != nil {
		b.LED = NewLED(led, clk)
	}
	if lines.IRCut != nil || lines.IRCutDay != nil || lines.Illuminator != nil {
		dn, err := NewDayNight(d, lines, clk)
		if err != nil {
			b.Close()
			return nil, err
		}
		b.DayNight = dn
	}
	if tamper != nil && hooks.Tamper != nil {
		b.Tamper = NewTamper(tamper, cfg.Tamper.Debounce, clk, hooks.Tamper)
	}
	if button != nil && hooks.FactoryReset != nil {
		var confirm func()
		if b.LED != nil {
			confirm = func() { b.LED.SetState(StateFactoryReset) }
		}
		b.Reset = NewResetButton(button, cfg.ResetButton.Debounce, cfg.ResetHold, clk, confirm, ConfirmFor, hooks.FactoryReset)
	}
	return b, nil
}

// Run runs every feature until ctx ends and returns after all have
// stopped; the first error stops the others. The lines are then released.
func (b *Board) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var runs []func(context.Context) error
	if b.LED != nil {
		runs = append(runs, b.LED.Run)
	}
	if b.DayNight != nil {
		runs = append(runs, b.DayNight.Run)
	}
	if b.Tamper != nil {
		runs = append(runs, b.Tamper.Run)
	}
	if b.Reset != nil {
		runs = append(runs, b.Reset.Run)
	}
	var wg sync.WaitGroup
	errc := make(chan error, len(runs))
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r(ctx); err != nil {
				errc <- err
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errc)
	var errs []error
	for e := range errc {
		errs = append(errs, e)
	}
	return errors.Join(append(errs, b.Close())...)
}

// Close releases every line.
func (b *Board) Close() error {
	var errs []error
	for _, c := range b.closers {
		errs = append(errs, c.Close())
	}
	b.closers = nil
	return errors.Join(errs...)
}

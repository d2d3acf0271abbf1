package device

import (
	"context"
	"errors"
	"sync"
	"time"

	"camagent/internal/clock"
)

// DayNightLogic decides day or night from light levels with hysteresis and
// a minimum dwell time. It is pure: the caller passes the time.
type DayNightLogic struct {
	Dark, Bright float64 // night below Dark, day above Bright
	MinDwell     time.Duration

	night    bool
	decided  bool
	switched time.Time
}

// Night reports the current decision.
func (l *DayNightLogic) Night() bool { return l.night }

// Decide takes a light level at now and returns the wanted mode and whether
// it changed. Between Dark and Bright the mode holds (hysteresis); no switch
// comes sooner than MinDwell after the previous one (the caller retries at
// NextAllowed). The first decision is immediate.
func (l *DayNightLogic) Decide(now time.Time, level float64) (night, changed bool) {
	want := l.night
	if level < l.Dark {
		want = true
	} else if level > l.Bright {
		want = false
	}
	if !l.decided {
		l.decided, l.night, l.switched = true, want, now
		return want, true
	}
	if want == l.night || now.Before(l.switched.Add(l.MinDwell)) {
		return l.night, false
	}
	l.night, l.switched = want, now
	return want, true
}

// Force sets the mode at once (manual override), resetting the dwell.
func (l *DayNightLogic) Force(now time.Time, night bool) (changed bool) {
	if l.decided && night == l.night {
		return false
	}
	l.decided, l.night, l.switched = true, night, now
	return true
}

// Init sets a starting mode that does not count for the dwell time.
func (l *DayNightLogic) Init(night bool) (changed bool) {
	l.decided, l.night, l.switched = true, night, time.Time{}
	return true
}

// NextAllowed is the earliest time a switch may happen.
func (l *DayNightLogic) NextAllowed() time.Time { return l.switched.Add(l.MinDwell) }

// DayNightStatus is what health reports.
type DayNightStatus struct {
	Mode  string    `json:"mode"`  // override: auto, day, night
	State string    `json:"state"` // day or night
	Since time.Time `json:"since"`
}

// DayNight drives the IR-cut filter and the illuminator.
type DayNight struct {
	cfg   DayNightConfig
	clk   clock.Clock
	cut   Output // single level line (active = filter out), or nil
	cutD  Output // pulse coils
	cutN  Output
	illum Output // may be nil
	sens  Input  // may be nil

	mu     sync.Mutex
	mode   string
	luma   float64
	haveL  bool
	status DayNightStatus
	kick   chan struct{}
}

// DayNightLines are the requested lines; any may be nil.
type DayNightLines struct {
	IRCut, IRCutDay, IRCutNight, Illuminator Output
	LightSensor                              Input
}

// NewDayNight checks cfg (after WithDefaults) against the lines.
func NewDayNight(cfg DayNightConfig, lines DayNightLines, clk clock.Clock) (*DayNight, error) {
	if (lines.IRCutDay == nil) != (lines.IRCutNight == nil) {
		return nil, errors.New("day/night: a pulsed IR-cut filter needs both coil lines")
	}
	if cfg.Source == SourceSensor && lines.LightSensor == nil {
		return nil, errors.New("day/night: source sensor needs the light_sensor line")
	}
	if cfg.PulseWidth <= 0 {
		return nil, errors.New("day/night: pulse width must be positive")
	}
	return &DayNight{cfg: cfg, clk: clk, cut: lines.IRCut, cutD: lines.IRCutDay, cutN: lines.IRCutNight,
		illum: lines.Illuminator, sens: lines.LightSensor, mode: cfg.Mode, kick: make(chan struct{}, 1)}, nil
}

func (d *DayNight) poke() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// SetMode is the manual override: auto, day (OFF) or night (ON).
func (d *DayNight) SetMode(mode string) error {
	switch mode {
	case ModeAuto, ModeDay, ModeNight:
	default:
		return errors.New("day/night mode must be auto, day or night")
	}
	d.mu.Lock()
	d.mode = mode
	d.mu.Unlock()
	d.poke()
	return nil
}

// SetLuma feeds the picture's mean luma (0..255) for source luma.
func (d *DayNight) SetLuma(v float64) {
	d.mu.Lock()
	d.luma, d.haveL = v, true
	d.mu.Unlock()
	d.poke()
}

// Status is the current mode for health.
func (d *DayNight) Status() DayNightStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// apply switches the hardware: to night, the filter goes out before the
// illuminator comes on; to day, the illuminator goes off before the filter
// comes back, so the sensor never sees IR through the filter path changes.
func (d *DayNight) apply(ctx context.Context, night bool) error {
	if !night && d.illum != nil {
		if err := d.illum.Set(false); err != nil {
			return err
		}
	}
	switch {
	case d.cut != nil:
		if err := d.cut.Set(night); err != nil {
			return err
		}
	case d.cutD != nil:
		coil := d.cutD
		if night {
			coil = d.cutN
		}
		if err := coil.Set(true); err != nil {
			return err
		}
		t := d.clk.NewTimer(d.cfg.PulseWidth)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
		}
		if err := coil.Set(false); err != nil {
			return err
		}
	}
	if night && d.illum != nil {
		if err := d.illum.Set(true); err != nil {
			return err
		}
	}
	return nil
}

// Run switches until ctx ends. The lines are left as they are; their
// owner closes them.
func (d *DayNight) Run(ctx context.Context) error {
	logic := &DayNightLogic{Dark: d.cfg.LumaDark, Bright: d.cfg.LumaBright, MinDwell: d.cfg.MinDwell}
	timer := d.clk.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var edges <-chan bool
	var db *Debouncer
	if d.sens != nil {
		v, err := d.sens.Value()
		if err != nil {
			return err
		}
		var period time.Duration
		if d.cfg.LightSensor != nil {
			period = d.cfg.LightSensor.Debounce
		}
		db = NewDebouncer(period, v)
		edges = d.sens.Edges()
	}
	first := true
	for {
		now := d.clk.Now()
		d.mu.Lock()
		mode, luma, haveL := d.mode, d.luma, d.haveL
		d.mu.Unlock()
		var changed, blocked bool
		switch mode {
		case ModeDay, ModeNight:
			changed = logic.Force(now, mode == ModeNight)
		default:
			level, ok := luma, haveL
			if d.cfg.Source == SourceSensor && db != nil {
				level, ok = 255, true
				if db.Stable() { // active = dark
					level = 0
				}
			}
			if ok {
				_, changed = logic.Decide(now, level)
				blocked = !changed && ((level < logic.Dark && !logic.Night()) || (level > logic.Bright && logic.Night()))
			} else if first {
				changed = logic.Init(false)
			}
		}
		first = false
		if changed {
			if err := d.apply(ctx, logic.Night()); err != nil {
				return err
			}
			st := "day"
			if logic.Night() {
				st = "night"
			}
			d.mu.Lock()
			d.status = DayNightStatus{Mode: mode, State: st, Since: now}
			d.mu.Unlock()
		} else {
			d.mu.Lock()
			d.status.Mode = mode
			d.mu.Unlock()
		}
		var when time.Time
		have := false
		if db != nil {
			when, have = db.Deadline()
		}
		if blocked && (!have || logic.NextAllowed().Before(when)) {
			when, have = logic.NextAllowed(), true
		}
		timer.Stop()
		if have {
			timer.Reset(max(when.Sub(d.clk.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.kick:
		case v, ok := <-edges:
			if !ok {
				edges = nil
				continue
			}
			db.Edge(d.clk.Now(), v)
		case <-timer.C():
			if db != nil {
				db.Fire(d.clk.Now())
			}
		}
	}
}

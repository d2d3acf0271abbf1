// Package device drives the camera board's GPIO lines and hardware watchdog:
// the status LED, day/night switching (IR-cut filter and IR illuminator),
// the tamper switch, the reset button and /dev/watchdog (issue 7).
//
// Hardware sits behind the small Output and Input interfaces: the Linux
// implementation uses go-gpiocdev (gpio_linux.go), unit tests use the fakes
// in fake.go. The logic (LED patterns, debounce, day/night hysteresis and
// dwell, button hold, watchdog feeding) is driven by an injected clock.
package device

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bias of an input line.
const (
	BiasAsIs     = ""
	BiasPullUp   = "pull-up"
	BiasPullDown = "pull-down"
	BiasDisabled = "disabled"
)

// LineRef names one GPIO line: a chip by label ("pinctrl-rp1") or path
// ("/dev/gpiochip0", "gpiochip0") and a line by name ("IR_CUT") or offset
// ("17").
type LineRef struct {
	Chip      string        `yaml:"chip"`
	Line      string        `yaml:"line"`
	ActiveLow bool          `yaml:"active_low"`
	Bias      string        `yaml:"bias"`     // inputs: "", pull-up, pull-down, disabled
	Debounce  time.Duration `yaml:"debounce"` // inputs: a level must hold this long to count
}

// Set reports whether the reference is configured.
func (r *LineRef) Set() bool { return r != nil && (r.Chip != "" || r.Line != "") }

func (r LineRef) String() string { return r.Chip + ":" + r.Line }

// Offset returns the line as an offset when it is written as a number.
func (r LineRef) Offset() (int, bool) {
	n, err := strconv.Atoi(r.Line)
	return n, err == nil && n >= 0
}

// Day/night modes, also the manual override values.
const (
	ModeAuto  = "auto"
	ModeDay   = "day"   // override OFF: filter in, illuminator off
	ModeNight = "night" // override ON: filter out, illuminator on
)

// Day/night light sources.
const (
	SourceSensor = "sensor" // a digital light-sensor input (active = dark)
	SourceLuma   = "luma"   // the picture's mean luma, 0..255
	SourceAuto   = "auto"   // sensor when light_sensor is set, else luma
)

// DayNightConfig configures the IR-cut filter and the IR illuminator.
type DayNightConfig struct {
	Mode string `yaml:"mode"` // auto (default), day, night
	// Source of the light level in auto mode: sensor, luma or auto (default:
	// sensor when light_sensor is set, else luma).
	Source      string   `yaml:"source"`
	LightSensor *LineRef `yaml:"light_sensor"` // active = dark
	// The IR-cut filter: either one level line (active = filter removed,
	// night), or two coil lines pulsed for PulseWidth.
	IRCut      *LineRef      `yaml:"ir_cut"`
	IRCutDay   *LineRef      `yaml:"ir_cut_day"`   // pulse: filter in
	IRCutNight *LineRef      `yaml:"ir_cut_night"` // pulse: filter out
	PulseWidth time.Duration `yaml:"pulse_width"`  // default 100ms
	// The IR illuminator (active = on).
	Illuminator *LineRef `yaml:"illuminator"`
	// Luma hysteresis: night below LumaDark, day above LumaBright.
	LumaDark   float64 `yaml:"luma_dark"`   // default 40
	LumaBright float64 `yaml:"luma_bright"` // default 80
	// MinDwell: no switch sooner than this after the previous one.
	MinDwell time.Duration `yaml:"min_dwell"` // default 30s
}

// WatchdogConfig configures the hardware watchdog.
type WatchdogConfig struct {
	Enabled    bool          `yaml:"enabled"`
	Path       string        `yaml:"path"`        // default /dev/watchdog
	Timeout    time.Duration `yaml:"timeout"`     // default 15s, whole seconds
	Grace      time.Duration `yaml:"grace"`       // frames may stop this long before feeding stops; default 10s
	MagicClose bool          `yaml:"magic_close"` // disarm on a normal stop
}

// Config is the device section of the agent's configuration.
type Config struct {
	Consumer    string         `yaml:"consumer"` // GPIO consumer label, default camagent
	StatusLED   *LineRef       `yaml:"status_led"`
	Tamper      *LineRef       `yaml:"tamper"`       // active = open
	ResetButton *LineRef       `yaml:"reset_button"` // active = pressed
	ResetHold   time.Duration  `yaml:"reset_hold"`   // default 10s
	DayNight    DayNightConfig `yaml:"day_night"`
	Watchdog    WatchdogConfig `yaml:"watchdog"`
}

// Defaults used for zero values.
const (
	DefaultConsumer    = "camagent"
	DefaultResetHold   = 10 * time.Second
	DefaultPulseWidth  = 100 * time.Millisecond
	DefaultMinDwell    = 30 * time.Second
	DefaultLumaDark    = 40
	DefaultLumaBright  = 80
	DefaultWDTPath     = "/dev/watchdog"
	DefaultWDTTimeout  = 15 * time.Second
	DefaultWDTGrace    = 10 * time.Second
	MaxPulseWidth      = 2 * time.Second
	MaxDebounce        = time.Second
	minResetHold       = time.Second
	maxWatchdogTimeout = 3600 * time.Second
)

// WithDefaults returns c with zero values replaced by defaults.
func (c Config) WithDefaults() Config {
	if c.Consumer == "" {
		c.Consumer = DefaultConsumer
	}
	if c.ResetHold == 0 {
		c.ResetHold = DefaultResetHold
	}
	d := &c.DayNight
	if d.Mode == "" {
		d.Mode = ModeAuto
	}
	if d.Source == "" || d.Source == SourceAuto {
		if d.LightSensor.Set() {
			d.Source = SourceSensor
		} else {
			d.Source = SourceLuma
		}
	}
	if d.PulseWidth == 0 {
		d.PulseWidth = DefaultPulseWidth
	}
	if d.MinDwell == 0 {
		d.MinDwell = DefaultMinDwell
	}
	if d.LumaDark == 0 && d.LumaBright == 0 {
		d.LumaDark, d.LumaBright = DefaultLumaDark, DefaultLumaBright
	}
	w := &c.Watchdog
	if w.Path == "" {
		w.Path = DefaultWDTPath
	}
	if w.Timeout == 0 {
		w.Timeout = DefaultWDTTimeout
	}
	if w.Grace == 0 {
		w.Grace = DefaultWDTGrace
	}
	return c
}

// HasLines reports whether any GPIO line is configured.
func (c Config) HasLines() bool { return len(c.lines()) > 0 }

// Switches reports whether the day/night section drives anything: an
// IR-cut filter (level or pulsed) or an illuminator.
func (d DayNightConfig) Switches() bool {
	return d.IRCut.Set() || d.IRCutDay.Set() || d.IRCutNight.Set() || d.Illuminator.Set()
}

// namedLine is one configured line with its configuration path.
type namedLine struct {
	path string
	ref  *LineRef
	in   bool
}

// lines lists the configured lines with their YAML paths.
func (c *Config) lines() []namedLine {
	all := []namedLine{
		{"status_led", c.StatusLED, false},
		{"tamper", c.Tamper, true},
		{"reset_button", c.ResetButton, true},
		{"day_night.light_sensor", c.DayNight.LightSensor, true},
		{"day_night.ir_cut", c.DayNight.IRCut, false},
		{"day_night.ir_cut_day", c.DayNight.IRCutDay, false},
		{"day_night.ir_cut_night", c.DayNight.IRCutNight, false},
		{"day_night.illuminator", c.DayNight.Illuminator, false},
	}
	var out []namedLine
	for _, l := range all {
		if l.ref.Set() {
			out = append(out, l)
		}
	}
	return out
}

// Problem is one thing wrong with a Config: Path is relative to the
// device section ("day_night.pulse_width"), so the agent's config package
// can prefix it and find the YAML line.
type Problem struct {
	Path, Message string
}

// Validate reports every problem in c (after WithDefaults), each prefixed
// with its configuration path, joined into one error; nil if none.
func (c Config) Validate() error {
	var errs []error
	for _, p := range c.Problems() {
		errs = append(errs, fmt.Errorf("%s: %s", p.Path, p.Message))
	}
	return errors.Join(errs...)
}

// Problems lists every problem in c (after WithDefaults).
func (c Config) Problems() []Problem {
	var ps []Problem
	bad := func(path, format string, a ...any) {
		ps = append(ps, Problem{path, fmt.Sprintf(format, a...)})
	}
	seen := map[string]string{}
	for _, l := range c.lines() {
		r := l.ref
		if r.Chip == "" {
			bad(l.path+".chip", "missing (a chip label such as pinctrl-rp1, or a path such as /dev/gpiochip0)")
		}
		if r.Line == "" {
			bad(l.path+".line", "missing (a line name or offset)")
		}
		if strings.HasPrefix(r.Line, "-") {
			bad(l.path+".line", "offset %s is negative", r.Line)
		}
		switch r.Bias {
		case BiasAsIs, BiasPullUp, BiasPullDown, BiasDisabled:
		default:
			bad(l.path+".bias", "%q is not one of pull-up, pull-down, disabled", r.Bias)
		}
		if !l.in && (r.Bias != "" || r.Debounce != 0) {
			bad(l.path, "bias and debounce apply to inputs only")
		}
		if r.Debounce < 0 || r.Debounce > MaxDebounce {
			bad(l.path+".debounce", "%v is outside 0..%v", r.Debounce, MaxDebounce)
		}
		key := normChip(r.Chip) + "\x00" + r.Line
		if prev, ok := seen[key]; ok {
			bad(l.path, "line %s is also used by %s", r, prev)
		} else {
			seen[key] = l.path
		}
	}
	if c.ResetHold < minResetHold {
		bad("reset_hold", "%v is shorter than %v", c.ResetHold, minResetHold)
	}
	d := c.DayNight
	switch d.Mode {
	case ModeAuto, ModeDay, ModeNight:
	default:
		bad("day_night.mode", "%q is not one of auto, day, night", d.Mode)
	}
	switch d.Source {
	case SourceLuma:
	case SourceSensor:
		if !d.LightSensor.Set() {
			bad("day_night.source", "sensor needs day_night.light_sensor")
		}
	default:
		bad("day_night.source", "%q is not one of auto, sensor, luma", d.Source)
	}
	pulse := d.IRCutDay.Set() || d.IRCutNight.Set()
	if pulse && !(d.IRCutDay.Set() && d.IRCutNight.Set()) {
		bad("day_night", "a pulsed IR-cut filter needs both ir_cut_day and ir_cut_night")
	}
	if pulse && d.IRCut.Set() {
		bad("day_night.ir_cut", "set either ir_cut (one level line) or ir_cut_day + ir_cut_night (pulsed), not both")
	}
	if d.PulseWidth <= 0 || d.PulseWidth > MaxPulseWidth {
		bad("day_night.pulse_width", "%v is outside (0, %v]", d.PulseWidth, MaxPulseWidth)
	}
	if d.LumaDark < 0 || d.LumaBright > 255 || d.LumaDark >= d.LumaBright {
		bad("day_night", "luma_dark (%g) must be below luma_bright (%g), both within 0..255", d.LumaDark, d.LumaBright)
	}
	if d.MinDwell < 0 {
		bad("day_night.min_dwell", "%v is negative", d.MinDwell)
	}
	w := c.Watchdog
	if w.Enabled {
		if w.Timeout < time.Second || w.Timeout > maxWatchdogTimeout || w.Timeout%time.Second != 0 {
			bad("watchdog.timeout", "%v must be whole seconds within 1s..%v", w.Timeout, maxWatchdogTimeout)
		}
		if w.Grace <= 0 {
			bad("watchdog.grace", "%v must be positive", w.Grace)
		}
	}
	return ps
}

// normChip makes "gpiochip0" and "/dev/gpiochip0" compare equal.
func normChip(s string) string {
	if strings.HasPrefix(s, "gpiochip") {
		return "/dev/" + s
	}
	return s
}

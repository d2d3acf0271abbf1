package device

import (
	"context"
	"sync"
	"time"

	"camagent/internal/clock"
)

// State is what the status LED shows.
type State int

const (
	StateStarting State = iota
	StateOK
	StateDegraded
	StateCameraLost
	StateNoNetwork // no network or no broker
	StateUnprovisioned
	StateMaintenance
	StateFactoryReset // confirms a reset-button hold, just before the reset
	StateOff
)

var stateNames = [...]string{"starting", "ok", "degraded", "camera-lost", "no-network", "unprovisioned", "maintenance", "factory-reset", "off"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Step is one segment of a pattern.
type Step struct {
	On  bool
	Dur time.Duration
}

// Pattern repeats its steps forever. A single step is a steady level.
type Pattern []Step

const ms = time.Millisecond

// Patterns: each state has a distinct pattern, told apart by eye and by
// sampling (period, number of flashes, duty cycle).
var Patterns = map[State]Pattern{
	StateStarting:      {{true, 250 * ms}, {false, 250 * ms}},                                                                            // 2 Hz blink
	StateOK:            {{true, time.Second}},                                                                                            // steady on
	StateDegraded:      {{true, time.Second}, {false, time.Second}},                                                                      // slow blink
	StateCameraLost:    {{true, 150 * ms}, {false, 150 * ms}, {true, 150 * ms}, {false, 1550 * ms}},                                      // 2 flashes / 2 s
	StateNoNetwork:     {{true, 150 * ms}, {false, 150 * ms}, {true, 150 * ms}, {false, 150 * ms}, {true, 150 * ms}, {false, 1250 * ms}}, // 3 flashes / 2 s
	StateUnprovisioned: {{true, 100 * ms}, {false, 1900 * ms}},                                                                           // heartbeat
	StateMaintenance:   {{true, 1900 * ms}, {false, 100 * ms}},                                                                           // mostly on, short gap
	StateFactoryReset:  {{true, 50 * ms}, {false, 50 * ms}},                                                                              // 10 Hz
	StateOff:           {{false, time.Second}},
}

// Period is the length of one repetition.
func (p Pattern) Period() time.Duration {
	var d time.Duration
	for _, s := range p {
		d += s.Dur
	}
	return d
}

// At returns the level at elapsed since the pattern started and how long
// it stays (0 for a steady pattern).
func (p Pattern) At(elapsed time.Duration) (on bool, left time.Duration) {
	if len(p) == 1 {
		return p[0].On, 0
	}
	e := elapsed % p.Period()
	for _, s := range p {
		if e < s.Dur {
			return s.On, s.Dur - e
		}
		e -= s.Dur
	}
	return p[0].On, p[0].Dur // not reached
}

// Health is the part of the agent's health the LED shows.
type Health struct {
	Starting     bool
	Provisioned  bool
	Maintenance  bool
	CameraOK     bool
	NetworkOK    bool
	BrokerOK     bool // true when no broker is configured
	Degraded     bool // e.g. frames dropped, encoder slow
	FactoryReset bool
}

// StateFor maps health to an LED state, the most urgent first.
func StateFor(h Health) State {
	switch {
	case h.FactoryReset:
		return StateFactoryReset
	case h.Maintenance:
		return StateMaintenance
	case h.Starting:
		return StateStarting
	case !h.Provisioned:
		return StateUnprovisioned
	case !h.CameraOK:
		return StateCameraLost
	case !h.NetworkOK || !h.BrokerOK:
		return StateNoNetwork
	case h.Degraded:
		return StateDegraded
	}
	return StateOK
}

// LED plays the pattern of the current state on an output line.
type LED struct {
	out Output
	clk clock.Clock

	mu     sync.Mutex
	state  State
	change chan struct{}
}

// NewLED drives out; it starts in StateStarting.
func NewLED(out Output, clk clock.Clock) *LED {
	return &LED{out: out, clk: clk, change: make(chan struct{}, 1)}
}

// SetState switches the pattern (restarting it) if the state differs.
func (l *LED) SetState(s State) {
	l.mu.Lock()
	if s == l.state {
		l.mu.Unlock()
		return
	}
	l.state = s
	l.mu.Unlock()
	select {
	case l.change <- struct{}{}:
	default:
	}
}

// SetHealth is SetState(StateFor(h)).
func (l *LED) SetHealth(h Health) { l.SetState(StateFor(h)) }

// State is the state being shown.
func (l *LED) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// Run plays patterns until ctx ends, then turns the LED off.
func (l *LED) Run(ctx context.Context) error {
	timer := l.clk.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	select { // a SetState before Run is already in l.state
	case <-l.change:
	default:
	}
	start := l.clk.Now()
	state := l.State()
	for {
		on, left := Patterns[state].At(l.clk.Now().Sub(start))
		timer.Stop()
		if left > 0 {
			timer.Reset(left) // armed before the write, so tests see it armed
		}
		if err := l.out.Set(on); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return l.out.Set(false)
		case <-l.change:
			state = l.State()
			start = l.clk.Now()
		case <-timer.C():
		}
	}
}

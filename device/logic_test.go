package device

import (
	"camagent/internal/testtool"

	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"camagent/internal/clock"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testtool.WaitFor(t, 5*time.Second, what, cond)
}

func recv(t *testing.T, ch <-chan bool) bool {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("no output change")
		return false
	}
}

func run(t *testing.T, f func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestPatternsDistinct(t *testing.T) {
	seen := map[string]State{}
	for s := StateStarting; s <= StateOff; s++ {
		p, ok := Patterns[s]
		if !ok {
			t.Fatalf("%v has no pattern", s)
		}
		k := ""
		for _, st := range p {
			k += st.Dur.String()
			if st.On {
				k += "+"
			}
		}
		if o, dup := seen[k]; dup {
			t.Errorf("%v and %v share a pattern", s, o)
		}
		seen[k] = s
	}
	on, left := Patterns[StateCameraLost].At(2*time.Second + 200*ms)
	if on || left != 100*ms {
		t.Errorf("CameraLost at 2.2s = %v, %v; want off, 100ms", on, left)
	}
	if on, left := Patterns[StateOK].At(time.Hour); !on || left != 0 {
		t.Errorf("OK is not steady on")
	}
}

func TestStateFor(t *testing.T) {
	good := Health{Provisioned: true, CameraOK: true, NetworkOK: true, BrokerOK: true}
	cases := []struct {
		mod  func(*Health)
		want State
	}{
		{func(h *Health) {}, StateOK},
		{func(h *Health) { h.Starting = true }, StateStarting},
		{func(h *Health) { h.Degraded = true }, StateDegraded},
		{func(h *Health) { h.CameraOK = false }, StateCameraLost},
		{func(h *Health) { h.BrokerOK = false }, StateNoNetwork},
		{func(h *Health) { h.NetworkOK = false }, StateNoNetwork},
		{func(h *Health) { h.Provisioned = false }, StateUnprovisioned},
		{func(h *Health) { h.Maintenance = true; h.CameraOK = false }, StateMaintenance},
		{func(h *Health) { h.FactoryReset = true }, StateFactoryReset},
	}
	for _, c := range cases {
		h := good
		c.mod(&h)
		if got := StateFor(h); got != c.want {
			t.Errorf("StateFor(%+v) = %v, want %v", h, got, c.want)
		}
	}
}

// TestLEDPlaysPatterns steps the fake clock through two periods of every
// pattern and checks each write.
func TestLEDPlaysPatterns(t *testing.T) {
	for s := StateStarting; s <= StateFactoryReset; s++ {
		t.Run(s.String(), func(t *testing.T) {
			clk := clock.NewFake(t0)
			out := &FakeOutput{changes: make(chan bool, 64)}
			led := NewLED(out, clk)
			led.SetState(s)
			stop := run(t, led.Run)
			p := Patterns[s]
			for i := 0; i < 2*len(p); i++ {
				st := p[i%len(p)]
				if got := recv(t, out.Changes()); got != st.On {
					t.Fatalf("step %d: LED %v, want %v", i, got, st.On)
				}
				if len(p) == 1 {
					clk.Advance(time.Minute)
					select {
					case v := <-out.Changes():
						t.Fatalf("steady pattern wrote %v", v)
					default:
					}
					break
				}
				clk.Advance(st.Dur)
			}
			stop()
		})
	}
}

func TestLEDStateChangeRestartsPattern(t *testing.T) {
	clk := clock.NewFake(t0)
	out := &FakeOutput{changes: make(chan bool, 64)}
	led := NewLED(out, clk)
	stop := run(t, led.Run)
	defer stop()
	if !recv(t, out.Changes()) {
		t.Fatal("starting pattern does not begin on")
	}
	led.SetState(StateUnprovisioned)
	if !recv(t, out.Changes()) {
		t.Fatal("unprovisioned does not begin on")
	}
	clk.Advance(100 * ms)
	if recv(t, out.Changes()) {
		t.Fatal("unprovisioned not off after 100ms")
	}
}

func TestDebouncer(t *testing.T) {
	d := NewDebouncer(50*ms, false)
	now := t0
	d.Edge(now, true)
	d.Edge(now.Add(20*ms), false) // bounce
	d.Edge(now.Add(30*ms), true)
	if d.Fire(now.Add(60 * ms)) {
		t.Fatal("took a level that held 30ms")
	}
	if due, ok := d.Deadline(); !ok || !due.Equal(now.Add(80*ms)) {
		t.Fatalf("deadline %v %v, want +80ms", due, ok)
	}
	if !d.Fire(now.Add(80*ms)) || !d.Stable() {
		t.Fatal("level held 50ms not taken")
	}
	d.Edge(now.Add(100*ms), false)
	d.Edge(now.Add(110*ms), true) // back before the period: no change
	if d.Fire(now.Add(200*ms)) || !d.Stable() {
		t.Fatal("a glitch changed the level")
	}
	z := NewDebouncer(0, false)
	if !z.Edge(now, true) || !z.Stable() {
		t.Fatal("zero period must take edges at once")
	}
}

func TestDayNightHysteresisAndDwell(t *testing.T) {
	l := &DayNightLogic{Dark: 40, Bright: 80, MinDwell: 30 * time.Second}
	now := t0
	if n, ch := l.Decide(now, 100); n || !ch {
		t.Fatal("first decision in bright light must be day")
	}
	if _, ch := l.Decide(now.Add(time.Minute), 60); ch {
		t.Fatal("switched inside the hysteresis band")
	}
	if n, ch := l.Decide(now.Add(2*time.Minute), 30); !n || !ch {
		t.Fatal("no switch to night below dark")
	}
	sw := now.Add(2 * time.Minute)
	if _, ch := l.Decide(sw.Add(10*time.Second), 90); ch {
		t.Fatal("switched back inside the dwell time")
	}
	if _, ch := l.Decide(sw.Add(20*time.Second), 79); ch {
		t.Fatal("switched to day below bright")
	}
	if !l.NextAllowed().Equal(sw.Add(30 * time.Second)) {
		t.Fatal("NextAllowed wrong")
	}
	if n, ch := l.Decide(sw.Add(30*time.Second), 90); n || !ch {
		t.Fatal("no switch to day after the dwell")
	}
	// flapping input never switches faster than the dwell
	sw = sw.Add(30 * time.Second)
	switches := 0
	for i := 1; i <= 600; i++ {
		lv := 0.0
		if i%2 == 0 {
			lv = 255
		}
		if _, ch := l.Decide(sw.Add(time.Duration(i)*time.Second), lv); ch {
			switches++
		}
	}
	if switches > 600/30 {
		t.Fatalf("%d switches in 600 s with a 30 s dwell", switches)
	}
	if !l.Force(sw, true) && !l.Night() {
		t.Fatal("Force")
	}
}

func TestButtonLogic(t *testing.T) {
	b := &ButtonLogic{Hold: 10 * time.Second}
	b.Change(t0, true)
	if b.Check(t0.Add(3 * time.Second)) {
		t.Fatal("3 s counted as a hold")
	}
	b.Change(t0.Add(3*time.Second), false)
	if _, ok := b.Deadline(); ok || b.Check(t0.Add(20*time.Second)) {
		t.Fatal("released button still armed")
	}
	b.Change(t0.Add(30*time.Second), true)
	if d, ok := b.Deadline(); !ok || !d.Equal(t0.Add(40*time.Second)) {
		t.Fatal("deadline")
	}
	if !b.Check(t0.Add(40*time.Second)) || b.Check(t0.Add(50*time.Second)) {
		t.Fatal("hold must fire exactly once per press")
	}
}

// events collects values from callbacks.
type events[T any] struct {
	mu sync.Mutex
	v  []T
}

func (e *events[T]) add(x T) { e.mu.Lock(); e.v = append(e.v, x); e.mu.Unlock() }
func (e *events[T]) get() []T {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]T(nil), e.v...)
}

func TestTamperDebounced(t *testing.T) {
	clk := clock.NewFake(t0)
	in := NewFakeInput()
	var ev events[TamperEvent]
	tm := NewTamper(in, 20*ms, clk, ev.add)
	run(t, tm.Run)
	waitFor(t, "started", func() bool { return in.Reads() > 0 })
	in.Drive(true)
	waitFor(t, "debounce timer", func() bool { return clk.Waiters() == 1 })
	in.Drive(false) // bounce back before the period
	waitFor(t, "disarmed", func() bool { return clk.Waiters() == 0 })
	in.Drive(true)
	waitFor(t, "debounce timer", func() bool { return clk.Waiters() == 1 })
	clk.Advance(10 * ms)
	if len(ev.get()) != 0 {
		t.Fatal("event before the debounce period")
	}
	clk.Advance(10 * ms)
	waitFor(t, "open event", func() bool { return len(ev.get()) == 1 })
	in.Drive(false)
	waitFor(t, "debounce timer", func() bool { return clk.Waiters() == 1 })
	clk.Advance(20 * ms)
	waitFor(t, "close event", func() bool { return len(ev.get()) == 2 })
	got := ev.get()
	if !got[0].Open || got[1].Open {
		t.Fatalf("events %+v, want open then close", got)
	}
}

func TestResetButton(t *testing.T) {
	clk := clock.NewFake(t0)
	in := NewFakeInput()
	var confirmed, reset events[time.Time]
	rb := NewResetButton(in, 0, 10*time.Second, clk, func() { confirmed.add(clk.Now()) }, 2*time.Second, func() { reset.add(clk.Now()) })
	run(t, rb.Run)
	waitFor(t, "started", func() bool { return in.Reads() > 0 })
	// a 3 s press does nothing
	in.Drive(true)
	waitFor(t, "hold timer", func() bool { return clk.Waiters() == 1 })
	clk.Advance(3 * time.Second)
	in.Drive(false)
	waitFor(t, "disarmed", func() bool { return clk.Waiters() == 0 })
	clk.Advance(time.Minute)
	if len(confirmed.get())+len(reset.get()) != 0 {
		t.Fatal("a short press did something")
	}
	// a 10 s hold confirms, then resets 2 s later
	in.Drive(true)
	waitFor(t, "hold timer", func() bool { return clk.Waiters() == 1 })
	clk.Advance(9999 * ms)
	if len(confirmed.get()) != 0 {
		t.Fatal("confirmed early")
	}
	clk.Advance(1 * ms)
	waitFor(t, "confirm", func() bool { return len(confirmed.get()) == 1 })
	waitFor(t, "reset timer", func() bool { return clk.Waiters() == 1 })
	clk.Advance(2 * time.Second)
	waitFor(t, "reset", func() bool { return len(reset.get()) == 1 })
	if d := reset.get()[0].Sub(confirmed.get()[0]); d != 2*time.Second {
		t.Fatalf("reset %v after the confirmation, want 2s", d)
	}
}

func dayNightCfg() DayNightConfig {
	c := Config{DayNight: DayNightConfig{MinDwell: 30 * time.Second, PulseWidth: 100 * ms}}.WithDefaults()
	return c.DayNight
}

func TestDayNightPulsedOrder(t *testing.T) {
	clk := clock.NewFake(t0)
	var mu sync.Mutex
	var log []string
	rec := func(name string) *recOutput { return &recOutput{name: name, mu: &mu, log: &log, clk: clk} }
	day, night, ill := rec("day"), rec("night"), rec("ir")
	dn, err := NewDayNight(dayNightCfg(), DayNightLines{IRCutDay: day, IRCutNight: night, Illuminator: ill}, clk)
	if err != nil {
		t.Fatal(err)
	}
	get := func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(log, " ") }
	stop := run(t, dn.Run)
	defer stop()
	// no luma yet: day, with a pulse to put the filter in a known place
	waitFor(t, "day pulse", func() bool { return strings.Contains(get(), "day=1@0s") })
	waitFor(t, "pulse timer", func() bool { return clk.Waiters() == 1 })
	clk.Advance(100 * ms)
	waitFor(t, "initial day", func() bool { return dn.Status().State == "day" })
	mu.Lock()
	log = nil
	mu.Unlock()
	dn.SetLuma(10)
	waitFor(t, "night pulse", func() bool { return strings.Contains(get(), "night=1@100ms") })
	waitFor(t, "pulse timer", func() bool { return clk.Waiters() == 1 })
	clk.Advance(100 * ms)
	waitFor(t, "night", func() bool { return dn.Status().State == "night" })
	if got := get(); got != "night=1@100ms night=0@200ms ir=1@200ms" {
		t.Fatalf("to night: %s", got)
	}
	mu.Lock()
	log = nil
	mu.Unlock()
	dn.SetLuma(200) // inside the dwell: waits until 30 s after the switch
	waitFor(t, "dwell timer", func() bool { return clk.Waiters() == 1 })
	if get() != "" {
		t.Fatalf("switched inside the dwell: %s", get())
	}
	clk.Advance(30 * time.Second)
	waitFor(t, "day pulse", func() bool { return strings.Contains(get(), "day=1") })
	waitFor(t, "pulse timer", func() bool { return clk.Waiters() == 1 })
	clk.Advance(100 * ms)
	waitFor(t, "day", func() bool { return dn.Status().State == "day" })
	if got := get(); got != "ir=0@30.2s day=1@30.2s day=0@30.3s" {
		t.Fatalf("to day: %s", got)
	}
	// override ON ignores the light and the dwell
	if err := dn.SetMode(ModeNight); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "night pulse", func() bool { return strings.Contains(get(), "night=1@30.3s") })
	waitFor(t, "pulse timer", func() bool { return clk.Waiters() == 1 })
	clk.Advance(100 * ms)
	waitFor(t, "forced night", func() bool { s := dn.Status(); return s.State == "night" && s.Mode == ModeNight })
}

func TestDayNightSensorLevelLine(t *testing.T) {
	clk := clock.NewFake(t0)
	cfg := dayNightCfg()
	cfg.Source = SourceSensor
	cfg.MinDwell = 0
	cfg.LightSensor = &LineRef{Chip: "c", Line: "LIGHT"}
	cut, ill := &FakeOutput{changes: make(chan bool, 64)}, &FakeOutput{changes: make(chan bool, 64)}
	sens := NewFakeInput()
	dn, err := NewDayNight(cfg, DayNightLines{IRCut: cut, Illuminator: ill, LightSensor: sens}, clk)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, dn.Run)
	defer stop()
	waitFor(t, "day", func() bool { return dn.Status().State == "day" })
	sens.Drive(true) // dark
	waitFor(t, "night", func() bool { return dn.Status().State == "night" })
	if !cut.Value() || !ill.Value() {
		t.Fatal("night: filter not out or illuminator off")
	}
	sens.Drive(false)
	waitFor(t, "day", func() bool { return dn.Status().State == "day" })
	if cut.Value() || ill.Value() {
		t.Fatal("day: filter out or illuminator on")
	}
}

// recOutput logs "name=v@elapsed".
type recOutput struct {
	name string
	mu   *sync.Mutex
	log  *[]string
	clk  clock.Clock
}

func (r *recOutput) Set(v bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.log = append(*r.log, r.name+"="+map[bool]string{true: "1", false: "0"}[v]+"@"+r.clk.Now().Sub(t0).String())
	return nil
}
func (r *recOutput) Close() error { return nil }

func TestWatchdogFeedsOnlyWhileHealthy(t *testing.T) {
	clk := clock.NewFake(t0)
	dev := NewFakeWatchdog()
	dev.Boot = WDIOFCardReset
	w, err := NewWatchdog(WatchdogConfig{Enabled: true, Timeout: 15 * time.Second, Grace: 10 * time.Second}, dev, clk)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Status().WatchdogReset || dev.Timeout != 15 {
		t.Fatalf("status %+v timeout %d", w.Status(), dev.Timeout)
	}
	stop := run(t, w.Run)
	<-dev.Pinged()
	for i := 0; i < 3; i++ { // frames keep coming: pings every 5 s
		w.Frame()
		clk.Advance(5 * time.Second)
		<-dev.Pinged()
	}
	clk.Advance(5 * time.Second) // 10 s since the last frame: the grace itself, still fed
	<-dev.Pinged()
	clk.Advance(5 * time.Second) // 15 s: feeding stops
	waitFor(t, "not feeding", func() bool { return !w.Status().Feeding })
	clk.Advance(time.Minute)
	select {
	case <-dev.Pinged():
		t.Fatal("pinged without frames")
	default:
	}
	stop()
	if !dev.Closed || dev.Magic {
		t.Fatal("normal stop must close without the magic close")
	}
}

//go:build linux

package device

// Tests against a real kernel's gpio-sim chip, run in the VM bench by
// test/vm/gpio.sh (guest/gpio.sh makes the chip and sets
// CAMAGENT_GPIOSIM_CHIP). Inputs are driven from "outside" through gpio-sim's
// sysfs pull attributes; outputs are read back through its value attributes.
// They use the real clock: this is the hardware path end to end.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"camagent/internal/clock"
)

const simLabel = "camagent-io"

// the lines guest/gpio.sh names, by offset
var simLines = map[string]int{"LED": 0, "IR_CUT_DAY": 1, "IR_CUT_NIGHT": 2, "IR_LED": 3, "LIGHT": 4, "TAMPER": 5, "RESET": 6}

func simChip(t *testing.T) string {
	chip := os.Getenv("CAMAGENT_GPIOSIM_CHIP")
	if chip == "" {
		t.Skip("needs a gpio-sim chip (test/vm/gpio.sh)")
	}
	return chip
}

func simAttr(t *testing.T, chip, line, attr string) string {
	t.Helper()
	m, _ := filepath.Glob(fmt.Sprintf("/sys/devices/platform/gpio-sim.*/%s/sim_gpio%d/%s", chip, simLines[line], attr))
	if len(m) != 1 {
		t.Fatalf("gpio-sim attribute %s of %s: found %v", attr, line, m)
	}
	return m[0]
}

func simPull(t *testing.T, chip, line string, up bool) {
	t.Helper()
	v := "pull-down"
	if up {
		v = "pull-up"
	}
	if err := os.WriteFile(simAttr(t, chip, line, "pull"), []byte(v), 0); err != nil {
		t.Fatal(err)
	}
}

func simValue(t *testing.T, path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return false
	}
	return strings.TrimSpace(string(b)) == "1"
}

func ref(line string) LineRef { return LineRef{Chip: simLabel, Line: line} }

func newSimGPIO(t *testing.T) *GPIO {
	simChip(t)
	g, err := NewGPIO("camagent-test")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSimBadLines(t *testing.T) {
	g := newSimGPIO(t)
	_, err := g.Output(ref("NO_SUCH_LINE"), false)
	if err == nil || !strings.Contains(err.Error(), simLabel) || !strings.Contains(err.Error(), "NO_SUCH_LINE") {
		t.Fatalf("missing line: %v", err)
	}
	t.Log("missing line:", err)
	_, err = g.Output(LineRef{Chip: "no-such-chip", Line: "LED"}, false)
	if err == nil || !strings.Contains(err.Error(), "no-such-chip") {
		t.Fatalf("missing chip: %v", err)
	}
	t.Log("missing chip:", err)
	o, err := g.Output(ref("LED"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	_, err = g.Output(ref("0"), false) // the same line by offset
	if err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("line used twice: %v", err)
	}
	t.Log("used twice:", err)
	g2, _ := NewGPIO("other") // another requester: the kernel says busy
	_, err = g2.Output(ref("LED"), false)
	if err == nil || !strings.Contains(err.Error(), "busy") {
		t.Fatalf("busy line: %v", err)
	}
	t.Log("busy:", err)
}

func TestSimTamper(t *testing.T) {
	g := newSimGPIO(t)
	chip := simChip(t)
	simPull(t, chip, "TAMPER", false)
	in, err := g.Input(LineRef{Chip: simLabel, Line: "TAMPER", Debounce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	evs := make(chan TamperEvent, 8)
	tm := NewTamper(in, 20*time.Millisecond, clock.Real{}, func(e TamperEvent) { evs <- e })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- tm.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(100 * time.Millisecond)
	for _, open := range []bool{true, false, true, false} {
		simPull(t, chip, "TAMPER", open)
		select {
		case e := <-evs:
			if e.Open != open {
				t.Fatalf("event open=%v, want %v", e.Open, open)
			}
			t.Logf("tamper open=%v", e.Open)
		case <-time.After(5 * time.Second):
			t.Fatalf("no tamper event for open=%v", open)
		}
	}
}

func TestSimResetButton(t *testing.T) {
	g := newSimGPIO(t)
	chip := simChip(t)
	simPull(t, chip, "RESET", false)
	in, err := g.Input(ref("RESET"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var mu sync.Mutex
	var confirmed, reset time.Time
	rb := NewResetButton(in, 20*time.Millisecond, 10*time.Second, clock.Real{},
		func() { mu.Lock(); confirmed = time.Now(); mu.Unlock() }, 500*time.Millisecond,
		func() { mu.Lock(); reset = time.Now(); mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rb.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(100 * time.Millisecond)
	get := func() (time.Time, time.Time) { mu.Lock(); defer mu.Unlock(); return confirmed, reset }

	simPull(t, chip, "RESET", true) // 3 s press: nothing
	time.Sleep(3 * time.Second)
	simPull(t, chip, "RESET", false)
	time.Sleep(1 * time.Second)
	if c, r := get(); !c.IsZero() || !r.IsZero() {
		t.Fatal("a 3 s press triggered the reset")
	}
	pressed := time.Now()
	simPull(t, chip, "RESET", true) // 10 s hold
	for time.Since(pressed) < 13*time.Second {
		if _, r := get(); !r.IsZero() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	simPull(t, chip, "RESET", false)
	c, r := get()
	if c.IsZero() || r.IsZero() {
		t.Fatal("a 10 s hold did not reset")
	}
	if h := c.Sub(pressed); h < 10*time.Second || h > 11*time.Second {
		t.Fatalf("confirmed %v after the press, want 10 s", h)
	}
	if r.Before(c) {
		t.Fatal("reset before the LED confirmation")
	}
	t.Logf("held: confirmed after %v, reset %v later", c.Sub(pressed).Round(time.Millisecond), r.Sub(c).Round(time.Millisecond))
}

// transition is an output change seen by sampling.
type transition struct {
	line  string
	v     bool
	at    time.Duration // first seen
	prev  time.Duration // the sampling round before: not yet seen
	round int
}

func (x transition) String() string {
	return fmt.Sprintf("%s=%d", x.line, map[bool]int{false: 0, true: 1}[x.v])
}

// inOrder reports whether the sampled transitions can be in the order want:
// changes whose sampling windows overlap may have happened in any order.
func inOrder(tr []transition, want []string) bool {
	left := append([]transition(nil), tr...)
	for _, w := range want {
		if len(left) == 0 {
			return false
		}
		found := -1
		for i, x := range left {
			// x may have happened before left[0] when their windows
			// (prev, at] overlap: the sampler reads the lines one after
			// the other, so two changes between a line's reads can show
			// up in either order (same round, or a round apart under TCG).
			if x.prev >= left[0].at {
				break
			}
			if x.String() == w {
				found = i
				break
			}
		}
		if found < 0 {
			return false
		}
		left = append(left[:found], left[found+1:]...)
	}
	return len(left) == 0
}

// sample polls the value attributes of lines until stop.
func sample(t *testing.T, chip string, lines []string, every time.Duration, stop <-chan struct{}) <-chan []transition {
	out := make(chan []transition, 1)
	paths := map[string]string{}
	last := map[string]bool{}
	for _, l := range lines {
		paths[l] = simAttr(t, chip, l, "value")
		last[l] = simValue(t, paths[l])
	}
	start := time.Now()
	go func() {
		var tr []transition
		var prev time.Duration
		for r := 0; ; r++ {
			round := time.Since(start)
			for _, l := range lines {
				if v := simValue(t, paths[l]); v != last[l] {
					last[l] = v
					tr = append(tr, transition{l, v, time.Since(start), prev, r})
				}
			}
			prev = round
			select {
			case <-stop:
				out <- tr
				return
			case <-time.After(every):
			}
		}
	}()
	return out
}

func TestSimDayNight(t *testing.T) {
	g := newSimGPIO(t)
	chip := simChip(t)
	simPull(t, chip, "LIGHT", false) // bright
	var lines DayNightLines
	var err error
	open := func(name string) Output {
		o, err := g.Output(ref(name), false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { o.Close() })
		return o
	}
	lines.IRCutDay, lines.IRCutNight, lines.Illuminator = open("IR_CUT_DAY"), open("IR_CUT_NIGHT"), open("IR_LED")
	if lines.LightSensor, err = g.Input(ref("LIGHT")); err != nil {
		t.Fatal(err)
	}
	defer lines.LightSensor.Close()
	const pulse = 200 * time.Millisecond
	cfg := Config{DayNight: DayNightConfig{LightSensor: &LineRef{Chip: simLabel, Line: "LIGHT", Debounce: 20 * time.Millisecond},
		PulseWidth: pulse, MinDwell: time.Second}}.WithDefaults().DayNight
	dn, err := NewDayNight(cfg, lines, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	stopS := make(chan struct{})
	res := sample(t, chip, []string{"IR_CUT_DAY", "IR_CUT_NIGHT", "IR_LED"}, 5*time.Millisecond, stopS)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- dn.Run(ctx) }()
	waitState := func(want string) {
		t.Helper()
		for i := 0; i < 100 && dn.Status().State != want; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if s := dn.Status(); s.State != want {
			t.Fatalf("state %+v, want %s", s, want)
		}
	}
	waitState("day")
	time.Sleep(1200 * time.Millisecond) // past the dwell of the start-up switch
	simPull(t, chip, "LIGHT", true)     // dark
	waitState("night")
	time.Sleep(1200 * time.Millisecond)
	simPull(t, chip, "LIGHT", false)
	waitState("day")
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done
	close(stopS)
	tr := <-res
	var seq []string
	for _, x := range tr {
		seq = append(seq, x.String())
		t.Logf("%8v %s=%v", x.at.Round(time.Millisecond), x.line, x.v)
	}
	want := "IR_CUT_DAY=1 IR_CUT_DAY=0 IR_CUT_NIGHT=1 IR_CUT_NIGHT=0 IR_LED=1 IR_LED=0 IR_CUT_DAY=1 IR_CUT_DAY=0"
	if !inOrder(tr, strings.Fields(want)) {
		t.Fatalf("transitions:\n got %s\nwant %s", strings.Join(seq, " "), want)
	}
	for i := 0; i < len(tr); i++ {
		if tr[i].v && strings.HasPrefix(tr[i].line, "IR_CUT") {
			// the pulse lies between these bounds (sampling uncertainty)
			j := i + 1
			for tr[j].line != tr[i].line {
				j++
			}
			lo, hi := tr[j].prev-tr[i].at, tr[j].at-tr[i].prev
			t.Logf("%s pulse between %v and %v, want %v", tr[i].line, lo.Round(time.Millisecond), hi.Round(time.Millisecond), pulse)
			if hi < pulse || lo > pulse+150*time.Millisecond {
				t.Errorf("%s pulse between %v and %v, want %v", tr[i].line, lo, hi, pulse)
			}
		}
	}
}

// matchState returns the state whose pattern best explains the samples
// (value at time since the pattern started, any phase), and the share of
// samples it explains.
func matchState(samples []bool, times []time.Duration) (State, float64) {
	best, bestScore := StateOff, -1.0
	for s := StateStarting; s <= StateOff; s++ {
		p := Patterns[s]
		for ph := time.Duration(0); ph < max(p.Period(), time.Millisecond); ph += 10 * time.Millisecond {
			ok := 0
			for i, v := range samples {
				if on, _ := p.At(times[i] + ph); on == v {
					ok++
				}
			}
			if sc := float64(ok) / float64(len(samples)); sc > bestScore {
				best, bestScore = s, sc
			}
		}
	}
	return best, bestScore
}

func TestSimLEDPattern(t *testing.T) {
	g := newSimGPIO(t)
	chip := simChip(t)
	out, err := g.Output(ref("LED"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	led := NewLED(out, clock.Real{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- led.Run(ctx) }()
	defer func() { cancel(); <-done }()
	path := simAttr(t, chip, "LED", "value")
	for _, s := range []State{StateCameraLost, StateNoNetwork, StateDegraded, StateOK} {
		led.SetState(s)
		time.Sleep(100 * time.Millisecond)
		var vs []bool
		var ts []time.Duration
		start := time.Now()
		for time.Since(start) < 4*time.Second {
			vs = append(vs, simValue(t, path))
			ts = append(ts, time.Since(start))
			time.Sleep(10 * time.Millisecond)
		}
		got, score := matchState(vs, ts)
		t.Logf("set %v: %d samples match %v (%.0f%%)", s, len(vs), got, score*100)
		if got != s || score < 0.85 {
			t.Errorf("LED set to %v looks like %v (%.0f%%)", s, got, score*100)
		}
	}
}

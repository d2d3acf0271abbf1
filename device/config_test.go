package device

import (
	"context"
	"strings"
	"testing"
	"time"

	"camagent/internal/clock"
)

func goodConfig() Config {
	return Config{
		StatusLED:   &LineRef{Chip: "camagent-io", Line: "LED"},
		Tamper:      &LineRef{Chip: "camagent-io", Line: "TAMPER", Debounce: 20 * time.Millisecond, Bias: BiasPullUp},
		ResetButton: &LineRef{Chip: "camagent-io", Line: "RESET", ActiveLow: true},
		DayNight: DayNightConfig{
			LightSensor: &LineRef{Chip: "camagent-io", Line: "LIGHT"},
			IRCutDay:    &LineRef{Chip: "camagent-io", Line: "IR_CUT_DAY"},
			IRCutNight:  &LineRef{Chip: "camagent-io", Line: "IR_CUT_NIGHT"},
			Illuminator: &LineRef{Chip: "/dev/gpiochip0", Line: "3"},
		},
		Watchdog: WatchdogConfig{Enabled: true},
	}
}

func TestValidateGood(t *testing.T) {
	if err := goodConfig().WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Fatalf("empty config (no GPIO features): %v", err)
	}
}

// TestValidateReportsEveryProblem: a line used twice, an inverted (negative)
// pulse width and more, all in one error, each with its path.
func TestValidateReportsEveryProblem(t *testing.T) {
	c := goodConfig()
	c.Tamper.Line = "IR_CUT_DAY"                              // used twice
	c.DayNight.Illuminator.Chip = "gpiochip0"                 // fine: same chip as /dev/gpiochip0 ...
	c.StatusLED = &LineRef{Chip: "/dev/gpiochip0", Line: "3"} // ... so this is used twice too
	c.DayNight.PulseWidth = -100 * time.Millisecond           // inverted
	c.DayNight.IRCut = &LineRef{Chip: "camagent-io", Line: "CUT"}
	c.DayNight.LumaDark, c.DayNight.LumaBright = 90, 50
	c.ResetButton.Bias = "up"
	c.Watchdog.Timeout = 1500 * time.Millisecond
	err := c.WithDefaults().Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"day_night.ir_cut_day: line camagent-io:IR_CUT_DAY is also used by tamper",
		"day_night.illuminator: line gpiochip0:3 is also used by status_led",
		"day_night.pulse_width: -100ms is outside",
		"day_night.ir_cut: set either ir_cut",
		"luma_dark (90) must be below luma_bright (50)",
		`reset_button.bias: "up" is not one of`,
		"watchdog.timeout: 1.5s must be whole seconds",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestValidateLineRefs(t *testing.T) {
	c := Config{StatusLED: &LineRef{Line: "LED"}, Tamper: &LineRef{Chip: "x"},
		DayNight: DayNightConfig{IRCutDay: &LineRef{Chip: "x", Line: "1"}}}
	err := c.WithDefaults().Validate()
	for _, want := range []string{"status_led.chip: missing", "tamper.line: missing", "needs both ir_cut_day and ir_cut_night"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	c = Config{StatusLED: &LineRef{Chip: "x", Line: "1", Debounce: time.Millisecond}}
	if err := c.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), "inputs only") {
		t.Errorf("debounce on an output: %v", err)
	}
}

func TestOpenBoardMissingLine(t *testing.T) {
	op := NewFakeOpener()
	op.Missing["camagent-io:TAMPER"] = true
	_, err := OpenBoard(goodConfig(), op, clock.NewFake(t0), Hooks{Tamper: func(TamperEvent) {}})
	if err == nil || !strings.Contains(err.Error(), `tamper: GPIO chip "camagent-io" line "TAMPER": no such line`) {
		t.Fatalf("got %v", err)
	}
	for k, o := range op.Out {
		if !o.closed {
			t.Errorf("%s left requested after the failure", k)
		}
	}
}

func TestOpenBoardNoGPIO(t *testing.T) {
	b, err := OpenBoard(goodConfig(), nil, clock.NewFake(t0), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if b.LED != nil || b.DayNight != nil || b.Tamper != nil || b.Reset != nil {
		t.Fatal("features on without GPIO")
	}
	if err := b.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenBoardRuns(t *testing.T) {
	op := NewFakeOpener()
	clk := clock.NewFake(t0)
	b, err := OpenBoard(goodConfig(), op, clk, Hooks{Tamper: func(TamperEvent) {}, FactoryReset: func() {}})
	if err != nil {
		t.Fatal(err)
	}
	if b.LED == nil || b.DayNight == nil || b.Tamper == nil || b.Reset == nil {
		t.Fatal("a feature is missing")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	for k, o := range op.Out {
		if !o.closed {
			t.Errorf("%s not released", k)
		}
	}
}

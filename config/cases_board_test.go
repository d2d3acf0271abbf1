package config

import "testing"

func TestBoardValidation(t *testing.T) {
	// A line used twice, by two functions, under two spellings of its chip.
	c := mustParse(t, "board:\n  status_led:\n    chip: gpiochip0\n    line: \"17\"\n  tamper:\n    chip: /dev/gpiochip0\n    line: \"17\"\n")
	checkProblems(t, c.Validate(), []want{{"board.tamper", 5, "also used by status_led"}})
	// An inverted (negative) and an oversized pulse width, a luma pair the wrong way round.
	c = mustParse(t, "board:\n  day_night:\n    pulse_width: -100ms\n")
	checkProblems(t, c.Validate(), []want{{"board.day_night.pulse_width", 3, "outside (0, 2s]"}})
	c = mustParse(t, "board:\n  day_night:\n    luma_dark: 90.5\n    luma_bright: 80\n")
	checkProblems(t, c.Validate(), []want{{"board.day_night", 2, "must be below luma_bright"}})
	c = mustParse(t, "board:\n  day_night:\n    ir_cut_day:\n      chip: gpiochip0\n      line: \"5\"\n")
	checkProblems(t, c.Validate(), []want{{"board.day_night", 2, "needs both ir_cut_day and ir_cut_night"}})
	c = mustParse(t, "board:\n  status_led:\n    line: \"3\"\n    debounce: 10ms\n")
	checkProblems(t, c.Validate(), []want{
		{"board.status_led.chip", 2, "missing"},
		{"board.status_led", 2, "inputs only"},
	})
	c = mustParse(t, "board:\n  watchdog:\n    enabled: true\n    timeout: 1500ms\n")
	checkProblems(t, c.Validate(), []want{{"board.watchdog.timeout", 4, "whole seconds"}})
	_, err := Parse([]byte("board:\n  day_night:\n    luma_dark: dark\n"), "t.yaml")
	checkProblems(t, err, []want{{"board.day_night.luma_dark", 3, "expected a number"}})
	// Defaults: every feature off, valid.
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	if d := Default().Board; d.Watchdog.Enabled || d.StatusLED != nil || d.DayNight.Source != "auto" || d.ResetHold.Seconds() != 10 {
		t.Errorf("board defaults: %+v", d)
	}
}

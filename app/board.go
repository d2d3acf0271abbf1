package app

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"camagent/device"
	"camagent/telemetry"
)

// boardState is what the board's inputs told us last; the board's
// goroutines write it, health and the LED loop read it.
type boardState struct {
	tamper atomic.Pointer[string] // "open" | "closed"; nil without a tamper switch
	reset  atomic.Bool            // a factory reset is under way
}

// buildBoard opens the configured GPIO lines and the hardware watchdog.
// A line that is missing or busy stops the start with an error naming it;
// a machine with no GPIO chip at all runs with the GPIO features off.
func (a *Agent) buildBoard() error {
	bc := a.cfg.Board.WithDefaults()
	log := a.opts.Log.With("component", "board")
	var op device.Opener
	if a.opts.GPIO != nil {
		op = a.opts.GPIO
	} else if bc.HasLines() {
		g, err := device.NewGPIO(bc.Consumer)
		switch {
		case errors.Is(err, device.ErrNoGPIO):
			log.Warn("board lines are configured but this machine has no GPIO chip: LED, day/night, tamper and reset button are off")
		case err != nil:
			return fmt.Errorf("board: %w", err)
		default:
			op = g
		}
	}
	b, err := device.OpenBoard(bc, op, a.opts.Clock, device.Hooks{Tamper: a.onTamper, FactoryReset: a.factoryReset})
	if err != nil {
		return fmt.Errorf("board: %w", err)
	}
	a.board = b
	if bc.Tamper.Set() && b.Tamper != nil {
		closed := "closed"
		a.boardSt.tamper.Store(&closed)
	}
	a.comps = append(a.comps, named{"board", b})
	if bc.Watchdog.Enabled {
		dev := a.opts.Watchdog
		if dev == nil {
			if dev, err = device.OpenWatchdog(bc.Watchdog.Path); err != nil {
				b.Close()
				return fmt.Errorf("board.watchdog: %w", err)
			}
		}
		wd, err := device.NewWatchdog(bc.Watchdog, dev, a.opts.Clock)
		if err != nil {
			b.Close()
			return fmt.Errorf("board.watchdog: %w", err)
		}
		st := wd.Status()
		log.Info("hardware watchdog armed", "path", bc.Watchdog.Path, "timeout", st.Timeout, "grace", bc.Watchdog.Grace,
			"last_boot_by_watchdog", st.WatchdogReset)
		a.watchdog = wd
		a.comps = append(a.comps, named{"watchdog", wd})
	}
	return nil
}

// onTamper runs on the board's goroutine for each debounced open and close.
func (a *Agent) onTamper(e device.TamperEvent) {
	state := "closed"
	if e.Open {
		state = "open"
	}
	a.boardSt.tamper.Store(&state)
	a.opts.Log.Warn("tamper switch", "state", state)
	if a.telemetry != nil {
		a.telemetry.Event(telemetry.EventTamper, map[string]any{"state": state})
	}
	if a.onvif != nil {
		a.onvif.SetDigitalInput(tamperInput, e.Open)
	}
}

// tamperInput is the ONVIF DigitalInput token of the tamper switch.
const tamperInput = "tamper"

// factoryReset runs after the reset button was held and the LED showed
// the confirmation: the device's own configuration and credentials go, so
// the next start is unprovisioned; then the device reboots (or the agent
// stops, and its supervisor starts it again).
func (a *Agent) factoryReset() {
	log := a.opts.Log
	a.boardSt.reset.Store(true)
	log.Warn("FACTORY RESET from the reset button: wiping the configuration and credentials")
	a.wipeAtExit.Store(true)
	if err := a.wipe(); err != nil {
		log.Error("factory reset incomplete", "err", err)
	}
	if a.telemetry != nil {
		a.telemetry.Event(telemetry.EventRebootRequested, map[string]any{"reason": "factory reset"})
	}
	if a.opts.Reboot != nil {
		if err := a.opts.Reboot("factory reset"); err == nil {
			return
		}
	}
	if stop := a.stop.Load(); stop != nil {
		(*stop)()
	}
}

// wipe removes the device's configuration and credentials (resetPaths),
// logging each; the first failure is returned after trying them all.
func (a *Agent) wipe() error {
	var first error
	for _, p := range a.resetPaths() {
		if err := os.RemoveAll(p); err != nil {
			a.opts.Log.Error("factory reset: cannot remove", "path", p, "err", err)
			first = cmp.Or(first, err)
		} else {
			a.opts.Log.Warn("factory reset: removed", "path", p)
		}
	}
	return first
}

// resetPaths are the files a factory reset removes: the configuration
// (users, broker password), the MQTT queue, and TLS credentials kept
// beside the configuration. Files elsewhere (shipped in the read-only
// image) are left alone.
func (a *Agent) resetPaths() []string {
	var out []string
	if a.opts.ConfigPath == "" || a.opts.Unprovisioned {
		return out
	}
	out = append(out, a.opts.ConfigPath)
	dir := filepath.Dir(a.opts.ConfigPath)
	inside := func(p string) bool {
		rel, err := filepath.Rel(dir, p)
		return p != "" && err == nil && filepath.IsLocal(rel)
	}
	m := a.cfg.MQTT
	for _, p := range []string{m.StoreDir, m.TLS.CertFile, m.TLS.KeyFile} {
		if inside(p) {
			out = append(out, p)
		}
	}
	return out
}

// boardHealth is the board section of health.
func (a *Agent) boardHealth() telemetry.Board {
	h := telemetry.Board{Provisioned: !a.opts.Unprovisioned, Tamper: a.boardSt.tamper.Load()}
	if a.board == nil {
		return h
	}
	if a.board.LED != nil {
		s := a.board.LED.State().String()
		h.LED = &s
	}
	if dn := a.board.DayNight; dn != nil {
		st := dn.Status()
		d := &telemetry.DayNight{Mode: st.Mode, State: st.State, Since: st.Since.UTC()}
		if a.luma != nil {
			if v, ok := a.luma.Value(); ok {
				d.Luma = &v
			}
		}
		h.DayNight = d
	}
	if a.watchdog != nil {
		st := a.watchdog.Status()
		h.Watchdog = &telemetry.WatchdogInfo{TimeoutS: int(st.Timeout.Seconds()), Feeding: st.Feeding, WatchdogReset: st.WatchdogReset}
	}
	return h
}

// DayNight overrides the IR-cut filter (MQTT daynight, ONVIF IrCutFilter).
func (a *Agent) DayNight(mode string) error {
	if a.board == nil || a.board.DayNight == nil {
		return errors.New("this board has no IR-cut filter or illuminator configured (board.day_night)")
	}
	return a.board.DayNight.SetMode(mode)
}

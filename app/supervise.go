package app

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"camagent/device"
)

// cameraOKAge: no encoded picture for this long means the camera (or the
// encoder) is down as far as the LED and systemd's watchdog are concerned.
const cameraOKAge = 5 * time.Second

// supervisor is the agent's one-second heartbeat: it feeds the hardware
// watchdog while pictures come out of the encoder, shows the agent's
// health on the status LED and tells systemd (when it started us) that we
// are ready and alive. It owns no goroutine besides Run's.
type supervisor struct {
	a        *Agent
	log      *slog.Logger
	lastPub  uint64
	lastAt   time.Time
	dropped  uint64
	encErrs  uint64
	notified bool
	sdEvery  time.Duration // systemd WatchdogSec/2; 0 without systemd's watchdog
	sdLast   time.Time
}

func newSupervisor(a *Agent) *supervisor {
	s := &supervisor{a: a, log: a.opts.Log.With("component", "supervisor")}
	if d, err := daemon.SdWatchdogEnabled(false); err == nil && d > 0 {
		s.sdEvery = d / 2
	}
	return s
}

func (s *supervisor) Run(ctx context.Context) error {
	clk := s.a.opts.Clock
	t := clk.NewTicker(time.Second)
	defer t.Stop()
	s.lastAt = clk.Now()
	for {
		s.tick(clk.Now())
		select {
		case <-ctx.Done():
			s.notify("STOPPING=1")
			if led := s.led(); led != nil {
				led.SetState(device.StateOff)
			}
			return nil
		case <-t.C():
		}
	}
}

func (s *supervisor) led() *device.LED {
	if s.a.board == nil {
		return nil
	}
	return s.a.board.LED
}

func (s *supervisor) tick(now time.Time) {
	a := s.a
	st := a.Stats()
	flowing := st.Hub.Published != s.lastPub
	if flowing {
		s.lastPub, s.lastAt = st.Hub.Published, now
		if a.watchdog != nil {
			a.watchdog.Frame()
		}
	}
	cameraOK := now.Sub(s.lastAt) < cameraOKAge
	started := false
	select {
	case <-a.started:
		started = true
	default:
	}
	degraded := st.Source.Dropped > s.dropped
	s.dropped = st.Source.Dropped
	if st.Encoder != nil {
		degraded = degraded || st.Encoder.Errors > s.encErrs
		s.encErrs = st.Encoder.Errors
	}
	if led := s.led(); led != nil {
		led.SetHealth(device.Health{
			Starting:     !started,
			Provisioned:  !a.opts.Unprovisioned,
			CameraOK:     cameraOK,
			NetworkOK:    a.opts.NetworkUp == nil || a.opts.NetworkUp(),
			BrokerOK:     a.telemetry == nil || a.telemetry.IsConnected(),
			Degraded:     degraded,
			FactoryReset: a.boardSt.reset.Load(),
		})
	}
	if started && !s.notified {
		s.notified = true
		s.notify("READY=1")
	}
	// systemd's watchdog restarts the agent when the pipeline is stuck;
	// the hardware watchdog above resets the board when the agent is.
	if s.sdEvery > 0 && s.notified && cameraOK && now.Sub(s.sdLast) >= s.sdEvery {
		s.sdLast = now
		s.notify("WATCHDOG=1")
	}
}

func (s *supervisor) notify(state string) {
	if sent, err := daemon.SdNotify(false, state); err != nil {
		s.log.Warn("sd_notify failed", "state", state, "err", err)
	} else if sent && state == "READY=1" {
		s.log.Info("told systemd we are ready")
	}
}

// networkUp reports whether any interface other than loopback is up with
// an address: the LED's "no network" state.
func networkUp() bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		if addrs, err := i.Addrs(); err == nil && len(addrs) > 0 {
			return true
		}
	}
	return false
}

package app

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"camagent/auth"
	"camagent/config"
	"camagent/onvif"
)

// onvifAdmin applies ONVIF device management to the agent: every change
// is written to the configuration file first (atomically, validated like
// any other), then applied — the name and location at once, the rest by
// starting the pipeline again with the saved file a second later, the
// same reload MQTT config-set uses. Without a configuration file (the
// development setup) nothing can persist, and the operations fail.
type onvifAdmin struct {
	a      *Agent
	mu     sync.Mutex     // one change at a time (the server serialises too)
	latest *config.Config // what the file holds after our last change; nil: a.cfg
}

// persist applies edit to a copy of the running configuration, validates
// and saves it, and makes it the running one.
func (m *onvifAdmin) persist(edit func(*config.Config) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.a
	if a.opts.ConfigPath == "" {
		return errors.New("the agent runs without a configuration file (-config), so the change cannot be kept")
	}
	// a.cfg stays as the pipeline was built (other goroutines read it);
	// changes build on the last saved one, so two in a row both stick.
	cur := m.latest
	if cur == nil {
		cur = a.cfg
	}
	next := *cur
	next.Users = append([]config.User(nil), cur.Users...)
	if err := edit(&next); err != nil {
		return err
	}
	if err := next.Validate(); err != nil {
		return fmt.Errorf("the changed configuration is invalid: %w", err)
	}
	if err := config.Save(a.opts.ConfigPath, &next); err != nil {
		return err
	}
	m.latest = &next
	return nil
}

func (m *onvifAdmin) SetUsers(accts []auth.Account) error {
	err := m.persist(func(c *config.Config) error {
		c.Users = c.Users[:0]
		for _, u := range accts {
			c.Users = append(c.Users, config.User{Name: u.Name, Password: config.Secret(u.Password), Role: u.Role.String()})
		}
		return nil
	})
	if err == nil {
		m.a.reloadSoon() // RTSP's Digest accounts come from the saved file
	}
	return err
}

func (m *onvifAdmin) SetScopes(name, location string) error {
	err := m.persist(func(c *config.Config) error {
		c.Device.Name, c.ONVIF.Location = name, location
		return nil
	})
	if err == nil && m.a.discovery != nil {
		m.a.discovery.SetScopes(name, location)
	}
	return err
}

func (m *onvifAdmin) SetDiscoverable(on bool) error {
	err := m.persist(func(c *config.Config) error {
		c.ONVIF.Discovery = &on
		return nil
	})
	if err == nil {
		m.a.reloadSoon()
	}
	return err
}

func (m *onvifAdmin) SetVideoEncoder(v onvif.Video) error {
	err := m.persist(func(c *config.Config) error {
		switch m.a.describeSource() {
		case "file":
			return errors.New("the file source is passed through: its size and rate cannot change")
		case "testpattern":
			c.Source.TestPattern.Width, c.Source.TestPattern.Height, c.Source.TestPattern.FPS = v.Width, v.Height, v.FPS
		default:
			c.Source.V4L2.Width, c.Source.V4L2.Height, c.Source.V4L2.FPS = v.Width, v.Height, v.FPS
		}
		c.Encoder.BitrateKbps, c.Encoder.GOP = v.BitrateKbps, v.GOP
		return nil
	})
	if err == nil {
		m.a.reloadSoon()
	}
	return err
}

func (m *onvifAdmin) SetSystemTime(utc time.Time) error {
	ts := unix.NsecToTimespec(utc.UnixNano())
	if err := unix.ClockSettime(unix.CLOCK_REALTIME, &ts); err != nil {
		return fmt.Errorf("setting the system clock: %w", err)
	}
	m.a.opts.Log.Warn("system clock set by ONVIF SetSystemDateAndTime", "utc", utc.UTC().Format(time.RFC3339))
	return nil
}

func (m *onvifAdmin) Reboot() error {
	a := m.a
	if a.opts.Reboot == nil {
		return errors.New("reboot is not available: the agent was started without -allow-reboot")
	}
	t := a.opts.Clock.NewTimer(onvif.RebootDelay)
	go func() {
		<-t.C()
		if err := a.opts.Reboot("ONVIF SystemReboot"); err != nil {
			a.opts.Log.Error("reboot failed", "err", err)
		}
	}()
	return nil
}

// FactoryDefault wipes what the reset button wipes; the agent then starts
// again unprovisioned (hard, with a reboot hook: the device reboots).
func (m *onvifAdmin) FactoryDefault(hard bool) error {
	a := m.a
	if a.opts.ConfigPath == "" || a.opts.Unprovisioned {
		return errors.New("there is no device configuration to reset")
	}
	a.opts.Log.Warn("FACTORY DEFAULT requested over ONVIF", "hard", hard)
	a.wipeAtExit.Store(true)
	if err := a.wipe(); err != nil {
		return err
	}
	if hard && a.opts.Reboot != nil {
		return m.Reboot()
	}
	a.reloadSoon()
	return nil
}

// describeSource is the source the pipeline runs: "file", "testpattern"
// or "v4l2" (auto resolves to one of the last two).
func (a *Agent) describeSource() string {
	switch a.cfg.Source.Type {
	case "file", "testpattern", "v4l2":
		return a.cfg.Source.Type
	}
	if a.controls != nil { // only a V4L2 camera has them
		return "v4l2"
	}
	return "testpattern"
}

// videoOptions are the encoder settings ONVIF clients may choose from: the
// common sizes up to what the source gives now (a camera grants the
// closest mode it has), one to its frame rate (or 30), and the bitrate
// and GOP ranges of the configuration.
func (a *Agent) videoOptions() onvif.VideoOptions {
	o := onvif.VideoOptions{FPSMin: 1, FPSMax: 30, BitrateMinKbps: 64, BitrateMaxKbps: 50000, GOPMin: 1, GOPMax: 600}
	if a.video.FPS > o.FPSMax {
		o.FPSMax = a.video.FPS
	}
	for _, s := range []onvif.Size{{Width: 320, Height: 240}, {Width: 640, Height: 360}, {Width: 640, Height: 480},
		{Width: 1280, Height: 720}, {Width: 1920, Height: 1080}} {
		if a.describeSource() == "testpattern" || (s.Width <= a.video.Width && s.Height <= a.video.Height) {
			o.Resolutions = append(o.Resolutions, s)
		}
	}
	cur := onvif.Size{Width: a.video.Width, Height: a.video.Height}
	found := false
	for _, s := range o.Resolutions {
		found = found || s == cur
	}
	if !found {
		o.Resolutions = append(o.Resolutions, cur)
	}
	return o
}

package app

import (
	"errors"
	"fmt"

	"camagent/capture"
	"camagent/config"
	"camagent/telemetry"
)

// buildTelemetry adds the MQTT component when the configuration enables it.
func (a *Agent) buildTelemetry() error {
	cfg := a.cfg
	if !cfg.MQTT.MQTTEnabled() {
		return nil
	}
	id := a.id
	if id == "" {
		return errors.New("mqtt: device.id is empty and neither the board (device-tree serial, MAC) nor the host name gives a valid one; set device.id")
	}
	hash := redactedHash(cfg)
	t, err := telemetry.New(telemetry.Options{
		Config:     cfg.MQTT,
		DeviceID:   id,
		Version:    a.opts.Version,
		ConfigHash: func() string { return hash },
		Stats:      a.pipelineStats,
		Actions:    agentActions{a},
		Clock:      a.opts.Clock,
		Disks:      disks(cfg),
		Log:        a.opts.Log.With("component", "mqtt"),
	})
	if err != nil {
		return err
	}
	a.telemetry = t
	a.comps = append(a.comps, named{"mqtt", t})
	return nil
}

func disks(cfg *config.Config) []string {
	d := []string{"/"}
	if cfg.MQTT.StoreDir != "" {
		d = append(d, cfg.MQTT.StoreDir)
	}
	return d
}

// Telemetry is the MQTT component, nil when disabled.
func (a *Agent) Telemetry() *telemetry.Telemetry { return a.telemetry }

// redacted returns a copy of cfg without secrets, for hashes and config-get.
func redacted(cfg *config.Config) *config.Config {
	c := *cfg
	c.Users = append([]config.User(nil), cfg.Users...)
	for i := range c.Users {
		c.Users[i].Password = ""
	}
	c.MQTT.Password = ""
	return &c
}

// redactedHash identifies the configuration in health reports. It hashes
// a copy without passwords: config.Hash covers them, and a published hash
// of a password-bearing file lets anyone test password guesses offline.
func redactedHash(cfg *config.Config) string { return redacted(cfg).Hash() }

func (a *Agent) pipelineStats() telemetry.Pipeline {
	st := a.Stats()
	cfg := a.cfg
	p := telemetry.Pipeline{
		Camera: telemetry.Camera{
			Device:         cfg.Source.Type,
			Mode:           fmt.Sprintf("%dx%d %s", st.Source.Width, st.Source.Height, st.Source.Format),
			ConfiguredFPS:  cfg.Source.SourceFPS(),
			FramesCaptured: st.Source.Frames,
			FramesDropped:  st.Source.Dropped,
		},
		RTSP: telemetry.RTSP{
			Readers: st.RTSP.Readers, Sessions: st.RTSP.Sessions,
			AuthFailures: st.RTSP.AuthFailures, PacketsDropped: st.RTSP.PacketsDropped,
		},
	}
	p.Camera.Up = true // the test pattern and the file cannot go away
	if cfg.Source.Type == "file" {
		p.Camera.Device = "file:" + cfg.Source.File.Path
	}
	if v, ok := a.source.(interface{ V4L2Stats() capture.V4L2Stats }); ok {
		vs := v.V4L2Stats()
		p.Camera.Device, p.Camera.Reconnects, p.Camera.Up, p.Camera.CameraFormat = vs.Device, vs.Reconnects, vs.Up, vs.CameraFormat
		p.Camera.FramesLent = vs.Lent
	}
	if e := st.Encoder; e != nil {
		reason := ""
		if r := a.encoderReason.Load(); r != nil {
			reason = *r
		}
		p.Encoder = &telemetry.Encoder{Backend: e.Backend, Reason: reason, Keyframes: e.IDRs, Forced: e.ForcedIDRs, Errors: e.Errors, QueueDrops: e.QueueDropped, Restarts: e.Restarts}
		p.EncodedBytes = e.Bytes
	}
	p.Board = a.boardHealth()
	if a.onvif != nil {
		o := a.onvif.Stats()
		p.ONVIF = &telemetry.ONVIF{Requests: o.Requests, Faults: o.Faults, AuthFailures: o.AuthFailures, Busy: o.Busy}
	}
	return p
}

// agentActions lets MQTT commands act on the agent.
type agentActions struct{ a *Agent }

func (x agentActions) Keyframe() {
	if x.a.stage != nil {
		x.a.stage.RequestKeyframe()
	}
}

func (x agentActions) RebootAvailable() error {
	if x.a.opts.Reboot == nil {
		return errors.New("reboot is not available: the agent was started without a reboot hook")
	}
	return nil
}

func (x agentActions) Reboot(reason string) error {
	if err := x.RebootAvailable(); err != nil {
		return err
	}
	return x.a.opts.Reboot(reason)
}

func (x agentActions) DayNight(mode string) error { return x.a.DayNight(mode) }

func (x agentActions) ConfigGet() ([]byte, error) { return config.Marshal(redacted(x.a.cfg)) }

// ConfigSet validates a whole file, saves it atomically and applies it:
// Run returns ErrReload a moment later (after the reply is out) and the
// main starts the agent again with the saved file. Secrets left blank ("" as config-get returns them) keep
// their running values, so a get-edit-set round trip does not wipe them.
func (x agentActions) ConfigSet(data []byte) ([]string, error) {
	if x.a.opts.ConfigPath == "" {
		return nil, errors.New("the agent runs without a configuration file (-config), so there is nowhere to persist one")
	}
	cfg, err := config.Parse(data, "config-set")
	if err == nil {
		keepSecrets(cfg, x.a.cfg)
		err = cfg.Validate()
	}
	if err != nil {
		var ve *config.ValidationError
		if errors.As(err, &ve) {
			out := make([]string, 0, len(ve.Problems))
			for _, p := range ve.Problems {
				out = append(out, p.String())
			}
			return out, nil
		}
		return []string{err.Error()}, nil
	}
	if err := config.Save(x.a.opts.ConfigPath, cfg); err != nil {
		return nil, err
	}
	x.a.reloadSoon()
	return nil, nil
}

func keepSecrets(next, running *config.Config) {
	if next.MQTT.Password == "" && next.MQTT.Username == running.MQTT.Username {
		next.MQTT.Password = running.MQTT.Password
	}
	for i, u := range next.Users {
		if u.Password != "" {
			continue
		}
		for _, r := range running.Users {
			if r.Name == u.Name {
				next.Users[i].Password = r.Password
			}
		}
	}
}

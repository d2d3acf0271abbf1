package app

import (
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"

	"camagent/auth"
	"camagent/onvif"
	"camagent/telemetry"
)

// buildONVIF adds the ONVIF HTTP server when the configuration enables it.
// It shares the RTSP server's accounts and HTTP Digest verifier, so the same
// users and nonces work for both.
func (a *Agent) buildONVIF(accts []auth.Account, digest onvif.HTTPDigest, video onvif.Video) error {
	cfg := a.cfg
	if !cfg.ONVIF.ONVIFEnabled() {
		return nil
	}
	_, p, err := net.SplitHostPort(cfg.RTSP.Listen)
	if err != nil {
		return fmt.Errorf("onvif: rtsp.listen: %w", err)
	}
	rtspPort, err := strconv.Atoi(p)
	if err != nil {
		return fmt.Errorf("onvif: rtsp.listen port: %w", err)
	}
	serial := a.id
	model, dtSerial := telemetry.BoardIdentity()
	if dtSerial != "" {
		serial = dtSerial
	}
	hardware := "camagent-" + runtime.GOOS + "-" + runtime.GOARCH
	if model != "" {
		hardware = model
	}
	var inputs []string
	if cfg.Board.Tamper.Set() {
		inputs = append(inputs, tamperInput)
	}
	var keys onvif.KeyframeRequester
	if a.stage != nil {
		keys = a.stage
	}
	var snaps onvif.SnapshotSource // no raw frames (file passthrough): no snapshots
	if a.snap != nil {
		snaps = a.snap
	}
	dev := onvif.DeviceInfo{
		Manufacturer: "camagent", Model: "camagent", FirmwareVersion: a.opts.Version,
		SerialNumber: serial, HardwareID: hardware, Name: cfg.Device.Name,
		Location: cfg.ONVIF.Location,
	}
	s, err := onvif.New(onvif.Config{
		Listen:        cfg.ONVIF.Listen,
		RTSPPort:      rtspPort,
		RTSPPath:      cfg.RTSP.Path,
		Device:        dev,
		Video:         video,
		Accounts:      accts,
		Digest:        digest,
		Keyframes:     keys,
		Snapshots:     snaps,
		DigitalInputs: inputs,
		Imaging:       a.imagingBackend(),
		Admin:         &onvifAdmin{a: a},
		Sub:           a.onvifSub(),
		VideoOptions:  a.videoOptions(),
		Discoverable:  discoverable(cfg.ONVIF.DiscoveryEnabled(), cfg.ONVIF.Listen),
		Clock:         a.opts.Clock,
		Log:           a.opts.Log.With("component", "onvif"),
	})
	if err != nil {
		return err
	}
	a.onvif = s
	a.comps = append(a.comps, named{"onvif", s})
	if a.motion != nil {
		a.comps = append(a.comps, named{"signal-watch", signalWatch{clk: a.opts.Clock, m: a.motion,
			publish: func(lost bool) { a.publishEvent(onvif.TopicSignalLoss, lost) }}})
	}
	if err := a.buildDiscovery(dev, serial); err != nil {
		return fmt.Errorf("onvif: discovery: %w", err)
	}
	return nil
}

// onvifSub is the sub stream's media profile; nil without a sub stream.
func (a *Agent) onvifSub() *onvif.SubStream {
	if a.sub == nil {
		return nil
	}
	s := a.cfg.Encoder.SubStream
	return &onvif.SubStream{Path: a.cfg.RTSP.SubPath, Keyframes: a.sub.stage,
		Video: onvif.Video{Width: a.sub.w, Height: a.sub.h, FPS: a.video.FPS, BitrateKbps: s.BitrateKbps, GOP: a.video.GOP, Profile: a.video.Profile}}
}

// imagingBackend serves ONVIF Imaging when there is something to set:
// the camera's controls or the board's IR-cut filter.
func (a *Agent) imagingBackend() onvif.Imaging {
	irCut := a.cfg.Board.DayNight.Switches()
	if a.controls == nil && !irCut {
		return nil
	}
	return &imaging{ctl: a.controls, a: a, irCut: irCut}
}

// onvifProfile maps an H.264 profile name to the ONVIF Media1 enumeration.
func onvifProfile(name string) string {
	switch {
	case strings.Contains(name, "High"):
		return "High"
	case strings.Contains(name, "Main"):
		return "Main"
	case strings.Contains(name, "Extended"):
		return "Extended"
	}
	return "Baseline"
}

// ONVIFAddr is the bound ONVIF address once Ready is closed; nil when disabled.
func (a *Agent) ONVIFAddr() net.Addr {
	if a.onvif == nil {
		return nil
	}
	return a.onvif.Addr()
}

// onvifURLs lists the device-service URLs for the banner, like streamURLs.
func onvifURLs(listen string, port int) []string {
	var out []string
	for _, u := range streamURLs(listen, onvif.DevicePath, port, "", "") {
		pu, err := url.Parse(u)
		if err != nil {
			continue
		}
		pu.Scheme = "http"
		out = append(out, pu.String())
	}
	return out
}

// publishEvent raises an ONVIF event when the ONVIF server exists. a.onvif
// is set in New, before any goroutine runs.
func (a *Agent) publishEvent(topic string, state bool) {
	if a.onvif != nil {
		a.onvif.PublishEvent(topic, state)
	}
	// The city controller sees motion too, as QoS 1 events with a sequence
	// number; camera loss reaches it through telemetry's own frame watch.
	if a.telemetry != nil && topic == onvif.TopicMotionAlarm {
		typ := telemetry.EventMotionStop
		if state {
			typ = telemetry.EventMotionStart
		}
		a.telemetry.Event(typ, nil)
	}
}

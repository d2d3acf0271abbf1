package telemetry

import (
	"encoding/json"
	"fmt"
	"time"
)

// sampler turns counters into rates and notices stalls and bursts. Only
// the telemetry goroutine uses it.
type sampler struct {
	started       bool
	at            time.Time
	frames        uint64 // at the last rate update
	bytes         uint64
	seenFrames    uint64 // at the last observation
	lastFrameAt   time.Time
	fps, kbps     float64
	cameraLost    bool
	authAt        time.Time
	authBase      uint64
	prevDropped   uint64
	dropGrowing   bool
	prevEncErr    uint64
	encErrGrowth  bool
	prevRestarts  uint64
	onvifAuthBase uint64
}

func onvifAuth(p Pipeline) uint64 {
	if p.ONVIF == nil {
		return 0
	}
	return p.ONVIF.AuthFailures
}

type sampledEvent struct {
	typ  string
	data any
}

// observe records one snapshot; rates update once at least a second passed.
func (s *sampler) observe(p Pipeline, now time.Time) []sampledEvent {
	var evs []sampledEvent
	if !s.started {
		*s = sampler{started: true, at: now, frames: p.Camera.FramesCaptured, seenFrames: p.Camera.FramesCaptured, bytes: p.EncodedBytes,
			lastFrameAt: now, authAt: now, authBase: p.RTSP.AuthFailures, onvifAuthBase: onvifAuth(p), prevDropped: p.Camera.FramesDropped}
		if p.Encoder != nil {
			s.prevEncErr, s.prevRestarts = p.Encoder.Errors, p.Encoder.Restarts
		}
		return nil
	}
	if p.Encoder != nil && p.Encoder.Restarts > s.prevRestarts {
		evs = append(evs, sampledEvent{EventEncoderRestarted, map[string]any{"backend": p.Encoder.Backend, "reason": p.Encoder.Reason, "restarts": p.Encoder.Restarts}})
		s.prevRestarts = p.Encoder.Restarts
	}
	// Compared with the previous observation, not the previous rate update:
	// a health poll between two samples must not make a stall look a
	// second younger.
	if p.Camera.FramesCaptured != s.seenFrames {
		s.seenFrames = p.Camera.FramesCaptured
		s.lastFrameAt = now
		if s.cameraLost {
			s.cameraLost = false
			evs = append(evs, sampledEvent{EventCameraRestored, map[string]any{"device": p.Camera.Device}})
		}
	} else if !s.cameraLost && now.Sub(s.lastFrameAt) >= cameraLostAge {
		s.cameraLost = true
		evs = append(evs, sampledEvent{EventCameraLost, map[string]any{"device": p.Camera.Device, "last_frame_age_s": now.Sub(s.lastFrameAt).Seconds()}})
	}
	if dt := now.Sub(s.at); dt >= time.Second {
		s.fps = float64(p.Camera.FramesCaptured-s.frames) / dt.Seconds()
		s.kbps = float64(p.EncodedBytes-s.bytes) * 8 / 1000 / dt.Seconds()
		s.dropGrowing = p.Camera.FramesDropped > s.prevDropped
		s.prevDropped = p.Camera.FramesDropped
		if p.Encoder != nil {
			s.encErrGrowth = p.Encoder.Errors > s.prevEncErr
			s.prevEncErr = p.Encoder.Errors
		}
		s.at, s.frames, s.bytes = now, p.Camera.FramesCaptured, p.EncodedBytes
	}
	if now.Sub(s.authAt) >= authWindow {
		if n := p.RTSP.AuthFailures - s.authBase; n >= authBurst {
			evs = append(evs, sampledEvent{EventAuthFailureBurst, map[string]any{"service": "rtsp", "failures": n, "window_s": now.Sub(s.authAt).Seconds()}})
		}
		if n := onvifAuth(p) - s.onvifAuthBase; n >= authBurst {
			evs = append(evs, sampledEvent{EventAuthFailureBurst, map[string]any{"service": "onvif", "failures": n, "window_s": now.Sub(s.authAt).Seconds()}})
		}
		s.authAt, s.authBase, s.onvifAuthBase = now, p.RTSP.AuthFailures, onvifAuth(p)
	}
	return evs
}

// health builds a fresh document.
func (t *Telemetry) health() Health {
	now := t.clk.Now()
	p := t.opts.Stats()
	for _, e := range t.samp.observe(p, now) {
		t.Event(e.typ, e.data)
	}
	s := &t.samp
	h := Health{
		Schema: SchemaHealth, Device: t.topics.Device, Time: now.UTC(), Firmware: t.opts.Version,
		BootTime: t.boot, UptimeS: now.Sub(t.boot).Seconds(), Reasons: []string{},
		System: t.opts.Host.System(t.opts.Disks), Network: t.opts.Host.Network(),
		Camera: p.Camera, RTSP: p.RTSP, ONVIF: p.ONVIF, TimeSync: t.opts.Host.TimeSync(), ConfigHash: t.opts.ConfigHash(),
		Board: p.Board,
	}
	if h.Network == nil {
		h.Network = []NetIf{}
	}
	if h.System.Disks == nil {
		h.System.Disks = []Disk{}
	}
	h.Camera.MeasuredFPS = round2(s.fps)
	h.Camera.LastFrameAgeS = round2(now.Sub(s.lastFrameAt).Seconds())
	if p.Encoder != nil {
		e := *p.Encoder
		e.BitrateKbps = round2(s.kbps)
		h.Encoder = &e
	}
	h.MQTT = MQTTStats{
		Connected: t.connected.Load(), Reconnects: t.reconnects.Load(),
		QueueDepth: len(t.events), QueueCapacity: cap(t.events), QueueDropped: t.evDropped.Load(),
		CmdDropped: t.cmdDropped.Load(),
	}
	if t.store != nil {
		h.MQTT.StoreDepth = int(t.store.depth.Load())
		h.MQTT.StoreDropped = t.store.dropped.Load()
	}
	h.Verdict, h.Reasons = verdict(h, s)
	return h
}

// verdict: failed when no picture flows; degraded for anything that
// needs a look but still delivers video.
func verdict(h Health, s *sampler) (string, []string) {
	var failed, degraded []string
	if s.cameraLost || h.Camera.LastFrameAgeS >= cameraLostAge.Seconds() {
		failed = append(failed, fmt.Sprintf("camera: no frame for %.1f s", h.Camera.LastFrameAgeS))
	}
	if h.Encoder != nil && s.encErrGrowth {
		degraded = append(degraded, fmt.Sprintf("encoder: errors rising (%d total)", h.Encoder.Errors))
	}
	if cfg := float64(h.Camera.ConfiguredFPS); cfg > 0 && h.UptimeS >= 2 && !s.cameraLost && h.Camera.MeasuredFPS < 0.8*cfg {
		degraded = append(degraded, fmt.Sprintf("camera: %.1f fps measured, %d configured", h.Camera.MeasuredFPS, h.Camera.ConfiguredFPS))
	}
	if s.dropGrowing {
		degraded = append(degraded, "camera: frames dropped in the last second")
	}
	if h.System.MemTotalBytes > 0 && float64(h.System.MemAvailableBytes) < 0.05*float64(h.System.MemTotalBytes) {
		degraded = append(degraded, "memory: less than 5% available")
	}
	for _, d := range h.System.Disks {
		if d.TotalBytes > 0 && float64(d.FreeBytes) < 0.05*float64(d.TotalBytes) {
			degraded = append(degraded, fmt.Sprintf("disk %s: less than 5%% free", d.Path))
		}
	}
	if h.System.CPUTempC != nil && *h.System.CPUTempC >= 80 {
		degraded = append(degraded, fmt.Sprintf("cpu: %.0f °C", *h.System.CPUTempC))
	}
	if !h.TimeSync.Synchronized {
		degraded = append(degraded, "time: clock not synchronised")
	}
	if !h.Board.Provisioned {
		degraded = append(degraded, "device: unprovisioned (running the image's default configuration)")
	}
	if h.Board.Tamper != nil && *h.Board.Tamper == "open" {
		degraded = append(degraded, "tamper: enclosure open")
	}
	if w := h.Board.Watchdog; w != nil && w.WatchdogReset {
		degraded = append(degraded, "watchdog: the last boot was a watchdog reset")
	}
	if th := h.System.Throttled; th != nil && (th.UnderVoltage || th.Throttled) {
		degraded = append(degraded, fmt.Sprintf("power: under-voltage %v, throttled %v (firmware flags 0x%x)", th.UnderVoltage, th.Throttled, th.Raw))
	}
	if h.MQTT.QueueDropped > 0 || h.MQTT.StoreDropped > 0 {
		degraded = append(degraded, fmt.Sprintf("mqtt: %d events dropped at the queue, %d at the store bound", h.MQTT.QueueDropped, h.MQTT.StoreDropped))
	}
	reasons := append(failed, degraded...)
	if reasons == nil {
		reasons = []string{}
	}
	switch {
	case len(failed) > 0:
		return "failed", reasons
	case len(degraded) > 0:
		return "degraded", reasons
	}
	return "ok", reasons
}

func (t *Telemetry) healthJSON() []byte {
	b, err := json.Marshal(t.health())
	if err != nil {
		t.log.Error("health not encodable", "err", err)
	}
	return b
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

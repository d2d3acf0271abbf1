package telemetry

import (
	"testing"
	"time"
)

// The sampler turns counters into events: an encoder reopened after a
// failure is reported once per restart, with its backend and reason.
func TestSamplerEncoderRestarted(t *testing.T) {
	var s sampler
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := Pipeline{Camera: Camera{FramesCaptured: 1}, Encoder: &Encoder{Backend: "v4l2-m2m", Reason: "hardware found"}}
	if evs := s.observe(p, now); len(evs) != 0 {
		t.Fatalf("first observation: %v", evs)
	}
	p.Camera.FramesCaptured = 2
	if evs := s.observe(p, now.Add(100*time.Millisecond)); len(evs) != 0 {
		t.Fatalf("no restart: %v", evs)
	}
	p.Camera.FramesCaptured, p.Encoder.Restarts = 3, 1
	evs := s.observe(p, now.Add(200*time.Millisecond))
	if len(evs) != 1 || evs[0].typ != EventEncoderRestarted {
		t.Fatalf("after a restart: %v", evs)
	}
	if d := evs[0].data.(map[string]any); d["restarts"] != uint64(1) || d["backend"] != "v4l2-m2m" {
		t.Errorf("event data %v", d)
	}
	p.Camera.FramesCaptured = 4
	if evs := s.observe(p, now.Add(300*time.Millisecond)); len(evs) != 0 {
		t.Fatalf("the same restart reported twice: %v", evs)
	}
}

// Five refused ONVIF logins within the window are a burst of their own.
func TestSamplerONVIFAuthBurst(t *testing.T) {
	var s sampler
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := Pipeline{Camera: Camera{FramesCaptured: 1}, ONVIF: &ONVIF{AuthFailures: 2}}
	s.observe(p, now)
	p.Camera.FramesCaptured, p.ONVIF.AuthFailures = 2, 7
	evs := s.observe(p, now.Add(authWindow))
	if len(evs) != 1 || evs[0].typ != EventAuthFailureBurst || evs[0].data.(map[string]any)["service"] != "onvif" {
		t.Fatalf("events %v", evs)
	}
}

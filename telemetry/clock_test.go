package telemetry

import (
	"camagent/internal/testtool"

	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/config"
	"camagent/internal/clock"
)

// doneToken is a paho token that has already completed.
type doneToken struct{}

var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (doneToken) Wait() bool                     { return true }
func (doneToken) WaitTimeout(time.Duration) bool { return true }
func (doneToken) Done() <-chan struct{}          { return closedCh }
func (doneToken) Error() error                   { return nil }

type published struct {
	topic   string
	payload []byte
	at      time.Time
}

// fakeClient stands in for paho: always connected, every publish recorded
// with the fake time at which it happened.
type fakeClient struct {
	mqtt.Client // methods not overridden here are never called
	opts        *mqtt.ClientOptions
	clk         *clock.Fake
	pubs        chan published
}

func (f *fakeClient) Connect() mqtt.Token {
	if f.opts != nil && f.opts.OnConnect != nil {
		go f.opts.OnConnect(f)
	}
	return doneToken{}
}
func (f *fakeClient) IsConnected() bool      { return true }
func (f *fakeClient) IsConnectionOpen() bool { return true }
func (f *fakeClient) Disconnect(uint)        {}
func (f *fakeClient) Publish(topic string, _ byte, _ bool, payload any) mqtt.Token {
	f.pubs <- published{topic: topic, payload: payload.([]byte), at: f.clk.Now()}
	return doneToken{}
}
func (f *fakeClient) SubscribeMultiple(map[string]byte, mqtt.MessageHandler) mqtt.Token {
	return doneToken{}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testtool.WaitFor(t, 5*time.Second, what, cond)
}

func fakeClockTelemetry(t *testing.T, clk *clock.Fake, stats func() Pipeline) (*Telemetry, *fakeClient) {
	t.Helper()
	c := config.Default().MQTT
	c.Brokers = []string{"mqtt://127.0.0.1:1"} // never dialled: the client is fake
	c.HealthInterval = 5 * time.Second
	fa := &fakeAgent{}
	if stats == nil {
		stats = fa.stats
	}
	tel, err := New(Options{Config: c, DeviceID: "cam-fake", Version: "t", Stats: stats, Actions: fa, Clock: clk,
		Rand: rand.New(rand.NewPCG(1, 2)), Host: fixedHost{}})
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeClient{clk: clk, pubs: make(chan published, 1024)}
	tel.newClient = func(o *mqtt.ClientOptions) mqtt.Client { fc.opts = o; return fc }
	return tel, fc
}

// Fleet replies wait a random delay in [0, FleetJitter): none before the
// clock moved, all by FleetJitter, spread across the window, and at most
// maxFleetPending wait at once (more are dropped, not queued).
func TestFleetReplyJitterBounds(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	tel, fc := fakeClockTelemetry(t, clk, nil)
	tel.client = fc
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); tel.wg.Wait() }()

	for i := range maxFleetPending + 4 {
		tel.fleetReply(ctx, "camagent/v1/reply/x", Reply{ID: strings.Repeat("r", i+1)})
	}
	waitFor(t, "fleet timers to be armed", func() bool { return clk.Waiters() == maxFleetPending })
	// Fire in 50 ms steps; Advance removes fired timers synchronously.
	const step = 50 * time.Millisecond
	buckets := 0
	left := maxFleetPending
	for elapsed := time.Duration(0); elapsed < FleetJitter; elapsed += step {
		clk.Advance(step)
		if w := clk.Waiters(); w < left {
			buckets++
			left = w
		}
	}
	if left != 0 {
		t.Fatalf("%d fleet replies still waiting after %v", left, FleetJitter)
	}
	if buckets < 5 {
		t.Errorf("%d replies fell into only %d of %d windows of %v: not spread", maxFleetPending, buckets, int(FleetJitter/step), step)
	}
	for range maxFleetPending {
		select {
		case p := <-fc.pubs:
			if d := p.at.Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); d < 0 || d > FleetJitter {
				t.Errorf("reply at +%v", d)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("fired fleet reply not published")
		}
	}
	select {
	case p := <-fc.pubs:
		t.Fatalf("more than %d fleet replies: %s", maxFleetPending, p.payload)
	default:
	}
	if n := tel.fleetBusy.Load(); n != 0 {
		waitFor(t, "fleet slots to be released", func() bool { return tel.fleetBusy.Load() == 0 })
	}
	// The jitter itself stays in [0, max) for any max.
	for _, m := range []time.Duration{0, 1, time.Millisecond, FleetJitter} {
		for range 1000 {
			if j := tel.jitter(m); j < 0 || (m > 0 && j >= m) || (m == 0 && j != 0) {
				t.Fatalf("jitter(%v) = %v", m, j)
			}
		}
	}
}

// Health is published every health_interval of clock time, never early;
// its timestamps, uptime, rates and verdict follow the (fake) clock, and a
// camera that stops delivering frames becomes camera_lost after 3 s and a
// failed verdict.
func TestHealthTimingWithFakeClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	var frames atomic.Uint64
	var stalled atomic.Bool
	var calls atomic.Int64 // Stats calls: one per sample, one per health document
	stats := func() Pipeline {
		if !stalled.Load() {
			frames.Add(30) // 30 frames between samples one second apart
		}
		calls.Add(1)
		n := frames.Load()
		return Pipeline{Camera: Camera{Device: "testpattern", ConfiguredFPS: 30, FramesCaptured: n},
			Encoder: &Encoder{Backend: "fake"}, EncodedBytes: n * 1000, Board: Board{Provisioned: true}}
	}
	tel, fc := fakeClockTelemetry(t, clk, stats)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tel.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return")
		}
	}()
	select {
	case <-tel.Connected():
	case <-time.After(5 * time.Second):
		t.Fatal("not connected")
	}
	waitFor(t, "health and sample tickers", func() bool { return clk.Waiters() == 2 })
	waitFor(t, "the loop's first observation", func() bool { return calls.Load() == 1 })
	elapsed := 0

	next := func(topicSuffix string) published {
		t.Helper()
		for {
			select {
			case p := <-fc.pubs:
				if strings.HasSuffix(p.topic, topicSuffix) {
					return p
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("nothing published on *%s", topicSuffix)
			}
		}
	}
	// One second at a time, waiting until the loop took the sample (and
	// built the health document every 5 s), so every tick is handled at its
	// own instant.
	second := func() {
		t.Helper()
		clk.Advance(time.Second)
		elapsed++
		want := int64(1 + elapsed + elapsed/5)
		waitFor(t, "the sample", func() bool { return calls.Load() == want })
	}
	health := func(want time.Time) Health {
		t.Helper()
		p := next("/health")
		var h Health
		if err := json.Unmarshal(p.payload, &h); err != nil {
			t.Fatal(err)
		}
		if !p.at.Equal(want) || !h.Time.Equal(want) {
			t.Fatalf("health published at %v (time %v), want %v", p.at, h.Time, want)
		}
		return h
	}

	for range 5 {
		second()
	}
	h := health(t0.Add(5 * time.Second))
	if h.UptimeS != 5 || h.Camera.MeasuredFPS != 30 || h.Camera.LastFrameAgeS != 0 || h.Verdict != "ok" {
		t.Errorf("health at 5 s: uptime %v fps %v last frame %v verdict %s %v", h.UptimeS, h.Camera.MeasuredFPS, h.Camera.LastFrameAgeS, h.Verdict, h.Reasons)
	}

	stalled.Store(true)
	for range 3 {
		second()
	}
	ev := next("/event/" + EventCameraLost)
	if !ev.at.Equal(t0.Add(8 * time.Second)) {
		t.Errorf("camera_lost at %v, want 3 s after the last frame (%v)", ev.at, t0.Add(8*time.Second))
	}
	for range 2 {
		second()
	}
	h = health(t0.Add(10 * time.Second))
	if h.Verdict != "failed" || h.Camera.LastFrameAgeS != 5 || h.UptimeS != 10 {
		t.Errorf("health at 10 s: verdict %s %v, last frame %v s, uptime %v", h.Verdict, h.Reasons, h.Camera.LastFrameAgeS, h.UptimeS)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"camagent/config"
	"camagent/internal/testtool"
	"camagent/telemetry"
)

// device is a real telemetry component with counters that move and
// recorded actions, as app would wire it.
type device struct {
	frames    atomic.Uint64
	keyframes atomic.Int32
}

func (d *device) stats() telemetry.Pipeline {
	n := d.frames.Add(30)
	return telemetry.Pipeline{Camera: telemetry.Camera{Device: "testpattern", Mode: "320x240 I420", ConfiguredFPS: 30, FramesCaptured: n},
		Encoder: &telemetry.Encoder{Backend: "fake", Reason: "test"}, EncodedBytes: n * 1000, Board: telemetry.Board{Provisioned: true}}
}
func (d *device) Keyframe()                          { d.keyframes.Add(1) }
func (d *device) RebootAvailable() error             { return nil }
func (d *device) DayNight(string) error              { return nil }
func (d *device) Reboot(string) error                { return nil }
func (d *device) ConfigGet() ([]byte, error)         { return []byte("device:\n  name: x\n"), nil }
func (d *device) ConfigSet([]byte) ([]string, error) { return nil, nil }

func startDevice(t *testing.T, broker, id string) *device {
	t.Helper()
	c := config.Default().MQTT
	c.Brokers = []string{broker}
	c.Keepalive = 2 * time.Second
	c.ReconnectMin, c.ReconnectMax = 100*time.Millisecond, time.Second
	c.HealthInterval = time.Hour
	d := &device{}
	tel, err := telemetry.New(telemetry.Options{Config: c, DeviceID: id, Version: "test", Stats: d.stats, Actions: d,
		Log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tel.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("telemetry did not stop within 5 s")
		}
	})
	select {
	case <-tel.Connected():
	case <-time.After(10 * time.Second):
		t.Fatal("device did not connect within 10 s")
	}
	return d
}

// camctl runs the command line in-process and returns exit code and output.
func camctl(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// fleet starts a broker with two devices and a third that was seen once
// and is gone (its retained status says offline).
func fleet(t *testing.T) (string, *device, *device) {
	t.Helper()
	broker := testtool.StartMosquitto(t, "")
	a := startDevice(t, broker.URL(), "cam-a")
	b := startDevice(t, broker.URL(), "cam-b")
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker.URL()).SetClientID("ghost"))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	st, _ := json.Marshal(telemetry.Status{Schema: telemetry.SchemaStatus, Device: "cam-gone", State: "offline", Reason: "connection lost"})
	if tok := c.Publish(telemetry.Topics{Prefix: "camagent", Device: "cam-gone"}.Status(), 1, true, st); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	c.Disconnect(100)
	return broker.URL(), a, b
}

func TestPollOneDevice(t *testing.T) {
	broker, _, _ := fleet(t)
	code, out, errOut := camctl(t, "-broker", broker, "poll", "cam-a")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "DEVICE") || !strings.HasPrefix(lines[1], "cam-a ") ||
		!strings.Contains(lines[1], "/30") || !strings.HasPrefix(lines[2], "1 answered in ") {
		t.Errorf("output:\n%s", out)
	}
}

func TestPollFleetListsMissingDeviceAndFails(t *testing.T) {
	broker, _, _ := fleet(t)
	start := time.Now()
	code, out, errOut := camctl(t, "-broker", broker, "-timeout", "3s", "poll")
	if code != 3 {
		t.Fatalf("exit %d, want 3 (incomplete)\n%s%s", code, out, errOut)
	}
	// Every device known online answered, so the poll ended early.
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("fleet poll took %v; it should end once every online device answered", d)
	}
	for _, want := range []string{"\ncam-a ", "\ncam-b ", "2 answered in ", "no answer from 1: cam-gone"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "1 device(s) did not answer") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestPollJSONShape(t *testing.T) {
	broker, _, _ := fleet(t)
	code, out, errOut := camctl(t, "poll", "--json", "-broker", broker, "-timeout", "3s")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", code, out, errOut)
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("want exactly one JSON document on one line:\n%s", out)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for k := range doc {
		if k != "health" && k != "missing" && k != "elapsed_s" && k != "errors" {
			t.Errorf("unexpected key %q", k)
		}
	}
	var res struct {
		Health  map[string]json.RawMessage `json:"health"`
		Missing []string                   `json:"missing"`
		Elapsed *float64                   `json:"elapsed_s"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Elapsed == nil || *res.Elapsed <= 0 {
		t.Fatalf("res = %+v, %v", res, err)
	}
	if len(res.Health) != 2 || res.Health["cam-a"] == nil || res.Health["cam-b"] == nil {
		t.Errorf("health keys: %v", res.Health)
	}
	if len(res.Missing) != 1 || res.Missing[0] != "cam-gone" {
		t.Errorf("missing = %v", res.Missing)
	}
	schema, err := jsonschema.NewCompiler().Compile("../../docs/schemas/health.v1.json")
	if err != nil {
		t.Fatal(err)
	}
	for d, h := range res.Health {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(h))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(v); err != nil {
			t.Errorf("%s: health does not match its schema: %v", d, err)
		}
	}

	// All present: exit 0 and an empty (not null) missing list.
	code, out, errOut = camctl(t, "poll", "--json", "-broker", broker, "cam-a", "cam-b")
	if code != 0 || !strings.Contains(out, `"missing":[]`) {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestCmdKeyframe(t *testing.T) {
	broker, a, b := fleet(t)
	code, out, errOut := camctl(t, "-broker", broker, "cmd", "cam-a", "keyframe")
	if code != 0 || !strings.HasPrefix(out, "cam-a keyframe: ok") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if a.keyframes.Load() != 1 || b.keyframes.Load() != 0 {
		t.Errorf("keyframes: cam-a %d, cam-b %d; want 1, 0", a.keyframes.Load(), b.keyframes.Load())
	}
	code, out, _ = camctl(t, "-broker", broker, "--json", "cmd", "cam-b", "keyframe")
	var r telemetry.Reply
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || !r.OK || r.Device != "cam-b" || r.Cmd != "keyframe" {
		t.Errorf("exit %d, reply %s", code, out)
	}
}

func TestCmdWrongDevice(t *testing.T) {
	broker, a, b := fleet(t)
	code, out, errOut := camctl(t, "-broker", broker, "-timeout", "500ms", "cmd", "cam-nope", "keyframe")
	if code != 1 || !strings.Contains(errOut, "no reply from cam-nope within 500ms") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if a.keyframes.Load() != 0 || b.keyframes.Load() != 0 {
		t.Errorf("another device acted: cam-a %d, cam-b %d", a.keyframes.Load(), b.keyframes.Load())
	}
	// Usage errors exit 2 without touching the broker.
	for _, args := range [][]string{{"cmd", "cam-a"}, {"cmd", "cam-a", "selfdestruct"}, {"cmd", "cam-a", "keyframe", "extra"}, {"frobnicate"}} {
		if code, _, _ := camctl(t, append([]string{"-broker", broker}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/config"
)

// fakeAgent stands in for app: counters that move and recorded actions.
type fakeAgent struct {
	frames    atomic.Uint64
	keyframes atomic.Int32
	reboots   atomic.Int32
	mu        sync.Mutex
	saved     []string
	modes     []string
}

func (f *fakeAgent) stats() Pipeline {
	n := f.frames.Add(30)
	return Pipeline{
		Camera:       Camera{Device: "testpattern", Mode: "320x240 I420", ConfiguredFPS: 30, FramesCaptured: n},
		Encoder:      &Encoder{Backend: "fake", Reason: "test"},
		EncodedBytes: n * 1000,
		Board:        Board{Provisioned: true},
	}
}

func (f *fakeAgent) Keyframe()                  { f.keyframes.Add(1) }
func (f *fakeAgent) Reboot(string) error        { f.reboots.Add(1); return nil }
func (f *fakeAgent) RebootAvailable() error     { return nil }
func (f *fakeAgent) ConfigGet() ([]byte, error) { return []byte("device:\n  name: x\n"), nil }
func (f *fakeAgent) DayNight(mode string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if mode == "night" && len(f.modes) > 0 && f.modes[len(f.modes)-1] == "refuse" {
		return errors.New("no IR-cut filter on this board")
	}
	f.modes = append(f.modes, mode)
	return nil
}
func (f *fakeAgent) ConfigSet(y []byte) ([]string, error) {
	if strings.Contains(string(y), "bad") {
		return []string{"rtsp.max_readers: must be between 1 and 1024, got 0", "rtsp.write_queue: must be a power of two"}, nil
	}
	f.mu.Lock()
	f.saved = append(f.saved, string(y))
	f.mu.Unlock()
	return nil, nil
}

// fixedHost keeps health independent of the test machine.
type fixedHost struct{}

func (fixedHost) System([]string) System {
	return System{Load1: 0.5, MemTotalBytes: 1 << 30, MemAvailableBytes: 1 << 29, Disks: []Disk{{Path: "/", TotalBytes: 100, FreeBytes: 50}}}
}
func (fixedHost) Network() []NetIf {
	return []NetIf{{Name: "eth0", Up: true, Addresses: []string{"192.0.2.1/24"}}}
}
func (fixedHost) TimeSync() TimeSync { return TimeSync{Synchronized: true} }

func testMQTTConfig(broker string) config.MQTT {
	c := config.Default().MQTT
	c.Brokers = []string{broker}
	c.Keepalive = 2 * time.Second
	c.ReconnectMin = 100 * time.Millisecond
	c.ReconnectMax = time.Second
	c.HealthInterval = time.Hour // tests poll; the ticker stays out of the way
	c.MaxPayload = 4096
	return c
}

// startTelemetry runs a Telemetry until the test ends and waits for its
// first connection.
func startTelemetry(t *testing.T, device string, c config.MQTT) (*Telemetry, *fakeAgent) {
	t.Helper()
	fa := &fakeAgent{}
	tel, err := New(Options{Config: c, DeviceID: device, Version: "test-1", Stats: fa.stats, Actions: fa,
		Host: fixedHost{}, ConfigHash: func() string { return strings.Repeat("ab", 32) },
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
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5 s of cancellation")
		}
	})
	select {
	case <-tel.Connected():
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("telemetry did not connect within 10 s")
	}
	return tel, fa
}

// controller is a test-side MQTT client. Its handlers run in arrival order
// (OrderMatters) so tests can check the order messages came in.
type controller struct {
	t  *testing.T
	c  mqtt.Client
	id string
}

func newController(t *testing.T, broker, id string) *controller {
	t.Helper()
	o := mqtt.NewClientOptions().AddBroker(broker).SetClientID(id).SetOrderMatters(true).SetCleanSession(true)
	c := mqtt.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("controller connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return &controller{t: t, c: c, id: id}
}

// subscribe delivers matching messages on a buffered channel.
func (c *controller) subscribe(filter string, qos byte) <-chan mqtt.Message {
	c.t.Helper()
	ch := make(chan mqtt.Message, 4096)
	tok := c.c.Subscribe(filter, qos, func(_ mqtt.Client, m mqtt.Message) {
		select {
		case ch <- m:
		default:
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		c.t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
	return ch
}

func (c *controller) publish(topic string, payload []byte) {
	c.t.Helper()
	if tok := c.c.Publish(topic, 1, false, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		c.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

var corr atomic.Int64

// command sends cmd on topic and returns the reply from reply_to.
func (c *controller) command(topic string, cmd Command) Reply {
	c.t.Helper()
	if cmd.ID == "" {
		cmd.ID = fmt.Sprintf("c%d", corr.Add(1))
	}
	if cmd.ReplyTo == "" {
		cmd.ReplyTo = ReplyPrefix("camagent") + c.id + "/" + cmd.ID
	}
	ch := c.subscribe(cmd.ReplyTo, 1)
	b, _ := json.Marshal(cmd)
	c.publish(topic, b)
	return c.awaitReply(ch)
}

func (c *controller) awaitReply(ch <-chan mqtt.Message) Reply {
	c.t.Helper()
	select {
	case m := <-ch:
		var r Reply
		if err := json.Unmarshal(m.Payload(), &r); err != nil {
			c.t.Fatalf("reply not JSON: %v: %s", err, m.Payload())
		}
		return r
	case <-time.After(3 * time.Second):
		c.t.Fatal("no reply within 3 s")
	}
	return Reply{}
}

func hasCode(r Reply, code string) bool {
	for _, e := range r.Errors {
		if e.Code == code {
			return true
		}
	}
	return false
}

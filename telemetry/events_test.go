package telemetry

import (
	"encoding/json"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/internal/testtool"
)

// A burst of QoS 1 events while the broker restarts: every sequence number
// arrives (at least once, QoS 1), none is lost, and in order.
func TestEventsSurviveBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	broker := testtool.StartMosquitto(t, "allow_anonymous true\npersistence true\npersistence_location "+dir+"/\n")
	got := make(chan Event, 1024)
	o := mqtt.NewClientOptions().AddBroker(broker.URL()).SetClientID("ctl-events").SetCleanSession(false).
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetOrderMatters(true)
	o.SetOnConnectHandler(func(c mqtt.Client) {
		c.Subscribe(AllEvents("camagent"), 1, func(_ mqtt.Client, m mqtt.Message) {
			var e Event
			if json.Unmarshal(m.Payload(), &e) == nil {
				got <- e
			}
		})
	})
	sub := mqtt.NewClient(o)
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer sub.Disconnect(100)

	c := testMQTTConfig(broker.URL())
	c.StoreDir = t.TempDir()
	tel, _ := startTelemetry(t, "cam-ev", c)
	const n = 60
	emit := func(from, to int) {
		for i := from; i < to; i++ {
			tel.Event(EventConfigChanged, map[string]int{"i": i})
		}
		waitFor(t, "events handed to the client", func() bool { return tel.published.Load() == uint64(to) })
	}
	// 20 while connected, 20 while the broker is down (they go to the
	// store), 20 right after the reconnection, while paho resends the
	// stored ones: the gate must keep these behind.
	emit(0, 20)
	broker.StopGraceful()
	waitFor(t, "the agent to notice the outage", func() bool { return !tel.connected.Load() })
	emit(20, 40)
	broker.Start()
	waitFor(t, "the reconnection", func() bool { return tel.connected.Load() })
	emit(40, n)
	seen := map[uint64]bool{}
	var first []uint64 // first delivery of each seq, in arrival order
	deliveries := 0
	deadline := time.After(20 * time.Second)
	for len(seen) < n {
		select {
		case e := <-got:
			if e.Seq < 1 || e.Seq > n {
				t.Fatalf("unexpected seq %d", e.Seq)
			}
			deliveries++
			if !seen[e.Seq] {
				first = append(first, e.Seq)
			}
			seen[e.Seq] = true
		case <-deadline:
			t.Fatalf("only %d of %d events arrived within 20 s", len(seen), n)
		}
	}
	// Order: the agent holds new events back after a reconnection until
	// paho's resend of the stored ones has been acknowledged, so the first
	// copy of each event arrives in seq order (QoS 1 may repeat one that was
	// in flight when the broker died; a repeat is not an inversion).
	t.Logf("%d events, %d deliveries", n, deliveries)
	for i := 1; i < len(first); i++ {
		if first[i] < first[i-1] {
			t.Errorf("events first arrived out of order: %v", first)
			break
		}
	}
}

package telemetry

import (
	"encoding/json"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/internal/testtool"
)

// A burst of QoS 1 events while the broker restarts: every sequence number
// arrives (at least once, QoS 1); none is lost.
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
	for i := range n {
		if i == 20 {
			broker.StopGraceful()
		}
		if i == 40 {
			broker.Start()
		}
		tel.Event(EventConfigChanged, map[string]int{"i": i})
	}
	seen := map[uint64]bool{}
	var order []uint64
	deadline := time.After(20 * time.Second)
	for len(seen) < n {
		select {
		case e := <-got:
			if e.Seq < 1 || e.Seq > n {
				t.Fatalf("unexpected seq %d", e.Seq)
			}
			seen[e.Seq] = true
			order = append(order, e.Seq)
		case <-deadline:
			t.Fatalf("only %d of %d events arrived within 20 s", len(seen), n)
		}
	}
	// Known gap (docs/mqtt.md): paho resends stored messages on reconnect
	// while new publishes go straight out, so order across a reconnect is
	// not guaranteed yet; completeness is.
	inversions := 0
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			inversions++
		}
	}
	t.Logf("%d events, %d deliveries, %d order inversions across the restart", n, len(order), inversions)
}

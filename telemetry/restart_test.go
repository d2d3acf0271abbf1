package telemetry

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"camagent/internal/testtool"
)

// The event child: CAMAGENT_TELEMETRY_EVENTS_CHILD=broker|storeDir|count|when.
// It runs the telemetry with a file store, emits count events (at once, or
// with when = "connected" after its first connection, while paho resends
// what the store held), prints
// "stored" once all of them are in paho's store (or acknowledged), and
// then runs until SIGTERM (clean stop) or SIGKILL.
const eventsChildEnv = "CAMAGENT_TELEMETRY_EVENTS_CHILD"

func runEventsChild(spec string) {
	parts := strings.Split(spec, "|")
	if len(parts) != 4 {
		fmt.Fprintln(os.Stderr, "bad", eventsChildEnv)
		os.Exit(2)
	}
	n, _ := strconv.Atoi(parts[2])
	c := testMQTTConfig(parts[0])
	c.StoreDir = parts[1]
	fa := &fakeAgent{}
	tel, err := New(Options{Config: c, DeviceID: "cam-restart", Version: "child", Stats: fa.stats, Actions: fa, Host: fixedHost{}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- tel.Run(ctx) }()
	if parts[3] == "connected" {
		select {
		case <-tel.Connected():
		case <-time.After(10 * time.Second):
			fmt.Fprintln(os.Stderr, "not connected within 10 s")
			os.Exit(1)
		}
	}
	for i := range n {
		tel.Event(EventConfigChanged, map[string]int{"i": i})
	}
	// Bounded wait until every event left the in-memory queue and went
	// through paho's Publish (stored, or sent when connected).
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for tel.published.Load() < uint64(n) {
		select {
		case <-tick.C:
		case <-deadline:
			fmt.Fprintln(os.Stderr, "events not handed to the client within 10 s")
			os.Exit(1)
		}
	}
	fmt.Println("stored")
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("stopped")
}

// eventsChild starts the child and waits until it stored its events.
type eventsChild struct {
	cmd *exec.Cmd
	out *bufio.Reader
}

func startEventsChild(t *testing.T, broker, storeDir string, n int, when string) *eventsChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%d|%s", eventsChildEnv, broker, storeDir, n, when))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &eventsChild{cmd: cmd, out: bufio.NewReader(stdout)}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c.expect(t, "stored", 15*time.Second)
	return c
}

// expect waits for the child to print line.
func (c *eventsChild) expect(t *testing.T, line string, within time.Duration) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		s, err := c.out.ReadString('\n')
		if err != nil && err != io.EOF {
			s = err.Error()
		}
		got <- strings.TrimSpace(s)
	}()
	select {
	case s := <-got:
		if s != line {
			t.Fatalf("child printed %q, want %q", s, line)
		}
	case <-time.After(within):
		t.Fatalf("child did not print %q within %v", line, within)
	}
}

// No event is lost across agent restarts while the broker is down: the
// first agent process queues events and is killed (-9), the second queues
// more and stops cleanly, then the broker comes up and a third process
// delivers every sequence number, oldest first, also the events it raises
// itself while resending the stored ones.
func TestEventsSurviveAgentRestarts(t *testing.T) {
	broker := testtool.StartMosquitto(t, "")
	broker.Stop() // the agents start while the broker is down
	storeDir := t.TempDir()

	first := startEventsChild(t, broker.URL(), storeDir, 40, "now")
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()

	second := startEventsChild(t, broker.URL(), storeDir, 30, "now")
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	second.expect(t, "stopped", 5*time.Second)
	_ = second.cmd.Wait()

	broker.Start()
	sub := newController(t, broker.URL(), "ctl-restart")
	ch := sub.subscribe(Topics{"camagent", "cam-restart"}.Events(), 1)
	startEventsChild(t, broker.URL(), storeDir, 10, "connected")

	const total = 40 + 30 + 10
	seen := map[uint64]bool{}
	var order []uint64
	deadline := time.After(20 * time.Second)
	for len(seen) < total {
		select {
		case m := <-ch:
			var e Event
			if err := json.Unmarshal(m.Payload(), &e); err != nil {
				t.Fatalf("event not JSON: %v", err)
			}
			if e.Seq < 1 || e.Seq > total {
				t.Fatalf("unexpected seq %d", e.Seq)
			}
			if !seen[e.Seq] {
				order = append(order, e.Seq)
			}
			seen[e.Seq] = true
		case <-deadline:
			var missing []uint64
			for s := uint64(1); s <= total; s++ {
				if !seen[s] {
					missing = append(missing, s)
				}
			}
			t.Fatalf("%d of %d events arrived within 20 s; missing %v", len(seen), total, missing)
		}
	}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Errorf("first deliveries out of order: %v", order)
			break
		}
	}
}

package telemetry

import (
	"os"
	"slices"
	"strconv"
	"testing"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

func testPublish(id uint16) *packets.PublishPacket {
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.Qos, p.MessageID, p.TopicName, p.Payload = 1, id, "t", []byte(strconv.Itoa(int(id)))
	return p
}

// Message ids are not in send order (a restarted client reuses low ids,
// reserved ones are skipped) and FileStore lists files by a coarse mtime:
// the wrapper must hand paho the messages in the order they were stored,
// also after a restart.
func TestStoreKeepsInsertionOrderAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s := newBoundedStore(mqtt.NewFileStore(dir), 1000)
	s.Open()
	var want []string
	for _, id := range []uint16{50, 7, 300, 1, 65535, 2, 10, 11, 100, 3} {
		k := "o." + strconv.Itoa(int(id))
		s.Put(k, testPublish(id))
		want = append(want, k)
	}
	s.Put("i.9", testPublish(9)) // inbound keys pass through
	s.Del("o.300")
	want = slices.DeleteFunc(want, func(k string) bool { return k == "o.300" })
	s.Close()

	r := newBoundedStore(mqtt.NewFileStore(dir), 1000)
	r.Open()
	all := r.All()
	if got := all[:len(want)]; !slices.Equal(got, want) {
		t.Fatalf("order after reopen = %v, want %v", got, want)
	}
	if !slices.Contains(all, "i.9") {
		t.Errorf("inbound key lost: %v", all)
	}
	for _, k := range want {
		p, ok := r.Get(k).(*packets.PublishPacket)
		if !ok || "o."+string(p.Payload) != k {
			t.Fatalf("Get(%s) = %v", k, r.Get(k))
		}
	}
	// New messages go after the old ones, also when their ids are lower.
	r.Put("o.4", testPublish(4))
	if all := r.All(); all[len(want)] != "o.4" {
		t.Errorf("new message not last among outbound: %v", all)
	}
}

func TestStoreBoundDropsOldestAndSignalsEmpty(t *testing.T) {
	s := newBoundedStore(mqtt.NewOrderedMemoryStore(), 3)
	s.Open()
	for id := uint16(1); id <= 5; id++ {
		s.Put("o."+strconv.Itoa(int(id)), testPublish(id))
	}
	if got := s.All(); !slices.Equal(got, []string{"o.3", "o.4", "o.5"}) || s.dropped.Load() != 2 || s.depth.Load() != 3 {
		t.Fatalf("All = %v dropped=%d depth=%d", got, s.dropped.Load(), s.depth.Load())
	}
	select { // a signal left by the initial empty state
	case <-s.flushed:
	default:
	}
	s.Del("o.3")
	s.Del("o.1") // dropped at the bound earlier: nothing happens
	s.Del("o.4")
	if !s.pending() {
		t.Fatal("not pending with o.5 unacknowledged")
	}
	select {
	case <-s.flushed:
		t.Fatal("flushed signalled with o.5 unacknowledged")
	default:
	}
	s.Del("o.5")
	if s.pending() {
		t.Fatal("pending after every message was acknowledged")
	}
	select {
	case <-s.flushed:
	default:
		t.Fatal("no flushed signal")
	}
}

// paho's FileStore panics on file errors; the agent must keep running and
// count the message as dropped.
func TestStoreSurvivesFileErrors(t *testing.T) {
	dir := t.TempDir() + "/queue"
	s := newBoundedStore(mqtt.NewFileStore(dir), 100)
	s.Open()
	s.Put("o.1", testPublish(1))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	s.Put("o.2", testPublish(2)) // cannot be written: no panic
	if s.dropped.Load() != 1 {
		t.Errorf("dropped = %d, want 1", s.dropped.Load())
	}
	if got := s.All(); !slices.Equal(got, []string{"o.1"}) {
		t.Errorf("All = %v", got)
	}
	_ = s.Get("o.1")
	s.Del("o.1")
	s.Del("o.2")
	if s.pending() {
		t.Error("still pending")
	}
}

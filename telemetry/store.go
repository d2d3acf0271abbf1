package telemetry

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// boundedStore caps a paho store at max outbound messages: when a Put
// would exceed it, the oldest outbound message is deleted and counted.
// It also remembers insertion order so resumption after a reconnect or a
// restart resends oldest first.
type boundedStore struct {
	mu      sync.Mutex
	inner   mqtt.Store
	max     int
	order   []string // outbound keys, oldest first
	dropped atomic.Uint64
	depth   atomic.Int64
}

var _ mqtt.Store = (*boundedStore)(nil)

func newBoundedStore(inner mqtt.Store, max int) *boundedStore {
	return &boundedStore{inner: inner, max: max}
}

func isOutbound(key string) bool { return strings.HasPrefix(key, "o.") }

func (s *boundedStore) Open() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inner.Open()
	s.order = s.order[:0]
	for _, k := range s.inner.All() {
		if isOutbound(k) {
			s.order = append(s.order, k)
		}
	}
	s.trimLocked()
}

func (s *boundedStore) Put(key string, m packets.ControlPacket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inner.Put(key, clonePacket(m))
	if isOutbound(key) {
		if i := slices.Index(s.order, key); i >= 0 {
			// A PUBREL replacing its PUBLISH keeps its place.
			s.depth.Store(int64(len(s.order)))
			return
		}
		s.order = append(s.order, key)
		s.trimLocked()
	}
}

func (s *boundedStore) trimLocked() {
	for len(s.order) > s.max {
		s.inner.Del(s.order[0])
		s.order = s.order[1:]
		s.dropped.Add(1)
	}
	s.depth.Store(int64(len(s.order)))
}

func (s *boundedStore) Get(key string) packets.ControlPacket { return s.inner.Get(key) }

// clonePacket copies m through its wire form. Put stores the copy because
// paho keeps sending the original while its resume may take the stored one
// and set its DUP flag (a data race with the memory stores, which would
// otherwise hold the very same object).
func clonePacket(m packets.ControlPacket) packets.ControlPacket {
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		return m
	}
	cp, err := packets.ReadPacket(&buf)
	if err != nil {
		return m
	}
	return cp
}

func (s *boundedStore) All() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.order)
	for _, k := range s.inner.All() {
		if !isOutbound(k) {
			out = append(out, k)
		}
	}
	return out
}

func (s *boundedStore) Del(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.order, key); i >= 0 {
		s.order = slices.Delete(s.order, i, i+1)
	} else if isOutbound(key) {
		return // dropped at the bound already
	}
	s.inner.Del(key)
	s.depth.Store(int64(len(s.order)))
}

func (s *boundedStore) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inner.Close()
}

func (s *boundedStore) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inner.Reset()
	s.order = nil
	s.depth.Store(0)
}

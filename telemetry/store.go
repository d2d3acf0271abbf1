package telemetry

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// boundedStore wraps a paho store (memory or file) and adds three things:
//
//   - a bound: when a Put would exceed max outbound messages, the oldest is
//     deleted and counted;
//   - insertion order that survives a restart: paho keys outbound messages
//     by packet id ("o.<id>"), and its FileStore lists them by file
//     modification time, which the kernel records at a few milliseconds'
//     granularity, so a burst came back shuffled. The inner store keys each
//     message by an ordinal ("q.<20 digits>") instead, and this wrapper maps
//     paho's keys onto it, so resumption after a reconnect or a restart
//     resends oldest first;
//   - no crash on file errors: paho's FileStore panics on any of them (a
//     full disk, a removed directory); here a failed write counts as a
//     dropped message and the agent keeps running;
//   - a signal when the last stored message has been acknowledged:
//     while connected, Telemetry hands a new event to paho only when the
//     store is empty, so it can overtake nothing (see Telemetry.eventGate).
type boundedStore struct {
	mu       sync.Mutex
	inner    mqtt.Store
	max      int
	order    []string          // paho outbound keys, oldest first
	innerKey map[string]string // paho outbound key → inner key
	next     uint64            // next ordinal
	dropped  atomic.Uint64
	depth    atomic.Int64
	flushed  chan struct{} // signalled (buffer 1) when the last outbound message left
}

var _ mqtt.Store = (*boundedStore)(nil)

const ordinalPrefix = "q."

func newBoundedStore(inner mqtt.Store, max int) *boundedStore {
	return &boundedStore{inner: inner, max: max, innerKey: map[string]string{}, flushed: make(chan struct{}, 1)}
}

func isOutbound(key string) bool { return strings.HasPrefix(key, "o.") }

// try runs one inner-store operation, turning a panic into false.
func try(op func()) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	op()
	return true
}

// Open loads what a previous process left, oldest first.
func (s *boundedStore) Open() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order, s.innerKey = nil, map[string]string{}
	var keys []string
	if !try(func() { s.inner.Open(); keys = s.inner.All() }) {
		s.dropped.Add(1)
	}
	type item struct {
		ord    uint64
		key    string
		legacy bool
		p      packets.ControlPacket
	}
	var items []item
	for _, k := range keys {
		var it item
		switch {
		case strings.HasPrefix(k, ordinalPrefix):
			n, err := strconv.ParseUint(k[len(ordinalPrefix):], 10, 64)
			if err != nil {
				continue
			}
			it = item{ord: n, key: k}
		case isOutbound(k): // written by paho's own keying (before this wrapper)
			n, _ := strconv.ParseUint(k[2:], 10, 64)
			it = item{ord: n, key: k, legacy: true}
		default:
			continue
		}
		if try(func() { it.p = s.inner.Get(k) }) && it.p != nil {
			items = append(items, it)
		}
	}
	// Legacy keys first (they are older), each group in its own order.
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].legacy != items[j].legacy {
			return items[i].legacy
		}
		return items[i].ord < items[j].ord
	})
	for _, it := range items {
		if !it.legacy {
			s.next = max(s.next, it.ord+1)
		}
	}
	for _, it := range items {
		pk := "o." + strconv.Itoa(int(it.p.Details().MessageID))
		if _, dup := s.innerKey[pk]; dup {
			try(func() { s.inner.Del(it.key) }) // cannot happen with paho's id reservation; never resend twice
			s.dropped.Add(1)
			continue
		}
		ik := it.key
		if it.legacy {
			ik = s.newInnerKey()
			if !try(func() { s.inner.Put(ik, it.p); s.inner.Del(it.key) }) {
				s.dropped.Add(1)
				continue
			}
		}
		s.innerKey[pk] = ik
		s.order = append(s.order, pk)
	}
	s.trimLocked()
}

func (s *boundedStore) newInnerKey() string {
	k := fmt.Sprintf("%s%020d", ordinalPrefix, s.next)
	s.next++
	return k
}

func (s *boundedStore) Put(key string, m packets.ControlPacket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := clonePacket(m)
	if !isOutbound(key) {
		try(func() { s.inner.Put(key, cp) })
		return
	}
	if ik, ok := s.innerKey[key]; ok {
		// A PUBREL replacing its PUBLISH keeps its place.
		try(func() { s.inner.Put(ik, cp) })
		return
	}
	ik := s.newInnerKey()
	if !try(func() { s.inner.Put(ik, cp) }) {
		// Not stored (paho still sends it on this connection): it would
		// not survive a reconnect or restart, so it counts as dropped.
		s.dropped.Add(1)
		try(func() { s.inner.Del(ik) })
		return
	}
	s.innerKey[key] = ik
	s.order = append(s.order, key)
	s.trimLocked()
}

func (s *boundedStore) trimLocked() {
	for len(s.order) > s.max {
		k, ik := s.order[0], s.innerKey[s.order[0]]
		try(func() { s.inner.Del(ik) })
		delete(s.innerKey, k)
		s.order = s.order[1:]
		s.dropped.Add(1)
	}
	s.setDepthLocked()
}

func (s *boundedStore) setDepthLocked() {
	s.depth.Store(int64(len(s.order)))
	if len(s.order) == 0 {
		select {
		case s.flushed <- struct{}{}:
		default:
		}
	}
}

func (s *boundedStore) Get(key string) packets.ControlPacket {
	ik := key
	if isOutbound(key) {
		s.mu.Lock()
		k, ok := s.innerKey[key]
		s.mu.Unlock()
		if !ok {
			return nil
		}
		ik = k
	}
	var p packets.ControlPacket
	try(func() { p = s.inner.Get(ik) })
	return p
}

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
	var keys []string
	try(func() { keys = s.inner.All() })
	for _, k := range keys {
		if !isOutbound(k) && !strings.HasPrefix(k, ordinalPrefix) {
			out = append(out, k)
		}
	}
	return out
}

func (s *boundedStore) Del(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !isOutbound(key) {
		try(func() { s.inner.Del(key) })
		return
	}
	ik, ok := s.innerKey[key]
	if !ok {
		return // dropped at the bound already
	}
	try(func() { s.inner.Del(ik) })
	if i := slices.Index(s.order, key); i >= 0 {
		s.order = slices.Delete(s.order, i, i+1)
	}
	delete(s.innerKey, key)
	s.setDepthLocked()
}

func (s *boundedStore) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	try(s.inner.Close)
}

func (s *boundedStore) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	try(s.inner.Reset)
	s.order, s.innerKey = nil, map[string]string{}
	s.setDepthLocked()
}

// pending reports whether an outbound message awaits its acknowledgement.
func (s *boundedStore) pending() bool { return s.depth.Load() > 0 }

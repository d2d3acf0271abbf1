package stream

import (
	"sync"
	"sync/atomic"

	"camagent/media"
)

// Hub fans access units out to subscribers. Publish never blocks: a
// subscriber whose queue is full loses the unit and then waits for the next
// IDR, because the pictures after a gap cannot be decoded cleanly anyway.
type Hub struct {
	mu   sync.Mutex
	subs atomic.Pointer[[]*Subscription] // copy-on-write: Publish reads without locking

	needKeyframe func()
	published    atomic.Uint64
}

// NewHub makes a hub. needKeyframe (may be nil) is called when a subscriber
// starts or resynchronises and so waits for an IDR.
func NewHub(needKeyframe func()) *Hub {
	h := &Hub{needKeyframe: needKeyframe}
	h.subs.Store(&[]*Subscription{})
	return h
}

// Subscription is one consumer's bounded queue.
type Subscription struct {
	hub      *Hub
	name     string
	ch       chan *media.AccessUnit
	waitIDR  bool // only touched by Publish (single publisher)
	received atomic.Uint64
	dropped  atomic.Uint64
	skipped  atomic.Uint64
	closed   atomic.Bool
}

// Subscribe adds a consumer with a queue of size units. The consumer sees
// units from the next IDR on. It must Release every unit it receives.
func (h *Hub) Subscribe(name string, size int) *Subscription {
	s := &Subscription{hub: h, name: name, ch: make(chan *media.AccessUnit, size), waitIDR: true}
	h.mu.Lock()
	old := *h.subs.Load()
	next := make([]*Subscription, 0, len(old)+1)
	next = append(append(next, old...), s)
	h.subs.Store(&next)
	h.mu.Unlock()
	if h.needKeyframe != nil {
		h.needKeyframe()
	}
	return s
}

// Publish hands au to every subscriber and takes over the caller's reference.
// Only one goroutine may publish.
func (h *Hub) Publish(au *media.AccessUnit) {
	h.published.Add(1)
	wantKey := false
	for _, s := range *h.subs.Load() {
		if s.waitIDR && !au.IDR {
			s.skipped.Add(1)
			continue
		}
		au.Retain()
		select {
		case s.ch <- au:
			s.waitIDR = false
			s.received.Add(1)
		default:
			au.Release()
			s.dropped.Add(1)
			if !s.waitIDR {
				s.waitIDR = true
				wantKey = true
			}
		}
	}
	au.Release()
	if wantKey && h.needKeyframe != nil {
		h.needKeyframe()
	}
}

// C delivers units; it is closed by Close.
func (s *Subscription) C() <-chan *media.AccessUnit { return s.ch }

// Close removes the subscription and releases what is still queued.
func (s *Subscription) Close() {
	if s.closed.Swap(true) {
		return
	}
	h := s.hub
	h.mu.Lock()
	old := *h.subs.Load()
	next := make([]*Subscription, 0, len(old))
	for _, x := range old {
		if x != s {
			next = append(next, x)
		}
	}
	h.subs.Store(&next)
	h.mu.Unlock()
	for {
		select {
		case au := <-s.ch:
			au.Release()
		default:
			return
		}
	}
}

// SubscriptionStats counts what one subscriber got.
type SubscriptionStats struct {
	Name                       string
	Received, Dropped, Skipped uint64
	Queued                     int
}

// Stats snapshots the subscription's counters.
func (s *Subscription) Stats() SubscriptionStats {
	return SubscriptionStats{Name: s.name, Received: s.received.Load(), Dropped: s.dropped.Load(), Skipped: s.skipped.Load(), Queued: len(s.ch)}
}

// HubStats summarises the hub.
type HubStats struct {
	Published   uint64
	Subscribers []SubscriptionStats
}

// Stats snapshots the hub and its subscribers.
func (h *Hub) Stats() HubStats {
	st := HubStats{Published: h.published.Load()}
	for _, s := range *h.subs.Load() {
		st.Subscribers = append(st.Subscribers, s.Stats())
	}
	return st
}

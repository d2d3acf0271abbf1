package onvif

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"camagent/internal/clock"
)

// Event topics the device raises (ONVIF topic namespace tns1). Both are
// properties: a new subscription first receives their current state as
// "Initialized", then a "Changed" message on every change.
const (
	TopicMotionAlarm = "tns1:VideoSource/MotionAlarm"
	TopicSignalLoss  = "tns1:VideoSource/SignalLoss"
	// TopicCellMotion is the same motion in the rule-engine form many
	// NVRs subscribe to instead (Home Assistant, Frigate, most VMSs):
	// Source VideoSourceConfigurationToken, VideoAnalyticsConfigurationToken
	// and Rule, Data IsMotion. It follows TopicMotionAlarm.
	TopicCellMotion = "tns1:RuleEngine/CellMotionDetector/Motion"
	// TopicDigitalInput is raised per input (Config.DigitalInputs) with
	// Server.SetDigitalInput: Source InputToken, Data LogicalState.
	TopicDigitalInput = "tns1:Device/Trigger/DigitalInput"
)

// Event service bounds.
const (
	maxPullPoints      = 8                // live subscriptions; more are refused
	maxQueuedEvents    = 64               // per subscription; the oldest is dropped
	maxPullMessages    = 64               // MessageLimit cap
	maxPullWait        = 5 * time.Second  // long-poll cap (below the HTTP write timeout)
	defaultSubLifetime = time.Minute      // InitialTerminationTime when absent
	maxSubLifetime     = 10 * time.Minute // longest lifetime granted
)

// property is one stateful event source: a topic and the token of the
// thing it is about (the video source, a digital input). Inputs share a
// topic, so the state is kept per topic and token.
type property struct {
	topic, source string
}

// event is one notification.
type event struct {
	property
	state bool
	op    string // Initialized, Changed
	at    time.Time
}

type subscription struct {
	id      string
	expires time.Time
	queue   []event
	dropped int
	waiting bool          // a PullMessages is long-polling; others do not wait
	wake    chan struct{} // capacity 1: "something was queued"
}

func (s *subscription) push(e event) {
	if len(s.queue) >= maxQueuedEvents {
		s.queue = s.queue[1:]
		s.dropped++
	}
	s.queue = append(s.queue, e)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// eventBroker holds the property states and the pull-point subscriptions.
// Subscriptions expire by the injected clock, checked on every access.
type eventBroker struct {
	clk   clock.Clock
	props []property // in the order a new subscription is told their state
	mu    sync.Mutex
	state map[property]bool
	subs  map[string]*subscription
}

// newEventBroker knows the video source's properties and one per digital
// input; every state starts false (an input's real state is expected from
// app right after start).
func newEventBroker(clk clock.Clock, inputs []string) *eventBroker {
	b := &eventBroker{clk: clk, state: map[property]bool{}, subs: map[string]*subscription{}}
	b.props = []property{{TopicMotionAlarm, sourceToken}, {TopicSignalLoss, sourceToken}, {TopicCellMotion, vscToken}}
	const video = 3 // the properties above
	for _, in := range inputs {
		p := property{TopicDigitalInput, in}
		if _, dup := b.state[p]; !dup {
			b.props = append(b.props, p)
		}
		b.state[p] = false
	}
	for _, p := range b.props[:video] {
		b.state[p] = false
	}
	return b
}

// hasInputs reports whether any digital input is configured.
func (b *eventBroker) hasInputs() bool { return len(b.props) > 3 }

// purge drops expired subscriptions; b.mu held.
func (b *eventBroker) purge(now time.Time) {
	for id, s := range b.subs {
		if !now.Before(s.expires) {
			delete(b.subs, id)
		}
	}
}

// publish records a property state; a change is queued to every
// subscription.
// Unknown properties are ignored.
func (b *eventBroker) publish(p property, state bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old, known := b.state[p]
	if !known || old == state {
		return
	}
	b.state[p] = state
	now := b.clk.Now()
	b.purge(now)
	for _, s := range b.subs {
		s.push(event{property: p, state: state, op: "Changed", at: now})
	}
}

// initialize queues the current state of every property to s; b.mu held.
func (b *eventBroker) initialize(s *subscription, now time.Time) {
	for _, p := range b.props {
		s.push(event{property: p, state: b.state[p], op: "Initialized", at: now})
	}
}

// create opens a subscription living for life; ok false when the table is
// full of live ones.
func (b *eventBroker) create(life time.Duration) (id string, expires time.Time, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clk.Now()
	b.purge(now)
	if len(b.subs) >= maxPullPoints {
		return "", time.Time{}, false
	}
	var r [16]byte
	rand.Read(r[:]) //nolint:errcheck // never fails
	s := &subscription{id: hex.EncodeToString(r[:]), expires: now.Add(life), wake: make(chan struct{}, 1)}
	b.initialize(s, now)
	b.subs[s.id] = s
	return s.id, s.expires, true
}

func (b *eventBroker) renew(id string, life time.Duration) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clk.Now()
	b.purge(now)
	s := b.subs[id]
	if s == nil {
		return time.Time{}, false
	}
	s.expires = now.Add(life)
	return s.expires, true
}

func (b *eventBroker) unsubscribe(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.purge(b.clk.Now())
	_, ok := b.subs[id]
	delete(b.subs, id)
	return ok
}

// synchronize queues the current states again (SetSynchronizationPoint).
func (b *eventBroker) synchronize(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clk.Now()
	b.purge(now)
	s := b.subs[id]
	if s == nil {
		return false
	}
	b.initialize(s, now)
	return true
}

// pull takes up to limit events, waiting up to wait for the first one.
// Only one pull per subscription waits at a time, so long polls hold at
// most maxPullPoints request slots.
func (b *eventBroker) pull(ctx context.Context, id string, wait time.Duration, limit int) (evs []event, expires time.Time, ok bool) {
	var (
		timer  clock.Timer
		holder *subscription
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		if holder != nil {
			b.mu.Lock()
			holder.waiting = false
			b.mu.Unlock()
		}
	}()
	for {
		b.mu.Lock()
		now := b.clk.Now()
		b.purge(now)
		s := b.subs[id]
		if s == nil {
			b.mu.Unlock()
			return nil, time.Time{}, false
		}
		if len(s.queue) > 0 || wait <= 0 {
			n := min(limit, len(s.queue))
			evs = append([]event(nil), s.queue[:n]...)
			s.queue = s.queue[n:]
			expires = s.expires
			b.mu.Unlock()
			return evs, expires, true
		}
		if holder == nil {
			if s.waiting {
				wait = 0 // another request is already long-polling
				b.mu.Unlock()
				continue
			}
			s.waiting, holder = true, s
		}
		wake := s.wake
		b.mu.Unlock()
		if timer == nil {
			timer = b.clk.NewTimer(wait)
		}
		select {
		case <-wake:
		case <-timer.C():
			wait = 0
		case <-ctx.Done():
			wait = 0
		}
	}
}

// count is the number of live subscriptions.
func (b *eventBroker) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.purge(b.clk.Now())
	return len(b.subs)
}

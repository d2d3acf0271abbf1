package onvif

import (
	"net/netip"
	"time"
)

// bucket is a token bucket refilled continuously at rate per second up to
// burst.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) take(now time.Time, rate, burst float64) bool {
	if b.last.IsZero() {
		b.tokens = burst
	} else if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(burst, b.tokens+dt*rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether b would be back at burst by now (an idle source).
func (b *bucket) full(now time.Time, rate, burst float64) bool {
	return b.tokens+now.Sub(b.last).Seconds()*rate >= burst
}

// replyLimiter bounds WS-Discovery replies per source address and in
// total, so the responder cannot be used as a flood reflector. The
// per-source table is bounded: when it is full, idle sources are dropped;
// if none is idle, new sources get no reply until one is.
type replyLimiter struct {
	perRate, perBurst float64
	allRate, allBurst float64
	max               int
	global            bucket
	sources           map[netip.Addr]*bucket
}

func newReplyLimiter(perRate, perBurst, allRate, allBurst float64, max int) *replyLimiter {
	return &replyLimiter{perRate: perRate, perBurst: perBurst, allRate: allRate, allBurst: allBurst,
		max: max, sources: make(map[netip.Addr]*bucket, max)}
}

func (l *replyLimiter) allow(src netip.Addr, now time.Time) bool {
	b := l.sources[src]
	if b == nil {
		if len(l.sources) >= l.max {
			for a, o := range l.sources {
				if o.full(now, l.perRate, l.perBurst) {
					delete(l.sources, a)
				}
			}
			if len(l.sources) >= l.max {
				return false
			}
		}
		b = &bucket{}
		l.sources[src] = b
	}
	// The source pays first: a flooding source cannot drain the global budget.
	return b.take(now, l.perRate, l.perBurst) && l.global.take(now, l.allRate, l.allBurst)
}

package onvif

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"camagent/internal/clock"
)

// Failed logins slow down password guessing: after the first two from a
// source, each refused credential is answered after a growing delay (1, 2,
// 4, then 8 s), reset by a successful login or by a quiet quarter-hour.
// The delay is spent without holding a request slot, and only so many
// refusals wait at once; beyond that the answer is "busy" at once, so many
// guessing sources cannot tie up the server either.
const (
	maxLoginSources   = 1024             // sources remembered; the stalest is forgotten first
	loginForget       = 15 * time.Minute // quiet time after which a source starts from zero
	maxLoginDelay     = 8 * time.Second
	maxDelayedReplies = 16
	freeLoginFailures = 2 // typos and clients trying both digest flavours
)

type loginRecord struct {
	fails int
	last  time.Time
}

// loginDelays counts failed logins per source address (IPv6 per /64: one
// host usually has the whole prefix).
type loginDelays struct {
	clk     clock.Clock
	mu      sync.Mutex
	m       map[netip.Addr]*loginRecord
	waiting int
}

func newLoginDelays(clk clock.Clock) *loginDelays {
	return &loginDelays{clk: clk, m: map[netip.Addr]*loginRecord{}}
}

func loginKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return a
}

// loginDelay is the delay before answering the n-th failure in a row.
func loginDelay(n int) time.Duration {
	if n <= freeLoginFailures {
		return 0
	}
	if n-freeLoginFailures > 4 {
		return maxLoginDelay
	}
	return min(time.Second<<(n-freeLoginFailures-1), maxLoginDelay)
}

// failed records a refused login from a and returns how long to wait
// before answering it.
func (l *loginDelays) failed(a netip.Addr) time.Duration {
	k := loginKey(a)
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.m[k]
	if r != nil && now.Sub(r.last) >= loginForget {
		r.fails = 0
	}
	if r == nil {
		l.makeRoom(now)
		r = &loginRecord{}
		l.m[k] = r
	}
	r.fails++
	r.last = now
	return loginDelay(r.fails)
}

// makeRoom keeps the table bounded: forgotten sources go first, then the
// stalest; l.mu held.
func (l *loginDelays) makeRoom(now time.Time) {
	if len(l.m) < maxLoginSources {
		return
	}
	var oldest netip.Addr
	var oldestAt time.Time
	for k, r := range l.m {
		if now.Sub(r.last) >= loginForget {
			delete(l.m, k)
			continue
		}
		if oldestAt.IsZero() || r.last.Before(oldestAt) {
			oldest, oldestAt = k, r.last
		}
	}
	if len(l.m) >= maxLoginSources {
		delete(l.m, oldest)
	}
}

// succeeded forgets a's failures.
func (l *loginDelays) succeeded(a netip.Addr) {
	k := loginKey(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, k)
}

func (l *loginDelays) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// wait spends d on the clock (or until ctx ends). It reports false,
// without waiting, when maxDelayedReplies already wait.
func (l *loginDelays) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	l.mu.Lock()
	if l.waiting >= maxDelayedReplies {
		l.mu.Unlock()
		return false
	}
	l.waiting++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.waiting--
		l.mu.Unlock()
	}()
	t := l.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
	case <-ctx.Done():
	}
	return true
}

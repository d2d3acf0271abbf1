package clock

import (
	"slices"
	"sync"
	"time"
)

// Fake is a manually advanced clock for tests. Timers and tickers fire during
// Advance, in deadline order; channel sends never block (buffer of one, like
// the runtime's), so a test that does not read simply misses ticks.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeWaiter
}

// NewFake starts a fake clock at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves time forward by d, firing due timers and tickers.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	end := f.now.Add(d)
	for {
		slices.SortFunc(f.waiters, func(a, b *fakeWaiter) int { return a.at.Compare(b.at) })
		if len(f.waiters) == 0 || f.waiters[0].at.After(end) {
			break
		}
		w := f.waiters[0]
		f.now = w.at
		select {
		case w.ch <- w.at:
		default:
		}
		if w.period > 0 {
			w.at = w.at.Add(w.period)
		} else {
			f.waiters = f.waiters[1:]
			w.active = false
		}
	}
	f.now = end
	f.mu.Unlock()
}

// Waiters reports how many timers and tickers are pending; tests use it to
// know a goroutine has armed its timer before advancing.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

type fakeWaiter struct {
	f      *Fake
	at     time.Time
	period time.Duration
	ch     chan time.Time
	active bool
}

func (f *Fake) add(d, period time.Duration) *fakeWaiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &fakeWaiter{f: f, at: f.now.Add(d), period: period, ch: make(chan time.Time, 1), active: true}
	f.waiters = append(f.waiters, w)
	return w
}

func (w *fakeWaiter) remove() bool {
	f := w.f
	f.mu.Lock()
	defer f.mu.Unlock()
	was := w.active
	for i, x := range f.waiters {
		if x == w {
			f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
			break
		}
	}
	w.active = false
	return was
}

func (w *fakeWaiter) reset(d time.Duration) bool {
	was := w.remove()
	f := w.f
	f.mu.Lock()
	w.at = f.now.Add(d)
	if w.period > 0 {
		w.period = d
	}
	w.active = true
	f.waiters = append(f.waiters, w)
	f.mu.Unlock()
	return was
}

// NewTicker implements Clock.
func (f *Fake) NewTicker(d time.Duration) Ticker { return fakeTicker{f.add(d, d)} }

// NewTimer implements Clock.
func (f *Fake) NewTimer(d time.Duration) Timer { return fakeTimer{f.add(d, 0)} }

type fakeTicker struct{ w *fakeWaiter }

func (t fakeTicker) C() <-chan time.Time   { return t.w.ch }
func (t fakeTicker) Stop()                 { t.w.remove() }
func (t fakeTicker) Reset(d time.Duration) { t.w.reset(d) }

type fakeTimer struct{ w *fakeWaiter }

func (t fakeTimer) C() <-chan time.Time        { return t.w.ch }
func (t fakeTimer) Stop() bool                 { return t.w.remove() }
func (t fakeTimer) Reset(d time.Duration) bool { return t.w.reset(d) }

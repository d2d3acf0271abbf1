package capture

import "time"

// backoff spaces reconnect attempts: the delay doubles from min to max and
// each wait is drawn from [d/2, d], so agents on one network that lost
// their cameras together (a PoE switch reboot) do not retry in lock step.
type backoff struct {
	min, max time.Duration
	rand     func(n int64) int64 // uniform in [0, n); injected for tests
	cur      time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else if b.cur *= 2; b.cur > b.max {
		b.cur = b.max
	}
	half := b.cur / 2
	if half <= 0 {
		return b.cur
	}
	return half + time.Duration(b.rand(int64(b.cur-half)+1))
}

// reset starts over after a session that delivered frames.
func (b *backoff) reset() { b.cur = 0 }

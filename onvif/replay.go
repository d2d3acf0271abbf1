package onvif

import (
	"sync"
	"time"
)

// replayCache remembers (user, nonce) pairs of accepted UsernameTokens
// until their Created time leaves the freshness window, so a captured
// request cannot be replayed. It is bounded: when full of live entries it
// refuses new ones (errReplayFull) rather than evicting any, since eviction
// would re-open replays.
type replayCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]time.Time // key -> expiry
	oldest  time.Time            // lower bound of the expiries, for cheap pruning
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, entries: make(map[string]time.Time, min(max, 1024))}
}

// add records key until expiry; errReplay if it is already live, errReplayFull
// if the cache holds max live entries.
func (c *replayCache) add(key string, expiry, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.entries[key]; ok && exp.After(now) {
		return errReplay
	}
	if len(c.entries) >= c.max && !c.oldest.After(now) {
		c.oldest = time.Time{}
		for k, exp := range c.entries {
			if !exp.After(now) {
				delete(c.entries, k)
			} else if c.oldest.IsZero() || exp.Before(c.oldest) {
				c.oldest = exp
			}
		}
	}
	if len(c.entries) >= c.max {
		return errReplayFull
	}
	c.entries[key] = expiry
	if c.oldest.IsZero() || expiry.Before(c.oldest) {
		c.oldest = expiry
	}
	return nil
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

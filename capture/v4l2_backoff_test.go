package capture

import (
	"testing"
	"time"
)

func TestBackoffDoublesWithJitter(t *testing.T) {
	var asked []int64
	b := backoff{min: 100 * time.Millisecond, max: time.Second, rand: func(n int64) int64 { asked = append(asked, n); return n - 1 }}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.next(); got != w*time.Millisecond {
			t.Errorf("attempt %d: %v, want %v (the top of the jitter range)", i, got, w*time.Millisecond)
		}
	}
	// The jitter range is [d/2, d]: n = d - d/2 + 1 for the top to be reachable.
	if asked[0] != int64(50*time.Millisecond)+1 {
		t.Errorf("jitter range for 100ms: %d", asked[0])
	}
	b.rand = func(int64) int64 { return 0 }
	if got := b.next(); got != 500*time.Millisecond {
		t.Errorf("bottom of the range at max: %v", got)
	}
	b.reset()
	if got := b.next(); got != 50*time.Millisecond {
		t.Errorf("after reset: %v", got)
	}
}

package testtool

import (
	"testing"
	"time"
)

// WaitFor polls cond until it holds; the limit only turns a hang into a
// failure naming what, it does not pace the test. Use it to wait for
// goroutines to reach a state, never for time to pass.
func WaitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(limit)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
	}
}

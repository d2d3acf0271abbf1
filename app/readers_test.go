package app

import (
	"fmt"
	"sync"
	"testing"

	"camagent/config"
)

// Eight readers at once, half over TCP and half over UDP, each decode
// cleanly from their first picture.
func TestManySimultaneousReaders(t *testing.T) {
	url, a := startAgent(t, func(c *config.Config) {
		c.Source.TestPattern.Width, c.Source.TestPattern.Height = 320, 240
	})
	const readers = 8
	var wg sync.WaitGroup
	results := make([]string, readers)
	for i := range readers {
		transport := []string{"tcp", "udp"}[i%2]
		wg.Go(func() {
			lines, errs := decode(t, url, transport, 60)
			switch {
			case errs != "":
				results[i] = fmt.Sprintf("reader %d (%s): decoder errors: %s", i, transport, errs)
			case len(lines) < 60:
				results[i] = fmt.Sprintf("reader %d (%s): %d frames, want 60", i, transport, len(lines))
			}
		})
	}
	wg.Wait()
	for _, r := range results {
		if r != "" {
			t.Error(r)
		}
	}
	if got := a.Stats().RTSP.Sessions; got < readers {
		t.Errorf("%d sessions set up, want %d", got, readers)
	}
}

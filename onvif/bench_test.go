package onvif

import (
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// latencies records per-request wall time and reports p50/p99 and the
// request rate next to ns/op (go test -bench . ./onvif/).
type latencies struct {
	d     []time.Duration
	start time.Time
}

func newLatencies(n int) *latencies {
	return &latencies{d: make([]time.Duration, 0, n), start: time.Now()}
}

func (l *latencies) time(f func()) {
	t := time.Now()
	f()
	l.d = append(l.d, time.Since(t))
}

func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	elapsed := time.Since(l.start)
	slices.Sort(l.d)
	at := func(q float64) float64 { return float64(l.d[int(q*float64(len(l.d)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "req/s")
}

// BenchmarkGetProfilesWSSecurity: one authenticated GetProfiles, parse to
// response, in process.
func BenchmarkGetProfilesWSSecurity(b *testing.B) {
	s := newTestServer(b, func(c *Config) { c.MaxNonces = b.N + 16 })
	envs := make([]string, b.N)
	for i := range envs {
		envs[i] = envelope12(newToken("viewer", i).header(), `<trt:GetProfiles/>`)
	}
	b.ReportAllocs()
	b.ResetTimer()
	lat := newLatencies(b.N)
	for i := range b.N {
		lat.time(func() {
			if w := postSOAP(s, envs[i]); w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		})
	}
	lat.report(b)
}

// BenchmarkGetProfilesParallel: the same from GOMAXPROCS goroutines, for
// the request rate under the in-flight limit.
func BenchmarkGetProfilesParallel(b *testing.B) {
	s := newTestServer(b, func(c *Config) { c.MaxNonces = b.N + 16; c.MaxInFlight = 1 << 16 })
	envs := make([]string, b.N)
	for i := range envs {
		envs[i] = envelope12(newToken("viewer", i).header(), `<trt:GetProfiles/>`)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if w := postSOAP(s, envs[next.Add(1)-1]); w.Code != 200 {
				b.Errorf("status %d", w.Code)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkPullMessages: an event raised, then an authenticated
// PullMessages that returns it at once.
func BenchmarkPullMessages(b *testing.B) {
	s := newTestServer(b, func(c *Config) { c.MaxNonces = b.N + 16 })
	w := soapAt(s, DevicePath, "viewer", -1, `<tev:CreatePullPointSubscription`+tevNS+`><tev:InitialTerminationTime>PT10M</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`)
	m := addressRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		b.Fatalf("CreatePullPointSubscription: %d %s", w.Code, w.Body)
	}
	addr := m[1]
	soapAt(s, addr, "viewer", -2, pullBody("PT0S")) // the Initialized messages
	b.ReportAllocs()
	b.ResetTimer()
	lat := newLatencies(b.N)
	for i := range b.N {
		s.PublishEvent(TopicMotionAlarm, i%2 == 0)
		lat.time(func() {
			if w := soapAt(s, addr, "viewer", i, pullBody("PT0S")); w.Code != 200 || !strings.Contains(w.Body.String(), "Changed") {
				b.Fatalf("status %d\n%s", w.Code, w.Body)
			}
		})
	}
	lat.report(b)
}

// BenchmarkRejectDeepNesting: the 10,000-deep document is refused after 32 levels.
func BenchmarkRejectDeepNesting(b *testing.B) {
	s := newTestServer(b, nil)
	env := envelope12("", strings.Repeat("<a>", 10000)+strings.Repeat("</a>", 10000))
	b.ReportAllocs()
	for range b.N {
		if w := postSOAP(s, env); w.Code != 400 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkSubscriptionMemory reports the heap one open pull-point
// subscription holds: empty, and with its queue full (maxQueuedEvents
// messages waiting because the client stopped pulling).
func BenchmarkSubscriptionMemory(b *testing.B) {
	measure := func(fill bool) float64 {
		s := newTestServer(b, func(c *Config) { c.MaxNonces = 1 << 16 })
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range maxPullPoints {
			w := soapAt(s, DevicePath, "viewer", i, `<tev:CreatePullPointSubscription`+tevNS+`><tev:InitialTerminationTime>PT10M</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`)
			if w.Code != 200 {
				b.Fatalf("subscription %d: %d", i, w.Code)
			}
		}
		if fill {
			for i := range maxQueuedEvents {
				s.PublishEvent(TopicMotionAlarm, i%2 == 0)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(s)
		return float64(after.HeapAlloc-before.HeapAlloc) / maxPullPoints
	}
	var empty, full float64
	for range b.N {
		empty, full = measure(false), measure(true)
	}
	b.ReportMetric(empty, "B/sub-empty")
	b.ReportMetric(full, "B/sub-full")
}

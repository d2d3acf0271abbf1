package onvif

import (
	"strings"
	"testing"
)

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
	for i := range b.N {
		if w := postSOAP(s, envs[i]); w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
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

package onvif

import (
	"net/netip"
	"testing"
)

// FuzzProbe feeds arbitrary datagrams to the responder's message handling.
// It must never panic, never answer more than maxDatagram bytes of input,
// and a reply must stay small (no unbounded echo of the request). Seeds:
// the discovery test table.
func FuzzProbe(f *testing.F) {
	for _, c := range discoveryCases {
		f.Add([]byte(c.data))
	}
	d, _ := newTestDiscovery(f)
	src := netip.MustParseAddrPort("192.0.2.77:3702")
	f.Fuzz(func(t *testing.T, data []byte) {
		d.limit = newReplyLimiter(1e9, 1e9, 1e9, 1e9, 4) // measure parsing, not the limiter
		reply, _, ok := d.handle(data, src, 2)
		if !ok {
			return
		}
		if len(data) > maxDatagram {
			t.Fatalf("answered a %d-byte datagram", len(data))
		}
		if len(reply) > 4096 {
			t.Fatalf("reply of %d bytes", len(reply))
		}
		if _, err := parseProbe(data); err != nil {
			t.Fatalf("answered a datagram the parser refuses: %v", err)
		}
	})
}

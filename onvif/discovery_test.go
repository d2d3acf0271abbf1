package onvif

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"camagent/internal/clock"
)

// discHost is a machine with one LAN interface.
type discHost struct{}

func (discHost) Hostname() string { return "cam-17" }
func (discHost) Interfaces() []NetInterface {
	return []NetInterface{
		{Index: 2, Name: "eth0", HwAddr: "02:00:00:00:00:17", MTU: 1500, Up: true,
			IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24")}},
		{Index: 3, Name: "wlan0", HwAddr: "02:00:00:00:00:18", MTU: 1500, Up: false,
			IPv4: []netip.Prefix{netip.MustParsePrefix("198.51.100.10/24")}},
	}
}
func (discHost) DNS() []string { return nil }

func newTestDiscovery(t testing.TB) (*Discovery, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(t0)
	d, err := NewDiscovery(DiscoveryConfig{
		HTTPPort: func() int { return 8080 },
		Endpoint: DeviceUUID("cam-17"),
		Device:   DeviceInfo{Manufacturer: "camagent", Model: "camagent", Name: "Gate 3", Location: "city/hall"},
		Host:     discHost{},
		Clock:    clk,
	})
	if err != nil {
		t.Fatal(err)
	}
	d.ifaces = d.eligible()
	return d, clk
}

const probeMessageID = "uuid:0a6dc791-2be6-4991-9af1-454778a1917a"

// probeEnv wraps a Probe body as clients send it (agsh/onvif style).
func probeEnv(header, body string) string {
	if header == "" {
		header = `<wsa:MessageID xmlns:wsa="` + nsWSA + `">` + probeMessageID + `</wsa:MessageID>` +
			`<wsa:To xmlns:wsa="` + nsWSA + `">` + wsdTo + `</wsa:To>` +
			`<wsa:Action xmlns:wsa="` + nsWSA + `">` + actionProbe + `</wsa:Action>`
	}
	return `<?xml version="1.0" encoding="UTF-8"?><Envelope xmlns="` + nsSOAP12 + `" xmlns:dn="` + nsDN +
		`"><Header>` + header + `</Header><Body>` + body + `</Body></Envelope>`
}

func probeBody(types, scopes string) string {
	return `<Probe xmlns="` + nsWSD + `">` + types + scopes + `</Probe>`
}

var (
	lanSource = netip.MustParseAddrPort("192.0.2.77:49152")
	// agshProbe is what agsh/onvif, Home Assistant and ODM send.
	agshProbe = probeEnv("", probeBody(`<Types>dn:NetworkVideoTransmitter</Types>`, `<Scopes/>`))
)

// discoveryCases is the message table; it also seeds FuzzProbe.
var discoveryCases = []struct {
	name  string
	data  string
	src   netip.AddrPort
	ifidx int
	want  string // "reply" or the DiscoveryStats counter that must move
}{
	{"agsh NVT probe", agshProbe, lanSource, 2, "reply"},
	{"empty probe", probeEnv("", probeBody("", "")), lanSource, 2, "reply"},
	{"Device with own prefix", probeEnv("", probeBody(`<Types xmlns:x="`+nsTDS+`">x:Device</Types>`, "")), lanSource, 2, "reply"},
	{"both types", probeEnv("", probeBody(`<Types xmlns:t="`+nsTDS+`">dn:NetworkVideoTransmitter t:Device</Types>`, "")), lanSource, 2, "reply"},
	{"default namespace type", probeEnv("", probeBody(`<Types xmlns="`+nsDN+`">NetworkVideoTransmitter</Types>`, "")), lanSource, 2, "reply"},
	{"prefix bound to the wrong namespace", probeEnv("", probeBody(`<Types xmlns:dn="urn:other">dn:NetworkVideoTransmitter</Types>`, "")), lanSource, 2, "NoMatch"},
	{"unbound prefix", probeEnv("", probeBody(`<Types>zz:NetworkVideoTransmitter</Types>`, "")), lanSource, 2, "NoMatch"},
	{"other type", probeEnv("", probeBody(`<Types>dn:NetworkVideoDisplay</Types>`, "")), lanSource, 2, "NoMatch"},
	{"scope prefix rfc3986", probeEnv("", probeBody("", `<Scopes>onvif://www.onvif.org/type onvif://WWW.ONVIF.ORG/Profile/Streaming/</Scopes>`)), lanSource, 2, "reply"},
	{"scope name", probeEnv("", probeBody("", `<Scopes MatchBy="`+matchRFC3986+`">onvif://www.onvif.org/name/Gate%203</Scopes>`)), lanSource, 2, "reply"},
	{"scope location", probeEnv("", probeBody("", `<Scopes>onvif://www.onvif.org/location/city</Scopes>`)), lanSource, 2, "reply"},
	{"scope MAC", probeEnv("", probeBody("", `<Scopes>onvif://www.onvif.org/MacAddress/02:00:00:00:00:17</Scopes>`)), lanSource, 2, "reply"},
	{"scope partial segment", probeEnv("", probeBody("", `<Scopes>onvif://www.onvif.org/Profile/Stream</Scopes>`)), lanSource, 2, "NoMatch"},
	{"scope other name", probeEnv("", probeBody("", `<Scopes>onvif://www.onvif.org/name/Other</Scopes>`)), lanSource, 2, "NoMatch"},
	{"strcmp0 exact", probeEnv("", probeBody("", `<Scopes MatchBy="`+matchStrcmp0+`">onvif://www.onvif.org/Profile/Streaming</Scopes>`)), lanSource, 2, "reply"},
	{"strcmp0 prefix", probeEnv("", probeBody("", `<Scopes MatchBy="`+matchStrcmp0+`">onvif://www.onvif.org/Profile</Scopes>`)), lanSource, 2, "NoMatch"},
	{"unknown MatchBy", probeEnv("", probeBody("", `<Scopes MatchBy="urn:x">onvif://www.onvif.org/Profile</Scopes>`)), lanSource, 2, "NoMatch"},
	{"off-link source", agshProbe, netip.MustParseAddrPort("203.0.113.5:3702"), 2, "OffLink"},
	{"source of the down interface's subnet", agshProbe, netip.MustParseAddrPort("198.51.100.7:3702"), 2, "OffLink"},
	{"on-link source, other interface", agshProbe, lanSource, 3, "OffLink"},
	{"network address source", agshProbe, netip.MustParseAddrPort("192.0.2.0:3702"), 2, "OffLink"},
	{"port zero", agshProbe, netip.MustParseAddrPort("192.0.2.77:0"), 2, "OffLink"},
	{"DTD", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>` + agshProbe[len(`<?xml version="1.0" encoding="UTF-8"?>`):], lanSource, 2, "Malformed"},
	{"oversized", probeEnv("", probeBody("<Types>"+strings.Repeat(" ", maxDatagram)+"</Types>", "")), lanSource, 2, "Malformed"},
	{"too many types", probeEnv("", probeBody("<Types>"+strings.Repeat("dn:NetworkVideoTransmitter ", maxProbeTokens+1)+"</Types>", "")), lanSource, 2, "Malformed"},
	{"no MessageID", probeEnv(`<wsa:Action xmlns:wsa="`+nsWSA+`">`+actionProbe+`</wsa:Action>`, probeBody("", "")), lanSource, 2, "Malformed"},
	{"huge MessageID", probeEnv(`<wsa:MessageID xmlns:wsa="`+nsWSA+`">`+strings.Repeat("u", maxMessageID+1)+`</wsa:MessageID>`, probeBody("", "")), lanSource, 2, "Malformed"},
	{"wrong Action", probeEnv(`<wsa:MessageID xmlns:wsa="`+nsWSA+`">x</wsa:MessageID><wsa:Action xmlns:wsa="`+nsWSA+`">`+actionHello+`</wsa:Action>`, probeBody("", "")), lanSource, 2, "Malformed"},
	{"ProbeMatches (no reflection loops)", probeEnv("", `<ProbeMatches xmlns="`+nsWSD+`"/>`), lanSource, 2, "Malformed"},
	{"SOAP 1.1", strings.ReplaceAll(agshProbe, nsSOAP12, nsSOAP11), lanSource, 2, "Malformed"},
	{"not XML", "\x00\x01garbage", lanSource, 2, "Malformed"},
	{"deep nesting", probeEnv("", strings.Repeat("<x>", 40)+strings.Repeat("</x>", 40)), lanSource, 2, "Malformed"},
}

func counter(s DiscoveryStats, name string) uint64 {
	switch name {
	case "reply":
		return s.Replied
	case "NoMatch":
		return s.NoMatch
	case "OffLink":
		return s.OffLink
	case "Malformed":
		return s.Malformed
	}
	panic(name)
}

func TestDiscoveryHandle(t *testing.T) {
	for _, c := range discoveryCases {
		t.Run(c.name, func(t *testing.T) {
			d, _ := newTestDiscovery(t)
			reply, local, ok := d.handle([]byte(c.data), c.src, c.ifidx)
			if got := counter(d.Stats(), c.want); got != 1 {
				t.Fatalf("%s counter = %d, stats %+v", c.want, got, d.Stats())
			}
			if ok != (c.want == "reply") {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			if local != netip.MustParseAddr("192.0.2.10") {
				t.Errorf("reply from %v", local)
			}
			checkProbeMatch(t, reply, "http://192.0.2.10:8080/onvif/device_service")
		})
	}
}

// checkProbeMatch parses a ProbeMatches reply with the server's parser.
func checkProbeMatch(t *testing.T, reply []byte, xaddr string) {
	t.Helper()
	root, err := parseTree(bytes.NewReader(reply))
	if err != nil {
		t.Fatalf("reply does not parse: %v\n%s", err, reply)
	}
	h, b := root.child(nsSOAP12, "Header"), root.child(nsSOAP12, "Body")
	if got := h.child(nsWSA, "RelatesTo").value(); got != probeMessageID {
		t.Errorf("RelatesTo %q", got)
	}
	if got := h.child(nsWSA, "Action").value(); got != actionMatches {
		t.Errorf("Action %q", got)
	}
	m := b.child(nsWSD, "ProbeMatches").child(nsWSD, "ProbeMatch")
	if got := m.child(nsWSD, "XAddrs").value(); got != xaddr {
		t.Errorf("XAddrs %q, want %q", got, xaddr)
	}
	if got := m.child(nsWSD, "Types").value(); got != "dn:NetworkVideoTransmitter tds:Device" {
		t.Errorf("Types %q", got)
	}
	if got := m.child(nsWSA, "EndpointReference").child(nsWSA, "Address").value(); got != DeviceUUID("cam-17") {
		t.Errorf("endpoint %q", got)
	}
	scopes := m.child(nsWSD, "Scopes").value()
	for _, s := range []string{"onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/Profile/Streaming",
		"onvif://www.onvif.org/name/Gate%203", "onvif://www.onvif.org/hardware/camagent",
		"onvif://www.onvif.org/location/city/hall", "onvif://www.onvif.org/MacAddress/02:00:00:00:00:17"} {
		if !strings.Contains(" "+scopes+" ", " "+s+" ") {
			t.Errorf("scope %s missing from %q", s, scopes)
		}
	}
}

func TestDiscoveryRateLimit(t *testing.T) {
	d, clk := newTestDiscovery(t)
	replies := func(src netip.AddrPort, n int) int {
		got := 0
		for range n {
			if _, _, ok := d.handle([]byte(agshProbe), src, 2); ok {
				got++
			}
		}
		return got
	}
	if got := replies(lanSource, 10); got != int(discoveryPerBurst) {
		t.Fatalf("one source, 10 probes at once: %d replies, want %v", got, discoveryPerBurst)
	}
	clk.Advance(time.Second)
	if got := replies(lanSource, 10); got != 1 {
		t.Fatalf("after 1 s: %d replies, want 1", got)
	}
	// Many sources at once: the global bucket caps the total.
	total := 0
	for i := range 200 {
		total += replies(netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 20)}), 3702), 1)
	}
	if total > int(discoveryGlobalBurs) {
		t.Fatalf("200 sources: %d replies, global burst is %v", total, discoveryGlobalBurs)
	}
	if n := len(d.limit.sources); n > discoverySources {
		t.Fatalf("%d sources remembered, bound %d", n, discoverySources)
	}
	if s := d.Stats(); s.RateLimited == 0 {
		t.Fatalf("nothing counted as rate limited: %+v", s)
	}
	t.Logf("stats %+v", d.Stats())
}

func TestDiscoveryLimiterTableBounded(t *testing.T) {
	l := newReplyLimiter(1, 1, 1e9, 1e9, 4)
	now := t0
	for i := range 4 {
		if !l.allow(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), now) {
			t.Fatal("first probe of a new source refused")
		}
	}
	// Full of busy sources: a new one waits.
	if l.allow(netip.MustParseAddr("10.0.0.99"), now) {
		t.Fatal("new source admitted into a full table of busy sources")
	}
	// A second later the old ones are idle again and make room.
	if !l.allow(netip.MustParseAddr("10.0.0.99"), now.Add(time.Second)) || len(l.sources) > 4 {
		t.Fatalf("table %d entries", len(l.sources))
	}
}

// TestDiscoveryAmplification reports bytes out per byte in for one Probe.
func TestDiscoveryAmplification(t *testing.T) {
	for _, p := range []struct{ name, data string }{
		{"agsh/ODM probe", agshProbe},
		{"minimal probe", `<Envelope xmlns="` + nsSOAP12 + `"><Header><MessageID xmlns="` + nsWSA + `">x</MessageID></Header><Body><Probe xmlns="` + nsWSD + `"/></Body></Envelope>`},
	} {
		d, _ := newTestDiscovery(t)
		reply, _, ok := d.handle([]byte(p.data), lanSource, 2)
		if !ok {
			t.Fatalf("%s: no reply", p.name)
		}
		ratio := float64(len(reply)) / float64(len(p.data))
		t.Logf("%s: %d bytes in, %d bytes out, amplification %.1fx", p.name, len(p.data), len(reply), ratio)
		if ratio > 10 {
			t.Errorf("%s: amplification %.1f", p.name, ratio)
		}
	}
}

func TestDeviceUUIDStable(t *testing.T) {
	a, b := DeviceUUID("cam-17"), DeviceUUID("cam-17")
	if a != b || a == DeviceUUID("cam-18") || !strings.HasPrefix(a, "urn:uuid:") || len(a) != len("urn:uuid:")+36 || a[9+14] != '5' {
		t.Fatalf("DeviceUUID %q %q", a, b)
	}
}

func TestGetDiscoveryModeFollowsConfig(t *testing.T) {
	for _, on := range []bool{false, true} {
		s := newTestServer(t, func(c *Config) { c.Discoverable = on })
		w := postSOAP(s, envelope12(newToken("viewer", 1).header(), `<tds:GetDiscoveryMode/>`))
		body := w.Body.String()
		want := map[bool]string{false: "NonDiscoverable", true: "Discoverable"}[on]
		if !strings.Contains(body, fmt.Sprintf("<tds:DiscoveryMode>%s</tds:DiscoveryMode>", want)) {
			t.Errorf("Discoverable=%v: %s", on, body)
		}
	}
}

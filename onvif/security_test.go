package onvif

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"camagent/auth"
)

const deviceInfo = `<tds:GetDeviceInformation/>`

func isFault(t *testing.T, w interface{ Result() *http.Response }, status int, subcode string) {
	t.Helper()
	res := w.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != status || !bytes.Contains(body, []byte("<env:Value>ter:"+subcode+"</env:Value>")) {
		t.Fatalf("got %d, want %d with ter:%s\n%s", res.StatusCode, status, subcode, body)
	}
}

func TestUsernameTokenRefusals(t *testing.T) {
	stale := newToken("admin", 1)
	stale.created = t0.Add(-5*time.Minute - time.Second).Format(time.RFC3339)
	future := newToken("admin", 2)
	future.created = t0.Add(5*time.Minute + time.Second).Format(time.RFC3339Nano)
	wrong := newToken("admin", 3)
	wrong.password = "admin-secret-2"
	unknown := newToken("nobody", 4)
	text := newToken("admin", 5)
	text.text = true
	noNonce := newToken("admin", 6)
	noNonce.noNonce = true
	noCreated := newToken("admin", 7)
	noCreated.noCreated = true
	shortNonce := newToken("admin", 8)
	shortNonce.nonce = []byte("1234567")
	noZone := newToken("admin", 9)
	noZone.created = "2026-11-27T10:28:05"
	cases := map[string]string{
		"stale":          stale.header(),
		"future":         future.header(),
		"wrong":          wrong.header(),
		"unknown":        unknown.header(),
		"PasswordText":   text.header(),
		"no nonce":       noNonce.header(),
		"no created":     noCreated.header(),
		"short nonce":    shortNonce.header(),
		"no zone":        noZone.header(),
		"no header":      "",
		"empty security": `<wsse:Security xmlns:wsse="` + nsWSSE + `"/>`,
		"two tokens": strings.Replace(newToken("admin", 10).header(), "</wsse:Security>",
			strings.TrimPrefix(strings.TrimSuffix(newToken("admin", 11).header(), "</wsse:Security>"), `<wsse:Security s:mustUnderstand="1" xmlns:wsse="`+nsWSSE+`" xmlns:wsu="`+nsWSU+`">`)+"</wsse:Security>", 1),
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			s := newTestServer(t, nil)
			isFault(t, postSOAP(s, envelope12(h, deviceInfo)), 400, "NotAuthorized")
		})
	}
}

func TestUsernameTokenWindowEdges(t *testing.T) {
	s := newTestServer(t, nil)
	for i, d := range []time.Duration{-5 * time.Minute, 5 * time.Minute, 0} {
		k := newToken("viewer", 100+i)
		k.created = t0.Add(d).Format("2006-01-02T15:04:05.000Z07:00")
		if w := postSOAP(s, envelope12(k.header(), deviceInfo)); w.Code != 200 {
			t.Errorf("created %v: status %d\n%s", d, w.Code, w.Body)
		}
	}
}

func TestUsernameTokenReplay(t *testing.T) {
	s := newTestServer(t, nil)
	env := envelope12(newToken("admin", 1).header(), deviceInfo)
	if w := postSOAP(s, env); w.Code != 200 {
		t.Fatalf("first use: %d\n%s", w.Code, w.Body)
	}
	isFault(t, postSOAP(s, env), 400, "NotAuthorized")
	// Still refused just before the token leaves the window; by then the
	// window check refuses it as well.
	s.clk.Advance(5 * time.Minute)
	isFault(t, postSOAP(s, env), 400, "NotAuthorized")
	s.clk.Advance(2 * time.Second)
	isFault(t, postSOAP(s, env), 400, "NotAuthorized")
}

func TestReplayCacheFullRefusesThenRecovers(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.MaxNonces = 3 })
	for i := range 3 {
		if w := postSOAP(s, envelope12(newToken("viewer", i).header(), deviceInfo)); w.Code != 200 {
			t.Fatalf("token %d: %d", i, w.Code)
		}
	}
	// Full of live nonces: a fresh, correct token is refused, nothing evicted.
	isFault(t, postSOAP(s, envelope12(newToken("viewer", 3).header(), deviceInfo)), 400, "NotAuthorized")
	if n := s.replay.len(); n != 3 {
		t.Fatalf("cache holds %d entries, want 3", n)
	}
	// Once the old tokens left the window, new tokens fit again.
	s.clk.Advance(5*time.Minute + 2*time.Second)
	k := newToken("viewer", 4)
	k.created = s.clk.Now().Format(time.RFC3339)
	if w := postSOAP(s, envelope12(k.header(), deviceInfo)); w.Code != 200 {
		t.Fatalf("after expiry: %d\n%s", w.Code, w.Body)
	}
}

// TestAccessMatrix checks every routed operation against every user level:
// allowed levels get past authorisation, the others get ter:NotAuthorized.
func TestAccessMatrix(t *testing.T) {
	for _, mod := range []func(*Config){nil, withAdmin} {
		accessMatrix(t, newTestServer(t, mod))
	}
}

func accessMatrix(t *testing.T, s *testServer) {
	users := map[auth.Role]string{auth.RoleAnonymous: "", auth.RoleUser: "viewer", auth.RoleOperator: "oper", auth.RoleAdministrator: "admin"}
	seq := 1000
	counts := map[AccessClass]int{}
	for name, op := range s.ops {
		counts[op.class]++
		body := fmt.Sprintf(`<x:%s xmlns:x="%s"><x:ProfileToken>profile_main</x:ProfileToken></x:%s>`, name.Local, name.Space, name.Local)
		for role, u := range users {
			seq++
			h := ""
			if u != "" {
				h = newToken(u, seq).header()
			}
			w := postSOAP(s, envelope12(h, body))
			denied := w.Code == 400 && strings.Contains(w.Body.String(), "ter:NotAuthorized")
			if want := !Allowed(role, op.class); denied != want {
				t.Errorf("%s (%s) as %s: status %d, denied=%v want %v", name.Local, op.class, role, w.Code, denied, want)
			}
		}
	}
	t.Logf("operations per access class: %v", counts)
	if counts[PreAuth] == 0 || counts[ReadSystemSecret] == 0 || counts[WriteSystem] == 0 || counts[Unrecoverable] == 0 || counts[ReadMedia] == 0 {
		t.Errorf("table lost a class: %v", counts)
	}
}

func TestDefaultPolicy(t *testing.T) {
	// ONVIF Core default access policy, row by row.
	want := map[AccessClass][4]bool{ // Anonymous, User, Operator, Administrator
		PreAuth:             {true, true, true, true},
		ReadSystem:          {false, true, true, true},
		ReadSystemSensitive: {false, false, true, true},
		ReadSystemSecret:    {false, false, false, true},
		WriteSystem:         {false, false, false, true},
		Unrecoverable:       {false, false, false, true},
		ReadMedia:           {false, true, true, true},
		Actuate:             {false, false, true, true},
	}
	for c, row := range want {
		for r := auth.RoleAnonymous; r <= auth.RoleAdministrator; r++ {
			if got := Allowed(r, c); got != row[r] {
				t.Errorf("Allowed(%s, %s) = %v", r, c, got)
			}
		}
	}
	if Allowed(auth.RoleAdministrator, AccessClass(99)) {
		t.Error("unknown class allowed")
	}
}

func TestUnknownOperationNeedsAuthentication(t *testing.T) {
	s := newTestServer(t, nil)
	isFault(t, postSOAP(s, envelope12("", `<tds:GetSystemLog/>`)), 400, "NotAuthorized")
	isFault(t, postSOAP(s, envelope12(newToken("viewer", 1).header(), `<x:Anything xmlns:x="urn:x"/>`)), 500, "ActionNotSupported")
}

func TestPreAuthIgnoresBadCredentials(t *testing.T) {
	// A client with a skewed clock must still read the time to correct it.
	s := newTestServer(t, nil)
	k := newToken("admin", 1)
	k.created = t0.Add(-time.Hour).Format(time.RFC3339)
	if w := postSOAP(s, envelope12(k.header(), `<tds:GetSystemDateAndTime/>`)); w.Code != 200 {
		t.Fatalf("status %d\n%s", w.Code, w.Body)
	}
}

// TestHostileXML sends what must be refused before any work: DTDs,
// entity expansion, huge bodies and deep nesting. It reports the time each
// refusal took.
func TestHostileXML(t *testing.T) {
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>` +
		envelope12("", "<tds:GetSystemDateAndTime>&lol2;</tds:GetSystemDateAndTime>")[len(`<?xml version="1.0" encoding="UTF-8"?>`):]
	xxe := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
		envelope12("", "<tds:GetSystemDateAndTime>&xxe;</tds:GetSystemDateAndTime>")[len(`<?xml version="1.0" encoding="UTF-8"?>`):]
	undeclared := envelope12("", "<tds:GetSystemDateAndTime>&lol;</tds:GetSystemDateAndTime>")
	deep := envelope12("", strings.Repeat("<a>", 10000)+strings.Repeat("</a>", 10000))
	big := envelope12("", "<tds:GetSystemDateAndTime>"+strings.Repeat("x", 10<<20)+"</tds:GetSystemDateAndTime>")
	wide := envelope12("", "<tds:GetSystemDateAndTime>"+strings.Repeat("<a/>", 5000)+"</tds:GetSystemDateAndTime>")
	cases := []struct {
		name    string
		body    io.Reader
		chunked bool
		status  int
		sub     string
	}{
		{"billion laughs", strings.NewReader(laughs), false, 400, "WellFormed"},
		{"external entity", strings.NewReader(xxe), false, 400, "WellFormed"},
		{"undeclared entity", strings.NewReader(undeclared), false, 400, "WellFormed"},
		{"10000 deep", strings.NewReader(deep), false, 400, "WellFormed"},
		{"5000 elements", strings.NewReader(wide), false, 400, "WellFormed"},
		{"10 MB with length", strings.NewReader(big), false, 413, "WellFormed"},
		{"10 MB chunked", strings.NewReader(big), true, 413, "WellFormed"},
		{"not xml", strings.NewReader("hello"), false, 400, "WellFormed"},
		{"two bodies", strings.NewReader(envelope12("", "<tds:GetHostname/><tds:GetHostname/>")), false, 400, "WellFormed"},
		{"wrong envelope", strings.NewReader(`<e:Envelope xmlns:e="urn:x"><e:Body><tds:GetHostname xmlns:tds="` + nsTDS + `"/></e:Body></e:Envelope>`), false, 400, ""},
		{"latin1", strings.NewReader(`<?xml version="1.0" encoding="ISO-8859-1"?>` + envelope12("", "<tds:GetHostname/>")[len(`<?xml version="1.0" encoding="UTF-8"?>`):]), false, 400, "WellFormed"},
	}
	s := newTestServer(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			w := post(s, "application/soap+xml", c.body, func(r *http.Request) {
				if c.chunked {
					r.ContentLength = -1
				}
			})
			took := time.Since(start)
			if c.sub == "" {
				if w.Code != c.status || !strings.Contains(w.Body.String(), "env:VersionMismatch") {
					t.Fatalf("got %d\n%s", w.Code, w.Body)
				}
			} else {
				isFault(t, w, c.status, c.sub)
			}
			if strings.Contains(w.Body.String(), "passwd") || strings.Contains(w.Body.String(), "lol") {
				t.Errorf("fault echoes request data:\n%s", w.Body)
			}
			t.Logf("refused in %v", took)
		})
	}
}

func TestHTTPLayer(t *testing.T) {
	s := newTestServer(t, nil)
	env := envelope12("", `<tds:GetSystemDateAndTime/>`)
	// Routing is by body element: a device operation on the media path works.
	w := post(s, "application/soap+xml", strings.NewReader(env), func(r *http.Request) { r.URL.Path = "/onvif/media_service" })
	if w.Code != 200 {
		t.Errorf("device op on media path: %d", w.Code)
	}
	if w := post(s, "application/soap+xml", strings.NewReader(env), func(r *http.Request) { r.URL.Path = "/other" }); w.Code != 404 {
		t.Errorf("path outside /onvif/: %d", w.Code)
	}
	if w := post(s, "application/json", strings.NewReader(env), nil); w.Code != 415 {
		t.Errorf("json: %d", w.Code)
	}
	if w := post(s, "application/soap+xml", strings.NewReader(env), func(r *http.Request) { r.Method = http.MethodGet }); w.Code != 405 {
		t.Errorf("GET: %d", w.Code)
	}
}

func TestXAddrFromHost(t *testing.T) {
	s := newTestServer(t, nil)
	body := `<trt:GetStreamUri><trt:ProfileToken>profile_main</trt:ProfileToken></trt:GetStreamUri>`
	for i, c := range []struct{ host, want string }{
		{"cam.example:8080", "rtsp://cam.example:8554/stream"},
		{"[2001:db8::17]:8080", "rtsp://[2001:db8::17]:8554/stream"},
		{"10.1.2.3", "rtsp://10.1.2.3:8554/stream"},
		{"evil/<x>", "rtsp://192.0.2.10:8554/stream"}, // refused Host: the local address
		{"a:b:c", "rtsp://192.0.2.10:8554/stream"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/onvif/media_service", strings.NewReader(envelope12(newToken("viewer", i).header(), body)))
		r.Host = c.host
		r.Header.Set("Content-Type", "application/soap+xml")
		local := &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 8080}
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		if !strings.Contains(rec.Body.String(), "<tt:Uri>"+c.want+"</tt:Uri>") {
			t.Errorf("Host %q: want %s\n%s", c.host, c.want, rec.Body)
		}
	}
}

func TestSetSynchronizationPointRequestsKeyframe(t *testing.T) {
	s := newTestServer(t, nil)
	w := postSOAP(s, envelope12(newToken("viewer", 1).header(), `<trt:SetSynchronizationPoint><trt:ProfileToken>profile_main</trt:ProfileToken></trt:SetSynchronizationPoint>`))
	if w.Code != 200 || s.keys.n != 1 {
		t.Fatalf("status %d, keyframes %d", w.Code, s.keys.n)
	}
}

// TestHTTPDigest: no credentials get a 401 challenge when Digest is on; a
// correct Digest response is accepted; a wrong one gets a new challenge.
func TestHTTPDigest(t *testing.T) {
	var d *auth.Digest
	s := newTestServer(t, func(c *Config) {
		var err error
		d, err = auth.NewDigest(auth.DigestConfig{Realm: "camagent", Algorithms: []auth.Algorithm{auth.AlgMD5}, NonceTTL: time.Minute}, c.Accounts, c.Clock)
		if err != nil {
			t.Fatal(err)
		}
		c.Digest = d
	})
	env := envelope12("", deviceInfo)
	w := postSOAP(s, env)
	isFault(t, w, 401, "NotAuthorized")
	ch := w.Result().Header.Get("WWW-Authenticate")
	if !strings.HasPrefix(ch, "Digest ") {
		t.Fatalf("challenge %q", ch)
	}
	nonce := param(ch, "nonce")
	for _, c := range []struct {
		pw     string
		status int
	}{{"viewer-secret-333", 200}, {"wrong-password", 401}} {
		w := post(s, "application/soap+xml", strings.NewReader(env), func(r *http.Request) {
			r.Header.Set("Authorization", digestHeader("viewer", c.pw, nonce, param(ch, "opaque"), "/onvif/device_service", c.status))
		})
		if w.Code != c.status {
			t.Errorf("password %q: status %d want %d\n%s", c.pw, w.Code, c.status, w.Body)
		}
	}
}

func param(h, name string) string {
	i := strings.Index(h, name+`="`)
	if i < 0 {
		return ""
	}
	rest := h[i+len(name)+2:]
	return rest[:strings.IndexByte(rest, '"')]
}

func digestHeader(user, pw, nonce, opaque, uri string, nc int) string {
	h := func(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }
	ha1 := h(user + ":camagent:" + pw)
	ha2 := h("POST:" + uri)
	ncs := fmt.Sprintf("%08x", nc)
	resp := h(ha1 + ":" + nonce + ":" + ncs + ":c0ffee:auth:" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="camagent", nonce="%s", uri="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="c0ffee", response="%s", opaque="%s"`,
		user, nonce, uri, ncs, resp, opaque)
}

// Health counts requests, faults and refused credentials.
func TestStatsCountRequestsFaultsAndAuthFailures(t *testing.T) {
	s := newTestServer(t, nil)
	wrong := newToken("admin", 1)
	wrong.password = "admin-secret-2"
	postSOAP(s, envelope12(newToken("admin", 2).header(), deviceInfo))
	postSOAP(s, envelope12(wrong.header(), deviceInfo))
	postSOAP(s, envelope12("", deviceInfo))
	if got, want := s.Stats(), (Stats{Requests: 3, Faults: 2, AuthFailures: 1}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

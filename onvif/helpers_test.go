package onvif

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"camagent/auth"
	"camagent/internal/clock"
)

// t0 is the fake clock's time in every test.
var t0 = time.Date(2026, 11, 27, 10, 28, 5, 0, time.UTC)

var testAccounts = []auth.Account{
	{Name: "admin", Password: "admin-secret-1", Role: auth.RoleAdministrator},
	{Name: "oper", Password: "oper-secret-22", Role: auth.RoleOperator},
	{Name: "viewer", Password: "viewer-secret-333", Role: auth.RoleUser},
}

func passwordOf(name string) string {
	for _, a := range testAccounts {
		if a.Name == name {
			return a.Password
		}
	}
	return "not-a-password"
}

type fakeHost struct{}

func (fakeHost) Hostname() string { return "cam-17" }
func (fakeHost) Interfaces() []NetInterface {
	return []NetInterface{{Name: "eth0", HwAddr: "02:00:00:00:00:17", MTU: 1500, Up: true,
		IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24")}}}
}
func (fakeHost) DNS() []string { return []string{"192.0.2.1", "2001:db8::53"} }

type fakeKeys struct{ n int }

func (k *fakeKeys) RequestKeyframe() { k.n++ }

type testServer struct {
	*Server
	clk  *clock.Fake
	keys *fakeKeys
}

func newTestServer(t testing.TB, mod func(*Config)) *testServer {
	t.Helper()
	clk := clock.NewFake(t0)
	keys := &fakeKeys{}
	cfg := Config{
		Listen: ":8080", RTSPPort: 8554, RTSPPath: "/stream",
		Device: DeviceInfo{Manufacturer: "camagent", Model: "camagent", FirmwareVersion: "v0.0.0-test",
			SerialNumber: "cam-17", HardwareID: "camagent-linux-arm64", Name: "Gate 3 north"},
		Video:    Video{Width: 1280, Height: 720, FPS: 30, BitrateKbps: 2000, GOP: 30},
		Accounts: testAccounts, Keyframes: keys, Host: fakeHost{}, Clock: clk,
		Log: slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: s, clk: clk, keys: keys}
}

// token is a WS-Security UsernameToken to put in a request.
type token struct {
	user, password string
	nonce          []byte
	created        string
	text           bool // PasswordText instead of PasswordDigest
	noNonce        bool
	noCreated      bool
}

func newToken(user string, seq int) token {
	return token{user: user, password: passwordOf(user), nonce: []byte(fmt.Sprintf("nonce-%010d", seq)), created: t0.Format(time.RFC3339)}
}

func (k token) header() string {
	var b strings.Builder
	b.WriteString(`<wsse:Security s:mustUnderstand="1" xmlns:wsse="` + nsWSSE + `" xmlns:wsu="` + nsWSU + `"><wsse:UsernameToken>`)
	b.WriteString("<wsse:Username>" + k.user + "</wsse:Username>")
	if k.text {
		b.WriteString(`<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">` + k.password + "</wsse:Password>")
	} else {
		h := sha1.New()
		h.Write(k.nonce)
		h.Write([]byte(k.created))
		h.Write([]byte(k.password))
		b.WriteString(`<wsse:Password Type="` + passwordDigest + `">` + base64.StdEncoding.EncodeToString(h.Sum(nil)) + "</wsse:Password>")
	}
	if !k.noNonce {
		b.WriteString(`<wsse:Nonce EncodingType="` + base64Binary + `">` + base64.StdEncoding.EncodeToString(k.nonce) + "</wsse:Nonce>")
	}
	if !k.noCreated {
		b.WriteString("<wsu:Created>" + k.created + "</wsu:Created>")
	}
	b.WriteString("</wsse:UsernameToken></wsse:Security>")
	return b.String()
}

// envelope12 wraps a body (and an optional header) in a SOAP 1.2 envelope
// with the prefixes clients use.
func envelope12(header, body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="` + nsTDS +
		`" xmlns:trt="` + nsTRT + `" xmlns:tt="` + nsTT + `"><s:Header>` + header + `</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
}

func envelope11(header, body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tds="` + nsTDS +
		`" xmlns:trt="` + nsTRT + `" xmlns:tt="` + nsTT + `"><s:Header>` + header + `</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
}

func post(s http.Handler, contentType string, body io.Reader, mod func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/onvif/device_service", body)
	r.Host = "192.0.2.10:8080"
	r.RemoteAddr = "192.0.2.99:40000"
	r.Header.Set("Content-Type", contentType)
	if mod != nil {
		mod(r)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func postSOAP(s http.Handler, env string) *httptest.ResponseRecorder {
	return post(s, `application/soap+xml; charset=utf-8; action="x"`, strings.NewReader(env), nil)
}

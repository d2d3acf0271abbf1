package auth

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"camagent/internal/clock"
)

var (
	testKey    = [32]byte{0: 0x5a, 7: 0x11, 31: 0xc3}
	testStart  = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	clientAddr = netip.MustParseAddr("192.0.2.10")
	otherAddr  = netip.MustParseAddr("192.0.2.11")
	testURI    = "rtsp://cam.example/stream"

	testAccounts = []Account{
		{Name: "admin", Password: "correct horse battery", Role: RoleAdministrator},
		{Name: "op", Password: "operator-secret-7", Role: RoleOperator},
		{Name: "viewer", Password: "viewer pass \"quoted\"", Role: RoleUser},
	}
	testPasswords = map[string]string{}
)

func init() {
	for _, a := range testAccounts {
		testPasswords[a.Name] = a.Password
	}
}

func testConfig() DigestConfig {
	return DigestConfig{Realm: "camagent", Algorithms: []Algorithm{AlgSHA256, AlgMD5}, AllowLegacy: true}
}

// newTestDigest builds a Digest with a fixed key on a fake clock at testStart.
func newTestDigest(t testing.TB, mod func(*DigestConfig)) (*Digest, *clock.Fake) {
	t.Helper()
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	clk := clock.NewFake(testStart)
	d, err := newDigest(cfg, testAccounts, clk, testKey)
	if err != nil {
		t.Fatalf("newDigest: %v", err)
	}
	return d, clk
}

// forge changes one base64 character of a nonce at position i.
func forge(nonce string, i int) string {
	b := []byte(nonce)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

type verifyCase struct {
	name         string
	cfg          func(*DigestConfig)
	chal         int    // index of the challenge answered: 0 SHA-256, 1 MD5 (default config)
	user         string // default "admin"
	password     string // default the user's password
	opts         ClientOpts
	nonce        func(n string) string // rewrite the challenged nonce
	header       string                // verbatim header instead of Client output ("-": empty)
	edit         func(h string) string // rewrite the Client output
	clientMethod string                // method hashed by the client; default = method
	method       string                // request method; default DESCRIBE
	uri          string                // request URI; default testURI
	chalFor      netip.Addr            // address the challenge was minted for
	remote       netip.Addr            // address Verify sees
	advance      time.Duration         // fake time between challenge and Verify
	wantErr      error                 // nil: success
	wantUser     string                // on success; default user
}

var verifyCases = []verifyCase{
	// Success paths.
	{name: "sha256 qop ok"},
	{name: "md5 qop ok", chal: 1},
	{name: "md5 without algorithm param means MD5", chal: 1, opts: ClientOpts{OmitAlgorithm: true}},
	{name: "algorithm param case-insensitive", opts: ClientOpts{Algorithm: "sha-256", HashAs: "SHA-256"}},
	{name: "operator account", user: "op", wantUser: "op"},
	{name: "user with quoted password", user: "viewer", wantUser: "viewer"},
	{name: "legacy rfc2069 md5 allowed", chal: 1, opts: ClientOpts{Legacy: true, OmitAlgorithm: true}},
	{name: "legacy rfc2069 sha256 allowed", opts: ClientOpts{Legacy: true}},
	{name: "uppercase response hex", opts: ClientOpts{Response: strings.ToUpper}},
	{name: "qop sent quoted", edit: func(h string) string { return strings.Replace(h, "qop=auth", `qop="auth"`, 1) }},
	{name: "params in other order, odd spacing", edit: reorder},
	{name: "no opaque sent (live555)", chal: 1, opts: ClientOpts{Legacy: true, OmitAlgorithm: true, OmitOpaque: true}},
	{name: "uri trailing slash in digest only", opts: ClientOpts{URI: testURI + "/"}},
	{name: "uri trailing slash in request only", uri: testURI + "/", opts: ClientOpts{URI: testURI}},
	{name: "uri with query exact", uri: testURI + "?profile=sub"},
	{name: "relative http uri exact", method: "POST", uri: "/onvif/device_service"},
	{name: "v4-mapped remote is same client", remote: netip.MustParseAddr("::ffff:192.0.2.10")},
	{name: "nonce exactly at TTL", advance: DefaultNonceTTL},
	{name: "nc uppercase hex", opts: ClientOpts{NCString: "0000000A"}},
	{name: "ipv6 client", chalFor: netip.MustParseAddr("2001:db8::7"), remote: netip.MustParseAddr("2001:db8::7")},

	// Legacy refused.
	{name: "legacy refused when not allowed", cfg: func(c *DigestConfig) { c.AllowLegacy = false }, chal: 1,
		opts: ClientOpts{Legacy: true, OmitAlgorithm: true}, wantErr: ErrUnsupported},

	// Wrong credentials.
	{name: "wrong password", password: "Correct horse battery", wantErr: ErrBadPassword},
	{name: "wrong password md5", chal: 1, password: "x", wantErr: ErrBadPassword},
	{name: "wrong password legacy", chal: 1, password: "x", opts: ClientOpts{Legacy: true}, wantErr: ErrBadPassword},
	{name: "unknown user", user: "mallory", password: "whatever", wantErr: ErrUnknownUser},
	{name: "unknown user legacy", user: "mallory", password: "whatever", opts: ClientOpts{Legacy: true}, wantErr: ErrUnknownUser},
	{name: "user name is case-sensitive", user: "Admin", password: "correct horse battery", wantErr: ErrUnknownUser},
	{name: "method mismatch", clientMethod: "GET", method: "DESCRIBE", wantErr: ErrBadPassword},
	{name: "hashed with md5 but labelled sha256", opts: ClientOpts{HashAs: "MD5"}, wantErr: ErrBadPassword},
	{name: "truncated response", opts: ClientOpts{Response: func(s string) string { return s[:len(s)-1] }}, wantErr: ErrBadPassword},
	{name: "tampered nc", edit: func(h string) string { return strings.Replace(h, "nc=00000001", "nc=00000002", 1) }, wantErr: ErrBadPassword},
	{name: "tampered cnonce", edit: func(h string) string { return strings.Replace(h, "0a4f113b", "0a4f113c", 1) }, wantErr: ErrBadPassword},

	// Nonce problems.
	{name: "stale nonce", advance: DefaultNonceTTL + time.Nanosecond, wantErr: ErrStale},
	{name: "stale nonce legacy", chal: 1, opts: ClientOpts{Legacy: true}, advance: 2 * DefaultNonceTTL, wantErr: ErrStale},
	{name: "stale nonce with wrong password is denied", password: "nope", advance: 2 * DefaultNonceTTL, wantErr: ErrBadPassword},
	{name: "custom ttl", cfg: func(c *DigestConfig) { c.NonceTTL = 5 * time.Second }, advance: 6 * time.Second, wantErr: ErrStale},
	{name: "nonce from another address", remote: otherAddr, wantErr: ErrBadNonce},
	{name: "nonce for ipv4 used from ipv6", remote: netip.MustParseAddr("2001:db8::10"), wantErr: ErrBadNonce},
	{name: "forged nonce mac", nonce: func(n string) string { return forge(n, 20) }, wantErr: ErrBadNonce},
	{name: "forged nonce timestamp", nonce: func(n string) string { return forge(n, 3) }, wantErr: ErrBadNonce},
	{name: "nonce from another key", nonce: func(string) string {
		other, _ := newDigest(testConfig(), testAccounts, clock.NewFake(testStart), [32]byte{1})
		return other.mintNonce(clientAddr)
	}, wantErr: ErrBadNonce},
	{name: "nonce not base64", opts: ClientOpts{Nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c0"}, wantErr: ErrBadNonce},
	{name: "nonce with padding", nonce: func(n string) string { return n + "==" }, wantErr: ErrBadNonce},
	{name: "rfc2617 example nonce", opts: ClientOpts{Nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093"}, wantErr: ErrBadNonce},
	{name: "opaque mismatch", opts: ClientOpts{Opaque: "5ccc069c403ebaf9f0171e9517f40e41"}, wantErr: ErrBadNonce},

	// URI.
	{name: "wrong uri", opts: ClientOpts{URI: "rtsp://cam.example/other"}, wantErr: ErrMalformed},
	{name: "uri query dropped", uri: testURI + "?profile=sub", opts: ClientOpts{URI: testURI}, wantErr: ErrMalformed},
	{name: "uri query added", opts: ClientOpts{URI: testURI + "?profile=main"}, wantErr: ErrMalformed},
	{name: "uri two trailing slashes", opts: ClientOpts{URI: testURI + "//"}, wantErr: ErrMalformed},
	{name: "uri relative vs absolute", opts: ClientOpts{URI: "/stream"}, wantErr: ErrMalformed},

	// Algorithms, qop, features.
	{name: "md5 not offered", cfg: func(c *DigestConfig) { c.Algorithms = []Algorithm{AlgSHA256} },
		opts: ClientOpts{Algorithm: "MD5"}, wantErr: ErrUnsupported},
	{name: "absent algorithm means md5, not offered", cfg: func(c *DigestConfig) { c.Algorithms = []Algorithm{AlgSHA256} },
		opts: ClientOpts{OmitAlgorithm: true}, wantErr: ErrUnsupported},
	{name: "sha256 not offered", cfg: func(c *DigestConfig) { c.Algorithms = []Algorithm{AlgMD5} },
		opts: ClientOpts{Algorithm: "SHA-256"}, wantErr: ErrUnsupported},
	{name: "md5-sess unsupported", chal: 1, opts: ClientOpts{Algorithm: "MD5-sess"}, wantErr: ErrUnsupported},
	{name: "sha256-sess unsupported", opts: ClientOpts{Algorithm: "SHA-256-sess"}, wantErr: ErrUnsupported},
	{name: "sha512-256 unsupported", opts: ClientOpts{Algorithm: "SHA-512-256", HashAs: "SHA-256"}, wantErr: ErrUnsupported},
	{name: "qop auth-int unsupported", opts: ClientOpts{QOP: "auth-int"}, wantErr: ErrUnsupported},
	{name: "userhash unsupported", opts: ClientOpts{Extra: ", userhash=true"}, wantErr: ErrUnsupported},
	{name: "userhash false ignored", opts: ClientOpts{Extra: ", userhash=false"}},
	{name: "unknown params ignored", opts: ClientOpts{Extra: `, foo=bar, charset="UTF-8"`}},
	{name: "username* unsupported", opts: ClientOpts{Extra: ", username*=UTF-8''admin"}, wantErr: ErrUnsupported},

	// Other schemes.
	{name: "basic refused", header: "Basic YWRtaW46Y29ycmVjdCBob3JzZSBiYXR0ZXJ5", wantErr: ErrUnsupported},
	{name: "basic lower-case refused", header: "basic YWRtaW46Y29ycmVjdCBob3JzZSBiYXR0ZXJ5", wantErr: ErrUnsupported},
	{name: "basic with garbage refused", header: `Basic "x`, wantErr: ErrUnsupported},
	{name: "bearer refused", header: "Bearer eyJhbGciOiJub25lIn0.e30.", wantErr: ErrUnsupported},
	{name: "scheme only other", header: "Negotiate", wantErr: ErrUnsupported},

	// No credentials.
	{name: "empty header", header: "-", wantErr: ErrNoCredentials},
	{name: "whitespace header", header: " \t ", wantErr: ErrNoCredentials},

	// Malformed.
	{name: "unterminated quote", header: `Digest username="admin", realm="camagent`, wantErr: ErrMalformed},
	{name: "unterminated quote after escape", header: `Digest username="admin\`, wantErr: ErrMalformed},
	{name: "quote closed early", header: `Digest username="admin, realm="camagent"`, wantErr: ErrMalformed},
	{name: "scheme only digest", header: "Digest", wantErr: ErrMalformed},
	{name: "digest token68", header: "Digest YWRtaW4=", wantErr: ErrMalformed},
	{name: "missing response", header: `Digest username="admin", realm="camagent", nonce="x", uri="/"`, wantErr: ErrMalformed},
	{name: "missing username", header: `Digest realm="camagent", nonce="x", uri="/", response="00"`, wantErr: ErrMalformed},
	{name: "empty username", header: `Digest username="", realm="camagent", nonce="x", uri="/", response="00"`, wantErr: ErrMalformed},
	{name: "missing nonce", header: `Digest username="admin", realm="camagent", uri="/", response="00"`, wantErr: ErrMalformed},
	{name: "missing uri", header: `Digest username="admin", realm="camagent", nonce="x", response="00"`, wantErr: ErrMalformed},
	{name: "missing realm", header: `Digest username="admin", nonce="x", uri="/", response="00"`, wantErr: ErrMalformed},
	{name: "wrong realm", opts: ClientOpts{Realm: "other"}, wantErr: ErrMalformed},
	{name: "qop without nc", edit: func(h string) string { return strings.Replace(h, ", nc=00000001", "", 1) }, wantErr: ErrMalformed},
	{name: "qop without cnonce", edit: func(h string) string { return strings.Replace(h, `, cnonce="0a4f113b"`, "", 1) }, wantErr: ErrMalformed},
	{name: "empty cnonce", edit: func(h string) string { return strings.Replace(h, `cnonce="0a4f113b"`, `cnonce=""`, 1) }, wantErr: ErrMalformed},
	{name: "nc not hex", opts: ClientOpts{NCString: "0000000g"}, wantErr: ErrMalformed},
	{name: "nc zero", opts: ClientOpts{NCString: "00000000"}, wantErr: ErrMalformed},
	{name: "nc too short", opts: ClientOpts{NCString: "1"}, wantErr: ErrMalformed},
	{name: "nc too long", opts: ClientOpts{NCString: "000000001"}, wantErr: ErrMalformed},
	{name: "nc signed", opts: ClientOpts{NCString: "+0000001"}, wantErr: ErrMalformed},
	{name: "cnonce without qop", opts: ClientOpts{Legacy: true, Extra: `, cnonce="abc"`}, wantErr: ErrMalformed},
	{name: "duplicate param", opts: ClientOpts{Extra: `, nonce="abc"`}, wantErr: ErrMalformed},
	{name: "duplicate param different case", opts: ClientOpts{Extra: `, Response="abc"`}, wantErr: ErrMalformed},
	{name: "huge header", opts: ClientOpts{Extra: `, pad="` + strings.Repeat("a", MaxHeaderLen) + `"`}, wantErr: ErrMalformed},
	{name: "too many params", opts: ClientOpts{Extra: manyParams(25)}, wantErr: ErrMalformed},
	{name: "junk between params", opts: ClientOpts{Extra: ` junk`}, wantErr: ErrMalformed},
	{name: "control char in quoted", opts: ClientOpts{Extra: ", x=\"a\nb\""}, wantErr: ErrMalformed},
	{name: "NUL in header", header: "Digest username=\"ad\x00min\"", wantErr: ErrMalformed},
}

// manyParams returns n extra params; with the 10 a client sends that
// exceeds MaxParams once n > 22.
func manyParams(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ", x%d=%d", i, i)
	}
	return b.String()
}

// reorder reverses the order of the params of a Client header and adds
// whitespace around '=' and commas, which RFC 7235 allows.
func reorder(h string) string {
	p, err := ParseAuthorization(h)
	if err != nil {
		panic(err)
	}
	names := []string{"response", "cnonce", "nc", "qop", "algorithm", "opaque", "uri", "nonce", "realm", "username"}
	b := []byte("Digest ")
	for i, n := range names {
		if i > 0 {
			b = append(b, " ,\t "...)
		}
		b = append(b, strings.ToUpper(n[:1])+n[1:]+" = "...)
		if n == "qop" || n == "nc" || n == "algorithm" {
			b = append(b, p.Values[n]...)
		} else {
			b = appendQuoted(b, p.Values[n])
		}
	}
	return string(b) + " , "
}

// buildCase returns a fresh Digest and the header the case sends.
func buildCase(t testing.TB, tc verifyCase) (*Digest, *clock.Fake, string) {
	t.Helper()
	d, clk := newTestDigest(t, tc.cfg)
	chalFor := tc.chalFor
	if !chalFor.IsValid() {
		chalFor = clientAddr
	}
	user := tc.user
	if user == "" {
		user = "admin"
	}
	password := tc.password
	if password == "" {
		password = testPasswords[user]
	}
	method, uri := tc.method, tc.uri
	if method == "" {
		method = "DESCRIBE"
	}
	if uri == "" {
		uri = testURI
	}
	clientMethod := tc.clientMethod
	if clientMethod == "" {
		clientMethod = method
	}
	switch tc.header {
	case "-":
		return d, clk, ""
	case "":
	default:
		return d, clk, tc.header
	}
	chals := d.Challenge(chalFor, false)
	if tc.chal >= len(chals) {
		t.Fatalf("case asks for challenge %d of %d", tc.chal, len(chals))
	}
	o := tc.opts
	if tc.nonce != nil {
		n, _ := ParseAuthorization(chals[tc.chal])
		o.Nonce = tc.nonce(n.Values["nonce"])
	}
	h, err := Client(chals[tc.chal], clientMethod, uri, user, password, o)
	if err != nil {
		t.Fatal(err)
	}
	if tc.edit != nil {
		h = tc.edit(h)
	}
	return d, clk, h
}

func (tc verifyCase) request() (method, uri string, remote netip.Addr) {
	method, uri, remote = tc.method, tc.uri, tc.remote
	if method == "" {
		method = "DESCRIBE"
	}
	if uri == "" {
		uri = testURI
	}
	if !remote.IsValid() {
		remote = clientAddr
	}
	return method, uri, remote
}

// secrets are strings that must never appear in an error or formatted value.
func secrets(t testing.TB) []string {
	var s []string
	for _, a := range testAccounts {
		s = append(s, a.Password)
		for _, alg := range []Algorithm{AlgMD5, AlgSHA256} {
			s = append(s, computeHA1(alg, a.Name, "camagent", a.Password))
		}
	}
	return s
}

func TestVerify(t *testing.T) {
	secret := secrets(t)
	for _, tc := range verifyCases {
		t.Run(tc.name, func(t *testing.T) {
			d, clk, h := buildCase(t, tc)
			clk.Advance(tc.advance)
			method, uri, remote := tc.request()
			acct, err := d.Verify(method, uri, h, remote)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify(%q) = %v, want success", h, err)
				}
				want := tc.wantUser
				if want == "" {
					want = "admin"
				}
				if acct.Name != want || acct.Password != "" || acct.Role < RoleUser {
					t.Fatalf("account = %#v, want %s with no password and a role", acct, want)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify(%q) = %v, want %v", h, err, tc.wantErr)
			}
			if acct != (Account{}) {
				t.Errorf("failed Verify returned account %v", acct)
			}
			if errors.Is(tc.wantErr, ErrDenied) && !errors.Is(err, ErrDenied) {
				t.Errorf("%v does not wrap ErrDenied", err)
			}
			for _, s := range secret {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q leaks a secret", err)
				}
			}
		})
	}
}

func TestDeniedClassesAreIndistinguishable(t *testing.T) {
	for _, err := range []error{ErrUnknownUser, ErrBadPassword} {
		if !errors.Is(err, ErrDenied) {
			t.Errorf("%v does not wrap ErrDenied", err)
		}
	}
	if errors.Is(ErrUnknownUser, ErrBadPassword) || errors.Is(ErrBadPassword, ErrUnknownUser) {
		t.Error("ErrUnknownUser and ErrBadPassword must be distinct for audit")
	}
	for _, err := range []error{ErrNoCredentials, ErrMalformed, ErrUnsupported, ErrBadNonce, ErrStale, ErrReplay, ErrBusy} {
		if errors.Is(err, ErrDenied) {
			t.Errorf("%v unexpectedly wraps ErrDenied", err)
		}
	}
}

func TestVerifyNonceCount(t *testing.T) {
	type step struct {
		nc      uint32
		wrongPW bool
		advance time.Duration
		want    error
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"increasing nc ok", []step{{nc: 1}, {nc: 2}, {nc: 3}}},
		{"gaps allowed", []step{{nc: 1}, {nc: 5}, {nc: 0x100}}},
		{"first use need not be 1", []step{{nc: 7}, {nc: 8}}},
		{"replayed nc", []step{{nc: 1}, {nc: 1, want: ErrReplay}}},
		{"decreasing nc", []step{{nc: 5}, {nc: 4, want: ErrReplay}, {nc: 6}}},
		{"replay refused until stale", []step{{nc: 3}, {nc: 3, advance: 30 * time.Second, want: ErrReplay}, {nc: 3, advance: 31 * time.Second, want: ErrStale}}},
		{"max nc", []step{{nc: 0xffffffff}, {nc: 0xffffffff, want: ErrReplay}}},
		{"failed attempt does not advance nc", []step{{nc: 9, wrongPW: true, want: ErrBadPassword}, {nc: 2}, {nc: 9}}},
		{"denied replay stays denied", []step{{nc: 1}, {nc: 1, wrongPW: true, want: ErrBadPassword}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, clk := newTestDigest(t, nil)
			chal := d.Challenge(clientAddr, false)[0]
			for i, s := range tc.steps {
				clk.Advance(s.advance)
				pw := testPasswords["admin"]
				if s.wrongPW {
					pw += "x"
				}
				h, err := Client(chal, "PLAY", testURI, "admin", pw, ClientOpts{NC: s.nc})
				if err != nil {
					t.Fatal(err)
				}
				_, err = d.Verify("PLAY", testURI, h, clientAddr)
				if !errors.Is(err, s.want) || (s.want == nil && err != nil) {
					t.Fatalf("step %d (nc=%d): err = %v, want %v", i, s.nc, err, s.want)
				}
			}
		})
	}
}

func TestVerifyNonceCountPerNonce(t *testing.T) {
	d, clk := newTestDigest(t, nil)
	c1 := d.Challenge(clientAddr, false)[0]
	clk.Advance(time.Millisecond) // a different stamp, so a different nonce
	c2 := d.Challenge(clientAddr, false)[0]
	if c1 == c2 {
		t.Fatal("challenges share a nonce")
	}
	for _, c := range []string{c1, c2, c1, c2} {
		h, _ := Client(c, "DESCRIBE", testURI, "admin", testPasswords["admin"], ClientOpts{NC: 1})
		_, err := d.Verify("DESCRIBE", testURI, h, clientAddr)
		if c == c1 && err != nil && !errors.Is(err, ErrReplay) {
			t.Fatal(err)
		}
	}
	if got := d.activeNonces(); got != 2 {
		t.Fatalf("tracking %d nonces, want 2", got)
	}
}

func TestVerifyConcurrentReplay(t *testing.T) {
	d, _ := newTestDigest(t, nil)
	h, _ := Client(d.Challenge(clientAddr, false)[0], "DESCRIBE", testURI, "admin", testPasswords["admin"], ClientOpts{})
	const n = 32
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = d.Verify("DESCRIBE", testURI, h, clientAddr) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrReplay):
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d identical requests accepted, want exactly 1", ok, n)
	}
}

func TestVerifyBusy(t *testing.T) {
	d, clk := newTestDigest(t, func(c *DigestConfig) { c.MaxNonceCounts = 2 })
	addrs := []netip.Addr{clientAddr, otherAddr, netip.MustParseAddr("192.0.2.12")}
	chals := make([]string, len(addrs))
	for i, a := range addrs {
		chals[i] = d.Challenge(a, false)[0]
	}
	verify := func(i int, nc uint32, o ClientOpts) error {
		o.NC = nc
		h, _ := Client(chals[i], "DESCRIBE", testURI, "admin", testPasswords["admin"], o)
		_, err := d.Verify("DESCRIBE", testURI, h, addrs[i])
		return err
	}
	steps := []struct {
		name    string
		client  int
		nc      uint32
		legacy  bool
		advance time.Duration
		want    error
	}{
		{"first nonce", 0, 1, false, 0, nil},
		{"second nonce", 1, 1, false, 0, nil},
		{"third nonce refused, not evicted", 2, 1, false, 0, ErrBusy},
		{"tracked nonce still counts", 0, 2, false, 0, nil},
		{"tracked nonce replay still caught", 1, 1, false, 0, ErrReplay},
		{"legacy needs no slot", 2, 0, true, 0, nil},
		{"refused again", 2, 1, false, 10 * time.Second, ErrBusy},
		{"after expiry the old ones are stale", 0, 3, false, DefaultNonceTTL, ErrStale},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		if err := verify(s.client, s.nc, ClientOpts{Legacy: s.legacy}); !errors.Is(err, s.want) || (s.want == nil && err != nil) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.want)
		}
		if n := d.activeNonces(); n > 2 {
			t.Fatalf("%s: table holds %d entries, bound is 2", s.name, n)
		}
	}
	// A fresh nonce fits once the expired entries are pruned.
	chals[2] = d.Challenge(addrs[2], false)[0]
	if err := verify(2, 1, ClientOpts{}); err != nil {
		t.Fatalf("fresh nonce after expiry: %v", err)
	}
	if n := d.activeNonces(); n != 1 {
		t.Fatalf("table holds %d entries after pruning, want 1", n)
	}
}

func TestChallenge(t *testing.T) {
	cases := []struct {
		name  string
		cfg   func(*DigestConfig)
		stale bool
		algs  []string
		realm string
	}{
		{name: "default order", algs: []string{"SHA-256", "MD5"}, realm: "camagent"},
		{name: "stale", stale: true, algs: []string{"SHA-256", "MD5"}, realm: "camagent"},
		{name: "md5 only", cfg: func(c *DigestConfig) { c.Algorithms = []Algorithm{AlgMD5} }, algs: []string{"MD5"}, realm: "camagent"},
		{name: "md5 preferred", cfg: func(c *DigestConfig) { c.Algorithms = []Algorithm{AlgMD5, AlgSHA256} }, algs: []string{"MD5", "SHA-256"}, realm: "camagent"},
		{name: "realm needing escapes", cfg: func(c *DigestConfig) { c.Realm = `cam "north" \ gate` }, algs: []string{"SHA-256", "MD5"}, realm: `cam "north" \ gate`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := newTestDigest(t, tc.cfg)
			got := d.Challenge(clientAddr, tc.stale)
			if len(got) != len(tc.algs) {
				t.Fatalf("got %d challenges, want %d: %q", len(got), len(tc.algs), got)
			}
			var nonce string
			for i, c := range got {
				p, err := ParseAuthorization(c)
				if err != nil {
					t.Fatalf("challenge %q does not parse: %v", c, err)
				}
				if p.Scheme != "Digest" || p.Values["realm"] != tc.realm || p.Values["qop"] != "auth" ||
					p.Values["algorithm"] != tc.algs[i] || len(p.Values["nonce"]) != nonceLen || p.Values["opaque"] == "" {
					t.Errorf("challenge %d = %q parsed to %+v", i, c, p)
				}
				if _, has := p.Values["stale"]; has != tc.stale || (tc.stale && p.Values["stale"] != "true") {
					t.Errorf("challenge %q: stale flag wrong", c)
				}
				if i == 0 {
					nonce = p.Values["nonce"]
				} else if p.Values["nonce"] != nonce {
					t.Errorf("challenges carry different nonces")
				}
				want := fmt.Sprintf(`Digest realm=%s, qop="auth", algorithm=%s, nonce="%s", opaque="%s"`,
					appendQuoted(nil, tc.realm), tc.algs[i], nonce, d.opaque)
				if tc.stale {
					want += ", stale=true"
				}
				if c != want {
					t.Errorf("challenge\n got %s\nwant %s", c, want)
				}
				// A client answering this challenge is accepted.
				h, err := Client(c, "DESCRIBE", testURI, "admin", testPasswords["admin"], ClientOpts{NC: uint32(i + 1)})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := d.Verify("DESCRIBE", testURI, h, clientAddr); err != nil {
					t.Errorf("answer to %q refused: %v", c, err)
				}
			}
		})
	}
}

func TestChallengeNonceBinding(t *testing.T) {
	d, clk := newTestDigest(t, nil)
	n := func(a netip.Addr) string {
		p, _ := ParseAuthorization(d.Challenge(a, false)[0])
		return p.Values["nonce"]
	}
	a, b := n(clientAddr), n(otherAddr)
	if a == b {
		t.Error("nonces for different addresses are equal")
	}
	if n(netip.MustParseAddr("::ffff:192.0.2.10")) != a {
		t.Error("v4-mapped address gets a different nonce")
	}
	clk.Advance(time.Nanosecond)
	if n(clientAddr) == a {
		t.Error("nonce did not change with time")
	}
	d2, _ := NewDigest(testConfig(), testAccounts, clock.NewFake(testStart))
	p, _ := ParseAuthorization(d2.Challenge(clientAddr, false)[0])
	if p.Values["nonce"] == a || p.Values["opaque"] == d.opaque {
		t.Error("NewDigest does not use a random key")
	}
}

func TestKnownVectors(t *testing.T) {
	cases := []struct {
		name                                                       string
		alg                                                        Algorithm
		user, realm, password, method, uri, nonce, nc, cnonce, qop string
		want                                                       string
	}{
		{
			name: "RFC 2617 section 3.5", alg: AlgMD5,
			user: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life",
			method: "GET", uri: "/dir/index.html", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
			nc: "00000001", cnonce: "0a4f113b", qop: "auth",
			want: "6629fae49393a05397450978507c4ef1",
		},
		{
			name: "RFC 7616 section 3.9.1 MD5", alg: AlgMD5,
			user: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life",
			method: "GET", uri: "/dir/index.html", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			nc: "00000001", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop: "auth",
			want: "8ca523f5e9506fed4657c9700eebdbec",
		},
		{
			name: "RFC 7616 section 3.9.1 SHA-256", alg: AlgSHA256,
			user: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life",
			method: "GET", uri: "/dir/index.html", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			nc: "00000001", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop: "auth",
			want: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ha1 := computeHA1(tc.alg, tc.user, tc.realm, tc.password)
			if got := digestResponse(tc.alg, ha1, tc.method, tc.uri, tc.nonce, tc.nc, tc.cnonce, tc.qop); got != tc.want {
				t.Errorf("response = %s, want %s", got, tc.want)
			}
			// The test client, which shares no code with the server, agrees.
			chal := fmt.Sprintf(`Digest realm=%q, qop="auth", algorithm=%s, nonce=%q`, tc.realm, tc.alg, tc.nonce)
			h, err := Client(chal, tc.method, tc.uri, tc.user, tc.password, ClientOpts{CNonce: tc.cnonce})
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParseAuthorization(h)
			if err != nil || p.Values["response"] != tc.want {
				t.Errorf("client header %q (err %v) lacks response %s", h, err, tc.want)
			}
		})
	}
}

func TestNewDigestValidation(t *testing.T) {
	good := testConfig()
	cases := []struct {
		name     string
		cfg      func(*DigestConfig)
		accounts []Account
		wantErr  string // substring; "" means success
	}{
		{name: "valid"},
		{name: "no accounts", accounts: []Account{}},
		{name: "empty realm", cfg: func(c *DigestConfig) { c.Realm = "" }, wantErr: "realm is empty"},
		{name: "realm with newline", cfg: func(c *DigestConfig) { c.Realm = "cam\r\nX-Evil: 1" }, wantErr: "printable ASCII"},
		{name: "realm too long", cfg: func(c *DigestConfig) { c.Realm = strings.Repeat("r", 129) }, wantErr: "longer"},
		{name: "no algorithms", cfg: func(c *DigestConfig) { c.Algorithms = nil }, wantErr: "no algorithms"},
		{name: "unknown algorithm", cfg: func(c *DigestConfig) { c.Algorithms = []Algorithm{"SHA-512"} }, wantErr: "not supported"},
		{name: "sess algorithm", cfg: func(c *DigestConfig) { c.Algorithms = []Algorithm{"MD5-sess"} }, wantErr: "not supported"},
		{name: "duplicate algorithm", cfg: func(c *DigestConfig) { c.Algorithms = []Algorithm{AlgMD5, AlgMD5} }, wantErr: "twice"},
		{name: "negative ttl", cfg: func(c *DigestConfig) { c.NonceTTL = -time.Second }, wantErr: "nonce TTL"},
		{name: "huge ttl", cfg: func(c *DigestConfig) { c.NonceTTL = 2 * time.Hour }, wantErr: "nonce TTL"},
		{name: "negative max", cfg: func(c *DigestConfig) { c.MaxNonceCounts = -1 }, wantErr: "negative"},
		{name: "duplicate account", accounts: []Account{{"a", "pw-one", RoleUser}, {"a", "pw-two", RoleAdministrator}}, wantErr: "duplicate"},
		{name: "anonymous account", accounts: []Account{{"guest", "pw", RoleAnonymous}}, wantErr: "role anonymous"},
		{name: "role out of range", accounts: []Account{{"x", "pw", Role(9)}}, wantErr: "role(9)"},
		{name: "empty name", accounts: []Account{{"", "pw", RoleUser}}, wantErr: "empty name"},
		{name: "name with colon", accounts: []Account{{"a:b", "pw", RoleUser}}, wantErr: "':'"},
		{name: "name with control", accounts: []Account{{"a\nb", "pw", RoleUser}}, wantErr: "control"},
		{name: "name not utf8", accounts: []Account{{"a\xffb", "pw", RoleUser}}, wantErr: "UTF-8"},
		{name: "empty password", accounts: []Account{{"a", "", RoleUser}}, wantErr: "empty password"},
		{name: "long password", accounts: []Account{{"a", strings.Repeat("p", 1025), RoleUser}}, wantErr: "password longer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			accts := tc.accounts
			if accts == nil {
				accts = testAccounts
			}
			d, err := NewDigest(cfg, accts, clock.NewFake(testStart))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("NewDigest: %v", err)
				}
				if d.Accounts() != len(accts) || d.ttl != DefaultNonceTTL || d.maxNC != DefaultMaxNonceCounts {
					t.Errorf("accounts %d ttl %v max %d", d.Accounts(), d.ttl, d.maxNC)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewDigest error = %v, want it to mention %q", err, tc.wantErr)
			}
			for _, a := range accts {
				if a.Password != "" && strings.Contains(err.Error(), a.Password) {
					t.Errorf("error %q contains a password", err)
				}
			}
		})
	}
}

func TestNewDigestNilClock(t *testing.T) {
	d, err := NewDigest(testConfig(), testAccounts, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := Client(d.Challenge(clientAddr, false)[0], "DESCRIBE", testURI, "admin", testPasswords["admin"], ClientOpts{})
	if _, err := d.Verify("DESCRIBE", testURI, h, clientAddr); err != nil {
		t.Fatalf("real clock: %v", err)
	}
}

func TestNoSecretsInFormatting(t *testing.T) {
	d, _ := newTestDigest(t, nil)
	var out []string
	for _, a := range testAccounts {
		out = append(out, fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a), a.LogValue().String())
	}
	out = append(out, fmt.Sprint(d), fmt.Sprintf("%+v", d), fmt.Sprintf("%#v", d))
	for _, s := range secrets(t) {
		for _, o := range out {
			if strings.Contains(o, s) {
				t.Errorf("formatted value %q contains a secret", o)
			}
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, bc := range []struct {
		name     string
		chal     int
		user     string
		legacy   bool
		password string
		wantErr  error
	}{
		{name: "sha256", chal: 0, user: "admin"},
		{name: "md5", chal: 1, user: "admin"},
		{name: "legacy-md5", chal: 1, user: "admin", legacy: true},
		{name: "bad-password", chal: 0, user: "admin", password: "nope", wantErr: ErrBadPassword},
		{name: "unknown-user", chal: 0, user: "nobody", password: "nope", wantErr: ErrUnknownUser},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d, _ := newTestDigest(b, func(c *DigestConfig) { c.MaxNonceCounts = 1 << 20 })
			pw := bc.password
			if pw == "" {
				pw = testPasswords[bc.user]
			}
			// Headers are prepared in batches outside the timer: with qop
			// each request needs a fresh nc.
			const batch = 4096
			var hs []string
			chal := d.Challenge(clientAddr, false)[bc.chal]
			nc := uint32(0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%batch == 0 {
					b.StopTimer()
					hs = hs[:0]
					for range batch {
						nc++
						h, _ := Client(chal, "DESCRIBE", testURI, bc.user, pw, ClientOpts{NC: nc, Legacy: bc.legacy})
						hs = append(hs, h)
					}
					b.StartTimer()
				}
				if _, err := d.Verify("DESCRIBE", testURI, hs[i%batch], clientAddr); !errors.Is(err, bc.wantErr) || (bc.wantErr == nil && err != nil) {
					b.Fatal(err)
				}
			}
		})
	}
}

package auth

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"camagent/internal/clock"
)

// Algorithm is a Digest hash algorithm, spelled as in the algorithm parameter.
type Algorithm string

// Supported algorithms. The "-sess" variants (RFC 7616 section 3.4.2) are
// not supported: they exist so a third party can verify on behalf of the
// server, which we never do, and few clients implement them.
const (
	AlgSHA256 Algorithm = "SHA-256"
	AlgMD5    Algorithm = "MD5"
)

// newHash returns the hash constructor for a, or nil if a is not supported.
func (a Algorithm) newHash() func() hash.Hash {
	switch a {
	case AlgSHA256:
		return sha256.New
	case AlgMD5:
		return md5.New
	}
	return nil
}

// DigestConfig configures a Digest verifier. Zero values of NonceTTL and
// MaxNonceCounts select the defaults.
type DigestConfig struct {
	// Realm is shown to users and hashed into HA1, e.g. "camagent".
	// Printable ASCII, 1..128 bytes. Changing it invalidates nothing
	// stored (HA1 is recomputed at NewDigest) but clients re-prompt.
	Realm string
	// Algorithms are offered in this order, one challenge each; at least
	// one, no duplicates. Put the preferred one first and MD5, if offered
	// for older clients, last: FFmpeg (libavformat/httpauth.c) keeps only
	// the last Digest challenge it receives and can hash only MD5.
	Algorithms []Algorithm
	// AllowLegacy accepts RFC 2069 responses, which have no qop, nc or
	// cnonce (VLC/live555 sends these). Such responses carry no nonce
	// count, so within a nonce's lifetime a captured request can be replayed
	// from the same address; only the nonce TTL and address binding limit
	// that. Default false.
	AllowLegacy bool
	// NonceTTL is how long a nonce stays valid; default 60s, at most 1h.
	// A correct response with an older nonce gives ErrStale.
	NonceTTL time.Duration
	// MaxNonceCounts bounds the table that tracks nc per nonce; default
	// 4096 entries. When it is full, the first use of a new nonce gives
	// ErrBusy until entries expire (after NonceTTL); nothing is evicted.
	MaxNonceCounts int
}

// Defaults and limits for DigestConfig.
const (
	DefaultNonceTTL       = 60 * time.Second
	DefaultMaxNonceCounts = 4096
	maxNonceTTL           = time.Hour
	maxRealmLen           = 128
	maxNameLen            = 255
	maxPasswordLen        = 1024
)

// Digest verifies HTTP/RTSP Digest authentication (RFC 7616, RFC 2617 and,
// optionally, RFC 2069) against a fixed set of accounts. Nonces are stateless
// (timestamp and HMAC, bound to the client address); only the nonce counts of
// nonces that have authenticated a request are remembered, in a bounded table.
//
// A Digest is safe for concurrent use. It never logs. To change accounts,
// build a new Digest; outstanding nonces then fail with ErrBadNonce once and
// clients retry with a fresh challenge.
type Digest struct {
	realm       string
	algs        []Algorithm
	allowLegacy bool
	ttl         time.Duration
	maxNC       int
	clk         clock.Clock
	epoch       time.Time
	key         [32]byte
	opaque      string
	users       map[string]*account
	dummy       account // used for unknown users so their path costs the same

	mu        sync.Mutex
	nc        map[nonceRaw]ncEntry
	minExp    int64
	lastPrune int64
}

// account is an Account reduced to what verification needs.
type account struct {
	acct Account // Password cleared
	ha1  map[Algorithm]string
}

// NewDigest validates cfg and accounts, precomputes HA1 for every account
// and offered algorithm, and draws a random 32-byte HMAC key for nonces.
// Account names must be unique, 1..255 bytes of UTF-8 without ':' or control
// characters; passwords 1..1024 bytes; roles User, Operator or Administrator
// (never Anonymous). A nil clk means clock.Real{}. Errors never contain a
// password.
func NewDigest(cfg DigestConfig, accounts []Account, clk clock.Clock) (*Digest, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, fmt.Errorf("auth: nonce key: %w", err)
	}
	return newDigest(cfg, accounts, clk, key)
}

// newDigest is NewDigest with a given key; tests use a fixed key so fuzz
// seeds carry valid nonces across processes.
func newDigest(cfg DigestConfig, accounts []Account, clk clock.Clock, key [32]byte) (*Digest, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	if err := validateConfig(&cfg); err != nil {
		return nil, err
	}
	d := &Digest{
		realm:       cfg.Realm,
		algs:        append([]Algorithm(nil), cfg.Algorithms...),
		allowLegacy: cfg.AllowLegacy,
		ttl:         cfg.NonceTTL,
		maxNC:       cfg.MaxNonceCounts,
		clk:         clk,
		epoch:       clk.Now(),
		key:         key,
		users:       make(map[string]*account, len(accounts)),
		nc:          make(map[nonceRaw]ncEntry),
	}
	op := d.nonceMAC(opaqueLabel, netip.Addr{})
	d.opaque = base64.RawURLEncoding.EncodeToString(op[:12])

	for i, a := range accounts {
		if err := validateAccount(a); err != nil {
			return nil, fmt.Errorf("auth: account #%d: %w", i, err)
		}
		if _, dup := d.users[a.Name]; dup {
			return nil, fmt.Errorf("auth: account #%d: duplicate name %q", i, a.Name)
		}
		u := &account{acct: Account{Name: a.Name, Role: a.Role}, ha1: make(map[Algorithm]string, len(d.algs))}
		for _, alg := range d.algs {
			u.ha1[alg] = computeHA1(alg, a.Name, d.realm, a.Password)
		}
		d.users[a.Name] = u
	}

	// The dummy's HA1 comes from a random password nobody knows.
	var pw [32]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return nil, fmt.Errorf("auth: dummy secret: %w", err)
	}
	d.dummy.ha1 = make(map[Algorithm]string, len(d.algs))
	for _, alg := range d.algs {
		d.dummy.ha1[alg] = computeHA1(alg, "", d.realm, hex.EncodeToString(pw[:]))
	}
	return d, nil
}

func validateConfig(cfg *DigestConfig) error {
	var errs []error
	switch {
	case cfg.Realm == "":
		errs = append(errs, errors.New("realm is empty"))
	case len(cfg.Realm) > maxRealmLen:
		errs = append(errs, fmt.Errorf("realm longer than %d bytes", maxRealmLen))
	default:
		for i := 0; i < len(cfg.Realm); i++ {
			if c := cfg.Realm[i]; c < 0x20 || c > 0x7e {
				errs = append(errs, errors.New("realm must be printable ASCII"))
				break
			}
		}
	}
	if len(cfg.Algorithms) == 0 {
		errs = append(errs, errors.New("no algorithms"))
	}
	for i, a := range cfg.Algorithms {
		if a.newHash() == nil {
			errs = append(errs, fmt.Errorf("algorithm %q not supported (want %s or %s)", truncate(string(a), 32), AlgSHA256, AlgMD5))
		}
		for _, b := range cfg.Algorithms[:i] {
			if a == b {
				errs = append(errs, fmt.Errorf("algorithm %s listed twice", a))
			}
		}
	}
	switch {
	case cfg.NonceTTL == 0:
		cfg.NonceTTL = DefaultNonceTTL
	case cfg.NonceTTL < 0 || cfg.NonceTTL > maxNonceTTL:
		errs = append(errs, fmt.Errorf("nonce TTL %v outside (0, %v]", cfg.NonceTTL, maxNonceTTL))
	}
	switch {
	case cfg.MaxNonceCounts == 0:
		cfg.MaxNonceCounts = DefaultMaxNonceCounts
	case cfg.MaxNonceCounts < 0:
		errs = append(errs, fmt.Errorf("max nonce counts %d is negative", cfg.MaxNonceCounts))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("auth: digest config: %w", err)
	}
	return nil
}

func validateAccount(a Account) error {
	switch {
	case a.Name == "":
		return errors.New("empty name")
	case len(a.Name) > maxNameLen:
		return fmt.Errorf("name longer than %d bytes", maxNameLen)
	case !utf8.ValidString(a.Name):
		return errors.New("name is not valid UTF-8")
	case strings.ContainsRune(a.Name, ':'):
		// HA1 = H(name:realm:password); RFC 7616 forbids ':' in a plain username.
		return errors.New("name contains ':'")
	case strings.ContainsFunc(a.Name, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }):
		return errors.New("name contains a control character")
	case a.Password == "":
		return errors.New("empty password")
	case len(a.Password) > maxPasswordLen:
		return fmt.Errorf("password longer than %d bytes", maxPasswordLen)
	case a.Role < RoleUser || a.Role > RoleAdministrator:
		// ONVIF Core: no user may be added to the anonymous level.
		return fmt.Errorf("role %s not allowed for an account", a.Role)
	}
	return nil
}

// Accounts returns the number of accounts.
func (d *Digest) Accounts() int { return len(d.users) }

// Challenge returns the WWW-Authenticate values to send with a 401, one per
// offered algorithm in preference order, sharing one fresh nonce bound to
// remote (the transport peer address):
//
//	Digest realm="camagent", qop="auth", algorithm=SHA-256, nonce="...", opaque="..."
//
// with ", stale=true" appended when stale is set (answer to ErrStale).
// Send each value as its own header line.
func (d *Digest) Challenge(remote netip.Addr, stale bool) []string {
	nonce := d.mintNonce(remote)
	out := make([]string, 0, len(d.algs))
	b := make([]byte, 0, 160)
	for _, alg := range d.algs {
		b = append(b[:0], "Digest realm="...)
		b = appendQuoted(b, d.realm)
		b = append(b, `, qop="auth", algorithm=`...)
		b = append(b, alg...)
		b = append(b, `, nonce="`...)
		b = append(b, nonce...)
		b = append(b, `", opaque="`...)
		b = append(b, d.opaque...)
		b = append(b, '"')
		if stale {
			b = append(b, ", stale=true"...)
		}
		out = append(out, string(b))
	}
	return out
}

// digestCreds are the Digest parameters Verify uses.
type digestCreds struct {
	username, realm, nonce, uri, response string
	alg                                   Algorithm
	qop, nc, cnonce                       string // all empty for RFC 2069
	ncVal                                 uint32
	opaque                                string
	hasOpaque                             bool
}

// Verify checks an Authorization header for a request with the given method
// (e.g. "DESCRIBE", "GET") and request URI (as in the request line), sent by
// remote, the transport peer address (never a forwarded-for header). It
// returns the account, with an empty Password, or an error for which
// errors.Is matches one of the package's sentinel errors:
//
//   - ErrNoCredentials: send Challenge(remote, false).
//   - ErrStale: send Challenge(remote, true).
//   - ErrBusy: the server is overloaded with live nonces; 503 or a 401.
//   - anything else (ErrDenied, ErrMalformed, ErrUnsupported, ErrBadNonce,
//     ErrReplay): a failed attempt; answer 401 with Challenge(remote,
//     false), giving the client no detail. Callers add brute-force delay
//     and audit on ErrDenied.
//
// Checks, in order: header syntax and bounds; scheme (only Digest; Basic is
// never accepted because it sends the password in clear); required
// parameters; realm; algorithm (absent means MD5; must be offered; -sess
// variants unsupported); qop (auth, or absent only with AllowLegacy); uri
// against the request URI; nonce and opaque authenticity for remote; the
// response, in constant time and computed even for unknown users; nonce age;
// and, with qop, that nc increases for the nonce. Correct credentials with an
// expired nonce give ErrStale, wrong ones give ErrDenied whatever the age.
func (d *Digest) Verify(method, uri, authorization string, remote netip.Addr) (Account, error) {
	c, err := d.parseCreds(authorization)
	if err != nil {
		return Account{}, err
	}
	if !uriMatches(c.uri, uri) {
		return Account{}, fmt.Errorf("%w: digest uri does not match the request URI", ErrMalformed)
	}
	raw, stamp, ok := d.openNonce(c.nonce, remote)
	if !ok {
		return Account{}, ErrBadNonce
	}
	if c.hasOpaque && subtle.ConstantTimeCompare([]byte(c.opaque), []byte(d.opaque)) != 1 {
		return Account{}, fmt.Errorf("%w: opaque mismatch", ErrBadNonce)
	}

	// Same work whether or not the user exists: look up, compute the
	// expected response from a real or dummy HA1, compare in constant time.
	u, known := d.users[c.username]
	if !known {
		u = &d.dummy
	}
	want := digestResponse(c.alg, u.ha1[c.alg], method, c.uri, c.nonce, c.nc, c.cnonce, c.qop)
	match := subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(c.response))) == 1
	switch {
	case !known:
		return Account{}, ErrUnknownUser
	case !match:
		return Account{}, ErrBadPassword
	}

	if err := d.checkFresh(raw, stamp, c.ncVal, c.qop != ""); err != nil {
		return Account{}, err
	}
	return u.acct, nil
}

// parseCreds parses and checks everything that needs no secret.
func (d *Digest) parseCreds(h string) (digestCreds, error) {
	var c digestCreds
	s := trimOWS(h)
	if s == "" {
		return c, ErrNoCredentials
	}
	if len(h) > MaxHeaderLen {
		return c, fmt.Errorf("%w: header longer than %d bytes", ErrMalformed, MaxHeaderLen)
	}
	// Look at the scheme before parsing the rest, so Basic is refused as
	// unsupported whatever its (token68) credentials look like.
	scheme, _, _ := strings.Cut(s, " ")
	scheme, _, _ = strings.Cut(scheme, "\t")
	if !strings.EqualFold(scheme, "Digest") {
		if strings.EqualFold(scheme, "Basic") {
			return c, fmt.Errorf("%w: Basic authentication is not accepted", ErrUnsupported)
		}
		return c, fmt.Errorf("%w: scheme is not Digest", ErrUnsupported)
	}
	p, err := ParseAuthorization(h)
	if err != nil {
		return c, err
	}
	if p.Token68 != "" {
		return c, fmt.Errorf("%w: Digest credentials must be parameters", ErrMalformed)
	}
	if v, ok := p.Values["userhash"]; ok && !strings.EqualFold(v, "false") {
		return c, fmt.Errorf("%w: userhash", ErrUnsupported)
	}
	if _, ok := p.Values["username*"]; ok {
		return c, fmt.Errorf("%w: username*", ErrUnsupported)
	}
	for _, f := range [...]struct {
		name string
		dst  *string
	}{
		{"username", &c.username},
		{"realm", &c.realm},
		{"nonce", &c.nonce},
		{"uri", &c.uri},
		{"response", &c.response},
	} {
		v, ok := p.Values[f.name]
		if !ok || v == "" {
			return c, fmt.Errorf("%w: missing %s", ErrMalformed, f.name)
		}
		*f.dst = v
	}
	if c.realm != d.realm {
		return c, fmt.Errorf("%w: realm does not match", ErrMalformed)
	}
	c.opaque, c.hasOpaque = p.Values["opaque"]

	c.alg = AlgMD5 // RFC 7616 section 3.4: absent means MD5
	if v, ok := p.Values["algorithm"]; ok {
		switch {
		case strings.EqualFold(v, string(AlgMD5)):
			c.alg = AlgMD5
		case strings.EqualFold(v, string(AlgSHA256)):
			c.alg = AlgSHA256
		default:
			return c, fmt.Errorf("%w: algorithm %q", ErrUnsupported, truncate(v, 32))
		}
	}
	offered := false
	for _, a := range d.algs {
		offered = offered || a == c.alg
	}
	if !offered {
		return c, fmt.Errorf("%w: algorithm %s not offered", ErrUnsupported, c.alg)
	}

	qop, hasQop := p.Values["qop"]
	nc, hasNC := p.Values["nc"]
	cnonce, hasCnonce := p.Values["cnonce"]
	if !hasQop {
		if hasNC || hasCnonce {
			return c, fmt.Errorf("%w: nc or cnonce without qop", ErrMalformed)
		}
		if !d.allowLegacy {
			return c, fmt.Errorf("%w: response without qop (RFC 2069)", ErrUnsupported)
		}
		return c, nil
	}
	if !strings.EqualFold(qop, "auth") {
		return c, fmt.Errorf("%w: qop %q", ErrUnsupported, truncate(qop, 32))
	}
	if !hasNC || !hasCnonce || cnonce == "" {
		return c, fmt.Errorf("%w: qop without nc or cnonce", ErrMalformed)
	}
	// nc-value = 8LHEX; accept either case but exactly eight digits.
	n, err := strconv.ParseUint(nc, 16, 32)
	if len(nc) != 8 || err != nil || n == 0 {
		return c, fmt.Errorf("%w: nc must be 8 hex digits, not zero", ErrMalformed)
	}
	c.qop, c.nc, c.cnonce, c.ncVal = qop, nc, cnonce, uint32(n)
	return c, nil
}

// uriMatches compares the digest uri parameter with the request URI.
//
// Exact match, or equality after removing one trailing "/" from each. The
// slash tolerance is for RTSP clients: some send the presentation URL with a
// trailing slash in one place and without it in the other (the request line
// vs. the digest uri, e.g. a base URL "rtsp://cam/stream/" used for
// aggregate control), and our RTSP and HTTP routers treat "/p" and "/p/" as
// the same resource, so accepting both lets no response be reused for a
// different resource. A query string gets no such tolerance: "?a=1" must be
// in both or neither, since it can select a different stream.
func uriMatches(digestURI, requestURI string) bool {
	if digestURI == requestURI {
		return true
	}
	return strings.TrimSuffix(digestURI, "/") == strings.TrimSuffix(requestURI, "/")
}

// computeHA1 returns hex(H(user:realm:password)).
func computeHA1(alg Algorithm, user, realm, password string) string {
	return hexHash(alg, user, realm, password)
}

// digestResponse returns the expected response for a precomputed ha1:
// with qop, hex(H(HA1:nonce:nc:cnonce:qop:HA2)); without (RFC 2069),
// hex(H(HA1:nonce:HA2)); HA2 = hex(H(method:uri)).
func digestResponse(alg Algorithm, ha1, method, uri, nonce, nc, cnonce, qop string) string {
	ha2 := hexHash(alg, method, uri)
	if qop == "" {
		return hexHash(alg, ha1, nonce, ha2)
	}
	return hexHash(alg, ha1, nonce, nc, cnonce, qop, ha2)
}

// hexHash returns the lower-case hex hash of parts joined with ':'.
func hexHash(alg Algorithm, parts ...string) string {
	h := alg.newHash()()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// String describes the verifier without any secret, so a *Digest that ends
// up in a log line leaks no HA1.
func (d *Digest) String() string {
	return fmt.Sprintf("auth.Digest{realm=%q, algorithms=%v, accounts=%d}", d.realm, d.algs, len(d.users))
}

// GoString is String, for %#v.
func (d *Digest) GoString() string { return d.String() }

package auth

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// FuzzParseAuthorization checks that the parser never panics, respects its
// bounds, returns only its documented errors, and that what it accepts
// survives a format/parse round trip.
func FuzzParseAuthorization(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.in)
	}
	for _, tc := range verifyCases {
		_, _, h := buildCase(f, tc)
		f.Add(h)
	}
	d, _ := newTestDigest(f, nil)
	for _, c := range d.Challenge(clientAddr, true) {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, h string) {
		p, err := ParseAuthorization(h)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoCredentials) {
				t.Fatalf("undocumented error %v", err)
			}
			if p.Scheme != "" || p.Values != nil {
				t.Fatalf("error with non-empty result %+v", p)
			}
			return
		}
		if len(h) > MaxHeaderLen {
			t.Fatalf("accepted a %d-byte header", len(h))
		}
		if len(p.Values) > MaxParams {
			t.Fatalf("accepted %d params", len(p.Values))
		}
		if p.Scheme == "" || (p.Token68 != "" && p.Values != nil) {
			t.Fatalf("inconsistent result %+v", p)
		}
		for k, v := range p.Values {
			if k == "" || k != strings.ToLower(k) || len(k)+len(v) > len(h) {
				t.Fatalf("bad param %q=%q", k, v)
			}
		}
		checkRoundTrip(t, p)
	})
}

// FuzzVerify feeds arbitrary requests to a fresh Digest (fixed key, fake
// clock) per input. Seeds are the TestVerify cases, so they carry valid
// nonces and reach the response check. It asserts no panic, only sentinel
// errors, a bounded nonce table, and that success implies a real account.
func FuzzVerify(f *testing.F) {
	for _, tc := range verifyCases {
		_, _, h := buildCase(f, tc)
		method, uri, remote := tc.request()
		f.Add(method, uri, h, remote.String())
	}
	sentinels := []error{ErrNoCredentials, ErrMalformed, ErrUnsupported, ErrDenied, ErrBadNonce, ErrStale, ErrReplay, ErrBusy}
	f.Fuzz(func(t *testing.T, method, uri, h, remote string) {
		addr, _ := netip.ParseAddr(remote) // invalid -> zero Addr, which must also be safe
		d, _ := newTestDigest(t, func(c *DigestConfig) { c.MaxNonceCounts = 4 })
		for range 2 { // the second call exercises replay detection
			acct, err := d.Verify(method, uri, h, addr)
			if err != nil {
				known := false
				for _, s := range sentinels {
					known = known || errors.Is(err, s)
				}
				if !known {
					t.Fatalf("undocumented error %v", err)
				}
				if acct != (Account{}) {
					t.Fatalf("error %v with account %v", err, acct)
				}
				continue
			}
			if acct.Role < RoleUser || acct.Role > RoleAdministrator || acct.Password != "" || testPasswords[acct.Name] == "" {
				t.Fatalf("Verify returned %#v", acct)
			}
			if !strings.Contains(strings.ToLower(h), "response") {
				t.Fatalf("success without a response param: %q", h)
			}
		}
		if n := d.activeNonces(); n > 4 {
			t.Fatalf("nonce table holds %d entries, bound 4", n)
		}
	})
}

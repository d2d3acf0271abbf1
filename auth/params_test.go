package auth

import (
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
)

var parseCases = []struct {
	name    string
	in      string
	want    Params
	wantErr error
}{
	{name: "digest params", in: `Digest username="Mufasa", realm="testrealm@host.com", nc=00000001, qop=auth`,
		want: Params{Scheme: "Digest", Values: map[string]string{"username": "Mufasa", "realm": "testrealm@host.com", "nc": "00000001", "qop": "auth"}}},
	{name: "escapes in quoted string", in: `Digest realm="a \"b\" \\ c"`,
		want: Params{Scheme: "Digest", Values: map[string]string{"realm": `a "b" \ c`}}},
	{name: "escaped ordinary char", in: `Digest x="\a\b"`, want: Params{Scheme: "Digest", Values: map[string]string{"x": "ab"}}},
	{name: "empty quoted value", in: `Digest x=""`, want: Params{Scheme: "Digest", Values: map[string]string{"x": ""}}},
	{name: "comma inside quotes", in: `Digest qop="auth, auth-int"`, want: Params{Scheme: "Digest", Values: map[string]string{"qop": "auth, auth-int"}}},
	{name: "names lower-cased", in: `Digest UserName="a", REALM=b`, want: Params{Scheme: "Digest", Values: map[string]string{"username": "a", "realm": "b"}}},
	{name: "whitespace around = and commas", in: "Digest  a = b ,\tc\t=\t\"d\" ,", want: Params{Scheme: "Digest", Values: map[string]string{"a": "b", "c": "d"}}},
	{name: "empty list elements", in: `Digest ,, a=b,,, c=d ,`, want: Params{Scheme: "Digest", Values: map[string]string{"a": "b", "c": "d"}}},
	{name: "leading and trailing OWS", in: " \tDigest a=b \t", want: Params{Scheme: "Digest", Values: map[string]string{"a": "b"}}},
	{name: "tab after scheme", in: "Digest\ta=b", want: Params{Scheme: "Digest", Values: map[string]string{"a": "b"}}},
	{name: "obs-text in quoted", in: "Digest a=\"caf\xc3\xa9\"", want: Params{Scheme: "Digest", Values: map[string]string{"a": "caf\xc3\xa9"}}},
	{name: "scheme only", in: "Digest", want: Params{Scheme: "Digest"}},
	{name: "scheme case kept", in: "dIgEsT a=b", want: Params{Scheme: "dIgEsT", Values: map[string]string{"a": "b"}}},
	{name: "basic token68", in: "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", want: Params{Scheme: "Basic", Token68: "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}},
	{name: "token68 without padding", in: "Bearer abc.def-_~+/", want: Params{Scheme: "Bearer", Token68: "abc.def-_~+/"}},
	{name: "exactly 32 params", in: "Digest " + strings.TrimPrefix(manyParams(32), ", "), want: Params{Scheme: "Digest", Values: func() map[string]string {
		m := map[string]string{}
		for i := range 32 {
			m["x"+strconv.Itoa(i)] = strconv.Itoa(i)
		}
		return m
	}()}},

	{name: "empty", in: "", wantErr: ErrNoCredentials},
	{name: "only whitespace", in: " \t ", wantErr: ErrNoCredentials},
	{name: "unterminated quote", in: `Digest a="b`, wantErr: ErrMalformed},
	{name: "unterminated after escape", in: `Digest a="b\`, wantErr: ErrMalformed},
	{name: "escaped control char", in: "Digest a=\"\\\x01\"", wantErr: ErrMalformed},
	{name: "newline in quoted", in: "Digest a=\"b\r\nc\"", wantErr: ErrMalformed},
	{name: "DEL in quoted", in: "Digest a=\"b\x7f\"", wantErr: ErrMalformed},
	{name: "missing =", in: `Digest a, b=c`, wantErr: ErrMalformed},
	{name: "missing value", in: `Digest a=, b=c`, wantErr: ErrMalformed},
	{name: "missing value at end", in: `Digest a=b, c=`, wantErr: ErrMalformed},
	{name: "missing name", in: `Digest a=b, ="c"`, wantErr: ErrMalformed},
	{name: "space instead of comma", in: `Digest a=b c=d`, wantErr: ErrMalformed},
	{name: "junk after quoted", in: `Digest a="b"c`, wantErr: ErrMalformed},
	{name: "separator in token value", in: `Digest a=b/c`, wantErr: ErrMalformed},
	{name: "no space after scheme", in: `Digest,a=b`, wantErr: ErrMalformed},
	{name: "no scheme", in: `=abc`, wantErr: ErrMalformed},
	{name: "quoted scheme", in: `"Digest" a=b`, wantErr: ErrMalformed},
	{name: "duplicate", in: `Digest a=b, a=c`, wantErr: ErrMalformed},
	{name: "duplicate case-insensitive", in: `Digest nonce=b, NONCE=b`, wantErr: ErrMalformed},
	{name: "33 params", in: "Digest " + strings.TrimPrefix(manyParams(33), ", "), wantErr: ErrMalformed},
	{name: "too long", in: "Digest a=\"" + strings.Repeat("x", MaxHeaderLen) + "\"", wantErr: ErrMalformed},
	{name: "too long even if whitespace", in: "Digest a=b" + strings.Repeat(" ", MaxHeaderLen), wantErr: ErrMalformed},
	{name: "NUL", in: "Digest a=b\x00", wantErr: ErrMalformed},
}

func TestParseAuthorization(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAuthorization(tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got.Scheme != tc.want.Scheme || got.Token68 != tc.want.Token68 || !maps.Equal(got.Values, tc.want.Values) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for k, v := range tc.want.Values {
				if g, ok := got.Get(strings.ToUpper(k)); !ok || g != v {
					t.Errorf("Get(%q) = %q, %v", strings.ToUpper(k), g, ok)
				}
			}
			checkRoundTrip(t, got)
		})
	}
}

// format writes p back out, every value as a quoted-string.
func format(p Params) string {
	b := []byte(p.Scheme)
	if p.Token68 != "" {
		return string(append(append(b, ' '), p.Token68...))
	}
	first := true
	for k, v := range p.Values {
		if first {
			b = append(b, ' ')
			first = false
		} else {
			b = append(b, ", "...)
		}
		b = append(b, k...)
		b = append(b, '=')
		b = appendQuoted(b, v)
	}
	return string(b)
}

// checkRoundTrip asserts that formatting p and parsing it again gives p.
func checkRoundTrip(t testing.TB, p Params) {
	t.Helper()
	s := format(p)
	if len(s) > MaxHeaderLen {
		return // quoting can grow a value past the bound
	}
	q, err := ParseAuthorization(s)
	if err != nil {
		t.Fatalf("re-parse of %q: %v", s, err)
	}
	if q.Scheme != p.Scheme || q.Token68 != p.Token68 || !maps.Equal(q.Values, p.Values) {
		t.Fatalf("round trip: %+v -> %q -> %+v", p, s, q)
	}
}

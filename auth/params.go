package auth

import (
	"fmt"
	"strings"
)

// Bounds on untrusted Authorization headers.
const (
	// MaxHeaderLen is the longest Authorization value parsed, in bytes.
	MaxHeaderLen = 4096
	// MaxParams is the most auth-params one header may carry.
	MaxParams = 32
)

// Params is a parsed credentials or challenge value (RFC 7235 section 2.1):
// an auth-scheme followed by either a token68 or a list of auth-params.
type Params struct {
	// Scheme is the auth-scheme as sent, e.g. "Digest" or "Basic". Compare
	// it with strings.EqualFold: schemes are case-insensitive.
	Scheme string
	// Token68 holds the credentials of token68 schemes such as Basic.
	Token68 string
	// Values maps each auth-param name, lower-cased, to its value with
	// quoting and escapes removed. Nil when there are no params.
	Values map[string]string
}

// Get returns the value of the named auth-param (case-insensitive name).
func (p Params) Get(name string) (string, bool) {
	v, ok := p.Values[strings.ToLower(name)]
	return v, ok
}

// ParseAuthorization parses an Authorization (or WWW-Authenticate) header
// value with the RFC 7235/7616 grammar:
//
//	credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//	auth-param  = token BWS "=" BWS ( token / quoted-string )
//
// Quoted strings may contain quoted-pairs (\" and \\); control characters
// other than HTAB are refused. Empty list elements (",,") are skipped as RFC
// 7230 section 7 asks. Parameter names are case-insensitive and each may
// appear once. Values are accepted quoted or as tokens whatever the
// parameter, because clients differ (qop="auth" is common).
//
// An empty value gives ErrNoCredentials. A header longer than MaxHeaderLen,
// with more than MaxParams params, a duplicate param, or any syntax error
// gives an error wrapping ErrMalformed. Work is linear in len(h).
func ParseAuthorization(h string) (Params, error) {
	if len(h) > MaxHeaderLen {
		return Params{}, fmt.Errorf("%w: header longer than %d bytes", ErrMalformed, MaxHeaderLen)
	}
	s := trimOWS(h)
	if s == "" {
		return Params{}, ErrNoCredentials
	}
	i := 0
	for i < len(s) && isTchar(s[i]) {
		i++
	}
	if i == 0 {
		return Params{}, malformedAt("missing auth-scheme", 0)
	}
	p := Params{Scheme: s[:i]}
	if i == len(s) {
		return p, nil
	}
	if s[i] != ' ' && s[i] != '\t' {
		return Params{}, malformedAt("expected space after auth-scheme", i)
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if isToken68(s[i:]) {
		p.Token68 = s[i:]
		return p, nil
	}
	p.Values = make(map[string]string, 10)
	for {
		// Skip OWS and empty list elements.
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		if i == len(s) {
			return p, nil
		}
		start := i
		for i < len(s) && isTchar(s[i]) {
			i++
		}
		if i == start {
			return Params{}, malformedAt("expected parameter name", i)
		}
		name := strings.ToLower(s[start:i])
		i = skipOWS(s, i)
		if i == len(s) || s[i] != '=' {
			return Params{}, malformedAt("expected '=' after parameter name", i)
		}
		i = skipOWS(s, i+1)
		var val string
		if i < len(s) && s[i] == '"' {
			var err error
			val, i, err = parseQuoted(s, i)
			if err != nil {
				return Params{}, err
			}
		} else {
			start := i
			for i < len(s) && isTchar(s[i]) {
				i++
			}
			if i == start {
				return Params{}, malformedAt("expected token or quoted-string value", i)
			}
			val = s[start:i]
		}
		if _, dup := p.Values[name]; dup {
			return Params{}, fmt.Errorf("%w: duplicate parameter %q", ErrMalformed, truncate(name, 32))
		}
		if len(p.Values) == MaxParams {
			return Params{}, fmt.Errorf("%w: more than %d parameters", ErrMalformed, MaxParams)
		}
		p.Values[name] = val
		i = skipOWS(s, i)
		if i < len(s) && s[i] != ',' {
			return Params{}, malformedAt("expected ',' between parameters", i)
		}
	}
}

// parseQuoted parses the quoted-string starting at s[i] == '"' and returns
// its unescaped content and the index after the closing quote.
func parseQuoted(s string, i int) (string, int, error) {
	open := i
	i++
	start := i
	// Fast path: no escapes, no copy.
	for i < len(s) && s[i] != '"' && s[i] != '\\' && isQDText(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '"' {
		return s[start:i], i + 1, nil
	}
	var b strings.Builder
	b.WriteString(s[start:i])
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i + 1, nil
		case c == '\\':
			i++
			if i == len(s) {
				return "", 0, malformedAt("unterminated quoted string", open)
			}
			if !isQDText(s[i]) && s[i] != '"' && s[i] != '\\' {
				return "", 0, malformedAt("control character in quoted-pair", i)
			}
			b.WriteByte(s[i])
		case isQDText(c):
			b.WriteByte(c)
		default:
			return "", 0, malformedAt("control character in quoted string", i)
		}
		i++
	}
	return "", 0, malformedAt("unterminated quoted string", open)
}

func malformedAt(what string, off int) error {
	return fmt.Errorf("%w: %s at offset %d", ErrMalformed, what, off)
}

// isQDText reports whether c may appear unescaped in a quoted-string:
// HTAB, SP, VCHAR except '"' and '\', and obs-text (0x80-0xFF).
// (Also what a quoted-pair may escape, plus '"' and '\'.)
func isQDText(c byte) bool {
	return c == '\t' || (c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
}

// isTchar reports whether c is an RFC 7230 token character.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isToken68 reports whether s is exactly a token68 (RFC 7235):
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=", with
// trailing OWS already removed by the caller.
func isToken68(s string) bool {
	i := 0
	for i < len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0 {
			i++
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

func trimOWS(s string) string { return strings.Trim(s, " \t") }

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// appendQuoted appends s as an RFC 7230 quoted-string. s must not contain
// control characters other than HTAB (callers validate).
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

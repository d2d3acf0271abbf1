package auth

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// ClientOpts tunes what Client sends; the zero value is a well-behaved
// RFC 7616 client (qop=auth, nc=1, algorithm as challenged).
type ClientOpts struct {
	Legacy        bool   // RFC 2069: no qop, nc, cnonce
	NC            uint32 // nonce count; 0 means 1
	NCString      string // raw nc parameter, overrides NC
	CNonce        string // default "0a4f113b"
	Algorithm     string // algorithm parameter to send instead of the challenged one
	OmitAlgorithm bool   // send no algorithm parameter
	HashAs        string // algorithm to hash with, if not the sent/challenged one
	Realm         string // realm to send and hash with, instead of the challenged one
	Nonce         string // nonce to send and hash with, instead of the challenged one
	URI           string // digest uri to send and hash with, instead of the request URI
	QOP           string // qop to send, default "auth"
	Opaque        string // opaque to send instead of the challenged one
	OmitOpaque    bool
	Extra         string // appended verbatim after the other params, e.g. `, userhash=true`
	Response      func(correct string) string
}

var (
	challengeParam = regexp.MustCompile(`([a-z]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))`)
	quotedPair     = regexp.MustCompile(`\\(.)`)
)

// Client computes an Authorization header as a client would from one
// WWW-Authenticate challenge. It shares no code with the server side: its own
// challenge parsing (a regexp, enough for our challenges) and its own hashing.
func Client(challenge, method, uri, user, password string, o ClientOpts) (string, error) {
	if !strings.HasPrefix(challenge, "Digest ") {
		return "", fmt.Errorf("not a Digest challenge: %q", challenge)
	}
	ch := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(challenge, -1) {
		ch[m[1]] = quotedPair.ReplaceAllString(m[2], "$1") + m[3]
	}
	realm, nonce, alg, opaque := ch["realm"], ch["nonce"], ch["algorithm"], ch["opaque"]
	if o.Realm != "" {
		realm = o.Realm
	}
	if o.Nonce != "" {
		nonce = o.Nonce
	}
	if o.URI != "" {
		uri = o.URI
	}
	if o.Opaque != "" {
		opaque = o.Opaque
	}
	sentAlg := alg
	if o.Algorithm != "" {
		sentAlg = o.Algorithm
	}
	hashAlg := sentAlg
	if o.OmitAlgorithm {
		hashAlg = "MD5"
	}
	if o.HashAs != "" {
		hashAlg = o.HashAs
	}
	var H func(string) string
	switch strings.ToUpper(strings.TrimSuffix(strings.ToUpper(hashAlg), "-SESS")) {
	case "MD5", "":
		H = func(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }
	case "SHA-256":
		H = func(s string) string { x := sha256.Sum256([]byte(s)); return hex.EncodeToString(x[:]) }
	default:
		return "", fmt.Errorf("client cannot hash %q", hashAlg)
	}
	nc := fmt.Sprintf("%08x", max(o.NC, 1))
	if o.NCString != "" {
		nc = o.NCString
	}
	cnonce := o.CNonce
	if cnonce == "" {
		cnonce = "0a4f113b"
	}
	qop := o.QOP
	if qop == "" {
		qop = "auth"
	}
	ha1 := H(user + ":" + realm + ":" + password)
	ha2 := H(method + ":" + uri)
	var resp string
	if o.Legacy {
		resp = H(ha1 + ":" + nonce + ":" + ha2)
	} else {
		resp = H(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2)
	}
	if o.Response != nil {
		resp = o.Response(resp)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username=%q, realm=%q, nonce=%q, uri=%q`, user, realm, nonce, uri)
	if !o.OmitAlgorithm {
		fmt.Fprintf(&b, `, algorithm=%s`, sentAlg)
	}
	if !o.Legacy {
		fmt.Fprintf(&b, `, qop=%s, nc=%s, cnonce=%q`, qop, nc, cnonce)
	}
	fmt.Fprintf(&b, `, response=%q`, resp)
	if !o.OmitOpaque && opaque != "" {
		fmt.Fprintf(&b, `, opaque=%q`, opaque)
	}
	b.WriteString(o.Extra)
	return b.String(), nil
}

package onvif

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// WS-Security namespaces and URIs (OASIS WSS 1.0 UsernameToken Profile).
const (
	nsWSSE         = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU          = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	passwordDigest = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
	base64Binary   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

// Token bounds.
const (
	minNonceBytes = 8
	maxNonceBytes = 64
	maxFieldLen   = 256
)

// Reasons a UsernameToken is refused. The client only ever sees
// ter:NotAuthorized; these are for the log and tests.
var (
	errTokenMalformed = errors.New("onvif: malformed UsernameToken")
	errPasswordText   = errors.New("onvif: PasswordText refused, PasswordDigest required")
	errNoNonce        = errors.New("onvif: UsernameToken without Nonce")
	errNoCreated      = errors.New("onvif: UsernameToken without Created")
	errStale          = errors.New("onvif: UsernameToken Created outside the freshness window")
	errDenied         = errors.New("onvif: wrong user name or password")
	errReplay         = errors.New("onvif: UsernameToken nonce replayed")
	errReplayFull     = errors.New("onvif: nonce replay cache full")
)

// usernameToken is a parsed wsse:UsernameToken.
type usernameToken struct {
	user    string
	digest  []byte // decoded PasswordDigest (20 bytes)
	nonce   []byte
	created string // as sent: the digest covers these exact bytes
	at      time.Time
}

// parseUsernameToken extracts the token from a wsse:Security header,
// refusing PasswordText and tokens without Nonce or Created.
func parseUsernameToken(sec *node) (*usernameToken, error) {
	var ut *node
	for _, k := range sec.kids {
		if k.name.Space == nsWSSE && k.name.Local == "UsernameToken" {
			if ut != nil {
				return nil, fmt.Errorf("%w: several tokens", errTokenMalformed)
			}
			ut = k
		}
	}
	if ut == nil {
		return nil, fmt.Errorf("%w: no UsernameToken", errTokenMalformed)
	}
	user, pw := ut.child(nsWSSE, "Username"), ut.child(nsWSSE, "Password")
	if user == nil || pw == nil || len(user.value()) > maxFieldLen || len(pw.value()) > maxFieldLen {
		return nil, fmt.Errorf("%w: Username or Password missing or too long", errTokenMalformed)
	}
	// An absent Type means PasswordText (WSS UsernameToken Profile 1.0, 4.1).
	if typ, _ := pw.attrValue("Type"); strings.TrimSpace(typ) != passwordDigest {
		return nil, errPasswordText
	}
	t := &usernameToken{user: user.value()}
	d, err := base64.StdEncoding.DecodeString(pw.value())
	if err != nil || len(d) != sha1.Size {
		return nil, fmt.Errorf("%w: PasswordDigest is not base64 SHA-1", errTokenMalformed)
	}
	t.digest = d
	nonce := ut.child(nsWSSE, "Nonce")
	if nonce == nil {
		return nil, errNoNonce
	}
	if enc, ok := nonce.attrValue("EncodingType"); ok && strings.TrimSpace(enc) != base64Binary {
		return nil, fmt.Errorf("%w: Nonce EncodingType not Base64Binary", errTokenMalformed)
	}
	if len(nonce.value()) > maxFieldLen {
		return nil, fmt.Errorf("%w: Nonce too long", errTokenMalformed)
	}
	n, err := base64.StdEncoding.DecodeString(nonce.value())
	if err != nil || len(n) < minNonceBytes || len(n) > maxNonceBytes {
		return nil, fmt.Errorf("%w: Nonce must be base64 of %d..%d bytes", errTokenMalformed, minNonceBytes, maxNonceBytes)
	}
	t.nonce = n
	created := ut.child(nsWSU, "Created")
	if created == nil {
		return nil, errNoCreated
	}
	t.created = created.value()
	if len(t.created) > 64 {
		return nil, fmt.Errorf("%w: Created too long", errTokenMalformed)
	}
	// RFC 3339 with 0..9 fraction digits; a zone is required.
	at, err := time.Parse(time.RFC3339Nano, t.created)
	if err != nil {
		return nil, fmt.Errorf("%w: Created is not an RFC 3339 time", errTokenMalformed)
	}
	t.at = at
	return t, nil
}

// tokenDigest is Base64-decoded PasswordDigest: SHA1(nonce + created + password).
func tokenDigest(nonce []byte, created, password string) []byte {
	h := sha1.New()
	h.Write(nonce)
	h.Write([]byte(created))
	h.Write([]byte(password))
	return h.Sum(nil)
}

// matches reports in constant time whether the token was made with password.
func (t *usernameToken) matches(password string) bool {
	return subtle.ConstantTimeCompare(tokenDigest(t.nonce, t.created, password), t.digest) == 1
}

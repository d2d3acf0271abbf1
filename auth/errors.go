package auth

import (
	"errors"
	"fmt"
)

// Errors returned by Verify and ParseAuthorization. Test them with errors.Is:
// most are returned wrapped with a detail that is safe to log (it never holds
// a password, an HA1 or a response value).
var (
	// ErrNoCredentials means the Authorization header was empty. Answer with
	// a challenge; this is the normal first leg of the exchange, not a failure.
	ErrNoCredentials = errors.New("auth: no credentials")

	// ErrMalformed means the header could not be parsed or lacks a required
	// Digest parameter, or the digest realm or uri does not match the request.
	ErrMalformed = errors.New("auth: malformed authorization")

	// ErrUnsupported means a scheme (Basic, Bearer, ...), algorithm
	// (MD5-sess, SHA-256-sess, one not offered), qop (auth-int) or feature
	// (userhash, username*) this server does not accept, or an RFC 2069
	// response without qop while DigestConfig.AllowLegacy is false.
	ErrUnsupported = errors.New("auth: unsupported authentication")

	// ErrDenied is the class of "wrong credentials". ErrUnknownUser and
	// ErrBadPassword both wrap it; anything a client can see (status, body,
	// timing) must depend only on ErrDenied, never on which of the two.
	ErrDenied = errors.New("auth: access denied")

	// ErrUnknownUser: no account has this user name. Wraps ErrDenied.
	ErrUnknownUser = fmt.Errorf("%w: unknown user", ErrDenied)

	// ErrBadPassword: the account exists but the response does not match,
	// usually a wrong password. Wraps ErrDenied.
	ErrBadPassword = fmt.Errorf("%w: wrong password or response", ErrDenied)

	// ErrBadNonce means the nonce or opaque was not issued by this Digest for
	// this remote address (forged, corrupted, from before a restart, or the
	// client's address changed). Answer with a fresh challenge, stale=false.
	ErrBadNonce = errors.New("auth: nonce not issued to this client")

	// ErrStale means the response was correct but its nonce has expired.
	// Answer with Challenge(remote, true) so the client retries without
	// prompting its user.
	ErrStale = errors.New("auth: stale nonce")

	// ErrReplay means the nonce count (nc) did not increase for this nonce:
	// a replayed or reordered request.
	ErrReplay = errors.New("auth: nonce count replayed")

	// ErrBusy means the nonce-count table is full, so the first use of a new
	// nonce was refused (entries are never evicted early, since that would
	// re-open replays). It clears as nonces expire. RTSP/HTTP: 503.
	ErrBusy = errors.New("auth: too many active nonces")
)

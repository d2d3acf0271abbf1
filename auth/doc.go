// Package auth owns who may use the camera: accounts, their ONVIF roles
// (Anonymous < User < Operator < Administrator), and server-side HTTP Digest
// verification (RFC 7616 with SHA-256 and MD5, RFC 2617, optionally RFC 2069)
// shared by the RTSP server and the ONVIF HTTP server.
//
// Layering: auth is a contract package (L1). It may be imported by stream/,
// onvif/, app/ and cmd/; it imports only the standard library and
// camagent/internal/clock, so it can be tested and fuzzed without a network.
// It does not log: it returns sentinel errors (see Verify) and leaves delays,
// lockout and audit to its callers.
//
// Security properties (the project security notes, section 3.3 "HTTP Digest"):
//
//   - Basic and other schemes are refused (ErrUnsupported): over a plain
//     transport Basic hands the password to any observer.
//   - Nonces are stateless: base64url(timestamp || HMAC-SHA256(key,
//     timestamp || client address)), with a random per-process key. Verify
//     checks the MAC, the client address and the age (DigestConfig.NonceTTL);
//     a correct response with an expired nonce yields ErrStale so the next
//     challenge carries stale=true and the client retries silently.
//   - Replays: with qop=auth the nonce count must strictly increase per nonce;
//     counts are kept in a table bounded by DigestConfig.MaxNonceCounts that
//     refuses new nonces (ErrBusy) rather than evicting live ones. Only
//     requests with a correct response reach the table. RFC 2069 responses
//     (no qop) carry no count and are accepted only with AllowLegacy.
//   - Responses are compared with crypto/subtle, and unknown users are checked
//     against a dummy secret so their path costs the same as a wrong password;
//     ErrUnknownUser and ErrBadPassword both wrap ErrDenied and callers must
//     show clients nothing finer than ErrDenied.
//   - Passwords are reduced to HA1 values at construction and not kept. HA1 is
//     still password-equivalent for Digest, so neither passwords nor HA1
//     appear in errors, and Account's formatting methods redact Password.
//   - The "-sess" algorithms, qop=auth-int, userhash and username* are not
//     supported (ErrUnsupported).
package auth

// Package onvif owns the ONVIF side of the camera: SOAP 1.2 (and 1.1) over
// HTTP written by hand on encoding/xml, WS-Security UsernameToken and HTTP
// Digest authentication, the ONVIF access classes, and the Device (tds,
// ver10) and Media (trt, ver10) services.
//
// Layering: onvif may import auth (accounts, roles, HTTP Digest) and
// internal/clock; it must not import capture, encode, stream or telemetry.
// What it needs from the pipeline (video parameters, forcing an IDR) comes
// through the small types in Config, filled in by app, the only importer.
//
// Security properties (project security notes, section 3):
//
//   - Requests are parsed with a 1 MiB body limit, a nesting depth limit and
//     an element count limit; DTDs (hence entity declarations) are refused,
//     so no entity expansion or external entity can happen.
//   - Operations are routed by the SOAP body element's namespace and local
//     name, never by the URL path, and every routed operation has an ONVIF
//     access class checked against the caller's user level in one place
//     before its handler runs (see access.go). Unknown operations need an
//     authenticated user before they learn they are unknown.
//   - WS-Security UsernameToken is accepted only as PasswordDigest with both
//     Nonce and Created, Created within ±5 minutes of the injected clock,
//     and a bounded nonce-replay cache that refuses new tokens when full
//     rather than evicting live entries. HTTP Digest goes through auth.
//   - Digests are compared in constant time and unknown users cost the same
//     as wrong passwords. Faults tell the client nothing internal.
//   - XAddrs and stream URIs are built from the Host header the client used,
//     after checking it is a plain host[:port].
package onvif

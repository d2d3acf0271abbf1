// Package onvif owns the ONVIF side of the camera: SOAP 1.2 (and 1.1) over
// HTTP written by hand on encoding/xml, WS-Security UsernameToken and HTTP
// Digest authentication, the ONVIF access classes, the Device (tds, ver10),
// Media (trt, ver10), Media2 (tr2), Events (tev, pull points: events*.go)
// and, when Config.Imaging is set, Imaging (timg, ver20: imaging*.go)
// services, the snapshot endpoint (snapshot.go), and the WS-Discovery target service
// (discovery*.go: Hello, Probe/ProbeMatch and Bye on UDP 3702).
//
// Layering: onvif may import auth (accounts, roles, HTTP Digest) and
// internal/clock; it must not import capture, encode, stream or telemetry.
// What it needs from the pipeline (video parameters, forcing an IDR, JPEG
// snapshots) comes through the small types in Config, filled in by app,
// the only importer; app raises events with Server.PublishEvent and
// Server.SetDigitalInput, and backs the Imaging service with an Imaging.
//
// Device management (admin*.go): with a Config.Admin, CreateUsers,
// DeleteUsers, SetUser, Set/Add/RemoveScopes, SetDiscoveryMode,
// SetSystemDateAndTime (Manual, UTC), SystemReboot,
// SetSystemFactoryDefault and Media/Media2 SetVideoEncoderConfiguration
// are validated here, applied and persisted by the Admin, and then
// answered from the new state; without one they answer
// ter:ActionNotSupported. Set operations either take effect or answer a
// fault, never a pretended success. The network Set operations
// (SetHostname, SetDNS, SetNetworkInterfaces, SetNetworkProtocols,
// SetNetworkDefaultGateway, SetNTP, ...) always answer
// ter:ActionNotSupported: the device image owns networking, and the
// device service capabilities say so (NetworkConfigNotSupported).
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
//   - Refused credentials from one source (IPv6: per /64) are answered
//     after a growing delay, up to 8 s, with bounded tables and without
//     holding a request slot (login_delay.go).
//   - XAddrs and stream URIs are built from the Host header the client used,
//     after checking it is a plain host[:port].
//   - WS-Discovery answers only sources inside a subnet of the interface a
//     Probe arrived on, rate-limits replies per source and in total with
//     bounded tables and queues, parses datagrams of at most 8 KiB with the
//     same bounded, DTD-free parser, and never answers its own messages.
//   - Event subscriptions, their queues and long polls are bounded and
//     expire by the injected clock; the snapshot endpoint needs HTTP Digest.
package onvif

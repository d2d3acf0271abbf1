package stream

import (
	"context"
	"net/netip"

	"camagent/auth"
)

// RTSPConfig is the server's view of the configuration.
type RTSPConfig struct {
	Listen         string // host:port for RTSP over TCP
	Path           string // stream path, with leading '/'
	UDP            bool   // also serve RTP over UDP
	UDPRTPPort     int    // even; RTCP uses the next port
	MaxReaders     int
	WriteQueue     int // per-reader queue, RTP packets, power of two
	Anonymous      bool
	KeyframeOnJoin bool
}

// Authenticator checks RTSP Digest credentials (see package auth).
type Authenticator interface {
	Challenge(remote netip.Addr, stale bool) []string
	Verify(method, uri, authorization string, remote netip.Addr) (auth.Account, error)
}

// KeyframeRequester is the encoder's "send an IDR soon" button.
type KeyframeRequester interface {
	RequestKeyframe()
}

// runner is what app composes: every long-lived component has this shape.
type runner interface {
	Run(ctx context.Context) error
}

var _ runner = (*RTSPServer)(nil)

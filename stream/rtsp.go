package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"camagent/auth"
)

const payloadType = 96

// RTSPServer serves the hub's H.264 stream over RTSP (TCP, UDP and
// RTSP-over-HTTP tunnelling, which gortsplib offers on the same port).
// AddPath serves further streams (a sub stream) on the same port, to the
// same users, within the same MaxReaders.
//
// Each reader gets its own gortsplib stream so that it can start on an IDR
// and, after its queue overflowed, resume on the next IDR with contiguous
// sequence numbers: every picture it decodes is clean.
type RTSPServer struct {
	cfg  RTSPConfig
	auth Authenticator
	log  *slog.Logger

	srv    *gortsplib.Server
	mounts []*mount // the main path first; fixed once Run starts

	mu      sync.Mutex
	running bool                                 // Run started: AddPath is too late
	readers map[*gortsplib.ServerSession]*reader // across all mounts, for MaxReaders

	ready chan struct{}

	authFailures atomic.Uint64
	packetsDrop  atomic.Uint64
	sessions     atomic.Uint64
}

// reader is one RTSP session that set up a stream.
type reader struct {
	mount   *mount
	session *gortsplib.ServerSession
	stream  *gortsplib.ServerStream
	media   *description.Media
	waitIDR atomic.Bool
	seq     uint16 // next RTP sequence number; only its mount's writer goroutine touches it
	drops   atomic.Uint64
	sent    atomic.Uint64
}

// NewRTSPServer prepares the server; Run binds the ports.
func NewRTSPServer(cfg RTSPConfig, hub *Hub, authn Authenticator, keys KeyframeRequester, log *slog.Logger) (*RTSPServer, error) {
	if !cfg.Anonymous && authn == nil {
		return nil, errors.New("rtsp: authentication required but no authenticator given")
	}
	main, err := newMount(cfg.Path, hub, keys)
	if err != nil {
		return nil, err
	}
	return &RTSPServer{cfg: cfg, auth: authn, log: log, mounts: []*mount{main},
		readers: map[*gortsplib.ServerSession]*reader{}, ready: make(chan struct{})}, nil
}

// Run serves until ctx ends. It returns an error naming the port when a
// listener cannot be opened, and only after every goroutine it started exited.
func (s *RTSPServer) Run(ctx context.Context) error {
	host, _, err := net.SplitHostPort(s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("rtsp: listen address %q: %w", s.cfg.Listen, err)
	}
	s.srv = &gortsplib.Server{
		Listen:         listenBounded,
		Handler:        s,
		RTSPAddress:    s.cfg.Listen,
		WriteQueueSize: s.cfg.WriteQueue,
		ReadTimeout:    10 * time.Second,
		WriteTimeout:   5 * time.Second,
	}
	if s.cfg.UDP {
		s.srv.UDPRTPAddress = net.JoinHostPort(host, strconv.Itoa(s.cfg.UDPRTPPort))
		s.srv.UDPRTCPAddress = net.JoinHostPort(host, strconv.Itoa(s.cfg.UDPRTPPort+1))
	}
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	if err := s.srv.Start(); err != nil {
		return fmt.Errorf("rtsp: start server on %s (udp %d-%d): %w", s.cfg.Listen, s.cfg.UDPRTPPort, s.cfg.UDPRTPPort+1, err)
	}
	for i, m := range s.mounts {
		if err := m.start(s.srv); err != nil {
			for _, started := range s.mounts[:i] {
				started.describe.Load().Close()
			}
			s.srv.Close()
			return fmt.Errorf("rtsp: stream %s: %w", m.path, err)
		}
	}
	subs := make([]*Subscription, len(s.mounts))
	for i, m := range s.mounts {
		name := "rtsp" // the main path keeps the name it always had in hub stats
		if i > 0 {
			name += m.path
		}
		subs[i] = m.hub.Subscribe(name, 32)
	}
	close(s.ready)

	srvErr := make(chan error, 1)
	go func() { srvErr <- s.srv.Wait() }()

	// One writer per mount, each on its own hub: a slow encoder or a burst
	// on one path never delays the other.
	writeCtx, stopWriters := context.WithCancel(ctx)
	var writers sync.WaitGroup
	for i, m := range s.mounts {
		writers.Go(func() { s.feed(writeCtx, m, subs[i]) })
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		runErr = fmt.Errorf("rtsp: server stopped: %w", err)
		srvErr = nil
	}
	// Writers stop before the streams they write to are closed.
	stopWriters()
	writers.Wait()
	for _, m := range s.mounts {
		m.describe.Load().Close()
	}
	s.mu.Lock()
	for _, r := range s.readers {
		r.stream.Close()
	}
	s.mu.Unlock()
	s.srv.Close()
	if srvErr != nil {
		<-srvErr
	}
	return runErr
}

// feed writes one mount's hub subscription to its readers until ctx ends.
func (s *RTSPServer) feed(ctx context.Context, m *mount, sub *Subscription) {
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case au := <-sub.C():
			s.writeAU(m, au)
			au.Release()
		}
	}
}

// Ready is closed once the listeners are bound.
func (s *RTSPServer) Ready() <-chan struct{} { return s.ready }

// Addr is the bound TCP address (useful with port 0 in tests); valid after Ready.
func (s *RTSPServer) Addr() net.Addr { return s.srv.NetListener().Addr() }

func newH264Format(sps, pps []byte) *format.H264 {
	return &format.H264{PayloadTyp: payloadType, PacketizationMode: 1, SPS: sps, PPS: pps}
}

func newDesc(f *format.H264) *description.Session {
	return &description.Session{
		Title:  "camagent",
		Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{f}}},
	}
}

// authorize checks credentials; a nil response means the request may proceed.
func (s *RTSPServer) authorize(conn *gortsplib.ServerConn, req *base.Request) *base.Response {
	if s.cfg.Anonymous {
		return nil
	}
	remote := remoteAddr(conn)
	var header string
	if h := req.Header["Authorization"]; len(h) > 0 {
		header = h[0]
	}
	_, err := s.auth.Verify(string(req.Method), s.digestURI(req, header), header, remote)
	if err == nil {
		return nil
	}
	if !errors.Is(err, auth.ErrNoCredentials) {
		s.authFailures.Add(1)
		// The reason class helps an operator; credentials are never logged.
		s.log.Warn("rtsp authentication failed", "remote", remote.String(), "method", string(req.Method), "reason", authReason(err))
	}
	return &base.Response{
		StatusCode: base.StatusUnauthorized,
		Header:     base.Header{"WWW-Authenticate": s.auth.Challenge(remote, errors.Is(err, auth.ErrStale))},
	}
}

// digestURI picks the URI the client's digest must cover. Clients disagree:
// VLC signs SETUP .../stream/trackID=0 with the base URL, some NVRs send a
// bare path. Any URI naming one of our streams is accepted; the response is still
// bound to the method, the nonce (and so the client address) and the password.
func (s *RTSPServer) digestURI(req *base.Request, header string) string {
	exact := req.URL.String()
	p, err := auth.ParseAuthorization(header)
	if err != nil {
		return exact
	}
	claimed, ok := p.Get("uri")
	if !ok {
		return exact
	}
	u, err := url.Parse(claimed)
	if err != nil {
		return exact
	}
	got := strings.Trim(u.Path, "/")
	for _, m := range s.mounts {
		if got == m.key || strings.HasPrefix(got, m.key+"/") {
			return claimed
		}
	}
	return exact
}

func authReason(err error) string {
	switch {
	case errors.Is(err, auth.ErrStale):
		return "stale nonce"
	case errors.Is(err, auth.ErrBadNonce):
		return "forged or foreign nonce"
	case errors.Is(err, auth.ErrBusy):
		return "nonce table full"
	case errors.Is(err, auth.ErrReplay):
		return "replayed nonce count"
	case errors.Is(err, auth.ErrDenied):
		return "wrong user or password"
	case errors.Is(err, auth.ErrUnsupported):
		return "unsupported scheme"
	case errors.Is(err, auth.ErrMalformed):
		return "malformed header"
	}
	return "refused"
}

func remoteAddr(conn *gortsplib.ServerConn) netip.Addr {
	if ap, err := netip.ParseAddrPort(conn.NetConn().RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// RTSPStats summarises the server.
type RTSPStats struct {
	Readers        int            // playing now, all paths
	Paths          map[string]int // playing now, per path as configured ("/stream", "/sub")
	Sessions       uint64         // sessions ever set up
	AuthFailures   uint64
	PacketsDropped uint64
}

// Stats snapshots the counters.
func (s *RTSPServer) Stats() RTSPStats {
	st := RTSPStats{
		Paths:          make(map[string]int, len(s.mounts)),
		Sessions:       s.sessions.Load(),
		AuthFailures:   s.authFailures.Load(),
		PacketsDropped: s.packetsDrop.Load(),
	}
	for _, m := range s.mounts {
		n := len(*m.playing.Load())
		st.Paths[m.path] = n
		st.Readers += n
	}
	return st
}

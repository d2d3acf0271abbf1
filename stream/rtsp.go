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
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"

	"camagent/auth"
	"camagent/media"
)

const payloadType = 96

// RTSPServer serves the hub's H.264 stream over RTSP (TCP, UDP and
// RTSP-over-HTTP tunnelling, which gortsplib offers on the same port).
//
// Each reader gets its own gortsplib stream so that it can start on an IDR
// and, after its queue overflowed, resume on the next IDR with contiguous
// sequence numbers: every picture it decodes is clean.
type RTSPServer struct {
	cfg  RTSPConfig
	hub  *Hub
	auth Authenticator
	keys KeyframeRequester
	log  *slog.Logger

	srv      *gortsplib.Server
	describe atomic.Pointer[gortsplib.ServerStream] // set after Start, read by handlers
	descFmt  *format.H264
	rtpEnc   *rtph264.Encoder

	mu      sync.Mutex
	readers map[*gortsplib.ServerSession]*reader
	playing atomic.Pointer[[]*reader]
	sps     []byte
	pps     []byte

	ready chan struct{}

	authFailures atomic.Uint64
	packetsDrop  atomic.Uint64
	sessions     atomic.Uint64
}

// reader is one RTSP session that set up the stream.
type reader struct {
	session *gortsplib.ServerSession
	stream  *gortsplib.ServerStream
	media   *description.Media
	waitIDR atomic.Bool
	seq     uint16 // next RTP sequence number; only the writer goroutine touches it
	drops   atomic.Uint64
	sent    atomic.Uint64
}

// NewRTSPServer prepares the server; Run binds the ports.
func NewRTSPServer(cfg RTSPConfig, hub *Hub, authn Authenticator, keys KeyframeRequester, log *slog.Logger) (*RTSPServer, error) {
	if !cfg.Anonymous && authn == nil {
		return nil, errors.New("rtsp: authentication required but no authenticator given")
	}
	enc := &rtph264.Encoder{PayloadType: payloadType, PacketizationMode: 1, PayloadMaxSize: 1400}
	if err := enc.Init(); err != nil {
		return nil, fmt.Errorf("rtsp: rtp packetizer: %w", err)
	}
	s := &RTSPServer{cfg: cfg, hub: hub, auth: authn, keys: keys, log: log, rtpEnc: enc,
		readers: map[*gortsplib.ServerSession]*reader{}, ready: make(chan struct{})}
	s.playing.Store(&[]*reader{})
	return s, nil
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
	if err := s.srv.Start(); err != nil {
		return fmt.Errorf("rtsp: start server on %s (udp %d-%d): %w", s.cfg.Listen, s.cfg.UDPRTPPort, s.cfg.UDPRTPPort+1, err)
	}
	s.descFmt = newH264Format(nil, nil)
	describe := &gortsplib.ServerStream{Server: s.srv, Desc: newDesc(s.descFmt)}
	if err := describe.Initialize(); err != nil {
		s.srv.Close()
		return fmt.Errorf("rtsp: stream: %w", err)
	}
	s.describe.Store(describe)
	sub := s.hub.Subscribe("rtsp", 32)
	close(s.ready)

	srvErr := make(chan error, 1)
	go func() { srvErr <- s.srv.Wait() }()

	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-srvErr:
			runErr = fmt.Errorf("rtsp: server stopped: %w", err)
			srvErr = nil
			break loop
		case au := <-sub.C():
			s.writeAU(au)
			au.Release()
		}
	}
	sub.Close()
	describe.Close()
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

// writeAU packetises au once and hands the packets to each playing reader.
func (s *RTSPServer) writeAU(au *media.AccessUnit) {
	if au.IDR {
		s.noteParamSets(au)
	}
	readers := *s.playing.Load()
	wanted := false
	for _, r := range readers {
		if au.IDR || !r.waitIDR.Load() {
			wanted = true
			break
		}
	}
	if !wanted {
		return
	}
	pkts, err := s.rtpEnc.Encode(au.NALUs)
	if err != nil {
		s.log.Warn("rtp packetisation failed", "seq", au.Seq, "err", err)
		return
	}
	ts := uint32(au.PTS * 90000 / time.Second)
	for _, p := range pkts {
		p.Timestamp = ts
	}
	for _, r := range readers {
		if r.waitIDR.Load() {
			if !au.IDR {
				continue
			}
			r.waitIDR.Store(false)
		}
		for _, p := range pkts {
			p.SequenceNumber = r.seq
			r.seq++
			if err := r.stream.WritePacketRTPWithNTP(r.media, p, au.Wall); err != nil {
				break
			}
		}
		r.sent.Add(1)
	}
}

// noteParamSets keeps the SDP's sprop-parameter-sets current, so clients
// that configure their decoder from DESCRIBE have the right SPS and PPS.
func (s *RTSPServer) noteParamSets(au *media.AccessUnit) {
	var sps, pps []byte
	for _, n := range au.NALUs {
		switch n[0] & 0x1f {
		case 7:
			sps = n
		case 8:
			pps = n
		}
	}
	if sps == nil || pps == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if string(sps) == string(s.sps) && string(pps) == string(s.pps) {
		return
	}
	s.sps = append([]byte(nil), sps...)
	s.pps = append([]byte(nil), pps...)
	s.descFmt.SafeSetParams(s.sps, s.pps)
	s.describe.Load().ReloadDesc()
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
// bare path. Any URI naming our stream is accepted; the response is still
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
	want := strings.Trim(s.cfg.Path, "/")
	got := strings.Trim(u.Path, "/")
	if got == want || strings.HasPrefix(got, want+"/") {
		return claimed
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
	Readers        int
	Sessions       uint64 // sessions ever set up
	AuthFailures   uint64
	PacketsDropped uint64
}

// Stats snapshots the counters.
func (s *RTSPServer) Stats() RTSPStats {
	return RTSPStats{
		Readers:        len(*s.playing.Load()),
		Sessions:       s.sessions.Load(),
		AuthFailures:   s.authFailures.Load(),
		PacketsDropped: s.packetsDrop.Load(),
	}
}

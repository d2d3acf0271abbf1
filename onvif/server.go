package onvif

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"camagent/auth"
	"camagent/internal/clock"
)

// Defaults for Config's zero values.
const (
	DefaultWindow      = 5 * time.Minute // WS-Security Created freshness, each side
	DefaultMaxNonces   = 16384           // live UsernameToken nonces remembered
	DefaultMaxInFlight = 32              // requests served at once; more get 503
)

// HTTPDigest verifies HTTP Digest credentials (*auth.Digest).
type HTTPDigest interface {
	Verify(method, uri, authorization string, remote netip.Addr) (auth.Account, error)
	Challenge(remote netip.Addr, stale bool) []string
}

// KeyframeRequester forces the next encoded picture to be an IDR.
type KeyframeRequester interface{ RequestKeyframe() }

// Config is everything the ONVIF server needs; app fills it in.
type Config struct {
	Listen   string // TCP address of the HTTP server, e.g. ":8080"
	RTSPPort int    // port of the RTSP server, for GetStreamUri and GetNetworkProtocols
	RTSPPath string // stream path, e.g. "/stream"

	Device DeviceInfo
	Video  Video
	// Sub is the optional second, smaller stream: a second media profile
	// (profile_sub) whose GetStreamUri names Sub.Path. nil: one profile.
	Sub *SubStream
	// Accounts are the users with clear-text passwords (PasswordDigest needs
	// them); the same accounts as the RTSP server.
	Accounts []auth.Account
	// Digest enables HTTP Digest with the same users; nil accepts only
	// WS-Security.
	Digest HTTPDigest
	// Keyframes serves SetSynchronizationPoint; nil answers ActionNotSupported.
	Keyframes KeyframeRequester
	// Snapshots serves GetSnapshotUri and SnapshotPath (HTTP Digest, needs
	// Digest); nil answers ActionNotSupported.
	Snapshots SnapshotSource
	// Discoverable is answered by GetDiscoveryMode: true when app runs the
	// WS-Discovery responder (onvif.discovery).
	Discoverable bool
	// Host describes the machine's network; nil uses the system's.
	Host Host
	// Imaging serves the Imaging service (picture controls of the video
	// source); nil: the service is neither advertised nor served.
	Imaging Imaging
	// Admin applies device-management requests (users, scopes, discovery
	// mode, date and time, reboot, factory default, video encoder); nil:
	// those Set operations answer ter:ActionNotSupported (admin.go).
	Admin Admin
	// VideoOptions bound what SetVideoEncoderConfiguration accepts and
	// what GetVideoEncoderConfigurationOptions lists when Admin is set;
	// zero fields allow only the current value.
	VideoOptions VideoOptions
	// DigitalInputs are the tokens of the device's digital inputs (e.g.
	// "tamper"), raised as tns1:Device/Trigger/DigitalInput with
	// Server.SetDigitalInput; none: the topic is not advertised.
	DigitalInputs []string

	Clock       clock.Clock
	Log         *slog.Logger
	Window      time.Duration // default DefaultWindow
	MaxNonces   int           // default DefaultMaxNonces
	MaxInFlight int           // default DefaultMaxInFlight
}

// maxDigitalInputs keeps a new subscription's Initialized messages (two
// video source properties plus one per input) well inside its queue.
const maxDigitalInputs = 16

// validToken: a tt:ReferenceToken is at most 64 characters; the agent
// also keeps tokens printable ASCII without spaces, for logs and topics.
func validToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}

// DeviceInfo is the identity answered by GetDeviceInformation and GetScopes.
type DeviceInfo struct {
	Manufacturer, Model, FirmwareVersion, SerialNumber, HardwareID string
	Name                                                           string // human label (scope name/…)
	Location                                                       string // scope location/…; "" = none
}

// Video describes the one encoded stream.
type Video struct {
	Width, Height, FPS int
	BitrateKbps        int
	GOP                int    // IDR interval in frames
	Profile            string // H.264 profile: Baseline, Main, Extended or High
}

// Server is the ONVIF HTTP endpoint. Create it with New, run it with Run.
type Server struct {
	cfg    Config
	log    *slog.Logger
	clk    clock.Clock
	users  atomic.Pointer[users]
	dig    atomic.Pointer[digestBox] // Config.Digest, replaceable by SetHTTPDigest
	state  *liveState                // the values the Admin operations change
	replay *replayCache
	ops    map[xmlName]operation
	events *eventBroker
	logins *loginDelays
	n      counters
	sem    chan struct{}
	ready  chan struct{}
	mu     sync.Mutex
	addr   net.Addr
}

// New checks cfg and builds a server; nothing listens until Run.
func New(cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		return nil, errors.New("onvif: no listen address")
	}
	if cfg.RTSPPort <= 0 || cfg.RTSPPort > 65535 || !strings.HasPrefix(cfg.RTSPPath, "/") {
		return nil, fmt.Errorf("onvif: bad RTSP port %d or path %q", cfg.RTSPPort, cfg.RTSPPath)
	}
	if len(cfg.DigitalInputs) > maxDigitalInputs {
		return nil, fmt.Errorf("onvif: %d digital inputs, at most %d", len(cfg.DigitalInputs), maxDigitalInputs)
	}
	for _, in := range cfg.DigitalInputs {
		if !validToken(in) {
			return nil, fmt.Errorf("onvif: bad digital input token %q", in)
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Host == nil {
		cfg.Host = systemHost{}
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxNonces <= 0 {
		cfg.MaxNonces = DefaultMaxNonces
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.Video.Profile == "" {
		cfg.Video.Profile = "Main"
	}
	if err := cfg.VideoOptions.check(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: cfg.Log, clk: cfg.Clock,
		state:  newLiveState(cfg),
		replay: newReplayCache(cfg.MaxNonces),
		events: newEventBroker(cfg.Clock, cfg.DigitalInputs),
		logins: newLoginDelays(cfg.Clock),
		sem:    make(chan struct{}, cfg.MaxInFlight),
		ready:  make(chan struct{}),
	}
	s.users.Store(newUsers(cfg.Accounts))
	if cfg.Digest != nil {
		s.dig.Store(&digestBox{cfg.Digest})
	}
	s.ops = s.operations()
	s.cfg.Accounts = nil // the passwords live in s.users only
	return s, nil
}

type digestBox struct{ HTTPDigest }

// digest is the current HTTP Digest verifier, nil without one.
func (s *Server) digest() HTTPDigest {
	if b := s.dig.Load(); b != nil {
		return b.HTTPDigest
	}
	return nil
}

// SetHTTPDigest replaces the HTTP Digest verifier, e.g. with one rebuilt
// from the new accounts in Admin.SetUsers, so Digest clients see user
// changes at once. It does nothing when the server was built without
// Config.Digest or d is nil: HTTP Digest cannot be switched on or off
// while running.
func (s *Server) SetHTTPDigest(d HTTPDigest) {
	if d == nil || s.dig.Load() == nil {
		return
	}
	s.dig.Store(&digestBox{d})
}

// Ready is closed once the server listens.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the bound address once Ready is closed.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// DevicePath is the path of the device service (any /onvif/ path works).
const DevicePath = "/onvif/device_service"

// Run listens and serves until ctx ends; it returns after the server's
// goroutines exited.
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("onvif: listen %s: %w", s.cfg.Listen, err)
	}
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(newLimitListener(ln, DefaultMaxConns)) }()
	close(s.ready)
	s.log.Info("onvif listening", "addr", ln.Addr().String())
	select {
	case err := <-done:
		return fmt.Errorf("onvif: %w", err)
	case <-ctx.Done():
	}
	// In-flight requests are short and bounded by WriteTimeout; give them a
	// moment, then cut the rest.
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-done
	return nil
}

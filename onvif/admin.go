package onvif

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"camagent/auth"
)

// Admin applies device-management requests: users, configurable scopes,
// discovery mode, manual date and time, reboot, factory default and the
// video encoder. Implementations persist what they change (the agent
// saves its configuration file) and may restart the pipeline shortly
// after returning; the server answers first. Calls are serialised by the
// server; an error is answered env:Receiver/ter:Action and logged, so it
// must not carry secrets.
//
// Config.Admin nil: every one of these operations answers
// ter:ActionNotSupported. The network Set operations (SetHostname,
// SetDNS, SetNetworkInterfaces, ...) always do: the device image owns
// networking.
type Admin interface {
	// SetUsers replaces the accounts with the complete new list, already
	// validated (names 1..32 characters without ':', '"' or control
	// characters, passwords 8..128 characters, roles user..administrator,
	// at least one administrator). After a nil return the server
	// verifies WS-Security with the new list at once; HTTP Digest
	// (Config.Digest) is the implementation's to update.
	SetUsers(accounts []auth.Account) error
	// SetScopes sets the configurable scopes: the device name (never
	// empty) and location ("" clears it).
	SetScopes(name, location string) error
	// SetDiscoverable starts (true) or stops the WS-Discovery responder.
	SetDiscoverable(on bool) error
	// SetVideoEncoder applies new encoder parameters, already checked
	// against Config.VideoOptions.
	SetVideoEncoder(v Video) error
	// SetSystemTime sets the system clock (SetSystemDateAndTime Manual).
	SetSystemTime(utc time.Time) error
	// Reboot is called after the SystemReboot response is written; it
	// should return at once and restart the device about RebootDelay
	// later. Its error can only be logged.
	Reboot() error
	// FactoryDefault resets the configuration (hard: everything,
	// network included; soft: all but the network) and restarts shortly
	// after returning; an error is answered as a fault.
	FactoryDefault(hard bool) error
}

// RebootDelay is the delay the SystemReboot message announces.
const RebootDelay = 5 * time.Second

// maxOptionFPS bounds VideoOptions.FPSMax (Media2 lists every rate).
const maxOptionFPS = 240

// Size is a picture size in pixels.
type Size struct{ Width, Height int }

// VideoOptions are the encoder settings SetVideoEncoderConfiguration may
// choose from. A zero field (no Resolutions, both bounds 0) allows only
// the current value.
type VideoOptions struct {
	Resolutions                    []Size
	FPSMin, FPSMax                 int
	BitrateMinKbps, BitrateMaxKbps int
	GOPMin, GOPMax                 int // IDR interval in frames
}

func (o VideoOptions) check() error {
	for _, r := range o.Resolutions {
		if r.Width <= 0 || r.Height <= 0 {
			return fmt.Errorf("onvif: bad video option resolution %dx%d", r.Width, r.Height)
		}
	}
	for _, b := range []struct {
		what     string
		min, max int
	}{{"fps", o.FPSMin, o.FPSMax}, {"bitrate", o.BitrateMinKbps, o.BitrateMaxKbps}, {"gop", o.GOPMin, o.GOPMax}} {
		if (b.min != 0 || b.max != 0) && (b.min <= 0 || b.max < b.min) {
			return fmt.Errorf("onvif: bad video option %s range %d..%d", b.what, b.min, b.max)
		}
	}
	if o.FPSMax > maxOptionFPS {
		return fmt.Errorf("onvif: video option fps above %d", maxOptionFPS)
	}
	return nil
}

// effective fills o's zero fields with the current values of v, and
// widens the rest to include them: the device must accept its own current
// configuration sent back unchanged.
func (o VideoOptions) effective(v Video) VideoOptions {
	cur := Size{v.Width, v.Height}
	has := false
	for _, r := range o.Resolutions {
		has = has || r == cur
	}
	if !has {
		o.Resolutions = append(append([]Size(nil), o.Resolutions...), cur)
	}
	widen := func(lo, hi *int, x int) {
		if *hi == 0 {
			*lo, *hi = x, x
		}
		*lo, *hi = min(*lo, x), max(*hi, x)
	}
	widen(&o.FPSMin, &o.FPSMax, v.FPS)
	widen(&o.BitrateMinKbps, &o.BitrateMaxKbps, v.BitrateKbps)
	widen(&o.GOPMin, &o.GOPMax, v.GOP)
	return o
}

// liveState holds what the Admin operations change; handlers read it
// through the Server accessors. admin serialises the Set operations so a
// validation and the change it validated cannot interleave with another.
type liveState struct {
	admin sync.Mutex

	mu           sync.RWMutex
	name         string
	location     string
	discoverable bool
	video        Video
	manualTime   bool // SetSystemDateAndTime Manual succeeded
}

func newLiveState(cfg Config) *liveState {
	return &liveState{name: cfg.Device.Name, location: cfg.Device.Location, discoverable: cfg.Discoverable, video: cfg.Video}
}

// device is Config.Device with the current name and location.
func (s *Server) device() DeviceInfo {
	d := s.cfg.Device
	s.state.mu.RLock()
	d.Name, d.Location = s.state.name, s.state.location
	s.state.mu.RUnlock()
	return d
}

// DeviceInfo returns the identity with the current name and location (as
// changed by SetScopes).
func (s *Server) DeviceInfo() DeviceInfo { return s.device() }

func (s *Server) video() Video {
	s.state.mu.RLock()
	defer s.state.mu.RUnlock()
	return s.state.video
}

func (s *Server) discoverable() bool {
	s.state.mu.RLock()
	defer s.state.mu.RUnlock()
	return s.state.discoverable
}

// videoOptions are the options answered and enforced: Config.VideoOptions
// when an Admin can apply them, else only the current values.
func (s *Server) videoOptions() VideoOptions {
	v := s.video()
	if s.cfg.Admin == nil {
		return VideoOptions{}.effective(v)
	}
	return s.cfg.VideoOptions.effective(v)
}

// Faults of the administration operations (ONVIF Core and Media command
// fault tables).
func faultProhibited(sub, reason string) *Fault {
	return &Fault{Code: "Sender", Subcodes: []string{"OperationProhibited", sub}, Reason: reason, Status: http.StatusBadRequest}
}

func faultActionSub(sub, reason string) *Fault {
	return &Fault{Code: "Receiver", Subcodes: []string{"Action", sub}, Reason: reason, Status: http.StatusInternalServerError}
}

// faultBadValue is env:Sender/ter:InvalidArgVal without a more specific
// subcode, for values outside what the schema or the device allows where
// the command defines no fault of its own.
func faultBadValue(reason string) *Fault {
	return &Fault{Code: "Sender", Subcodes: []string{"InvalidArgVal"}, Reason: reason, Status: http.StatusBadRequest}
}

// errAdmin marks an Admin failure; the handler logs it and answers
// env:Receiver/ter:Action.
var errAdmin = errors.New("onvif: admin backend")

func adminErr(op string, err error) error { return fmt.Errorf("%w: %s: %w", errAdmin, op, err) }

// empty is a response without content.
func empty(name string) rawResponse { return raw(name, "") }

// ifAdmin routes h when an Admin is configured, else ActionNotSupported.
func (s *Server) ifAdmin(h func(*call) (any, error)) func(*call) (any, error) {
	if s.cfg.Admin == nil {
		return notSupported
	}
	return h
}

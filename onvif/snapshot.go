package onvif

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"

	"camagent/auth"
)

// SnapshotPath serves a JPEG of the current picture (GetSnapshotUri).
const SnapshotPath = "/onvif/snapshot"

// ErrNoPicture is what a SnapshotSource returns before the first frame.
var ErrNoPicture = errors.New("onvif: no picture yet")

// SnapshotSource encodes the current picture as JPEG. It must be safe for
// concurrent use; app implements it from the encoder stage's observer.
type SnapshotSource interface {
	Snapshot() ([]byte, error)
}

// getSnapshotURI returns the snapshot URL with the host the client used.
func getSnapshotURI(c *call) (any, error) {
	if err := c.checkProfile(); err != nil {
		return nil, err
	}
	return getSnapshotURIResponse{URI: mediaURI{URI: c.base + SnapshotPath, Timeout: "PT0S"}}, nil
}

// serveSnapshot answers GET/HEAD on SnapshotPath behind HTTP Digest with
// the ONVIF users; READ_MEDIA (any user level) may fetch it.
func (s *Server) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if s.cfg.Snapshots == nil || s.digest() == nil {
		http.NotFound(w, r)
		return
	}
	select {
	case s.sem <- struct{}{}:
	default:
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	held := true
	defer func() {
		if held {
			<-s.sem
		}
	}()
	remote := remoteAddr(r)
	h := r.Header.Get("Authorization")
	if h == "" {
		s.challenge(w, remote, false)
		return
	}
	acct, err := s.digest().Verify(r.Method, r.RequestURI, h, remote)
	switch {
	case errors.Is(err, auth.ErrBusy):
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	case err != nil:
		s.log.Info("onvif: snapshot digest refused", "remote", r.RemoteAddr, "err", err)
		if errors.Is(err, auth.ErrDenied) {
			// Slowed down like a refused SOAP login (login_delay.go).
			<-s.sem
			held = false
			if !s.logins.wait(r.Context(), s.logins.failed(remote)) {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
		}
		s.challenge(w, remote, errors.Is(err, auth.ErrStale))
		return
	case !Allowed(acct.Role, ReadMedia):
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	s.logins.succeeded(remote)
	b, err := s.cfg.Snapshots.Snapshot()
	if err != nil {
		if !errors.Is(err, ErrNoPicture) {
			s.log.Warn("onvif: snapshot failed", "err", err)
		}
		http.Error(w, "no picture available", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(b) //nolint:errcheck // the client went away
}

func (s *Server) challenge(w http.ResponseWriter, remote netip.Addr, stale bool) {
	for _, c := range s.digest().Challenge(remote, stale) {
		w.Header().Add("WWW-Authenticate", c)
	}
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

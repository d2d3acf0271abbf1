package onvif

import (
	"context"
	"encoding/xml"
	"errors"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"camagent/auth"
)

// operation is one routed SOAP operation.
type operation struct {
	class  AccessClass
	handle func(*call) (any, error)
}

// call is one request being served.
type call struct {
	s    *Server
	env  *envelope
	arg  *node  // the body element
	base string // "http://host[:port]" as the client addressed us
	host string // host part alone, for other schemes (rtsp://)
	acct auth.Account
	path string          // request path: pull-point subscriptions are addressed by it
	ctx  context.Context // the request's, for long polls
	// after runs once the successful response is written.
	after func()
}

// ServeHTTP serves SOAP on every /onvif/ path; the operation is chosen by
// the body element, not the path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/onvif/") {
		http.NotFound(w, r)
		return
	}
	if r.URL.Path == SnapshotPath {
		s.serveSnapshot(w, r)
		return
	}
	s.n.requests.Add(1)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ver, ok := versionOf(r.Header.Get("Content-Type"))
	if !ok {
		http.Error(w, "unsupported media type", http.StatusUnsupportedMediaType)
		return
	}
	if r.ContentLength > maxBodyBytes {
		s.writeFault(w, ver, faultTooLarge(), nil)
		return
	}
	select {
	case s.sem <- struct{}{}:
	default:
		s.n.busy.Add(1)
		s.writeFault(w, ver, faultBusy(), nil)
		return
	}
	held := true
	release := func() {
		if held {
			<-s.sem
			held = false
		}
	}
	defer release()
	env, err := parseEnvelope(r.Body)
	if err != nil {
		s.log.Debug("onvif: bad request", "remote", r.RemoteAddr, "err", err)
		s.writeFault(w, ver, asFault(err), nil)
		return
	}
	op, known := s.ops[env.op]
	class := op.class
	if !known {
		// Unknown operations are told apart only for authenticated users.
		class = ReadSystem
	}
	c := &call{s: s, env: env, arg: env.body, path: r.URL.Path, ctx: r.Context()}
	c.base, c.host = requestBase(r)
	if class != PreAuth {
		acct, f, challenge, denied := s.authenticate(r, env)
		if f != nil {
			if denied {
				s.n.authFailures.Add(1)
				// A refused credential: slow the source down, without
				// holding a request slot while waiting.
				release()
				if !s.logins.wait(r.Context(), s.logins.failed(remoteAddr(r))) {
					f, challenge = faultBusy(), nil
				}
			}
			s.writeFault(w, env.version, f, challenge)
			return
		}
		s.logins.succeeded(remoteAddr(r))
		if !Allowed(acct.Role, class) {
			s.log.Info("onvif: operation refused for user level", "remote", r.RemoteAddr, "user", acct, "op", env.op.Local, "class", class)
			s.writeFault(w, env.version, faultNotAuthorized(), nil)
			return
		}
		c.acct = acct
	}
	if !known {
		s.writeFault(w, env.version, faultActionNotSupported(), nil)
		return
	}
	resp, err := op.handle(c)
	if err != nil {
		f := asFault(err)
		if f.Code == "Receiver" && !errors.As(err, new(*Fault)) {
			s.log.Warn("onvif: operation failed", "op", env.op.Local, "err", err)
		}
		s.writeFault(w, env.version, f, nil)
		return
	}
	s.writeResponse(w, env.version, resp)
	if c.after != nil {
		c.after() // e.g. SystemReboot: only once the answer is written
	}
}

// versionOf maps the Content-Type to the SOAP version it announces.
func versionOf(ct string) (soapVersion, bool) {
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case err != nil:
		return 0, false
	case mt == "application/soap+xml":
		return soap12, true
	case mt == "text/xml":
		return soap11, true
	}
	return 0, false
}

func asFault(err error) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	return &Fault{Code: "Receiver", Subcodes: []string{"Action"}, Reason: "The requested action failed", Status: http.StatusInternalServerError}
}

// authenticate checks HTTP Digest first, then WS-Security, as ONVIF Core
// asks when both are present. A failure returns the fault to answer and,
// for HTTP Digest, the challenges to send with a 401; denied is true when
// a credential was wrong (unknown user, wrong password), the failures that
// guessing produces, as opposed to stale nonces or missing credentials.
func (s *Server) authenticate(r *http.Request, env *envelope) (acct auth.Account, f *Fault, challenge []string, denied bool) {
	remote := remoteAddr(r)
	dg := s.digest() // one verifier for the whole request (SetHTTPDigest)
	authed := false
	if h := r.Header.Get("Authorization"); h != "" {
		if dg == nil {
			return acct, faultNotAuthorized(), nil, false
		}
		a, err := dg.Verify(r.Method, r.RequestURI, h, remote)
		if err != nil {
			s.log.Info("onvif: HTTP digest refused", "remote", r.RemoteAddr, "err", err)
			if errors.Is(err, auth.ErrBusy) {
				return acct, faultBusy(), nil, false
			}
			f := faultNotAuthorized()
			f.Status = http.StatusUnauthorized
			return acct, f, dg.Challenge(remote, errors.Is(err, auth.ErrStale)), errors.Is(err, auth.ErrDenied)
		}
		acct, authed = a, true
	}
	if env.security != nil {
		a, err := s.verifyToken(env.security)
		if err != nil {
			s.log.Info("onvif: WS-Security refused", "remote", r.RemoteAddr, "err", err)
			if errors.Is(err, errReplayFull) {
				s.log.Warn("onvif: nonce replay cache full; refusing new UsernameTokens until entries expire", "max", s.cfg.MaxNonces)
			}
			return acct, faultNotAuthorized(), nil, errors.Is(err, errDenied)
		}
		if authed && a.Name != acct.Name {
			s.log.Info("onvif: HTTP digest and WS-Security users differ", "remote", r.RemoteAddr)
			return acct, faultNotAuthorized(), nil, false
		}
		acct, authed = a, true
	}
	if !authed {
		if dg != nil {
			// Core: no credentials at all means the client wants Digest.
			f := faultNotAuthorized()
			f.Status = http.StatusUnauthorized
			return acct, f, dg.Challenge(remote, false), false
		}
		return acct, faultNotAuthorized(), nil, false
	}
	return acct, nil, nil, false
}

// verifyToken checks a wsse:Security header's UsernameToken.
func (s *Server) verifyToken(sec *node) (auth.Account, error) {
	t, err := parseUsernameToken(sec)
	if err != nil {
		return auth.Account{}, err
	}
	now := s.clk.Now()
	if t.at.Before(now.Add(-s.cfg.Window)) || t.at.After(now.Add(s.cfg.Window)) {
		return auth.Account{}, errStale
	}
	a, ok := s.users.Load().verify(t)
	if !ok {
		return auth.Account{}, errDenied
	}
	// Keep the nonce for as long as the token could pass the window check.
	key := t.user + "\x00" + string(t.nonce)
	if err := s.replay.add(key, t.at.Add(s.cfg.Window+time.Second), now); err != nil {
		return auth.Account{}, err
	}
	return a, nil
}

func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// opName is a shorthand for routing table keys.
func opName(ns, local string) xmlName { return xmlName{Space: ns, Local: local} }

type xmlName = xml.Name

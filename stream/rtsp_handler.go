package stream

import (
	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
)

// These methods make RTSPServer a gortsplib.ServerHandler. gortsplib calls
// them from its connection goroutines.

// OnDescribe answers with the SDP after authentication.
func (s *RTSPServer) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if res := s.authorize(ctx.Conn, ctx.Request); res != nil {
		return res, nil, nil
	}
	m := s.mountFor(ctx.Path)
	if m == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	st := m.describe.Load()
	if st == nil { // a request raced the start-up
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnSetup gives the session its own stream of the mount its path names.
func (s *RTSPServer) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if res := s.authorize(ctx.Conn, ctx.Request); res != nil {
		return res, nil, nil
	}
	m := s.mountFor(ctx.Path)
	if m == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.readers[ctx.Session]; ok {
		if r.mount != m { // gortsplib refuses this too; one session reads one path
			return &base.Response{StatusCode: base.StatusBadRequest}, nil, nil
		}
		return &base.Response{StatusCode: base.StatusOK}, r.stream, nil
	}
	if len(s.readers) >= s.cfg.MaxReaders {
		s.log.Warn("rtsp reader refused: limit reached", "path", m.path, "max_readers", s.cfg.MaxReaders, "remote", remoteAddr(ctx.Conn).String())
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, nil
	}
	desc := newDesc(newH264Format(m.sps, m.pps))
	st := &gortsplib.ServerStream{Server: s.srv, Desc: desc}
	if err := st.Initialize(); err != nil {
		s.log.Error("rtsp stream for reader", "err", err)
		return &base.Response{StatusCode: base.StatusInternalServerError}, nil, nil
	}
	r := &reader{mount: m, session: ctx.Session, stream: st, media: desc.Medias[0]}
	r.waitIDR.Store(true)
	s.readers[ctx.Session] = r
	s.sessions.Add(1)
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnPlay starts delivery at the next IDR and asks the encoder for one. The
// session's mount was fixed by SETUP (gortsplib refuses a PLAY on another path).
func (s *RTSPServer) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	if res := s.authorize(ctx.Conn, ctx.Request); res != nil {
		return res, nil
	}
	s.mu.Lock()
	r, ok := s.readers[ctx.Session]
	if ok {
		r.mount.publishPlayingLocked(r, nil)
	}
	s.mu.Unlock()
	if !ok {
		return &base.Response{StatusCode: base.StatusSessionNotFound}, nil
	}
	if s.cfg.KeyframeOnJoin && r.mount.keys != nil {
		r.mount.keys.RequestKeyframe()
	}
	s.log.Info("rtsp reader playing", "path", r.mount.path, "remote", remoteAddr(ctx.Conn).String(), "transport", ctx.Session.Transport().Protocol.String())
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnPause stops delivery to the session until the next PLAY.
func (s *RTSPServer) OnPause(ctx *gortsplib.ServerHandlerOnPauseCtx) (*base.Response, error) {
	s.mu.Lock()
	if r, ok := s.readers[ctx.Session]; ok {
		r.mount.publishPlayingLocked(nil, r)
		r.waitIDR.Store(true)
	}
	s.mu.Unlock()
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnSessionClose forgets the reader and frees its stream.
func (s *RTSPServer) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	s.mu.Lock()
	r, ok := s.readers[ctx.Session]
	if ok {
		delete(s.readers, ctx.Session)
		r.mount.publishPlayingLocked(nil, r)
	}
	s.mu.Unlock()
	if ok {
		r.stream.Close()
		s.log.Info("rtsp reader left", "path", r.mount.path, "rtp_drops", r.drops.Load(), "units_sent", r.sent.Load(), "reason", ctx.Error)
	}
}

// OnStreamWriteError is called when a reader's queue is full: that reader
// loses packets, resumes at the next IDR, and nobody else is slowed down.
func (s *RTSPServer) OnStreamWriteError(ctx *gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	s.packetsDrop.Add(1)
	s.mu.Lock()
	r := s.readers[ctx.Session]
	s.mu.Unlock()
	if r == nil {
		return
	}
	r.drops.Add(1)
	if !r.waitIDR.Swap(true) && r.mount.keys != nil {
		r.mount.keys.RequestKeyframe()
	}
}

package stream

import (
	"strings"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
)

// These methods make RTSPServer a gortsplib.ServerHandler. gortsplib calls
// them from its connection goroutines.

func (s *RTSPServer) pathOK(path string) bool {
	return strings.Trim(path, "/") == strings.Trim(s.cfg.Path, "/")
}

// OnDescribe answers with the SDP after authentication.
func (s *RTSPServer) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if res := s.authorize(ctx.Conn, ctx.Request); res != nil {
		return res, nil, nil
	}
	if !s.pathOK(ctx.Path) {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	st := s.describe.Load()
	if st == nil { // a request raced the start-up
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnSetup gives the session its own stream.
func (s *RTSPServer) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if res := s.authorize(ctx.Conn, ctx.Request); res != nil {
		return res, nil, nil
	}
	if !s.pathOK(ctx.Path) {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.readers[ctx.Session]; ok {
		return &base.Response{StatusCode: base.StatusOK}, r.stream, nil
	}
	if len(s.readers) >= s.cfg.MaxReaders {
		s.log.Warn("rtsp reader refused: limit reached", "max_readers", s.cfg.MaxReaders, "remote", remoteAddr(ctx.Conn).String())
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, nil
	}
	desc := newDesc(newH264Format(s.sps, s.pps))
	st := &gortsplib.ServerStream{Server: s.srv, Desc: desc}
	if err := st.Initialize(); err != nil {
		s.log.Error("rtsp stream for reader", "err", err)
		return &base.Response{StatusCode: base.StatusInternalServerError}, nil, nil
	}
	r := &reader{session: ctx.Session, stream: st, media: desc.Medias[0]}
	r.waitIDR.Store(true)
	s.readers[ctx.Session] = r
	s.sessions.Add(1)
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnPlay starts delivery at the next IDR and asks the encoder for one.
func (s *RTSPServer) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	if res := s.authorize(ctx.Conn, ctx.Request); res != nil {
		return res, nil
	}
	s.mu.Lock()
	r, ok := s.readers[ctx.Session]
	if ok {
		s.publishPlayingLocked(r, nil)
	}
	s.mu.Unlock()
	if !ok {
		return &base.Response{StatusCode: base.StatusSessionNotFound}, nil
	}
	if s.cfg.KeyframeOnJoin && s.keys != nil {
		s.keys.RequestKeyframe()
	}
	s.log.Info("rtsp reader playing", "remote", remoteAddr(ctx.Conn).String(), "transport", ctx.Session.Transport().Protocol.String())
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnPause stops delivery to the session until the next PLAY.
func (s *RTSPServer) OnPause(ctx *gortsplib.ServerHandlerOnPauseCtx) (*base.Response, error) {
	s.mu.Lock()
	if r, ok := s.readers[ctx.Session]; ok {
		s.publishPlayingLocked(nil, r)
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
		s.publishPlayingLocked(nil, r)
	}
	s.mu.Unlock()
	if ok {
		r.stream.Close()
		s.log.Info("rtsp reader left", "rtp_drops", r.drops.Load(), "units_sent", r.sent.Load(), "reason", ctx.Error)
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
	if !r.waitIDR.Swap(true) && s.keys != nil {
		s.keys.RequestKeyframe()
	}
}

// publishPlayingLocked rebuilds the copy-on-write list of playing readers.
func (s *RTSPServer) publishPlayingLocked(add, remove *reader) {
	old := *s.playing.Load()
	next := make([]*reader, 0, len(old)+1)
	for _, r := range old {
		if r != remove && r != add {
			next = append(next, r)
		}
	}
	if add != nil {
		next = append(next, add)
	}
	s.playing.Store(&next)
}

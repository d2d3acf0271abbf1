package onvif

// The media profiles: the main stream, and with Config.Sub a second,
// smaller stream of the same video source (NVRs record the first and
// preview or analyse the second). Tokens are stable across restarts.
const (
	profileSubToken = "profile_sub"
	vecSubToken     = "video_encoder_sub"
)

// SubStream is the optional second stream.
type SubStream struct {
	Video     Video
	Path      string            // RTSP path, e.g. "/sub"
	Keyframes KeyframeRequester // its encoder; nil: SetSynchronizationPoint not supported on it
}

// mediaProfile ties a profile to its encoder configuration and stream.
type mediaProfile struct {
	token, name       string
	encToken, encName string
	path              string
	video             Video
	keys              KeyframeRequester
}

func (s *Server) mediaProfiles() []mediaProfile {
	ps := []mediaProfile{{profileToken, "MainStream", vecToken, "H264Main", s.cfg.RTSPPath, s.video(), s.cfg.Keyframes}}
	if sub := s.cfg.Sub; sub != nil {
		ps = append(ps, mediaProfile{profileSubToken, "SubStream", vecSubToken, "H264Sub", sub.Path, sub.Video, sub.Keyframes})
	}
	return ps
}

// profileFor finds a profile by its token.
func (s *Server) profileFor(token string) (mediaProfile, bool) {
	for _, p := range s.mediaProfiles() {
		if p.token == token {
			return p, true
		}
	}
	return mediaProfile{}, false
}

// encoderFor finds a profile by its encoder configuration's token.
func (s *Server) encoderFor(token string) (mediaProfile, bool) {
	for _, p := range s.mediaProfiles() {
		if p.encToken == token {
			return p, true
		}
	}
	return mediaProfile{}, false
}

// requestedProfile is the profile named by the request's ProfileToken.
func (c *call) requestedProfile() (mediaProfile, error) {
	p, ok := c.s.profileFor(c.token("ProfileToken"))
	if !ok {
		return p, faultInvalidArgVal("NoProfile", "The requested profile token does not exist")
	}
	return p, nil
}

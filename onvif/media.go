package onvif

// The one fixed media configuration: a video source, its source
// configuration, one H.264 encoder configuration and the profile tying them.
// Tokens are stable across restarts.
const (
	profileToken = "profile_main"
	sourceToken  = "video_source"
	vscToken     = "video_source_config"
	vecToken     = "video_encoder_main"
)

func (c *call) mediaServiceCaps() mediaServiceCapabilities {
	var m mediaServiceCapabilities
	m.Profiles.Max = len(c.s.mediaProfiles())
	m.Streaming.RTPTCP = true
	m.Streaming.RTPRTSPTCP = true
	m.Snapshot = c.s.cfg.Snapshots != nil && c.s.digest() != nil
	return m
}

func getMediaServiceCapabilities(c *call) (any, error) {
	return getMediaServiceCapabilitiesResponse{Caps: c.mediaServiceCaps()}, nil
}

func (s *Server) sourceConfig() videoSourceConfiguration {
	v := videoSourceConfiguration{Token: vscToken, Name: "VideoSourceConfig", UseCount: len(s.mediaProfiles()), SourceToken: sourceToken}
	v.Bounds.Width, v.Bounds.Height = s.video().Width, s.video().Height
	return v
}

func (s *Server) encoderConfig(p mediaProfile) videoEncoderConfiguration {
	v := p.video
	e := videoEncoderConfiguration{Token: p.encToken, Name: p.encName, UseCount: 1, Encoding: "H264",
		Resolution: resolution{v.Width, v.Height}, Quality: 5, SessionTimeout: "PT60S"}
	e.RateControl.FrameRateLimit = v.FPS
	e.RateControl.EncodingInterval = 1
	e.RateControl.BitrateLimit = v.BitrateKbps
	e.H264.GovLength = v.GOP
	e.H264.H264Profile = v.Profile
	// Multicast is not offered; the schema requires the element.
	e.Multicast.Type, e.Multicast.IPv4, e.Multicast.TTL = "IPv4", "0.0.0.0", 1
	return e
}

func (s *Server) profile(p mediaProfile) profile {
	return profile{Token: p.token, Fixed: true, Name: p.name, Source: s.sourceConfig(), Encoder: s.encoderConfig(p)}
}

// token returns the text of the argument element local (any namespace).
func (c *call) token(local string) string { return c.arg.child("*", local).value() }

func getProfiles(c *call) (any, error) {
	var r getProfilesResponse
	for _, p := range c.s.mediaProfiles() {
		r.Profiles = append(r.Profiles, c.s.profile(p))
	}
	return r, nil
}

func (c *call) checkProfile() error {
	_, err := c.requestedProfile()
	return err
}

func getProfile(c *call) (any, error) {
	p, err := c.requestedProfile()
	if err != nil {
		return nil, err
	}
	return getProfileResponse{Profile: c.s.profile(p)}, nil
}

func getVideoSources(c *call) (any, error) {
	v := c.s.video()
	return getVideoSourcesResponse{Sources: []videoSource{{Token: sourceToken, Framerate: float64(v.FPS), Resolution: resolution{v.Width, v.Height}}}}, nil
}

func getVideoSourceConfigurations(c *call) (any, error) {
	return getVideoSourceConfigurationsResponse{Configs: []videoSourceConfiguration{c.s.sourceConfig()}}, nil
}

func getVideoSourceConfiguration(c *call) (any, error) {
	if c.token("ConfigurationToken") != vscToken {
		return nil, faultInvalidArgVal("NoConfig", "The requested configuration does not exist")
	}
	return getVideoSourceConfigurationResponse{Config: c.s.sourceConfig()}, nil
}

func getVideoEncoderConfigurations(c *call) (any, error) {
	var r getVideoEncoderConfigurationsResponse
	for _, p := range c.s.mediaProfiles() {
		r.Configs = append(r.Configs, c.s.encoderConfig(p))
	}
	return r, nil
}

func getVideoEncoderConfiguration(c *call) (any, error) {
	p, ok := c.s.encoderFor(c.token("ConfigurationToken"))
	if !ok {
		return nil, faultInvalidArgVal("NoConfig", "The requested configuration does not exist")
	}
	return getVideoEncoderConfigurationResponse{Config: c.s.encoderConfig(p)}, nil
}

// getVideoEncoderConfigurationOptions answers what SetVideoEncoderConfiguration
// accepts: Config.VideoOptions with an Admin, else the current values
// only. With an Admin the bitrate range is added (H264Options2).
func getVideoEncoderConfigurationOptions(c *call) (any, error) {
	if t := c.token("ConfigurationToken"); t != "" && t != vecToken {
		return nil, faultInvalidArgVal("NoConfig", "The requested configuration does not exist")
	}
	if t := c.token("ProfileToken"); t != "" && t != profileToken {
		return nil, faultInvalidArgVal("NoProfile", "The requested profile token does not exist")
	}
	v, o := c.s.video(), c.s.videoOptions()
	var r getVideoEncoderConfigurationOptionsResponse
	r.Options.QualityRange = intRange{5, 5}
	h := h264Options{GovLengthRange: intRange{o.GOPMin, o.GOPMax}, FrameRateRange: intRange{o.FPSMin, o.FPSMax},
		EncodingInterval: intRange{1, 1}, Profiles: []string{v.Profile}}
	for _, sz := range o.Resolutions {
		h.Resolutions = append(h.Resolutions, resolution{sz.Width, sz.Height})
	}
	r.Options.H264 = h
	if c.s.cfg.Admin != nil {
		r.Options.Extension = &videoEncoderOptionsExtension{H264: h264Options2{h264Options: h, BitrateRange: intRange{o.BitrateMinKbps, o.BitrateMaxKbps}}}
	}
	return r, nil
}

// getStreamURI returns the RTSP URL with the host the client used. Every
// unicast transport (UDP, TCP interleaved, RTSP over HTTP) is served on the
// same URL; multicast is not offered.
func getStreamURI(c *call) (any, error) {
	p, err := c.requestedProfile()
	if err != nil {
		return nil, err
	}
	setup := c.arg.child("*", "StreamSetup")
	if st := setup.child("*", "Stream").value(); st != "" && st != "RTP-Unicast" {
		return nil, faultInvalidArgVal("InvalidStreamSetup", "Only RTP-Unicast is supported")
	}
	proto := setup.child("*", "Transport").child("*", "Protocol").value()
	switch proto {
	case "", "UDP", "TCP", "RTSP", "HTTP":
	default:
		return nil, faultInvalidArgVal("InvalidStreamSetup", "Unsupported transport protocol")
	}
	uri := "rtsp://" + hostPort(c.host, c.s.cfg.RTSPPort) + p.path
	return getStreamURIResponse{URI: mediaURI{URI: uri, Timeout: "PT0S"}}, nil
}

// setSynchronizationPoint forces an IDR (the encoder stage rate-limits it).
func setSynchronizationPoint(c *call) (any, error) {
	p, err := c.requestedProfile()
	if err != nil {
		return nil, err
	}
	if p.keys == nil {
		return nil, faultActionNotSupported()
	}
	p.keys.RequestKeyframe()
	return setSynchronizationPointResponse{}, nil
}

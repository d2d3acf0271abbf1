package onvif

import (
	"strconv"
	"strings"
)

// Media2 (tr2, ver20): the same one H.264 profile as Media1, for Profile T
// clients. Bodies are written by hand (rawResponse) with their namespaces
// declared on the response element.
const (
	nsTR2      = "http://www.onvif.org/ver20/media/wsdl"
	media2Path = "/onvif/media2_service"
)

func tr2(name, inner string) rawResponse { return raw("tr2:"+name, inner, "tr2", nsTR2) }

func (c *call) media2Caps() rawResponse {
	r := raw("tr2:Capabilities", `<tr2:ProfileCapabilities MaximumNumberOfProfiles="`+strconv.Itoa(len(c.s.mediaProfiles()))+`" ConfigurationsSupported="VideoSource VideoEncoder"/>`+
		`<tr2:StreamingCapabilities RTSPStreaming="true" RTPMulticast="false" RTP_RTSP_TCP="true" NonAggregateControl="false" AutoStartMulticast="false"/>`,
		"tr2", nsTR2)
	snap := c.s.cfg.Snapshots != nil && c.s.digest() != nil
	r.Attrs = append(r.Attrs, attr("SnapshotUri", strconv.FormatBool(snap)), attr("Rotation", "false"), attr("VideoSourceMode", "false"), attr("OSD", "false"))
	return r
}

func getMedia2ServiceCapabilities(c *call) (any, error) {
	return tr2("GetServiceCapabilitiesResponse", marshalInner(c.media2Caps())), nil
}

func (s *Server) media2Source(elem string) string {
	v := s.video()
	return `<tr2:` + elem + ` token="` + vscToken + `"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>` + strconv.Itoa(len(s.mediaProfiles())) + `</tt:UseCount>` +
		`<tt:SourceToken>` + sourceToken + `</tt:SourceToken><tt:Bounds x="0" y="0" width="` + strconv.Itoa(v.Width) +
		`" height="` + strconv.Itoa(v.Height) + `"/></tr2:` + elem + `>`
}

func (s *Server) media2Encoder(elem string, p mediaProfile) string {
	v := p.video
	return `<tr2:` + elem + ` token="` + p.encToken + `" GovLength="` + strconv.Itoa(v.GOP) + `" Profile="` + esc(v.Profile) + `">` +
		`<tt:Name>` + p.encName + `</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>` +
		`<tt:Resolution><tt:Width>` + strconv.Itoa(v.Width) + `</tt:Width><tt:Height>` + strconv.Itoa(v.Height) + `</tt:Height></tt:Resolution>` +
		`<tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>` + strconv.Itoa(v.FPS) + `</tt:FrameRateLimit>` +
		`<tt:BitrateLimit>` + strconv.Itoa(v.BitrateKbps) + `</tt:BitrateLimit></tt:RateControl><tt:Quality>5</tt:Quality></tr2:` + elem + `>`
}

// getMedia2Profiles answers the one profile; Type chooses the included
// configurations (none when absent, as Media2 specifies).
func getMedia2Profiles(c *call) (any, error) {
	tok := c.token("Token")
	if _, ok := c.s.profileFor(tok); tok != "" && !ok {
		return nil, faultInvalidArgVal("NoProfile", "The requested profile token does not exist")
	}
	want := map[string]bool{}
	for _, k := range c.arg.kids {
		if k.name.Local == "Type" {
			for _, t := range strings.Fields(k.value()) {
				want[t] = true
			}
		}
	}
	var b strings.Builder
	for _, p := range c.s.mediaProfiles() {
		if tok != "" && p.token != tok {
			continue
		}
		confs := ""
		if want["All"] || want["VideoSource"] {
			confs += c.s.media2Source("VideoSource")
		}
		if want["All"] || want["VideoEncoder"] {
			confs += c.s.media2Encoder("VideoEncoder", p)
		}
		if confs != "" {
			confs = `<tr2:Configurations>` + confs + `</tr2:Configurations>`
		}
		b.WriteString(`<tr2:Profiles token="` + p.token + `" fixed="true"><tr2:Name>` + p.name + `</tr2:Name>` + confs + `</tr2:Profiles>`)
	}
	return tr2("GetProfilesResponse", b.String()), nil
}

// checkConfigQuery accepts an absent or our ConfigurationToken/ProfileToken.
func (c *call) checkConfigQuery(token string) error {
	if t := c.token("ConfigurationToken"); t != "" && t != token {
		return faultInvalidArgVal("NoConfig", "The requested configuration does not exist")
	}
	if t := c.token("ProfileToken"); t != "" {
		if _, ok := c.s.profileFor(t); !ok {
			return faultInvalidArgVal("NoProfile", "The requested profile token does not exist")
		}
	}
	return nil
}

// getMedia2VideoEncoderConfigurations lists the encoder configurations,
// or the one a ConfigurationToken or ProfileToken names.
func getMedia2VideoEncoderConfigurations(c *call) (any, error) {
	conf, prof := c.token("ConfigurationToken"), c.token("ProfileToken")
	var b strings.Builder
	found := false
	for _, p := range c.s.mediaProfiles() {
		if (conf == "" || conf == p.encToken) && (prof == "" || prof == p.token) {
			b.WriteString(c.s.media2Encoder("Configurations", p))
			found = true
		}
	}
	if !found {
		if _, ok := c.s.profileFor(prof); prof != "" && !ok {
			return nil, faultInvalidArgVal("NoProfile", "The requested profile token does not exist")
		}
		return nil, faultInvalidArgVal("NoConfig", "The requested configuration does not exist")
	}
	return tr2("GetVideoEncoderConfigurationsResponse", b.String()), nil
}

func getMedia2VideoSourceConfigurations(c *call) (any, error) {
	if err := c.checkConfigQuery(vscToken); err != nil {
		return nil, err
	}
	return tr2("GetVideoSourceConfigurationsResponse", c.s.media2Source("Configurations")), nil
}

// getMedia2StreamURI: RTSP (and its Media2 aliases) only; the same URL
// serves RTSP over TCP, UDP and HTTP tunnelling.
func getMedia2StreamURI(c *call) (any, error) {
	p, err := c.requestedProfile()
	if err != nil {
		return nil, err
	}
	switch c.token("Protocol") {
	case "RTSP", "RtspUnicast", "RtspOverHttp", "RTSPoverHTTP", "":
	default:
		return nil, faultInvalidArgVal("InvalidStreamSetup", "Unsupported protocol")
	}
	return tr2("GetStreamUriResponse", `<tr2:Uri>`+esc("rtsp://"+hostPort(c.host, c.s.cfg.RTSPPort)+p.path)+`</tr2:Uri>`), nil
}

func getMedia2SnapshotURI(c *call) (any, error) {
	if _, err := c.requestedProfile(); err != nil {
		return nil, err
	}
	return tr2("GetSnapshotUriResponse", `<tr2:Uri>`+esc(c.base+SnapshotPath)+`</tr2:Uri>`), nil
}

func setMedia2SynchronizationPoint(c *call) (any, error) {
	if _, err := setSynchronizationPoint(c); err != nil {
		return nil, err
	}
	return tr2("SetSynchronizationPointResponse", ""), nil
}

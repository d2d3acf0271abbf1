package onvif

import (
	"math"
	"strconv"
	"strings"
)

func faultConfigModify() *Fault {
	return faultInvalidArgVal("ConfigModify", "The configuration parameters are not possible to set")
}

func faultNoConfig() *Fault {
	return faultInvalidArgVal("NoConfig", "The requested configuration does not exist")
}

// intValue parses an xs:int element; absent is ok false without a fault.
func intValue(n *node) (v int, present bool, f *Fault) {
	if n == nil {
		return 0, false, nil
	}
	v, err := strconv.Atoi(n.value())
	if err != nil {
		return 0, true, faultConfigModify()
	}
	return v, true, nil
}

// wholeValue parses a number that must be a whole value (Media2's
// FrameRateLimit is an xs:float; the encoder takes whole frame rates).
func wholeValue(s string) (int, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f > 1e6 {
		return 0, false
	}
	return int(f), true
}

// newEncoder checks a tt:VideoEncoderConfiguration (media2 false) or
// tt:VideoEncoder2Configuration (media2 true) against the options and
// returns the Video it asks for. Absent optional parts keep their
// current value; Quality is adapted (always 5) and an out-of-range
// BitrateLimit is brought into range, as Media "SetVideoEncoderConfiguration"
// requires of a device.
func (s *Server) newEncoder(conf *node, media2 bool) (Video, *Fault) {
	if conf == nil {
		return Video{}, faultInvalidArgs()
	}
	if tok, _ := conf.attrValue("token"); tok != vecToken {
		return Video{}, faultNoConfig()
	}
	v := s.video()
	o := s.videoOptions()
	if n := conf.child("*", "Name"); n != nil && n.value() != "H264Main" {
		return Video{}, faultConfigModify()
	}
	if e := conf.child("*", "Encoding").value(); e != "H264" {
		return Video{}, faultConfigModify()
	}
	if r := conf.child("*", "Resolution"); r != nil {
		w, _, f1 := intValue(r.child("*", "Width"))
		h, _, f2 := intValue(r.child("*", "Height"))
		if f1 != nil || f2 != nil {
			return Video{}, faultConfigModify()
		}
		ok := false
		for _, sz := range o.Resolutions {
			ok = ok || sz == Size{w, h}
		}
		if !ok {
			return Video{}, faultConfigModify()
		}
		v.Width, v.Height = w, h
	}
	if rc := conf.child("*", "RateControl"); rc != nil {
		if media2 {
			if cbr, _ := rc.attrValue("ConstantBitRate"); cbr == "true" || cbr == "1" {
				return Video{}, faultConfigModify()
			}
		}
		if n := rc.child("*", "FrameRateLimit"); n != nil {
			fps, ok := wholeValue(n.value())
			if !ok || fps < o.FPSMin || fps > o.FPSMax {
				return Video{}, faultConfigModify()
			}
			v.FPS = fps
		}
		if iv, present, f := intValue(rc.child("*", "EncodingInterval")); f != nil || present && iv != 1 {
			return Video{}, faultConfigModify()
		}
		br, present, f := intValue(rc.child("*", "BitrateLimit"))
		if f != nil {
			return Video{}, f
		}
		if present {
			v.BitrateKbps = min(max(br, o.BitrateMinKbps), o.BitrateMaxKbps)
		}
	}
	gov, profile := "", ""
	if media2 {
		gov, _ = conf.attrValue("GovLength")
		profile, _ = conf.attrValue("Profile")
	} else if h := conf.child("*", "H264"); h != nil {
		gov, profile = h.child("*", "GovLength").value(), h.child("*", "H264Profile").value()
	}
	if gov != "" {
		g, err := strconv.Atoi(strings.TrimSpace(gov))
		if err != nil || g < o.GOPMin || g > o.GOPMax {
			return Video{}, faultConfigModify()
		}
		v.GOP = g
	}
	if profile != "" && profile != v.Profile {
		return Video{}, faultConfigModify()
	}
	if m := conf.child("*", "Multicast"); m != nil && m.child("*", "AutoStart").value() == "true" {
		return Video{}, faultConfigModify() // multicast is not offered
	}
	return v, nil
}

func (c *call) setEncoder(media2 bool) error {
	c.s.state.admin.Lock()
	defer c.s.state.admin.Unlock()
	v, f := c.s.newEncoder(c.arg.child("*", "Configuration"), media2)
	if f != nil {
		return f
	}
	if err := c.s.cfg.Admin.SetVideoEncoder(v); err != nil {
		return adminErr("SetVideoEncoderConfiguration", err)
	}
	c.s.state.mu.Lock()
	c.s.state.video = v
	c.s.state.mu.Unlock()
	c.s.log.Info("onvif: video encoder changed", "width", v.Width, "height", v.Height, "fps", v.FPS,
		"bitrate_kbps", v.BitrateKbps, "gop", v.GOP, "by", c.acct)
	return nil
}

// setVideoEncoderConfiguration (Media ver10). ForcePersistence is
// accepted either way: changes are always persisted.
func setVideoEncoderConfiguration(c *call) (any, error) {
	if err := c.setEncoder(false); err != nil {
		return nil, err
	}
	return empty("trt:SetVideoEncoderConfigurationResponse"), nil
}

func setMedia2VideoEncoderConfiguration(c *call) (any, error) {
	if err := c.setEncoder(true); err != nil {
		return nil, err
	}
	return tr2("SetVideoEncoderConfigurationResponse", ""), nil
}

// getMedia2VideoEncoderConfigurationOptions lists the options of the one
// H.264 encoder configuration.
func getMedia2VideoEncoderConfigurationOptions(c *call) (any, error) {
	if err := c.checkConfigQuery(vecToken); err != nil {
		return nil, err
	}
	v, o := c.s.video(), c.s.videoOptions()
	var b strings.Builder
	b.WriteString(`<tr2:Options GovLengthRange="` + strconv.Itoa(o.GOPMin) + ` ` + strconv.Itoa(o.GOPMax) + `" FrameRatesSupported="`)
	for f := o.FPSMin; f <= o.FPSMax; f++ {
		if f > o.FPSMin {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(f))
	}
	b.WriteString(`" ProfilesSupported="` + esc(v.Profile) + `" ConstantBitRateSupported="false">`)
	b.WriteString(`<tt:Encoding>H264</tt:Encoding><tt:QualityRange><tt:Min>5</tt:Min><tt:Max>5</tt:Max></tt:QualityRange>`)
	for _, r := range o.Resolutions {
		b.WriteString(`<tt:ResolutionsAvailable><tt:Width>` + strconv.Itoa(r.Width) + `</tt:Width><tt:Height>` + strconv.Itoa(r.Height) + `</tt:Height></tt:ResolutionsAvailable>`)
	}
	b.WriteString(`<tt:BitrateRange><tt:Min>` + strconv.Itoa(o.BitrateMinKbps) + `</tt:Min><tt:Max>` + strconv.Itoa(o.BitrateMaxKbps) + `</tt:Max></tt:BitrateRange></tr2:Options>`)
	return tr2("GetVideoEncoderConfigurationOptionsResponse", b.String()), nil
}

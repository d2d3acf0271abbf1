package config

// The methods here resolve "unset" to the documented default for configs
// built in code, where a nil *bool or a zero GOP can legitimately appear.

// SourceFPS is the frame rate of the selected source.
func (s Source) SourceFPS() int {
	if s.Type == "file" {
		return s.File.FPS
	}
	return s.TestPattern.FPS
}

// EffectiveGOP resolves GOP 0 to one second of frames at fps, so a changed
// frame rate keeps the join latency of about one second.
func (e Encoder) EffectiveGOP(fps int) int {
	if e.GOP > 0 {
		return e.GOP
	}
	return min(max(fps, 1), maxGOP)
}

// ZeroCopyEnabled reports ZeroCopy, true when unset.
func (e Encoder) ZeroCopyEnabled() bool { return boolOr(e.ZeroCopy, true) }

// KeyframeOnJoinEnabled reports KeyframeOnJoin, true when unset.
func (e Encoder) KeyframeOnJoinEnabled() bool { return boolOr(e.KeyframeOnJoin, true) }

// UDPEnabled reports UDP, true when unset.
func (r RTSP) UDPEnabled() bool { return boolOr(r.UDP, true) }

// LegacyDigestEnabled reports LegacyDigest, true when unset.
func (r RTSP) LegacyDigestEnabled() bool { return boolOr(r.LegacyDigest, true) }

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// MQTTEnabled reports Enabled, true when unset.
func (m MQTT) MQTTEnabled() bool { return boolOr(m.Enabled, true) }

// ONVIFEnabled reports Enabled, true when unset.
func (o ONVIF) ONVIFEnabled() bool { return boolOr(o.Enabled, true) }

// DiscoveryEnabled reports whether WS-Discovery runs: ONVIF enabled and
// Discovery true or unset.
func (o ONVIF) DiscoveryEnabled() bool { return o.ONVIFEnabled() && boolOr(o.Discovery, true) }

// Motion is the motion-detector sensitivity, 0 = off; default
// DefaultONVIFMotionSensitivity when unset.
func (o ONVIF) Motion() int {
	if o.MotionSensitivity == nil {
		return DefaultONVIFMotionSensitivity
	}
	return *o.MotionSensitivity
}

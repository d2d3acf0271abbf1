package config

import (
	"fmt"
	"math/bits"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits from the schema comments in config.go.
const (
	maxDeviceIDLen         = 64
	maxDeviceNameLen       = 64
	minWidth, maxWidth     = 64, 3840
	minHeight, maxHeight   = 64, 2160
	maxPatternFPS          = 60
	maxFileFPS             = 120
	minBitrate, maxBitrate = 64, 50000
	maxGOP                 = 600
	maxKeyframeInterval    = 10 * time.Second
	minRTPPort, maxRTPPort = 1024, 65534
	maxMaxReaders          = 1024
	minQueue, maxQueue     = 64, 8192
	maxUserNameLen         = 32
	minPassword            = 8
	maxPassword            = 128
	maxBrokers             = 8
	maxTopicPrefixLen      = 64
	minMQTTStore           = 16
	maxMQTTStore           = 100000
	minMQTTPayload         = 1024
	maxMQTTPayload         = 1 << 20
)

// FleetID is the topic segment of fleet-wide commands; no device may use it.
const FleetID = "fleet"

var (
	logLevels        = []string{"debug", "info", "warn", "error"}
	logFormats       = []string{"text", "json"}
	sourceTypes      = []string{"auto", "v4l2", "testpattern", "file"}
	cameraFormats    = []string{"NV12", "YU12", "I420", "YUYV", "MJPEG", "MJPG", "JPEG", "H264"}
	pixelFormats     = []string{"I420", "NV12"}
	encoderTypes     = []string{"auto", "software", "hardware"}
	digestAlgorithms = []string{"SHA-256", "MD5"}
	roles            = []string{"administrator", "operator", "user"}
)

// Validate checks every rule and reports all violations at once as a
// *ValidationError. For a config returned by Parse the problems carry the
// line of the offending key; for configs built in code (or copies of parsed
// ones) the line is 0. Validate looks at the disk for source.file.path,
// resolving a relative path against the working directory, as the file
// source will.
func (c *Config) Validate() error {
	if c == nil {
		return &ValidationError{Problems: []Problem{{Message: "configuration is nil"}}}
	}
	o := originOf(c)
	ps := &problems{}
	c.check(o, ps)
	return ps.err(o.file)
}

// check adds c's problems to ps, so Load can merge them with the decoding
// problems into one report.
func (c *Config) check(o origin, ps *problems) {
	v := validator{o: o, ps: ps}
	v.device(c.Device)
	v.log(c.Log)
	v.source(c.Source)
	v.encoder(c.Encoder)
	v.rtsp(c.RTSP)
	v.mqtt(c.MQTT)
	v.onvif(c.ONVIF, c.RTSP)
	v.users(c.Users)
	v.board(c.Board)
}

type validator struct {
	o  origin
	ps *problems
}

func (v *validator) bad(path, format string, args ...any) {
	v.ps.addf(path, v.o.line(path), format, args...)
}

func (v *validator) oneOf(path, got string, allowed []string) {
	if !slices.Contains(allowed, got) {
		v.bad(path, "must be one of %s, got %s", strings.Join(allowed, ", "), quote(got))
	}
}

func (v *validator) between(path string, got, lo, hi int) {
	if got < lo || got > hi {
		v.bad(path, "must be between %d and %d, got %d", lo, hi, got)
	}
}

func (v *validator) evenBetween(path string, got, lo, hi int) {
	if got < lo || got > hi || got%2 != 0 {
		v.bad(path, "must be an even number between %d and %d, got %d", lo, hi, got)
	}
}

func (v *validator) device(d Device) {
	if d.ID != "" && (len(d.ID) > maxDeviceIDLen || strings.ContainsFunc(d.ID, notIDRune)) {
		v.bad("device.id", "must be at most %d letters, digits, '-', '_' or '.', got %s", maxDeviceIDLen, quote(d.ID))
	} else if d.ID == FleetID {
		v.bad("device.id", "%s is reserved for fleet-wide MQTT commands", quote(FleetID))
	}
	// The name reaches SDP and ONVIF replies, where a control character
	// could split a line.
	if n := utf8.RuneCountInString(d.Name); n == 0 || n > maxDeviceNameLen || !utf8.ValidString(d.Name) || strings.ContainsFunc(d.Name, unicode.IsControl) {
		v.bad("device.name", "must be 1 to %d characters without control characters", maxDeviceNameLen)
	}
}

func notIDRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
}

func (v *validator) log(l Log) {
	v.oneOf("log.level", l.Level, logLevels)
	v.oneOf("log.format", l.Format, logFormats)
}

// source checks both source blocks, not only the selected one, so a
// mistake is caught when it is made rather than when someone switches.
func (v *validator) source(s Source) {
	v.oneOf("source.type", s.Type, sourceTypes)
	tp := s.TestPattern
	v.evenBetween("source.testpattern.width", tp.Width, minWidth, maxWidth)
	v.evenBetween("source.testpattern.height", tp.Height, minHeight, maxHeight)
	v.between("source.testpattern.fps", tp.FPS, 1, maxPatternFPS)
	v.oneOf("source.testpattern.format", tp.Format, pixelFormats)
	v.between("source.file.fps", s.File.FPS, 1, maxFileFPS)
	cam := s.V4L2
	v.evenBetween("source.v4l2.width", cam.Width, minWidth, maxWidth)
	v.evenBetween("source.v4l2.height", cam.Height, minHeight, maxHeight)
	v.between("source.v4l2.fps", cam.FPS, 1, maxFileFPS)
	if len(cam.Formats) == 0 {
		v.bad("source.v4l2.formats", "must list at least one of %s", strings.Join(cameraFormats, ", "))
	}
	for i, f := range cam.Formats {
		v.oneOf(fmt.Sprintf("source.v4l2.formats[%d]", i), strings.ToUpper(f), cameraFormats)
	}
	if cam.Passthrough() && len(cam.Formats) > 1 {
		v.bad("source.v4l2.formats", "H264 (the camera's own encoding, passed through) must be the only format: raw formats need the encoder, H264 bypasses it")
	}
	if cam.Device != "" && !strings.HasPrefix(cam.Device, "/dev/") {
		v.bad("source.v4l2.device", "must be a /dev path such as /dev/video0, got %s", quote(cam.Device))
	}
	if s.Type != "file" {
		return
	}
	switch fi, err := os.Stat(s.File.Path); {
	case s.File.Path == "":
		// Point at the line that made the path required.
		line, ok := v.o.lines["source.file.path"]
		if !ok {
			line = v.o.line("source.type")
		}
		v.ps.addf("source.file.path", line, "is required when source.type is file")
	case err != nil:
		v.bad("source.file.path", "cannot use %s: %v", quote(s.File.Path), unwrapPathError(err))
	case !fi.Mode().IsRegular():
		v.bad("source.file.path", "%s is not a regular file", quote(s.File.Path))
	}
}

// unwrapPathError drops the "stat PATH:" prefix the message already has.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func (v *validator) encoder(e Encoder) {
	v.oneOf("encoder.type", e.Type, encoderTypes)
	v.between("encoder.bitrate_kbps", e.BitrateKbps, minBitrate, maxBitrate)
	if e.GOP < 0 || e.GOP > maxGOP {
		v.bad("encoder.gop", "must be 0 (one second of frames) or between 1 and %d, got %d", maxGOP, e.GOP)
	}
	if e.KeyframeMinInterval < 0 || e.KeyframeMinInterval > maxKeyframeInterval {
		v.bad("encoder.keyframe_min_interval", "must be between 0s and %s, got %s", maxKeyframeInterval, e.KeyframeMinInterval)
	}
	s := e.SubStream
	v.oneOf("encoder.sub_stream.mode", s.Mode, []string{"auto", "on", "off"})
	if s.Width < minWidth || s.Width > 1920 || s.Width%2 != 0 {
		v.bad("encoder.sub_stream.width", "must be an even number between %d and 1920, got %d", minWidth, s.Width)
	}
	if s.Height < minHeight || s.Height > 1080 || s.Height%2 != 0 {
		v.bad("encoder.sub_stream.height", "must be an even number between %d and 1080, got %d", minHeight, s.Height)
	}
	v.between("encoder.sub_stream.bitrate_kbps", s.BitrateKbps, minBitrate, maxBitrate)
}

func (v *validator) rtsp(r RTSP) {
	rtspPort, ok := v.listen("rtsp.listen", r.Listen, ":8554")
	if !strings.HasPrefix(r.Path, "/") || strings.ContainsFunc(r.Path, badPathRune) {
		v.bad("rtsp.path", "must start with '/' and contain no whitespace, control characters, '?' or '#', got %s", quote(r.Path))
	}
	switch p := r.UDPRTPPort; {
	case p < minRTPPort || p > maxRTPPort || p%2 != 0:
		v.bad("rtsp.udp_rtp_port", "must be an even number between %d and %d, got %d", minRTPPort, maxRTPPort, p)
	case ok && (p == rtspPort || p+1 == rtspPort):
		// Different protocols could share a number, but the same number
		// for two services confuses firewall rules and port forwards.
		v.bad("rtsp.udp_rtp_port", "%d and RTCP port %d must differ from the RTSP port %d", p, p+1, rtspPort)
	}
	if !strings.HasPrefix(r.SubPath, "/") || strings.ContainsFunc(r.SubPath, badPathRune) {
		v.bad("rtsp.sub_path", "must start with '/' and contain no whitespace, control characters, '?' or '#', got %s", quote(r.SubPath))
	} else if strings.Trim(r.SubPath, "/") == strings.Trim(r.Path, "/") {
		v.bad("rtsp.sub_path", "must differ from rtsp.path %s", quote(r.Path))
	}
	v.between("rtsp.max_readers", r.MaxReaders, 1, maxMaxReaders)
	if q := r.WriteQueue; q < minQueue || q > maxQueue || bits.OnesCount(uint(q)) != 1 {
		v.bad("rtsp.write_queue", "must be a power of two between %d and %d, got %d", minQueue, maxQueue, q)
	}
	if len(r.DigestAlgorithms) == 0 {
		v.bad("rtsp.digest_algorithms", "must list at least one of %s", strings.Join(digestAlgorithms, ", "))
	}
	for i, a := range r.DigestAlgorithms {
		p := fmt.Sprintf("rtsp.digest_algorithms[%d]", i)
		v.oneOf(p, a, digestAlgorithms)
		if j := slices.Index(r.DigestAlgorithms, a); j < i {
			v.bad(p, "%s is already listed at rtsp.digest_algorithms[%d]", quote(a), j)
		}
	}
}

// listen checks the host:port at path and returns the port for the clash
// checks; example is a valid value for the message.
func (v *validator) listen(path, addr, example string) (int, bool) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		v.bad(path, "must be host:port such as %q or \"0.0.0.0%s\", got %s", example, example, quote(addr))
		return 0, false
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		v.bad(path, "port must be a number between 1 and 65535, got %s", quote(portStr))
		return 0, false
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsFunc(host, notHostRune) {
		v.bad(path, "host must be empty, an IP address or a host name, got %s", quote(host))
	}
	return port, true
}

func notHostRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.')
}

func badPathRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == '?' || r == '#' || r == utf8.RuneError
}

func (v *validator) users(us []User) {
	first := make(map[string]int, len(us))
	for i, u := range us {
		base := fmt.Sprintf("users[%d]", i)
		// ':' separates user and password in Basic auth and '"' ends the
		// quoted username in a Digest header.
		if n := utf8.RuneCountInString(u.Name); n == 0 || n > maxUserNameLen || !utf8.ValidString(u.Name) ||
			strings.ContainsFunc(u.Name, func(r rune) bool { return r == ':' || r == '"' || unicode.IsControl(r) }) {
			v.bad(base+".name", "must be 1 to %d characters without ':', '\"' or control characters, got %s", maxUserNameLen, quote(u.Name))
		} else if j, dup := first[u.Name]; dup {
			v.bad(base+".name", "duplicate user %s (also users[%d])", quote(u.Name), j)
		} else {
			first[u.Name] = i
		}
		// The message never includes the password, not even its length.
		if n := utf8.RuneCountInString(u.Password.Reveal()); n < minPassword || n > maxPassword {
			v.bad(base+".password", "must be %d to %d characters long", minPassword, maxPassword)
		}
		v.oneOf(base+".role", u.Role, roles)
	}
}

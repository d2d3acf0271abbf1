package config

import (
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const maxONVIFLocationLen = 128

func (v *validator) onvif(o ONVIF, r RTSP) {
	if !o.ONVIFEnabled() {
		return
	}
	// The location reaches every ProbeMatch: keep it short and printable.
	if n := utf8.RuneCountInString(o.Location); n > maxONVIFLocationLen || !utf8.ValidString(o.Location) ||
		strings.ContainsFunc(o.Location, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		v.bad("onvif.location", "must be at most %d characters without spaces or control characters", maxONVIFLocationLen)
	}
	if m := o.Motion(); m < 0 || m > 100 {
		v.bad("onvif.motion_sensitivity", "must be between 0 (off) and 100, got %d", m)
	}
	port, ok := v.listen("onvif.listen", o.Listen, ":8080")
	if !ok {
		return
	}
	// One port number for two services confuses firewall rules and port
	// forwards, and with a wildcard host the second bind fails.
	if _, p, err := net.SplitHostPort(r.Listen); err == nil {
		if rp, err := strconv.Atoi(p); err == nil && rp == port {
			v.bad("onvif.listen", "port %d is already the RTSP port (rtsp.listen)", port)
		}
	}
}

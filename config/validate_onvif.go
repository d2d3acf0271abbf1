package config

import (
	"net"
	"strconv"
)

func (v *validator) onvif(o ONVIF, r RTSP) {
	if !o.ONVIFEnabled() {
		return
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

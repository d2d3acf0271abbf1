package app

import (
	"net"
	"os"
	"strings"

	"camagent/config"
	"camagent/telemetry"
)

// genericHosts are the names images ship with: a fleet of 250 cameras all
// called "buildroot" would share one MQTT client id and one topic tree.
var genericHosts = map[string]bool{"": true, "localhost": true, "buildroot": true, "(none)": true, "raspberrypi": true, "camagent": true}

// deviceID is the configured device.id or else the board's identity: the
// device-tree serial number, then the host name unless it is an image's
// generic one, then the first Ethernet-like MAC address.
func deviceID(cfg *config.Config) string {
	if cfg.Device.ID != "" {
		return cfg.Device.ID
	}
	_, serial := telemetry.BoardIdentity()
	if id := idFrom("cam-", strings.TrimLeft(serial, "0")); id != "" {
		return id
	}
	if h, err := os.Hostname(); err == nil && !genericHosts[h] {
		if id := idFrom("", h); id != "" {
			return id
		}
	}
	if mac := firstMAC(); mac != "" {
		return "cam-" + strings.ReplaceAll(mac, ":", "")
	}
	h, _ := os.Hostname()
	return idFrom("", h)
}

// idFrom returns prefix+s when that is a valid device id, else "".
func idFrom(prefix, s string) string {
	if s == "" {
		return ""
	}
	probe := config.Default()
	probe.Device.ID = prefix + strings.ToLower(s)
	if probe.Validate() != nil {
		return ""
	}
	return probe.Device.ID
}

func firstMAC() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 && len(i.HardwareAddr) == 6 {
			return i.HardwareAddr.String()
		}
	}
	return ""
}

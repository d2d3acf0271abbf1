package onvif

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"camagent/auth"
)

// Service paths in XAddrs. Any /onvif/ path serves every operation.
const (
	mediaPath = "/onvif/media_service"
	wsdlURL   = "http://www.onvif.org/Documents/Specifications.aspx"
)

// onvifVersion is the version of the ONVIF specifications implemented.
var onvifVersion = version{Major: 2, Minor: 60}

func (c *call) xaddr(path string) string { return c.base + path }

func getSystemDateAndTime(c *call) (any, error) {
	now := c.s.clk.Now().UTC()
	dt := dateTime{Hour: now.Hour(), Minute: now.Minute(), Second: now.Second(), Year: now.Year(), Month: int(now.Month()), Day: now.Day()}
	// The operating system keeps the clock (NTP on a networked board)
	// until a client sets it by hand; the time zone is always UTC.
	typ := "NTP"
	c.s.state.mu.RLock()
	if c.s.state.manualTime {
		typ = "Manual"
	}
	c.s.state.mu.RUnlock()
	return getSystemDateAndTimeResponse{SDT: systemDateAndTime{DateTimeType: typ, TZ: "UTC0", UTC: dt, Local: dt}}, nil
}

func getDeviceInformation(c *call) (any, error) {
	d := c.s.device()
	return getDeviceInformationResponse{Manufacturer: d.Manufacturer, Model: d.Model, FirmwareVersion: d.FirmwareVersion, SerialNumber: d.SerialNumber, HardwareID: d.HardwareID}, nil
}

func getCapabilities(c *call) (any, error) {
	var cats []string
	for _, k := range c.arg.kids {
		if k.name.Local == "Category" {
			cats = append(cats, strings.Fields(k.value())...)
		}
	}
	want := func(cat string) bool {
		return len(cats) == 0 || containsString(cats, "All") || containsString(cats, cat)
	}
	var caps capabilities
	if want("Device") {
		caps.Device = &deviceCapabilities{XAddr: c.xaddr(DevicePath)}
		caps.Device.System.SupportedVersions = []version{onvifVersion}
		caps.Device.System.DiscoveryBye = c.s.discoverable()
	}
	if want("Events") {
		caps.Events = &eventsCapabilities{XAddr: c.xaddr(eventsPath), WSPullPointSupport: true}
	}
	if want("Imaging") && c.s.cfg.Imaging != nil {
		caps.Imaging = &imagingCapabilities{XAddr: c.xaddr(imagingPath)}
	}
	if want("Media") {
		caps.Media = &mediaCapabilities{XAddr: c.xaddr(mediaPath)}
		caps.Media.Streaming.RTPTCP = true
		caps.Media.Streaming.RTPRTSPTCP = true
	}
	if caps.Device == nil && caps.Media == nil && caps.Events == nil && caps.Imaging == nil {
		return nil, &Fault{Code: "Receiver", Subcodes: []string{"ActionNotSupported", "NoSuchService"}, Reason: "The requested service is not supported", Status: 500}
	}
	return getCapabilitiesResponse{Caps: caps}, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (c *call) deviceServiceCaps() deviceServiceCapabilities {
	var d deviceServiceCapabilities
	d.Security.UsernameToken = true
	d.Security.HTTPDigest = c.s.digest() != nil
	d.System.DiscoveryBye = c.s.discoverable() // Bye is sent at stop
	// Networking belongs to the device image (doc.go); users are
	// configurable only through an Admin.
	d.System.NetworkConfigNotSupported = true
	d.System.UserConfigNotSupported = c.s.cfg.Admin == nil
	if c.s.cfg.Admin != nil {
		d.Security.MaxUsers, d.Security.MaxUserNameLength, d.Security.MaxPasswordLength = maxUsers, maxUserNameLen, maxPasswordLen
	}
	return d
}

func getDeviceServiceCapabilities(c *call) (any, error) {
	return getDeviceServiceCapabilitiesResponse{Caps: c.deviceServiceCaps()}, nil
}

func getServices(c *call) (any, error) {
	include := c.arg.child("*", "IncludeCapability").value() == "true"
	dev := service{Namespace: nsTDS, XAddr: c.xaddr(DevicePath), Version: onvifVersion}
	med := service{Namespace: nsTRT, XAddr: c.xaddr(mediaPath), Version: onvifVersion}
	med2 := service{Namespace: nsTR2, XAddr: c.xaddr(media2Path), Version: onvifVersion}
	ev := service{Namespace: nsTEV, XAddr: c.xaddr(eventsPath), Version: onvifVersion}
	if include {
		dev.Capabilities = &struct{ Inner any }{c.deviceServiceCaps()}
		med.Capabilities = &struct{ Inner any }{c.mediaServiceCaps()}
		med2.Capabilities = &struct{ Inner any }{c.media2Caps()}
		ev.Capabilities = &struct{ Inner any }{eventServiceCaps()}
	}
	services := []service{dev, med, med2, ev}
	if c.s.cfg.Imaging != nil {
		img := service{Namespace: nsTIMG, XAddr: c.xaddr(imagingPath), Version: onvifVersion}
		if include {
			img.Capabilities = &struct{ Inner any }{imagingServiceCaps()}
		}
		services = append(services, img)
	}
	return getServicesResponse{Services: services}, nil
}

func getScopes(c *call) (any, error) {
	d := c.s.device()
	items := scopeItems(d)
	out := make([]scope, len(items))
	for i, it := range items {
		out[i] = scope{Def: "Fixed", Item: it}
		// With an Admin the name and location are set by SetScopes.
		if c.s.cfg.Admin != nil && (it == scopeName+url.PathEscape(d.Name) || d.Location != "" && i == len(items)-1) {
			out[i].Def = "Configurable"
		}
	}
	return getScopesResponse{Scopes: out}, nil
}

func getHostname(c *call) (any, error) {
	return getHostnameResponse{Name: c.s.cfg.Host.Hostname()}, nil
}

func getNetworkInterfaces(c *call) (any, error) {
	var out []networkInterface
	for _, i := range c.s.cfg.Host.Interfaces() {
		ni := networkInterface{Token: i.Name, Enabled: i.Up}
		ni.Info.Name, ni.Info.HwAddress, ni.Info.MTU = i.Name, i.HwAddr, i.MTU
		if len(i.IPv4) > 0 {
			ni.IPv4 = &struct {
				Enabled bool `xml:"tt:Enabled"`
				Config  struct {
					Manual []prefixedIPv4 `xml:"tt:Manual"`
					DHCP   bool           `xml:"tt:DHCP"`
				} `xml:"tt:Config"`
			}{Enabled: true}
			// The agent does not know whether the OS got these by DHCP; it
			// reports them as the current (manual) configuration.
			for _, p := range i.IPv4 {
				ni.IPv4.Config.Manual = append(ni.IPv4.Config.Manual, prefixedIPv4{Address: p.Addr().String(), PrefixLength: p.Bits()})
			}
		}
		out = append(out, ni)
	}
	return getNetworkInterfacesResponse{Interfaces: out}, nil
}

func getDNS(c *call) (any, error) {
	var out []ipAddr
	for _, s := range c.s.cfg.Host.DNS() {
		ip := net.ParseIP(s)
		switch {
		case ip == nil:
		case ip.To4() != nil:
			out = append(out, ipAddr{Type: "IPv4", IPv4: s})
		default:
			out = append(out, ipAddr{Type: "IPv6", IPv6: s})
		}
	}
	return getDNSResponse{DNSManual: out}, nil
}

func getNetworkProtocols(c *call) (any, error) {
	httpPort := 80
	if a, ok := c.s.Addr().(*net.TCPAddr); ok {
		httpPort = a.Port
	} else if _, p, err := net.SplitHostPort(c.s.cfg.Listen); err == nil {
		if n, err := strconv.Atoi(p); err == nil && n > 0 {
			httpPort = n
		}
	}
	return getNetworkProtocolsResponse{Protocols: []networkProtocol{
		{Name: "HTTP", Enabled: true, Port: []int{httpPort}},
		{Name: "RTSP", Enabled: true, Port: []int{c.s.cfg.RTSPPort}},
	}}, nil
}

func getUsers(c *call) (any, error) {
	var out []user
	for _, a := range c.s.users.Load().list() {
		out = append(out, user{Username: a.Name, UserLevel: userLevel(a.Role)})
	}
	return getUsersResponse{Users: out}, nil
}

func userLevel(r auth.Role) string {
	switch r {
	case auth.RoleAdministrator:
		return "Administrator"
	case auth.RoleOperator:
		return "Operator"
	case auth.RoleUser:
		return "User"
	}
	return "Anonymous"
}

func getWsdlURL(*call) (any, error) { return getWsdlURLResponse{URL: wsdlURL}, nil }

// getDiscoveryMode reports whether the WS-Discovery responder runs
// (Config.Discoverable, from onvif.discovery).
func getDiscoveryMode(c *call) (any, error) {
	if c.s.discoverable() {
		return getDiscoveryModeResponse{Mode: "Discoverable"}, nil
	}
	return getDiscoveryModeResponse{Mode: "NonDiscoverable"}, nil
}

// notSupported answers operations the agent recognises but does not
// implement (network and system settings belong to the operating system).
func notSupported(*call) (any, error) { return nil, faultActionNotSupported() }

package app

import (
	"context"
	"net"
	"net/netip"
	"strconv"

	"camagent/onvif"
)

// buildDiscovery adds the WS-Discovery responder beside the ONVIF server
// when onvif.discovery is on. A listen address bound to one host address
// restricts discovery to that address's interface; a loopback one means
// nothing on the network can reach the device service, so nothing is
// announced.
func (a *Agent) buildDiscovery(dev onvif.DeviceInfo, serial string) error {
	cfg := a.cfg.ONVIF
	only, on := discoveryScope(cfg.Listen)
	if !cfg.DiscoveryEnabled() || a.onvif == nil {
		return nil
	}
	if !on {
		a.opts.Log.Info("ws-discovery off: onvif.listen is not reachable from the network", "listen", cfg.Listen)
		return nil
	}
	_, p, _ := net.SplitHostPort(cfg.Listen)
	configured, _ := strconv.Atoi(p)
	srv := a.onvif
	d, err := onvif.NewDiscovery(onvif.DiscoveryConfig{
		HTTPPort: func() int {
			if ta, ok := srv.Addr().(*net.TCPAddr); ok {
				return ta.Port
			}
			return configured
		},
		Endpoint: onvif.DeviceUUID(serial),
		Device:   dev,
		Only:     only,
		Clock:    a.opts.Clock,
		Log:      a.opts.Log.With("component", "ws-discovery"),
	})
	if err != nil {
		return err
	}
	a.discovery = d
	a.comps = append(a.comps, named{"ws-discovery", afterONVIF{srv, d}})
	return nil
}

// discoveryScope says whether discovery can announce an ONVIF server
// listening on listen, and on which address's interface only (invalid =
// every interface).
func discoveryScope(listen string) (only netip.Addr, ok bool) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return netip.Addr{}, false
	}
	if host == "" {
		return netip.Addr{}, true
	}
	a, err := netip.ParseAddr(host)
	switch {
	case err != nil || a.IsLoopback() || !a.Unmap().Is4() && !a.IsUnspecified():
		return netip.Addr{}, false // host names, loopback and IPv6-only: not announced
	case a.IsUnspecified():
		return netip.Addr{}, true
	}
	return a.Unmap(), true
}

// afterONVIF starts discovery once the device service listens, so Hello
// never announces an address that does not answer yet.
type afterONVIF struct {
	srv *onvif.Server
	d   *onvif.Discovery
}

func (r afterONVIF) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-r.srv.Ready():
	}
	return r.d.Run(ctx)
}

// discoverable is what GetDiscoveryMode answers: whether buildDiscovery
// will run the responder.
func discoverable(enabled bool, listen string) bool {
	_, ok := discoveryScope(listen)
	return enabled && ok
}

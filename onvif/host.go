package onvif

import (
	"bufio"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// Host describes the machine's network for the Get* network operations.
type Host interface {
	Hostname() string
	Interfaces() []NetInterface
	DNS() []string // name server addresses
}

// NetInterface is one network interface with its IPv4 addresses.
type NetInterface struct {
	Index  int // kernel interface index (WS-Discovery joins and replies per interface)
	Name   string
	HwAddr string // xx:xx:xx:xx:xx:xx
	MTU    int
	Up     bool
	IPv4   []netip.Prefix
}

// systemHost reads the running system.
type systemHost struct{}

func (systemHost) Hostname() string {
	h, _ := os.Hostname()
	return h
}

func (systemHost) Interfaces() []NetInterface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []NetInterface
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 || len(i.HardwareAddr) != 6 {
			continue
		}
		ni := NetInterface{Index: i.Index, Name: i.Name, HwAddr: i.HardwareAddr.String(), MTU: i.MTU, Up: i.Flags&net.FlagUp != 0}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok && ip.Unmap().Is4() {
					ones, _ := ipn.Mask.Size()
					ni.IPv4 = append(ni.IPv4, netip.PrefixFrom(ip.Unmap(), ones))
				}
			}
		}
		out = append(out, ni)
		if len(out) == 16 {
			break
		}
	}
	return out
}

func (systemHost) DNS() []string {
	f, err := os.Open("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(out) < 8 {
		fs := strings.Fields(sc.Text())
		if len(fs) == 2 && fs[0] == "nameserver" {
			if a, err := netip.ParseAddr(fs[1]); err == nil {
				out = append(out, a.String())
			}
		}
	}
	return out
}

// requestBase returns "http://HOST[:PORT]" as the client addressed this
// server (its Host header, when it is a plain host[:port]) and HOST alone.
// Otherwise it falls back to the local address the connection arrived on.
func requestBase(r *http.Request) (base, host string) {
	if h, ok := cleanHost(r.Host); ok {
		return "http://" + r.Host, h
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(la.String()); err == nil {
			ip := ap.Addr().Unmap().WithZone("")
			return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(int(ap.Port()))), ip.String()
		}
	}
	return "http://127.0.0.1", "127.0.0.1"
}

// cleanHost accepts host, host:port, [v6] and [v6]:port with a host that is
// an IP address or a DNS name, and returns the host (IPv6 without brackets).
func cleanHost(hp string) (string, bool) {
	if hp == "" || len(hp) > 255 {
		return "", false
	}
	host := hp
	if h, port, err := net.SplitHostPort(hp); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", false
		}
		host = h
	} else if strings.HasPrefix(hp, "[") && strings.HasSuffix(hp, "]") {
		host = hp[1 : len(hp)-1]
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return "", false
		}
		return a.String(), true
	}
	if host == "" || strings.ContainsFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	}) {
		return "", false
	}
	return host, true
}

// hostPort joins a host (IPv6 without brackets) and a port for a URL.
func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

package app

import (
	"net"
	"net/url"
	"strconv"
)

// streamURLs lists the URLs a viewer can paste: the configured host, or for
// a wildcard listener the loopback address and the first LAN addresses.
func streamURLs(listen, path string, port int, user, password string) []string {
	host, _, _ := net.SplitHostPort(listen)
	var hosts []string
	if host != "" && host != "0.0.0.0" && host != "::" {
		hosts = []string{host}
	} else {
		hosts = append(hosts, "127.0.0.1")
		hosts = append(hosts, lanAddresses(2)...)
	}
	var out []string
	for _, h := range hosts {
		u := url.URL{Scheme: "rtsp", Host: net.JoinHostPort(h, strconv.Itoa(port)), Path: path}
		if user != "" {
			if password != "" {
				u.User = url.UserPassword(user, password)
			} else {
				u.User = url.User(user)
			}
		}
		out = append(out, u.String())
	}
	return out
}

func lanAddresses(max int) []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.To4() == nil || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, ipn.IP.String())
		if len(out) == max {
			break
		}
	}
	return out
}

package onvif

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// discoverySockopts lets several responders share UDP 3702 (as WS-Discovery
// stacks do) and stops Linux from delivering multicast for groups joined on
// interfaces this socket did not choose (IP_MULTICAST_ALL defaults to 1).
func discoverySockopts(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0)
	})
	if err != nil {
		return err
	}
	return serr
}

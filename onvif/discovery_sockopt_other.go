//go:build !linux

package onvif

import "syscall"

// discoverySockopts: camagent targets Linux; elsewhere the socket keeps the
// system defaults.
func discoverySockopts(_, _ string, _ syscall.RawConn) error { return nil }

//go:build linux

package device

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// linux/watchdog.h: _IOR('W', n, int) / _IOWR('W', n, int).
const (
	wdiocGetBootStatus = 0x80045702
	wdiocKeepAlive     = 0x80045705
	wdiocSetTimeout    = 0xc0045706
)

// OpenWatchdog opens the watchdog device; opening arms it.
func OpenWatchdog(path string) (WatchdogDevice, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("watchdog %s: %w", path, err)
	}
	return &linuxWatchdog{f: f}, nil
}

type linuxWatchdog struct{ f *os.File }

func (w *linuxWatchdog) SetTimeout(s int) (int, error) {
	v := s
	if err := ioctlInt(w.f, wdiocSetTimeout, &v); err != nil {
		return 0, fmt.Errorf("watchdog %s: WDIOC_SETTIMEOUT(%d): %w", w.f.Name(), s, err)
	}
	return v, nil
}

func (w *linuxWatchdog) KeepAlive() error {
	var v int32
	if err := ioctlInt32(w.f, wdiocKeepAlive, &v); err != nil {
		return fmt.Errorf("watchdog %s: WDIOC_KEEPALIVE: %w", w.f.Name(), err)
	}
	return nil
}

func (w *linuxWatchdog) BootStatus() (uint32, error) {
	var v int32
	if err := ioctlInt32(w.f, wdiocGetBootStatus, &v); err != nil {
		return 0, err
	}
	return uint32(v), nil
}

func (w *linuxWatchdog) Close(magic bool) error {
	if magic {
		w.f.Write([]byte("V"))
	}
	return w.f.Close()
}

func ioctlInt(f *os.File, req uint, v *int) error {
	x := int32(*v)
	err := ioctlInt32(f, req, &x)
	*v = int(x)
	return err
}

func ioctlInt32(f *os.File, req uint, v *int32) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(unsafe.Pointer(v)))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

package telemetry

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Host reads the machine's state; tests replace it.
type Host interface {
	System(disks []string) System
	Network() []NetIf
	TimeSync() TimeSync
}

// LinuxHost reads /proc, /sys, statfs and adjtimex.
type LinuxHost struct{}

func (LinuxHost) System(disks []string) System {
	var s System
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			s.Load1, _ = strconv.ParseFloat(f[0], 64)
			s.Load5, _ = strconv.ParseFloat(f[1], 64)
			s.Load15, _ = strconv.ParseFloat(f[2], 64)
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 2 {
				continue
			}
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			switch f[0] {
			case "MemTotal:":
				s.MemTotalBytes = kb * 1024
			case "MemAvailable:":
				s.MemAvailableBytes = kb * 1024
			}
		}
	}
	s.CPUTempC = cpuTemp()
	s.Model, s.Serial = BoardIdentity()
	s.Throttled = throttled()
	s.Disks = []Disk{}
	for _, d := range disks {
		var st syscall.Statfs_t
		if syscall.Statfs(d, &st) != nil {
			continue
		}
		bs := uint64(st.Bsize) //nolint:gosec // block size is positive
		s.Disks = append(s.Disks, Disk{Path: d, TotalBytes: st.Blocks * bs, FreeBytes: st.Bavail * bs})
	}
	return s
}

// cpuTemp is the highest thermal zone, in °C, or nil without sensors.
func cpuTemp() *float64 {
	zones, _ := filepath.Glob("/sys/class/thermal/thermal_zone*/temp")
	var best *float64
	for _, z := range zones {
		b, err := os.ReadFile(z)
		if err != nil {
			continue
		}
		milli, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		if err != nil {
			continue
		}
		c := milli / 1000
		if best == nil || c > *best {
			best = &c
		}
	}
	return best
}

func (LinuxHost) Network() []NetIf {
	out := []NetIf{}
	ifs, err := net.Interfaces()
	if err != nil {
		return out
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 {
			continue
		}
		n := NetIf{Name: i.Name, Up: i.Flags&net.FlagUp != 0 && i.Flags&net.FlagRunning != 0, Addresses: []string{}}
		if addrs, err := i.Addrs(); err == nil {
			for _, a := range addrs {
				n.Addresses = append(n.Addresses, a.String())
			}
		}
		n.RxBytes = readUint("/sys/class/net/" + i.Name + "/statistics/rx_bytes")
		n.TxBytes = readUint("/sys/class/net/" + i.Name + "/statistics/tx_bytes")
		out = append(out, n)
	}
	return out
}

func readUint(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return v
}

// Kernel NTP discipline constants (linux/timex.h).
const (
	timeError = 5    // TIME_ERROR: clock not synchronised
	staUnsync = 0x40 // STA_UNSYNC
)

func (LinuxHost) TimeSync() TimeSync {
	var tx syscall.Timex
	state, err := syscall.Adjtimex(&tx)
	if err != nil {
		return TimeSync{}
	}
	return TimeSync{
		Synchronized: state != timeError && tx.Status&staUnsync == 0,
		MaxErrorS:    float64(tx.Maxerror) / 1e6,
	}
}

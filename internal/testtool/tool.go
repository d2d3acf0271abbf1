package testtool

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// Need returns the path of the named program or stops the test: a failure
// in CI, where every tool must have been installed by scripts/test.sh, and a
// skip on a developer's machine that lacks it.
func Need(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI but not installed (scripts/install-deps.sh installs it): %v", name, err)
	}
	t.Skipf("%s not installed; run scripts/install-deps.sh", name)
	return ""
}

// FreePort returns a loopback port that was free a moment ago, for
// components that need a fixed port number (UDP RTP pairs).
func FreePort(t testing.TB, network string) int {
	t.Helper()
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	default:
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
}

// FreeUDPPair returns an even port p such that p and p+1 were both free.
func FreeUDPPair(t testing.TB) int {
	t.Helper()
	for range 50 {
		a, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		a.Close()
		if p%2 == 1 {
			p--
		}
		c1, err1 := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		c2, err2 := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+1)))
		if c1 != nil {
			c1.Close()
		}
		if c2 != nil {
			c2.Close()
		}
		if err1 == nil && err2 == nil && p >= 1024 {
			return p
		}
	}
	t.Fatal("no free UDP port pair")
	return 0
}

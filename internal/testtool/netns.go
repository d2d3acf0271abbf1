package testtool

import (
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// netnsChild names the test that a re-executed copy of the test binary
// runs inside the private network namespace.
const netnsChild = "CAMAGENT_NETNS_CHILD"

// Netns lets a test exercise real multicast without anything leaving the
// machine. In the parent it re-runs the named test under `unshare -n`
// (root; a failure under CI=true, a skip elsewhere), logs the child's
// "netns:" lines and returns false. In that child it sets up a veth pair —
// v0 10.99.0.1/24 (the camera), v1 10.99.0.2/24 plus extraV1 (the client)
// with a multicast route on v1 — waits for carrier and returns true: the
// caller then runs the body of the test.
func Netns(t *testing.T, test string, extraV1 ...string) bool {
	t.Helper()
	if os.Getenv(netnsChild) == test {
		setupVeth(t, extraV1)
		return true
	}
	unshare := Need(t, "unshare")
	Need(t, "ip")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s needs root for a private network namespace in CI", test)
		}
		t.Skip("needs root for a private network namespace")
	}
	cmd := exec.Command(unshare, "-n", os.Args[0], "-test.run", "^"+test+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), netnsChild+"="+test)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("in namespace: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "netns:") {
			t.Log(strings.TrimSpace(l))
		}
	}
	return false
}

func setupVeth(t *testing.T, extraV1 []string) {
	t.Helper()
	cmds := [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"},
		{"ip", "addr", "add", "10.99.0.1/24", "dev", "v0"},
		{"ip", "addr", "add", "10.99.0.2/24", "dev", "v1"},
	}
	for _, a := range extraV1 {
		cmds = append(cmds, []string{"ip", "addr", "add", a, "dev", "v1"})
	}
	cmds = append(cmds,
		[]string{"ip", "link", "set", "v0", "up"},
		[]string{"ip", "link", "set", "v1", "up"},
		[]string{"ip", "route", "add", "224.0.0.0/4", "dev", "v1"})
	for _, c := range cmds {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	// Both ends live in this one namespace, so each sees the other's
	// packets arrive from a local source address: accept them.
	for _, k := range []string{"accept_local=1", "rp_filter=0"} {
		name, v, _ := strings.Cut(k, "=")
		for _, dev := range []string{"all", "v0", "v1"} {
			if err := os.WriteFile("/proc/sys/net/ipv4/conf/"+dev+"/"+name, []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A veth pair carries packets only once both ends report carrier; a
	// message sent earlier would be lost.
	deadline := time.Now().Add(5 * time.Second)
	for _, dev := range []string{"v0", "v1"} {
		for {
			ifi, err := net.InterfaceByName(dev)
			if err == nil && ifi.Flags&net.FlagRunning != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s has no carrier: %v", dev, err)
			}
			runtime.Gosched()
		}
	}
}

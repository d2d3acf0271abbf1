package onvif

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"camagent/internal/testtool"
)

// netnsChild marks the copy of the test binary that runs inside the
// private network namespace.
const netnsChild = "CAMAGENT_WSD_NETNS_CHILD"

// TestDiscoveryNetns runs the responder and a probing client over real
// multicast inside a private network namespace (unshare -n), so nothing
// leaves the machine: a veth pair v0 (10.99.0.1/24, the camera) and v1
// (10.99.0.2/24, the client) with a multicast route. The client sees Hello
// at start, a ProbeMatch for its multicast and unicast Probes with XAddrs
// on 10.99.0.1, and Bye at stop.
func TestDiscoveryNetns(t *testing.T) {
	if os.Getenv(netnsChild) == "1" {
		discoveryInNetns(t)
		return
	}
	unshare := testtool.Need(t, "unshare")
	testtool.Need(t, "ip")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the WS-Discovery namespace test needs root in CI")
		}
		t.Skip("needs root for a private network namespace")
	}
	cmd := exec.Command(unshare, "-n", os.Args[0], "-test.run", "^TestDiscoveryNetns$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), netnsChild+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("in namespace: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "netns:") {
			t.Log(strings.TrimSpace(l))
		}
	}
}

func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func discoveryInNetns(t *testing.T) {
	for _, c := range [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"},
		{"ip", "addr", "add", "10.99.0.1/24", "dev", "v0"},
		{"ip", "addr", "add", "10.99.0.2/24", "dev", "v1"},
		{"ip", "addr", "add", "10.98.0.2/24", "dev", "v1"}, // off the camera's subnet
		{"ip", "link", "set", "v0", "up"},
		{"ip", "link", "set", "v1", "up"},
		{"ip", "route", "add", "224.0.0.0/4", "dev", "v1"},
	} {
		sh(t, c...)
	}
	// Both ends live in this one namespace, so each sees the other's
	// packets arrive from a local source address: accept them.
	for _, k := range []string{"all/accept_local", "v0/accept_local", "v1/accept_local", "all/rp_filter", "v0/rp_filter", "v1/rp_filter"} {
		v := "1"
		if strings.HasSuffix(k, "rp_filter") {
			v = "0"
		}
		if err := os.WriteFile("/proc/sys/net/ipv4/conf/"+k, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A veth pair carries packets only once both ends report carrier;
	// a Hello sent earlier would be lost.
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
	v0, err := net.InterfaceByName("v0")
	if err != nil {
		t.Fatal(err)
	}
	v1, err := net.InterfaceByName("v1")
	if err != nil {
		t.Fatal(err)
	}

	// The client: a socket on 10.99.0.2 that also listens to the group on
	// v1, for Hello and Bye.
	const port = 3702
	lc := net.ListenConfig{Control: discoverySockopts}
	gc, err := lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:3702")
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	group := ipv4.NewPacketConn(gc)
	if err := group.JoinGroup(v1, &net.UDPAddr{IP: DiscoveryGroup.AsSlice()}); err != nil {
		t.Fatal(err)
	}
	cc, err := net.ListenPacket("udp4", "10.99.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := ipv4.NewPacketConn(cc)
	if err := client.SetMulticastInterface(v1); err != nil {
		t.Fatal(err)
	}
	_ = client.SetMulticastLoopback(false)
	oc, err := net.ListenPacket("udp4", "10.98.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	offlink := ipv4.NewPacketConn(oc)
	if err := offlink.SetMulticastInterface(v1); err != nil {
		t.Fatal(err)
	}

	d, err := NewDiscovery(DiscoveryConfig{
		Port:     port,
		HTTPPort: func() int { return 8080 },
		Endpoint: DeviceUUID("netns"),
		Device:   DeviceInfo{Model: "camagent", Name: "netns"},
		Only:     netip.MustParseAddr("10.99.0.1"), // the camera side only
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-d.Ready():
	case err := <-done:
		t.Fatal(err)
	}

	wantXAddr := "http://10.99.0.1:8080/onvif/device_service"
	expect(t, gc, "Hello", actionHello, wantXAddr)

	// A multicast Probe from off the camera's subnet, then one from the
	// client. Replies leave in arrival order, so once the client's
	// ProbeMatch is in, a wrong answer to the first would be too.
	if _, err := offlink.WriteTo([]byte(agshProbe), nil, &net.UDPAddr{IP: DiscoveryGroup.AsSlice(), Port: port}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.WriteTo([]byte(agshProbe), nil, &net.UDPAddr{IP: DiscoveryGroup.AsSlice(), Port: port}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	reply := expect(t, cc, "ProbeMatch (multicast)", actionMatches, wantXAddr)
	t.Logf("netns: multicast ProbeMatch after %v, %d bytes for a %d-byte Probe (%.1fx)",
		time.Since(start).Round(time.Millisecond), len(reply), len(agshProbe), float64(len(reply))/float64(len(agshProbe)))
	checkRelatesTo(t, reply)
	_ = oc.SetReadDeadline(time.Now())
	if n, _, err := oc.ReadFrom(make([]byte, 2048)); err == nil {
		t.Fatalf("off-link source got a %d-byte reply", n)
	}

	// Unicast Probe to the camera's address.
	if _, err := cc.WriteTo([]byte(agshProbe), &net.UDPAddr{IP: net.IPv4(10, 99, 0, 1), Port: port}); err != nil {
		t.Fatal(err)
	}
	expect(t, cc, "ProbeMatch (unicast)", actionMatches, wantXAddr)

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	expect(t, gc, "Bye", actionBye, "")
	s := d.Stats()
	if s.Replied != 2 || s.OffLink != 1 || s.Malformed != 0 {
		t.Fatalf("stats %+v", s)
	}
	t.Logf("netns: stats %+v (v0 index %d)", s, v0.Index)
}

// expect reads datagrams from c until one carries action (skipping others,
// such as a Hello on the group socket), with a real-time deadline.
func expect(t *testing.T, c net.PacketConn, what, action, xaddr string) []byte {
	t.Helper()
	buf := make([]byte, 64<<10)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		b := bytes.Clone(buf[:n])
		if !bytes.Contains(b, []byte("<a:Action>"+action+"</a:Action>")) {
			continue
		}
		if xaddr != "" && !bytes.Contains(b, []byte("<d:XAddrs>"+xaddr+"</d:XAddrs>")) {
			t.Fatalf("%s without XAddrs %s:\n%s", what, xaddr, b)
		}
		return b
	}
}

func checkRelatesTo(t *testing.T, reply []byte) {
	t.Helper()
	if !bytes.Contains(reply, []byte("<a:RelatesTo>"+probeMessageID+"</a:RelatesTo>")) {
		t.Fatalf("ProbeMatch does not relate to the Probe:\n%s", reply)
	}
}

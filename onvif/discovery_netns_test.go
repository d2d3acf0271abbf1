package onvif

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"camagent/internal/testtool"
)

// TestDiscoveryNetns runs the responder and a probing client over real
// multicast inside a private network namespace (unshare -n), so nothing
// leaves the machine: a veth pair v0 (10.99.0.1/24, the camera) and v1
// (10.99.0.2/24, the client) with a multicast route. The client sees Hello
// at start, a ProbeMatch for its multicast and unicast Probes with XAddrs
// on 10.99.0.1, and Bye at stop.
func TestDiscoveryNetns(t *testing.T) {
	if !testtool.Netns(t, "TestDiscoveryNetns", "10.98.0.2/24") { // 10.98.0.2 is off the camera's subnet
		return
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

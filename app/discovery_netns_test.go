package app

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"camagent/config"
	"camagent/internal/testtool"
)

// TestDiscoveryFindsAgentNetns runs the whole agent inside a private
// network namespace (unshare -n) with onvif.listen on a veth address: a
// multicast Probe from the peer address gets a ProbeMatch whose XAddrs is
// the agent's device service, and GetDiscoveryMode there says Discoverable.
func TestDiscoveryFindsAgentNetns(t *testing.T) {
	if !testtool.Netns(t, "TestDiscoveryFindsAgentNetns") {
		return
	}
	v1, _ := net.InterfaceByName("v1")

	_, a := startAgent(t, func(c *config.Config) { c.ONVIF.Listen = "10.99.0.1:8080" })

	cc, err := net.ListenPacket("udp4", "10.99.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := ipv4.NewPacketConn(cc)
	if err := client.SetMulticastInterface(v1); err != nil {
		t.Fatal(err)
	}
	probe := `<?xml version="1.0" encoding="UTF-8"?><Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">` +
		`<Header><wsa:MessageID xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">urn:uuid:1d6c7a1e-0000-4000-8000-000000000001</wsa:MessageID>` +
		`<wsa:To xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>` +
		`<wsa:Action xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action></Header>` +
		`<Body><Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"><Types>dn:NetworkVideoTransmitter</Types></Probe></Body></Envelope>`
	// Discovery starts once the ONVIF server listens; the first Probe may
	// come before the group is joined, so probe again until a match or
	// the deadline (WS-Discovery clients repeat probes too).
	want := []byte("<d:XAddrs>http://10.99.0.1:8080/onvif/device_service</d:XAddrs>")
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(15 * time.Second)
	for found := false; !found; {
		if time.Now().After(deadline) {
			t.Fatal("no ProbeMatch from the agent")
		}
		if _, err := client.WriteTo([]byte(probe), nil, &net.UDPAddr{IP: net.IPv4(239, 255, 255, 250), Port: 3702}); err != nil {
			t.Fatal(err)
		}
		_ = cc.SetReadDeadline(time.Now().Add(time.Second))
		n, _, err := cc.ReadFrom(buf)
		if err == nil {
			if !bytes.Contains(buf[:n], want) {
				t.Fatalf("ProbeMatch without %s:\n%s", want, buf[:n])
			}
			found = true
		}
	}
	mode := soapCall(t, "http://10.99.0.1:8080/onvif/device_service", wsSecurity(testUser, testPass),
		`<tds:GetDiscoveryMode xmlns:tds="http://www.onvif.org/ver10/device/wsdl"/>`)
	if !strings.Contains(mode, "<tds:DiscoveryMode>Discoverable</tds:DiscoveryMode>") {
		t.Fatalf("GetDiscoveryMode:\n%s", mode)
	}
	if a.ONVIFAddr().String() != "10.99.0.1:8080" {
		t.Fatalf("ONVIF at %v", a.ONVIFAddr())
	}
}

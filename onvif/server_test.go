package onvif

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestRunServesAndStops runs the real listener: a request over TCP is
// answered, and Run returns after ctx ends with no goroutine left behind.
func TestRunServesAndStops(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := newTestServer(t, func(c *Config) { c.Listen = "127.0.0.1:0" })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	url := fmt.Sprintf("http://%s/onvif/device_service", s.Addr())
	tr := &http.Transport{}
	res, err := (&http.Client{Transport: tr}).Post(url, "application/soap+xml", strings.NewReader(envelope12("", `<tds:GetSystemDateAndTime/>`)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	tr.CloseIdleConnections()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	// An idle connection must not keep the server alive.
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestRunReportsPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := newTestServer(t, func(c *Config) { c.Listen = l.Addr().String() })
	err = s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Fatalf("want an error naming the address, got %v", err)
	}
}

func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newLimitListener(inner, 1)
	defer l.Close()
	for range 2 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			second <- c
		}
	}()
	select {
	case <-second:
		t.Fatal("second connection accepted while the first is open")
	default:
	}
	first.Close()
	first.Close() // a second Close must not free a second slot
	c := <-second
	c.Close()
	if len(l.slots) != 0 {
		t.Fatalf("%d slots held after closing everything", len(l.slots))
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{{}, {Listen: ":1", RTSPPort: 0, RTSPPath: "/x"}, {Listen: ":1", RTSPPort: 554, RTSPPath: "x"}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	var f *Fault
	if !errors.As(error(faultNotAuthorized()), &f) {
		t.Fatal("Fault is not an error")
	}
}

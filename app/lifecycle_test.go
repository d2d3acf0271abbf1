package app

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"camagent/config"
	"camagent/internal/testtool"
)

// loopbackConfig is the development configuration on free loopback ports
// with a small picture, so tests start fast and never collide.
func loopbackConfig(t *testing.T) *config.Config {
	cfg := config.Default()
	cfg.Source.Type = "testpattern" // not "auto": a developer's webcam must not change the tests
	cfg.RTSP.Listen = fmt.Sprintf("127.0.0.1:%d", testtool.FreePort(t, "tcp"))
	cfg.MQTT.EmbeddedListen = "127.0.0.1:0" // never the shared default port in tests
	cfg.RTSP.UDPRTPPort = testtool.FreeUDPPair(t)
	cfg.ONVIF.Listen = fmt.Sprintf("127.0.0.1:%d", testtool.FreePort(t, "tcp"))
	cfg.Source.TestPattern.Width, cfg.Source.TestPattern.Height = 320, 240
	return cfg
}

// Stopping the agent must leave no goroutine behind, including while a
// reader is connected.
func TestStopLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cfg := loopbackConfig(t)
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	<-a.Ready()
	// An idle TCP client holding a connection open must not keep the server alive.
	c, err := net.Dial("tcp", a.RTSPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestPortInUseNamesThePort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := loopbackConfig(t)
	cfg.RTSP.Listen = l.Addr().String()
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Fatalf("Run on a busy port = %v, want an error naming %s", err, l.Addr())
	}
}

// With no users configured the banner prints a pasteable URL with a
// generated password, and two runs never share it.
func TestBannerHasGeneratedCredentials(t *testing.T) {
	run := func() string {
		cfg := loopbackConfig(t)
		var out bytes.Buffer
		a, err := New(cfg, Options{Stdout: &out})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		<-a.Ready()
		cancel()
		<-done
		return out.String()
	}
	b1, b2 := run(), run()
	if !strings.Contains(b1, "rtsp://admin:") || !strings.Contains(b1, "@127.0.0.1:") {
		t.Fatalf("banner lacks a URL with credentials:\n%s", b1)
	}
	pw := func(b string) string {
		i := strings.Index(b, "rtsp://admin:") + len("rtsp://admin:")
		return b[i : i+strings.Index(b[i:], "@")]
	}
	if pw(b1) == pw(b2) || len(pw(b1)) < 16 {
		t.Errorf("generated passwords %q and %q: want distinct and long", pw(b1), pw(b2))
	}
}

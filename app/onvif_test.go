package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"camagent/internal/testtool"
)

// wsSecurity builds a UsernameToken PasswordDigest header as ONVIF clients do.
func wsSecurity(user, pass string) string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	created := time.Now().UTC().Format(time.RFC3339Nano)
	h := sha1.New()
	h.Write(nonce)
	h.Write([]byte(created))
	h.Write([]byte(pass))
	return `<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsse:UsernameToken>` +
		`<wsse:Username>` + user + `</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">` +
		base64.StdEncoding.EncodeToString(h.Sum(nil)) + `</wsse:Password><wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">` +
		base64.StdEncoding.EncodeToString(nonce) + `</wsse:Nonce><wsu:Created>` + created + `</wsu:Created></wsse:UsernameToken></wsse:Security>`
}

func soapCall(t *testing.T, url, header, body string) string {
	t.Helper()
	env := `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">` +
		`<soap:Header>` + header + `</soap:Header><soap:Body>` + body + `</soap:Body></soap:Envelope>`
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", `application/soap+xml; charset=utf-8`)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d\n%s", body, res.StatusCode, b)
	}
	return string(b)
}

// TestONVIFStreamURIPlays is the NVR path end to end: GetProfiles and
// GetStreamUri with WS-Security against the running agent, then ffprobe
// decodes the returned URI with the credentials added.
func TestONVIFStreamURIPlays(t *testing.T) {
	ffprobe := testtool.Need(t, "ffprobe")
	_, a := startAgent(t, nil)
	dev := fmt.Sprintf("http://%s/onvif/device_service", a.ONVIFAddr())

	profiles := soapCall(t, dev, wsSecurity(testUser, testPass), `<trt:GetProfiles/>`)
	m := regexp.MustCompile(`<trt:Profiles token="([^"]+)"`).FindStringSubmatch(profiles)
	if m == nil || !strings.Contains(profiles, "<tt:Encoding>H264</tt:Encoding>") || !strings.Contains(profiles, "<tt:Width>640</tt:Width>") {
		t.Fatalf("GetProfiles:\n%s", profiles)
	}
	uriResp := soapCall(t, dev, wsSecurity(testUser, testPass),
		`<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>`+m[1]+`</trt:ProfileToken></trt:GetStreamUri>`)
	u := regexp.MustCompile(`<tt:Uri>([^<]+)</tt:Uri>`).FindStringSubmatch(uriResp)
	if u == nil {
		t.Fatalf("GetStreamUri:\n%s", uriResp)
	}
	want := fmt.Sprintf("rtsp://127.0.0.1:%d/stream", a.RTSPAddr().(*net.TCPAddr).Port)
	if u[1] != want {
		t.Fatalf("stream URI %s, want %s", u[1], want)
	}
	withCreds := strings.Replace(u[1], "rtsp://", "rtsp://"+testUser+":"+testPass+"@", 1)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffprobe, "-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", "-count_frames", "-read_intervals", "%+#5", withCreds)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() != 0 {
		t.Fatalf("ffprobe: %v\n%s", err, stderr.String())
	}
	if got := strings.TrimSpace(stdout.String()); got != "h264,640,480" {
		t.Fatalf("ffprobe says %q, want h264,640,480", got)
	}
}

func TestBannerPrintsONVIFURL(t *testing.T) {
	cfg := loopbackConfig(t)
	cfg.MQTT.Enabled = new(bool)
	var out bytes.Buffer
	a, err := New(cfg, Options{Version: "test", Stdout: &out, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	<-a.Ready()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("  ONVIF http://%s/onvif/device_service\n", a.ONVIFAddr())
	if !strings.Contains(out.String(), want) {
		t.Fatalf("banner lacks %q:\n%s", want, out.String())
	}
}

func TestONVIFDisabled(t *testing.T) {
	cfg := loopbackConfig(t)
	cfg.ONVIF.Enabled = new(bool)
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.ONVIFAddr() != nil {
		t.Fatal("ONVIF server built while disabled")
	}
}

func TestDiscoveryScope(t *testing.T) {
	for listen, want := range map[string]struct {
		only string
		ok   bool
	}{
		":8080": {"invalid IP", true}, "0.0.0.0:8080": {"invalid IP", true}, "192.0.2.10:8080": {"192.0.2.10", true},
		"127.0.0.1:8080": {"invalid IP", false}, "[::1]:8080": {"invalid IP", false}, "cam.local:8080": {"invalid IP", false},
		"[2001:db8::1]:8080": {"invalid IP", false}, "[::]:8080": {"invalid IP", true},
	} {
		only, ok := discoveryScope(listen)
		if only.String() != want.only || ok != want.ok || discoverable(true, listen) != want.ok || discoverable(false, listen) {
			t.Errorf("%s: %v %v, want %v", listen, only, ok, want)
		}
	}
}

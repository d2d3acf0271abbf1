package app

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// digestMD5 answers an MD5 challenge from hdrs for a GET of uri.
func digestMD5(t *testing.T, hdrs []string, user, pass, uri string) string {
	t.Helper()
	for _, ch := range hdrs {
		if !strings.Contains(ch, "algorithm=MD5") {
			continue
		}
		p := func(name string) string {
			m := regexp.MustCompile(name + `="([^"]*)"`).FindStringSubmatch(ch)
			if m == nil {
				return ""
			}
			return m[1]
		}
		h := func(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }
		resp := h(h(user+":"+p("realm")+":"+pass) + ":" + p("nonce") + ":00000001:0a4f113b:auth:" + h("GET:"+uri))
		return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b", response="%s", opaque="%s"`,
			user, p("realm"), p("nonce"), uri, resp, p("opaque"))
	}
	t.Fatalf("no MD5 challenge in %q", hdrs)
	return ""
}

// TestONVIFSnapshotDecodes is the NVR snapshot path: GetSnapshotUri with
// WS-Security, then an HTTP Digest GET of the URI; the JPEG decodes at the
// configured 640x480.
func TestONVIFSnapshotDecodes(t *testing.T) {
	_, a := startAgent(t, nil)
	dev := fmt.Sprintf("http://%s/onvif/device_service", a.ONVIFAddr())
	resp := soapCall(t, dev, wsSecurity(testUser, testPass), `<trt:GetSnapshotUri><trt:ProfileToken>profile_main</trt:ProfileToken></trt:GetSnapshotUri>`)
	m := regexp.MustCompile(`<tt:Uri>([^<]+)</tt:Uri>`).FindStringSubmatch(resp)
	if m == nil || m[1] != fmt.Sprintf("http://%s/onvif/snapshot", a.ONVIFAddr()) {
		t.Fatalf("GetSnapshotUri:\n%s", resp)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	get := func(authz string) (*http.Response, []byte) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m[1], nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 8<<20))
		return res, b
	}
	// The first picture may not have reached the encoder yet: retry on 503
	// on a ticker, bounded by ctx.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		res, _ := get("")
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("no credentials: HTTP %d", res.StatusCode)
		}
		res, body := get(digestMD5(t, res.Header.Values("WWW-Authenticate"), testUser, testPass, "/onvif/snapshot"))
		if res.StatusCode == http.StatusServiceUnavailable {
			select {
			case <-tick.C:
				continue
			case <-ctx.Done():
				t.Fatal("no picture within 15 s")
			}
		}
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("HTTP %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		img, err := jpeg.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds() != image.Rect(0, 0, 640, 480) {
			t.Fatalf("JPEG %v, want 640x480", img.Bounds())
		}
		t.Logf("snapshot: %d bytes, %v", len(body), img.Bounds())
		return
	}
}

package app

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/textproto"
	"os/exec"
	"strings"
	"testing"
	"time"

	"camagent/internal/testtool"
)

// describe sends one raw RTSP DESCRIBE and returns the status line, the
// headers and the body length, so the test sees exactly what went out.
func describe(t *testing.T, addr, url, authorization string) (status string, hdr textproto.MIMEHeader, bodyLen int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := fmt.Sprintf("DESCRIBE %s RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n", url)
	if authorization != "" {
		req += "Authorization: " + authorization + "\r\n"
	}
	if _, err := c.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	r := textproto.NewReader(bufio.NewReader(c))
	status, err = r.ReadLine()
	if err != nil {
		t.Fatal(err)
	}
	hdr, err = r.ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Sscan(hdr.Get("Content-Length"), &bodyLen)
	return status, hdr, bodyLen
}

func TestCredentialsRequired(t *testing.T) {
	url, a := startAgent(t, nil)
	addr := a.RTSPAddr().String()
	bare := "rtsp://" + addr + "/stream"

	t.Run("missing", func(t *testing.T) {
		status, hdr, n := describe(t, addr, bare, "")
		if !strings.Contains(status, "401") {
			t.Fatalf("status %q, want 401", status)
		}
		if n != 0 {
			t.Errorf("401 carried a %d-byte body", n)
		}
		ch := hdr.Values("Www-Authenticate")
		if len(ch) != 2 || !strings.Contains(ch[0], "SHA-256") || !strings.Contains(ch[1], "MD5") || !strings.Contains(ch[0], `qop="auth"`) {
			t.Errorf("challenges = %q, want SHA-256 then MD5 with qop=auth", ch)
		}
	})
	t.Run("basic refused", func(t *testing.T) {
		status, _, n := describe(t, addr, bare, "Basic dmlld2VyOmNvcnJlY3QtaG9yc2UtOQ==")
		if !strings.Contains(status, "401") || n != 0 {
			t.Fatalf("Basic credentials: status %q body %d, want 401 and no SDP", status, n)
		}
	})
	t.Run("wrong password with ffprobe", func(t *testing.T) {
		ffprobe := testtool.Need(t, "ffprobe")
		bad := strings.Replace(url, testPass, "wrong-password", 1)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-rtsp_transport", "tcp", bad).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "401") {
			t.Fatalf("ffprobe with a wrong password: err=%v out=%s; want a 401 failure", err, out)
		}
	})
	t.Run("no user with ffprobe", func(t *testing.T) {
		ffprobe := testtool.Need(t, "ffprobe")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-rtsp_transport", "tcp", bare).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "401") {
			t.Fatalf("ffprobe without credentials: err=%v out=%s; want a 401 failure", err, out)
		}
	})
	if got := a.Stats().RTSP.AuthFailures; got == 0 {
		t.Errorf("auth failures not counted")
	}
	if got := a.Stats().RTSP.Sessions; got != 0 {
		t.Errorf("%d sessions were set up without valid credentials", got)
	}
}

package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"camagent/config"
	"camagent/internal/testtool"
)

const (
	testUser = "viewer"
	testPass = "correct-horse-9"
)

// startAgent runs an agent on loopback ports and returns its stream URL
// with credentials. The agent stops at the end of the test.
func startAgent(t *testing.T, edit func(*config.Config)) (string, *Agent) {
	t.Helper()
	return startAgentWith(t, edit, nil)
}

// startAgentWith is startAgent with the agent's options adjusted too.
func startAgentWith(t *testing.T, edit func(*config.Config), editOpts func(*Options)) (string, *Agent) {
	t.Helper()
	cfg := loopbackConfig(t)
	cfg.Source.TestPattern.Width, cfg.Source.TestPattern.Height = 640, 480
	cfg.Users = []config.User{{Name: testUser, Password: testPass, Role: "user"}}
	if edit != nil {
		edit(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	var out bytes.Buffer
	opts := Options{Version: "test", Stdout: &out, Log: slog.New(slog.NewTextHandler(t.Output(), nil))}
	if editOpts != nil {
		editOpts(&opts)
	}
	a, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent stopped with error: %v", err)
		}
	})
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("agent failed to start: %v", err)
	}
	port := a.RTSPAddr().(*net.TCPAddr).Port
	return fmt.Sprintf("rtsp://%s:%s@127.0.0.1:%d%s", testUser, testPass, port, cfg.RTSP.Path), a
}

// decode reads frames with ffmpeg and returns the framemd5 lines and
// everything ffmpeg said at level error (which must be nothing).
func decode(t *testing.T, url, transport string, frames int) (lines []string, errs string) {
	t.Helper()
	lines, _, errs = decodeTB(t, url, transport, frames)
	return lines, errs
}

// decodeTB is decode that also returns the listing's time base ("1/30").
func decodeTB(t *testing.T, url, transport string, frames int) (lines []string, timeBase, errs string) {
	t.Helper()
	ffmpeg := testtool.Need(t, "ffmpeg")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "error", "-rtsp_transport", transport,
		"-i", url, "-frames:v", strconv.Itoa(frames), "-fps_mode", "passthrough", "-f", "framemd5", "-")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && stderr.Len() == 0 {
		t.Fatalf("ffmpeg: %v", err)
	}
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "#tb 0: ") {
			timeBase = strings.TrimPrefix(l, "#tb 0: ")
		}
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines, timeBase, stderr.String()
}

// ptsDeltas returns the sorted gaps between consecutive frames' pts, in
// the time base of the framemd5 listing.
func ptsDeltas(t *testing.T, lines []string) []int {
	var pts []int
	for _, l := range lines {
		f := strings.Split(l, ",")
		if len(f) < 6 {
			t.Fatalf("bad framemd5 line %q", l)
		}
		p, err := strconv.Atoi(strings.TrimSpace(f[1]))
		if err != nil {
			t.Fatalf("bad pts in %q", l)
		}
		pts = append(pts, p)
	}
	var d []int
	for i := 1; i < len(pts); i++ {
		d = append(d, pts[i]-pts[i-1])
	}
	sort.Ints(d)
	return d
}

func probe(t *testing.T, url, transport string) string {
	t.Helper()
	ffprobe := testtool.Need(t, "ffprobe")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-rtsp_transport", transport, "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,r_frame_rate", "-of", "compact=p=0:nk=0", url).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestStreamDecodesOverTCPAndUDP(t *testing.T) {
	url, _ := startAgent(t, nil)
	for _, transport := range []string{"tcp", "udp"} {
		t.Run(transport, func(t *testing.T) {
			if got, want := probe(t, url, transport), "codec_name=h264|width=640|height=480|r_frame_rate=30/1"; got != want {
				t.Errorf("ffprobe = %q, want %q", got, want)
			}
			lines, timeBase, errs := decodeTB(t, url, transport, 75)
			if errs != "" {
				t.Errorf("decoder errors over %s:\n%s", transport, errs)
			}
			if len(lines) < 60 {
				t.Fatalf("decoded %d frames over %s, want >= 60", len(lines), transport)
			}
			d := ptsDeltas(t, lines)
			var num, den int
			if _, err := fmt.Sscanf(timeBase, "%d/%d", &num, &den); err != nil {
				t.Fatalf("framemd5 time base %q: %v", timeBase, err)
			}
			// The median gap between pictures, in seconds, must be 1/30.
			if med := d[len(d)/2]; med*num*30 != den {
				t.Errorf("median pts step %d x %d/%d s, want 1/30 s (30 fps)", med, num, den)
			}
		})
	}
}

package app

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"camagent/config"
	"camagent/internal/testtool"
)

const fixture = "../capture/testdata/testsrc-320x240.h264"

// md5s returns the per-frame hashes of a framemd5 listing.
func md5s(lines []string) []string {
	var out []string
	for _, l := range lines {
		f := strings.Split(l, ",")
		out = append(out, strings.TrimSpace(f[len(f)-1]))
	}
	return out
}

// The file source is passthrough: what a reader decodes must be exactly the
// file's pictures, in order, wrapping around at the end of the loop.
func TestFileSourceBytesArriveUnchanged(t *testing.T) {
	ffmpeg := testtool.Need(t, "ffmpeg")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var ref bytes.Buffer
	cmd := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "error", "-i", fixture, "-fps_mode", "passthrough", "-f", "framemd5", "-")
	cmd.Stdout = &ref
	if err := cmd.Run(); err != nil {
		t.Fatalf("decoding the fixture: %v", err)
	}
	var refLines []string
	for _, l := range strings.Split(ref.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			refLines = append(refLines, l)
		}
	}
	want := md5s(refLines)
	if len(want) == 0 {
		t.Fatal("fixture decoded to no frames")
	}

	url, _ := startAgent(t, func(c *config.Config) {
		c.Source.Type = "file"
		c.Source.File.Path = fixture
		c.Source.File.FPS = 30
	})
	lines, errs := decode(t, url, "tcp", 90) // more than one loop
	if errs != "" {
		t.Errorf("decoder errors:\n%s", errs)
	}
	got := md5s(lines)
	if len(got) < 90 {
		t.Fatalf("decoded %d frames, want 90", len(got))
	}
	start := -1
	for i, h := range want {
		if h == got[0] {
			start = i
			break
		}
	}
	if start < 0 {
		t.Fatalf("first received frame %s is not a frame of the file", got[0])
	}
	for i, h := range got {
		if w := want[(start+i)%len(want)]; h != w {
			t.Fatalf("frame %d: got %s, want file frame %d (%s)", i, h, (start+i)%len(want), w)
		}
	}
}

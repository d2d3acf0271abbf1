package app

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"camagent/internal/testtool"
)

// A reader that joins while another is already playing must decode from its
// very first picture: the server starts it on an IDR (forced on join) and
// the parameter sets it carries have stable ids.
func TestSecondReaderJoinsMidStream(t *testing.T) {
	url, a := startAgent(t, nil)
	ffmpeg := testtool.Need(t, "ffmpeg")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url,
		"-frames:v", "400", "-f", "framemd5", "-")
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	out, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer cancel()

	// Let the first reader get well into a GOP (1 s at 30 fps) before the
	// second joins, so the join is genuinely mid-stream.
	sc := bufio.NewScanner(out)
	frames := 0
	for frames < 45 && sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "#") {
			frames++
		}
	}
	if frames < 45 {
		t.Fatalf("first reader got %d frames: %s", frames, firstErr.String())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	forcedBefore := a.Stats().Encoder.ForcedIDRs

	lines, errs := decode(t, url, "tcp", 60)
	if errs != "" {
		t.Errorf("second reader decoder errors:\n%s", errs)
	}
	if len(lines) < 60 {
		t.Errorf("second reader decoded %d frames, want 60", len(lines))
	}
	if a.Stats().Encoder.ForcedIDRs <= forcedBefore {
		t.Errorf("joining did not force an IDR")
	}
	cancel()
	first.Wait()
	if firstErr.Len() > 0 && !strings.Contains(firstErr.String(), "signal") {
		t.Errorf("first reader saw errors while the second joined:\n%s", firstErr.String())
	}
}

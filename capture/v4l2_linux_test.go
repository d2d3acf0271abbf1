//go:build linux

package capture

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestOpenV4L2BadPaths(t *testing.T) {
	cfg := testConfig()
	for _, path := range []string{"/dev/null", t.TempDir()} {
		cfg.Device, cfg.Match = path, ""
		_, err := openV4L2Stream(cfg, slog.New(slog.DiscardHandler))
		var p permanent
		if !errors.Is(err, ErrNotV4L2) || !errors.As(err, &p) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want a permanent ErrNotV4L2 naming the path", path, err)
		}
	}
	cfg.Device = "/dev/video-missing"
	_, err := openV4L2Stream(cfg, slog.New(slog.DiscardHandler))
	var p permanent
	if err == nil || errors.As(err, &p) {
		t.Errorf("missing device: %v, want a retryable error (the camera may be plugged in later)", err)
	}
}

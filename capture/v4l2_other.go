//go:build !linux

package capture

import (
	"errors"
	"log/slog"
)

// V4L2 exists only on Linux; elsewhere the source builds (so the agent and
// its tests compile on a developer's laptop) and fails at open.
func openV4L2Stream(cfg V4L2Config, _ *slog.Logger) (v4l2Stream, error) {
	return nil, permanent{errors.New("V4L2 capture is only available on Linux")}
}

// FindCamera reports that there is no V4L2 camera off Linux.
func FindCamera() (string, error) { return "", ErrNoDevice }

//go:build !linux

package encode

import (
	"log/slog"

	"camagent/media"
)

// NewM2M reports that V4L2 is Linux-only; the software encoder remains.
func NewM2M(cfg M2MConfig, log *slog.Logger) (Encoder, error) { return nil, ErrM2MUnsupported }

// NewM2MFramePool reports that V4L2 is Linux-only.
func NewM2MFramePool(cfg M2MConfig, n int, log *slog.Logger) (*media.FramePool, error) {
	return nil, ErrM2MUnsupported
}

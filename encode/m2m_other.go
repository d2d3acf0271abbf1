//go:build !linux

package encode

import "log/slog"

// NewM2M reports that V4L2 is Linux-only; the software encoder remains.
func NewM2M(cfg M2MConfig, log *slog.Logger) (Encoder, error) { return nil, ErrM2MUnsupported }

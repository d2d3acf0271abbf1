package encode

import (
	"errors"
	"fmt"
	"log/slog"
)

// Encoder selection values (the future `encoder:` config key).
const (
	EncoderAuto     = "auto"     // V4L2 M2M hardware if present, else software
	EncoderHardware = "hardware" // V4L2 M2M only: fail rather than burn the CPU
	EncoderSoftware = "software" // OpenH264 only
)

// NewSelected opens the encoder the mode asks for. In auto mode a missing
// or failing hardware encoder is logged and the software one is used;
// both errors are returned if neither opens. Not wired into app/ yet.
func NewSelected(mode string, hw M2MConfig, sw SoftwareConfig, log *slog.Logger) (Encoder, error) {
	return newSelected(mode, hw, sw, log, NewM2M, NewSoftware)
}

func newSelected(mode string, hw M2MConfig, sw SoftwareConfig, log *slog.Logger,
	newHW func(M2MConfig, *slog.Logger) (Encoder, error), newSW func(SoftwareConfig) (Encoder, error)) (Encoder, error) {
	if log == nil {
		log = slog.Default()
	}
	switch mode {
	case EncoderHardware:
		return newHW(hw, log)
	case EncoderSoftware:
		return newSW(sw)
	case EncoderAuto, "":
		e, hwErr := newHW(hw, log)
		if hwErr == nil {
			return e, nil
		}
		log.Info("no usable hardware encoder, using software", "err", hwErr)
		e, swErr := newSW(sw)
		if swErr != nil {
			return nil, fmt.Errorf("encode: auto: %w", errors.Join(hwErr, swErr))
		}
		return e, nil
	}
	return nil, fmt.Errorf("encode: encoder %q: want %s, %s or %s", mode, EncoderAuto, EncoderHardware, EncoderSoftware)
}

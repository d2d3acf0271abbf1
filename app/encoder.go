package app

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"camagent/config"
	"camagent/encode"
	"camagent/media"
)

// openEncoder picks the encoder `encoder.type` asks for. In auto mode the
// hardware (V4L2 M2M) encoder is used only when one is found and encodes a
// test picture at start-up; otherwise the software one. The returned
// reason says which ran and why, for the log and the health report.
func openEncoder(cfg *config.Config, input media.PixelFormat, w, h, fps int, log *slog.Logger) (encode.Encoder, string, error) {
	gop := cfg.Encoder.EffectiveGOP(fps)
	sw := encode.SoftwareConfig{Width: w, Height: h, FPS: fps, BitrateKbps: cfg.Encoder.BitrateKbps, GOP: gop}
	hw := encode.M2MConfig{Codec: encode.M2MH264, Input: input, Width: w, Height: h, FPS: fps, BitrateKbps: cfg.Encoder.BitrateKbps, GOP: gop}
	switch cfg.Encoder.Type {
	case encode.EncoderSoftware:
		enc, err := encode.NewSoftware(sw)
		return enc, "encoder.type software", err
	case encode.EncoderHardware:
		enc, err := encode.NewM2M(hw, log)
		if err != nil {
			return nil, "", fmt.Errorf("encoder.type hardware: %w", err)
		}
		if err := selfTest(enc, input, w, h); err != nil {
			enc.Close()
			return nil, "", fmt.Errorf("encoder.type hardware: self-test: %w", err)
		}
		return enc, "encoder.type hardware", nil
	}
	enc, hwErr := encode.NewM2M(hw, log)
	if hwErr == nil {
		if hwErr = selfTest(enc, input, w, h); hwErr == nil {
			return enc, "encoder.type auto: hardware encoder found and passed the start-up self-test", nil
		}
		enc.Close()
		hwErr = fmt.Errorf("self-test: %w", hwErr)
	}
	reason := "encoder.type auto: no hardware encoder, software selected"
	if !errors.Is(hwErr, encode.ErrNoM2MEncoder) && !errors.Is(hwErr, encode.ErrM2MUnsupported) {
		reason = fmt.Sprintf("encoder.type auto: hardware encoder unusable (%v), software selected", hwErr)
	}
	log.Info("encoder selected", "backend", "openh264", "reason", reason)
	enc, err := encode.NewSoftware(sw)
	return enc, reason, err
}

// selfTest encodes one forced IDR of mid-grey: a driver that opens but
// produces nothing (wrong firmware, exhausted memory) is caught before the
// pipeline depends on it.
func selfTest(enc encode.Encoder, input media.PixelFormat, w, h int) error {
	f := media.NewFramePool(1, input, w, h).MustGet()
	for i := range f.Buf {
		f.Buf[i] = 128
	}
	nalus, err := enc.Encode(f, true)
	if err != nil {
		return err
	}
	for _, n := range nalus {
		if len(n) > 0 && n[0]&0x1f == 5 {
			return nil
		}
	}
	return fmt.Errorf("no IDR slice in %d NAL units for a forced keyframe", len(nalus))
}

// isHardware says whether enc is the V4L2 M2M encoder (or wraps it: the
// backend name says so).
func isHardware(enc encode.Encoder) bool { return strings.HasPrefix(enc.Backend(), "v4l2-m2m") }

package app

import (
	"fmt"
	"log/slog"
	"strings"

	"camagent/config"
	"camagent/encode"
	"camagent/media"
	"camagent/stream"
)

// subStream is the second, smaller H.264 stream: the main encoder's
// goroutine hands it a scaled copy of each picture (Observe); its own
// stage encodes it into its own hub, served on rtsp.sub_path.
type subStream struct {
	scaler *encode.Scaler
	pool   *media.FramePool
	q      *media.FrameQueue
	stage  *encode.Stage
	hub    *stream.Hub
	w, h   int
	log    *slog.Logger
	warned bool // a picture smaller than the sub stream was reported
}

// wantSubStream decides whether to run the sub stream for a main picture
// of w×h encoded by mainBackend.
func wantSubStream(s config.SubStream, w, h int, mainBackend string) (bool, string) {
	switch {
	case s.Mode == "off":
		return false, "encoder.sub_stream.mode off"
	case s.Width >= w || s.Height >= h:
		return false, fmt.Sprintf("the main picture %dx%d is not larger than the sub stream's %dx%d", w, h, s.Width, s.Height)
	case s.Mode == "on":
		return true, "encoder.sub_stream.mode on"
	case strings.HasPrefix(mainBackend, "v4l2-m2m"):
		return true, "encoder.sub_stream.mode auto: the hardware encoder runs a second instance"
	}
	return false, "encoder.sub_stream.mode auto: off with the software encoder (set mode: on to spend the CPU)"
}

// buildSubStream makes the sub stream's stage and hub; the caller adds the
// stage to the components and feeds Observe.
func (a *Agent) buildSubStream(w, h, fps int, mainBackend string) (*subStream, error) {
	cfg, log := a.cfg, a.opts.Log.With("component", "sub-stream")
	s := cfg.Encoder.SubStream
	on, why := wantSubStream(s, w, h, mainBackend)
	if !on {
		log.Info("no sub stream", "reason", why)
		return nil, nil
	}
	sub := &subStream{scaler: encode.NewScaler(s.Width, s.Height), pool: media.NewFramePool(4, media.I420, s.Width, s.Height),
		q: media.NewFrameQueue(2), w: s.Width, h: s.Height, log: log}
	subCfg := *cfg
	subCfg.Encoder.BitrateKbps = s.BitrateKbps
	enc, reason, err := openEncoder(&subCfg, media.I420, s.Width, s.Height, fps, log)
	if err != nil {
		return nil, fmt.Errorf("sub stream encoder: %w", err)
	}
	sub.hub = stream.NewHub(func() {
		if sub.stage != nil {
			sub.stage.RequestKeyframe()
		}
	})
	sub.stage = encode.NewStage(encode.StageConfig{KeyframeMinInterval: cfg.Encoder.KeyframeMinInterval,
		InitialWidth: s.Width, InitialHeight: s.Height,
		Resize: func(w, h int) (encode.Encoder, error) {
			e, _, err := openEncoder(&subCfg, media.I420, w, h, fps, log)
			return e, err
		}}, sub.q, enc, sub.hub, a.opts.Clock, log)
	log.Info("sub stream", "size", fmt.Sprintf("%dx%d", s.Width, s.Height), "bitrate_kbps", s.BitrateKbps,
		"backend", enc.Backend(), "why", why, "encoder", reason)
	return sub, nil
}

// Observe scales f into a free sub-stream picture; with none free (the
// sub encoder is behind) the picture is skipped, never waited for.
func (s *subStream) Observe(f *media.Frame) {
	dst, ok := s.pool.Get()
	if !ok {
		return
	}
	if err := s.scaler.Scale(dst, f); err != nil {
		dst.Release()
		if !s.warned {
			s.warned = true
			s.log.Warn("sub stream skips pictures it cannot scale", "err", err)
		}
		return
	}
	s.q.Push(dst)
}

package app

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"camagent/encode"
	"camagent/internal/testtool"
	"camagent/media"
)

// vanishingEncoder fails once, at its Nth picture, the way a hardware
// encoder whose device was removed does (ENODEV); encoders opened after
// that work.
type vanishingEncoder struct {
	encode.Encoder
	n, failAt int
	fail      bool
}

func (e *vanishingEncoder) Encode(f *media.Frame, idr bool) ([][]byte, error) {
	e.n++
	if e.fail && e.n == e.failAt {
		return nil, errors.New("VIDIOC_QBUF: no such device")
	}
	return e.Encoder.Encode(f, idr)
}

// The encoder vanishes under a connected reader: the stage reopens it,
// and the same RTSP session keeps decoding (it resumes at the new
// encoder's IDR), with the restart counted in health.
func TestEncoderLossKeepsTheStreamGoing(t *testing.T) {
	var opened atomic.Int32
	url, a := startAgentWith(t, nil, func(o *Options) {
		o.WrapEncoder = func(e encode.Encoder) encode.Encoder {
			first := opened.Add(1) == 1
			return &vanishingEncoder{Encoder: e, failAt: 45, fail: first} // 1.5 s in at 30 fps
		}
	})
	// 120 frames (4 s) through one ffmpeg session spans the failure.
	lines, errs := decode(t, url, "tcp", 120)
	if errs != "" {
		t.Errorf("decoder errors across the encoder restart:\n%s", errs)
	}
	if len(lines) < 120 {
		t.Fatalf("decoded %d frames, want 120", len(lines))
	}
	testtool.WaitFor(t, 10*time.Second, "the restart in health", func() bool {
		e := a.pipelineStats().Encoder
		return e != nil && e.Restarts >= 1
	})
	if opened.Load() < 2 {
		t.Errorf("encoders opened: %d, want a reopen", opened.Load())
	}
}

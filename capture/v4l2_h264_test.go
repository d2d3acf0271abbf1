package capture

import (
	"context"
	"os"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// H.264 from a UVC camera goes to the sink as it is, one access unit per
// buffer, with the driver's timestamps: pictures before the first IDR are
// dropped (nothing could decode them), an IDR sent without SPS/PPS gets the
// last ones in front, and a garbage buffer is counted, not published.
func TestUVCH264Passthrough(t *testing.T) {
	data, err := os.ReadFile("testdata/testsrc-320x240.h264")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseH264(data)
	if err != nil {
		t.Fatal(err)
	}
	if !st.aus[0].idr || len(st.aus) < 12 {
		t.Fatalf("fixture: %d access units, first IDR %v", len(st.aus), st.aus[0].idr)
	}
	cam := newFakeStream(320, 240)
	cam.mode.FourCC = FourCCH264
	sink := chanSink{ch: make(chan *media.AccessUnit, 64)}
	cfg := testConfig()
	cfg.Width, cfg.Height, cfg.Formats, cfg.AUs = 320, 240, []FourCC{FourCCH264}, sink
	v, err := newV4L2(cfg, nil, clock.Real{}, nil, (&fakeCamera{results: []any{cam}}).open)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()

	ts := time.Second
	send := func(nalus [][]byte, seq uint32) {
		cam.frames <- v4l2Buf{Data: annexB(nalus...), Seq: seq, TS: ts + time.Duration(seq)*33*time.Millisecond, Wall: epoch}
	}
	stripped := func(au storedAU) [][]byte { // the IDR's slices without SPS/PPS
		var out [][]byte
		for _, n := range au.nalus {
			if t := n[0] & 0x1f; t != 7 && t != 8 {
				out = append(out, n)
			}
		}
		return out
	}
	send(st.aus[1].nalus, 0)                                                                                // a P picture before any IDR: dropped
	send(st.aus[0].nalus, 1)                                                                                // the IDR with its parameter sets
	send(st.aus[1].nalus, 2)                                                                                // P
	cam.frames <- v4l2Buf{Data: []byte("no start code"), Seq: 3, TS: ts + 99*time.Millisecond, Wall: epoch} // garbage: counted, not published
	send(stripped(st.aus[0]), 4)                                                                            // an IDR without SPS/PPS
	got := []*media.AccessUnit{<-sink.ch, <-sink.ch, <-sink.ch}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !got[0].IDR || got[1].IDR || !got[2].IDR {
		t.Errorf("IDR flags %v %v %v", got[0].IDR, got[1].IDR, got[2].IDR)
	}
	if got[0].PTS != 0 || got[1].PTS != 33*time.Millisecond || got[2].PTS != 99*time.Millisecond {
		t.Errorf("PTS from the driver's timestamps: %v %v %v", got[0].PTS, got[1].PTS, got[2].PTS)
	}
	if t0, t1 := got[2].NALUs[0][0]&0x1f, got[2].NALUs[1][0]&0x1f; t0 != 7 || t1 != 8 {
		t.Errorf("IDR without parameter sets: first NAL types %d %d, want SPS PPS", t0, t1)
	}
	if s := v.V4L2Stats(); s.Frames != 3 || s.Dropped != 2 {
		t.Errorf("stats: %+v", s)
	}
	for _, au := range got {
		au.Release()
	}
}

func TestV4L2H264ConfigRules(t *testing.T) {
	sink := chanSink{ch: make(chan *media.AccessUnit, 1)}
	for _, c := range []struct {
		formats []FourCC
		sink    AUSink
	}{
		{[]FourCC{FourCCH264, FourCCYUYV}, sink}, // mixed
		{[]FourCC{FourCCH264}, nil},              // no sink
		{[]FourCC{FourCCYUYV}, sink},             // sink without H264
	} {
		cfg := testConfig()
		cfg.Formats, cfg.AUs = c.formats, c.sink
		if _, err := newV4L2(cfg, media.NewFrameQueue(1), clock.Real{}, nil, nil); err == nil {
			t.Errorf("formats %v, sink %v: accepted", c.formats, c.sink != nil)
		}
	}
}

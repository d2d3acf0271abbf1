//go:build cgo

package encode

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// The real OpenH264 through the stage: a forced IDR arrives on the picture
// it was asked for, every IDR carries SPS and PPS, and after normalisation
// every parameter set and slice uses id 0 even though OpenH264 increments
// its ids at each IDR.
func TestOpenH264ThroughStage(t *testing.T) {
	const w, h = 320, 240
	enc, err := NewSoftware(SoftwareConfig{Width: w, Height: h, FPS: 30, BitrateKbps: 500, GOP: 30})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Unix(0, 0))
	out := &collector{}
	s := NewStage(StageConfig{}, media.NewFrameQueue(2), enc, out, clk, slog.New(slog.DiscardHandler))
	pool := media.NewFramePool(2, media.NV12, w, h) // NV12 also exercises the conversion
	for i := range 75 {
		if i == 10 || i == 45 {
			s.RequestKeyframe()
		}
		f, _ := pool.Get()
		for j := range f.Planes[0] {
			f.Planes[0][j] = byte(j + 5*i)
		}
		for j := range f.Planes[1] {
			f.Planes[1][j] = 128
		}
		f.Seq = uint64(i)
		if err := s.encode(f); err != nil {
			t.Fatal(err)
		}
		f.Release()
		clk.Advance(time.Second / 30)
	}
	if len(out.aus) != 75 {
		t.Fatalf("%d access units for 75 frames", len(out.aus))
	}
	var idrAt []int
	var sps []byte
	for i, au := range out.aus {
		if !au.IDR {
			continue
		}
		idrAt = append(idrAt, i)
		if !hasType(au, naluSPS) || !hasType(au, naluPPS) {
			t.Errorf("IDR at %d lacks SPS/PPS", i)
		}
		for _, n := range au.NALUs {
			if n[0]&0x1f == naluSPS {
				if sps != nil && !bytes.Equal(sps, n) {
					t.Errorf("SPS at IDR %d differs from the first one: ids not stable", i)
				}
				sps = append([]byte(nil), n...)
			}
		}
	}
	// 0: first picture; 10: forced; 40: GOP of 30 after 10; 45: forced;
	// 75 would be next. OpenH264 restarts its GOP count after a forced IDR.
	want := []int{0, 10, 40, 45}
	if !equalInts(idrAt, want) {
		t.Errorf("IDRs at %v, want %v", idrAt, want)
	}
	var check ParamSetNormalizer
	for i, au := range out.aus {
		for _, n := range au.NALUs {
			got, err := check.Normalize(n)
			if err != nil {
				t.Fatalf("unit %d: %v", i, err)
			}
			if &got[0] != &n[0] {
				t.Errorf("unit %d NAL type %d still has a non-zero parameter-set id", i, n[0]&0x1f)
			}
		}
	}
}

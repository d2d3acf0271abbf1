package app

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"camagent/capture"
	"camagent/encode"
	"camagent/internal/clock"
	"camagent/media"
	"camagent/stream"
)

// cannedEncoder replays one IDR and one P picture as OpenH264 emits them
// (ids already 0: the normaliser parses each unit and passes it on), standing in for
// the encoder so the benchmark measures everything around it.
type cannedEncoder struct{ n int }

var (
	cannedIDR = append([]byte{0x65, 0x88, 0x84}, make([]byte, 20000)...)
	cannedP   = append([]byte{0x41, 0x9a, 0x24}, make([]byte, 4000)...)
)

func init() {
	// Fill slice payloads with non-zero bytes ending in a stop bit, so
	// emulation prevention and the bit copy see realistic data.
	for i := 3; i < len(cannedIDR); i++ {
		cannedIDR[i] = byte(i*7 + 1)
	}
	cannedIDR[len(cannedIDR)-1] = 0x80
	for i := 3; i < len(cannedP); i++ {
		cannedP[i] = byte(i*13 + 1)
	}
	cannedP[len(cannedP)-1] = 0x80
}

var (
	cannedIDRUnit = [][]byte{{0x67, 0x42, 0xc0, 0x1e, 0xc0}, {0x68, 0xce, 0x3c, 0x80}, cannedIDR}
	cannedPUnit   = [][]byte{cannedP}
)

func (c *cannedEncoder) Encode(f *media.Frame, force bool) ([][]byte, error) {
	c.n++
	if force || c.n%30 == 1 {
		return cannedIDRUnit, nil
	}
	return cannedPUnit, nil
}
func (c *cannedEncoder) Backend() string { return "canned" }
func (c *cannedEncoder) Close() error    { return nil }

// BenchmarkPipelineOutsideEncoder drives one frame per op through the
// test-pattern source, the frame queue, the encoding stage (with a canned
// encoder), the hub and a subscriber, at 1280x720. allocs/op must be 0.
func BenchmarkPipelineOutsideEncoder(b *testing.B) {
	clk := clock.NewFake(time.Unix(0, 0))
	frames := media.NewFrameQueue(2)
	src, err := capture.NewTestPattern(capture.TestPatternConfig{Width: 1280, Height: 720, FPS: 30, Format: media.I420}, frames, clk, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	hub := stream.NewHub(nil)
	sub := hub.Subscribe("reader", 8)
	defer sub.Close()
	stage := encode.NewStage(encode.StageConfig{}, frames, &cannedEncoder{}, hub, clk, slog.New(slog.DiscardHandler))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srcDone, stageDone := make(chan error, 1), make(chan error, 1)
	go func() { srcDone <- src.Run(ctx) }()
	go func() { stageDone <- stage.Run(ctx) }()
	for clk.Waiters() == 0 { // the source's ticker is armed
	}
	b.ReportAllocs()
	for b.Loop() {
		clk.Advance(time.Second / 30)
		au := <-sub.C()
		au.Release()
	}
	cancel()
	<-srcDone
	<-stageDone
	st := stage.Stats()
	if st.Errors != 0 {
		b.Fatalf("stage errors: %+v", st)
	}
}

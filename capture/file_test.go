package capture

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// The fixtures were made once with
//
//	ffmpeg -f lavfi -i testsrc2=size=320x240:rate=30 -frames:v 60 -c:v libx264 \
//	  -profile:v baseline -bf 0 -g 30 -f h264 testdata/testsrc-320x240.h264
//	ffmpeg -f lavfi -i testsrc2=size=320x240:rate=30 -frames:v 30 -c:v libx264 \
//	  -profile:v high -bf 2 -g 30 -f h264 testdata/testsrc-320x240-bframes.h264
//
// ffprobe reports 60 frames with key frames at 0 and 30 for the first.
const (
	fixture       = "testdata/testsrc-320x240.h264"
	fixtureBFrame = "testdata/testsrc-320x240-bframes.h264"
)

// chanSink hands published units to the test.
type chanSink struct{ ch chan *media.AccessUnit }

func (s chanSink) Publish(au *media.AccessUnit) { s.ch <- au }

func newSink() chanSink { return chanSink{ch: make(chan *media.AccessUnit, 1024)} }

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFileFixtureInfo(t *testing.T) {
	f, err := NewFile(FileConfig{Path: fixture, FPS: 30}, newSink(), clock.NewFake(epoch), nil)
	if err != nil {
		t.Fatal(err)
	}
	info := f.Info()
	if info.Width != 320 || info.Height != 240 || info.AccessUnits != 60 || info.Profile != "Constrained Baseline" {
		t.Errorf("info = %dx%d, %d units, %q; want 320x240, 60, Constrained Baseline",
			info.Width, info.Height, info.AccessUnits, info.Profile)
	}
	if !bytes.Equal(info.SPS, nSPS) || !bytes.Equal(info.PPS, nPPS) {
		t.Errorf("SPS %x PPS %x, want %x %x", info.SPS, info.PPS, nSPS, nPPS)
	}
	var idrs []int
	for i, au := range f.aus {
		if au.idr {
			idrs = append(idrs, i)
		}
	}
	if len(idrs) != 2 || idrs[0] != 0 || idrs[1] != 30 {
		t.Errorf("IDR access units %v, want [0 30]", idrs)
	}
	st := f.Stats()
	if st.Width != 320 || st.Height != 240 || st.FPS != 30 || st.Format != "H264" {
		t.Errorf("stats %+v", st)
	}
}

// audRE matches one access unit delimiter with its start code; its payload
// is a single byte (primary_pic_type and the stop bit).
var audRE = regexp.MustCompile(`(?s)\x00?\x00\x00\x01\x09.`)

// checkExactBytes walks the file alongside the access units and requires
// that nothing but start codes and AUDs lies between consecutive NAL units,
// and that re-joining the units with the file's own start codes gives the
// file minus its AUDs, byte for byte.
func checkExactBytes(t *testing.T, file []byte, aus []storedAU) {
	t.Helper()
	var rebuilt []byte
	cursor := 0
	for i, au := range aus {
		for j, n := range au.nalus {
			k := bytes.Index(file[cursor:], n)
			if k < 0 {
				t.Fatalf("access unit %d NAL unit %d not found in order", i, j)
			}
			gap := audRE.ReplaceAll(file[cursor:cursor+k], nil)
			if !regexp.MustCompile(`^\x00*\x00\x00\x01$`).Match(gap) {
				t.Fatalf("access unit %d NAL unit %d: unexpected bytes %x before it", i, j, gap)
			}
			rebuilt = append(rebuilt, gap...)
			rebuilt = append(rebuilt, n...)
			cursor += k + len(n)
		}
	}
	if rest := audRE.ReplaceAll(file[cursor:], nil); len(rest) != 0 {
		t.Fatalf("%d bytes after the last access unit", len(rest))
	}
	if want := audRE.ReplaceAll(file, nil); !bytes.Equal(rebuilt, want) {
		t.Fatalf("rebuilt stream (%d bytes) differs from the file minus AUDs (%d bytes)", len(rebuilt), len(want))
	}
}

func TestFileExactBytes(t *testing.T) {
	file := mustRead(t, fixture)
	s, err := parseH264(file)
	if err != nil {
		t.Fatal(err)
	}
	checkExactBytes(t, file, s.aus)

	// The same stream with an AUD before every access unit must give the
	// same units: AUDs are boundaries only.
	var withAUD []byte
	for _, au := range s.aus {
		withAUD = append(withAUD, annexB(nAUD)...)
		withAUD = append(withAUD, annexB(au.nalus...)...)
	}
	s2, err := parseH264(withAUD)
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.aus) != len(s.aus) {
		t.Fatalf("%d units with AUDs, %d without", len(s2.aus), len(s.aus))
	}
	for i := range s.aus {
		a, b := s.aus[i], s2.aus[i]
		if a.idr != b.idr || len(a.nalus) != len(b.nalus) {
			t.Fatalf("unit %d differs with AUDs", i)
		}
		for j := range a.nalus {
			if !bytes.Equal(a.nalus[j], b.nalus[j]) {
				t.Fatalf("unit %d NAL unit %d differs with AUDs", i, j)
			}
		}
	}
	checkExactBytes(t, withAUD, s2.aus)
}

func TestNewFileErrors(t *testing.T) {
	type tc struct {
		name string
		path string // when set, used instead of writing in
		in   []byte
		fps  int
		err  error
		msg  string
	}
	var tests []tc
	for _, p := range parseCases {
		if p.err != nil {
			tests = append(tests, tc{name: p.name, in: p.in, fps: 30, err: p.err})
		}
	}
	big := filepath.Join(t.TempDir(), "big.h264")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, maxFileSize+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	tests = append(tests,
		tc{name: "B-frame fixture", path: fixtureBFrame, fps: 30, err: ErrBFrames, msg: "B-frames are not supported for passthrough"},
		tc{name: "too large", path: big, fps: 30, err: ErrTooLarge},
		tc{name: "missing", path: filepath.Join(t.TempDir(), "nope.h264"), fps: 30, err: os.ErrNotExist},
		tc{name: "fps zero", in: annexB(nSPS, nPPS, nIDR), fps: 0, msg: "fps 0"},
		tc{name: "fps too high", in: annexB(nSPS, nPPS, nIDR), fps: 121, msg: "fps 121"},
		tc{name: "corrupt SPS", in: annexB([]byte{0x67, 0x42}, nPPS, nIDR), fps: 30, err: ErrMalformed, msg: "SPS"},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = writeTemp(t, "in.h264", tt.in)
			}
			f, err := NewFile(FileConfig{Path: path, FPS: tt.fps}, newSink(), clock.NewFake(epoch), nil)
			if err == nil {
				t.Fatalf("NewFile succeeded with %d units", len(f.aus))
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q should name %q and say %q", err, path, tt.msg)
			}
		})
	}
}

func TestFileRunLoops(t *testing.T) {
	const fps = 30
	clk := clock.NewFake(epoch)
	sink := newSink()
	f, err := NewFile(FileConfig{Path: fixture, FPS: fps}, sink, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	waitFor(t, "ticker", func() bool { return clk.Waiters() == 1 })

	n := len(f.aus)
	total := 2*n + 5 // two full loops and a bit
	var lastPTS time.Duration = -1
	for i := range total {
		clk.Advance(interval(fps))
		var au *media.AccessUnit
		select {
		case au = <-sink.ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("tick %d: nothing published", i)
		}
		src := f.aus[i%n]
		if au.Seq != uint64(i) || au.IDR != src.idr || !au.Wall.Equal(clk.Now()) {
			t.Fatalf("tick %d: seq %d idr %v wall %v; want %d %v %v", i, au.Seq, au.IDR, au.Wall, i, src.idr, clk.Now())
		}
		if au.PTS <= lastPTS || au.PTS != ptsFor(uint64(i), fps) {
			t.Fatalf("tick %d: PTS %v after %v", i, au.PTS, lastPTS)
		}
		lastPTS = au.PTS
		if len(au.NALUs) != len(src.nalus) {
			t.Fatalf("tick %d: %d NAL units, want %d", i, len(au.NALUs), len(src.nalus))
		}
		for j := range au.NALUs {
			if !bytes.Equal(au.NALUs[j], src.nalus[j]) {
				t.Fatalf("tick %d NAL unit %d differs from the file", i, j)
			}
		}
		au.Release()
		select {
		case extra := <-sink.ch:
			t.Fatalf("tick %d published twice (seq %d)", i, extra.Seq)
		default:
		}
	}
	// 2n+5 units at 30 fps: the last one is at (2n+4)/30 s, exactly.
	if want := time.Duration(total-1) * time.Second / fps; lastPTS != want {
		t.Errorf("last PTS %v, want %v", lastPTS, want)
	}
	if st := f.Stats(); st.Frames != uint64(total) || st.Dropped != 0 {
		t.Errorf("stats %+v, want %d frames", st, total)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if w := clk.Waiters(); w != 0 {
		t.Errorf("%d timers left armed after Run returned", w)
	}
}

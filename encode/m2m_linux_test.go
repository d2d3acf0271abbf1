//go:build linux

package encode

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"camagent/media"
)

// logBuf collects the encoder's log lines so tests can check what was
// said (and that it was said once).
type logBuf struct{ bytes.Buffer }

func fakeEncoder(t *testing.T, cfg M2MConfig) (*M2MEncoder, *fakeBCM, *logBuf, error) {
	t.Helper()
	fk := newFakeBCM()
	lb := &logBuf{}
	log := slog.New(slog.NewTextHandler(lb, nil))
	if cfg.Timeout == 0 {
		cfg.Timeout = 50 * time.Millisecond
	}
	e, err := newM2M(cfg, log, func(string) (m2mIO, error) { fk.reopen(); return fk, nil }, []string{"/dev/video11"})
	if err == nil {
		t.Cleanup(func() { e.Close() })
	}
	return e, fk, lb, err
}

func testFrame(format media.PixelFormat, w, h, i int) *media.Frame {
	f := media.NewFramePool(1, format, w, h).MustGet()
	for p := range f.Planes {
		for j := range f.Planes[p] {
			f.Planes[p][j] = byte(p*50 + j%7 + i)
		}
	}
	f.PTS = time.Duration(i)*40*time.Millisecond + 3*time.Microsecond
	return f
}

func naluTypes(units [][]byte) []int {
	var ts []int
	for _, u := range units {
		ts = append(ts, int(u[0]&0x1f))
	}
	return ts
}

func TestM2MFakeH264Controls(t *testing.T) {
	e, fk, lb, err := fakeEncoder(t, M2MConfig{Width: 1280, Height: 720, FPS: 30, BitrateKbps: 2000, CBR: true,
		GOP: 30, Profile: "high", Level: "4.1", MinQP: 20, MaxQP: 40})
	if err != nil {
		t.Fatal(err)
	}
	if !e.mplane || e.Backend() != "v4l2-m2m:bcm2835-codec" {
		t.Fatalf("mplane=%v backend=%q", e.mplane, e.Backend())
	}
	want := map[uint32]int32{cidBitrateMode: bitrateModeCBR, cidBitrate: 2000000, cidH264IPeriod: 30,
		cidH264Profile: 4, cidH264Level: 12, cidH264MinQP: 20, cidH264MaxQP: 40, cidRepeatSeqHeader: 1}
	for id, v := range want {
		if got, ok := fk.ctrls[id]; !ok || got != v {
			t.Errorf("control %#x = %d (set %v), want %d", id, got, ok, v)
		}
	}
	// bcm2835 has no GOP_SIZE: refused, logged once, not fatal.
	if n := strings.Count(lb.String(), "refused control"); n != 1 || !strings.Contains(lb.String(), "control=gop_size") {
		t.Errorf("want one refusal (gop_size) logged, got %d:\n%s", n, lb.String())
	}
}

func TestM2MFakeForceIDRAndTimestamps(t *testing.T) {
	e, _, lb, err := fakeEncoder(t, M2MConfig{Width: 640, Height: 480, GOP: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		f := testFrame(media.I420, 640, 480, i)
		units, err := e.Encode(f, i == 3)
		if err != nil {
			t.Fatal(err)
		}
		got := naluTypes(units)
		want := []int{1}
		if i == 0 || i == 3 {
			want = []int{7, 8, 5} // SPS and PPS repeated before every IDR
		}
		if !m2mSameInts(got, want) {
			t.Errorf("frame %d: NAL types %v, want %v", i, got, want)
		}
		if e.lastPTS != f.PTS.Truncate(time.Microsecond) || e.lastKey != (i == 0 || i == 3) {
			t.Errorf("frame %d: pts %v key %v, want %v", i, e.lastPTS, e.lastKey, f.PTS)
		}
	}
	if strings.Contains(lb.String(), "level=WARN") && strings.Contains(lb.String(), "key frame") {
		t.Errorf("force key frame warned:\n%s", lb.String())
	}
}

func m2mSameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestM2MFakeStride checks the one copy honours the driver's geometry:
// bytesperline rounded up to 64 (YU12) or 32 (NV12), chroma after the
// luma padded to 16 lines.
func TestM2MFakeStride(t *testing.T) {
	for _, tc := range []struct {
		format    media.PixelFormat
		bpl, rows int
		w, h      int
	}{{media.I420, 1024, 576, 1000, 562}, {media.NV12, 1024, 576, 994, 562}, {media.I420, 1280, 720, 1280, 720}} {
		w, h := tc.w, tc.h
		e, fk, _, err := fakeEncoder(t, M2MConfig{Width: w, Height: h, Input: tc.format})
		if err != nil {
			t.Fatal(err)
		}
		if e.out.bpl != tc.bpl || e.out.planeH != tc.rows {
			t.Fatalf("%v: bytesperline %d rows %d, want %d %d", tc.format, e.out.bpl, e.out.planeH, tc.bpl, tc.rows)
		}
		f := testFrame(tc.format, w, h, 1)
		if _, err := e.Encode(f, false); err != nil {
			t.Fatal(err)
		}
		b := fk.lastOut
		for _, y := range []int{0, 1, h - 1} {
			if !bytes.Equal(b[y*tc.bpl:y*tc.bpl+w], f.Planes[0][y*f.Stride[0]:y*f.Stride[0]+w]) {
				t.Errorf("%v: luma row %d misplaced", tc.format, y)
			}
		}
		off := tc.bpl * tc.rows
		if tc.format == media.NV12 {
			y := h/2 - 1
			if !bytes.Equal(b[off+y*tc.bpl:off+y*tc.bpl+w], f.Planes[1][y*f.Stride[1]:y*f.Stride[1]+w]) {
				t.Errorf("NV12: chroma row %d misplaced", y)
			}
			continue
		}
		cs, cp := tc.bpl/2, tc.bpl/2*(tc.rows/2)
		for p := 1; p <= 2; p++ {
			y := h/2 - 1
			base := off + (p-1)*cp
			if !bytes.Equal(b[base+y*cs:base+y*cs+w/2], f.Planes[p][y*f.Stride[p]:y*f.Stride[p]+w/2]) {
				t.Errorf("I420: plane %d row %d misplaced", p, y)
			}
		}
	}
}

func TestM2MFakeRefusesAbove1080p(t *testing.T) {
	_, _, _, err := fakeEncoder(t, M2MConfig{Width: 2560, Height: 1440})
	if err == nil || !strings.Contains(err.Error(), "refused, driver set YU12 1920x1080") || !strings.Contains(err.Error(), "/dev/video11") {
		t.Fatalf("err = %v", err)
	}
}

func TestM2MFakeLevelAndProfileRefused(t *testing.T) {
	e, fk, lb, err := fakeEncoder(t, M2MConfig{Width: 1920, Height: 1080, Level: "5.1", Profile: "bogus"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fk.ctrls[cidH264Level]; ok {
		t.Error("level 5.1 was accepted by a 4.2 encoder")
	}
	for _, s := range []string{"control=h264_level", "unknown H.264 profile"} {
		if !strings.Contains(lb.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, lb.String())
		}
	}
	if _, err := e.Encode(testFrame(media.I420, 1920, 1080, 0), false); err != nil {
		t.Fatalf("encoder unusable after a refused control: %v", err)
	}
}

func TestM2MFakeNoFWHT(t *testing.T) {
	_, _, _, err := fakeEncoder(t, M2MConfig{Codec: M2MFWHT, Width: 640, Height: 480})
	if !errors.Is(err, ErrNoM2MEncoder) || !strings.Contains(err.Error(), "CAPTURE offers H264") {
		t.Fatalf("err = %v", err)
	}
}

func TestM2MFakeSinglePlanarOnlyDevice(t *testing.T) {
	fk := newFakeBCM()
	fk.caps = capVideoM2M | capStreaming // claims single-planar; the fake then answers nothing
	_, err := newM2M(M2MConfig{Width: 640, Height: 480, Timeout: time.Millisecond}, slog.New(slog.NewTextHandler(&logBuf{}, nil)),
		func(string) (m2mIO, error) { return fk, nil }, []string{"/dev/video11"})
	if !errors.Is(err, ErrNoM2MEncoder) {
		t.Fatalf("err = %v", err)
	}
}

func TestM2MFakeDrainAndClose(t *testing.T) {
	e, fk, _, err := fakeEncoder(t, M2MConfig{Width: 640, Height: 480})
	if err != nil {
		t.Fatal(err)
	}
	fk.on[bufTypeVideoCaptureMplane] = false // hold pictures back, like a pipelined encoder
	var frames []*media.Frame
	for i := range 3 {
		f := testFrame(media.I420, 640, 480, i)
		frames = append(frames, f)
		if err := e.submit(f); err != nil {
			t.Fatal(err)
		}
	}
	fk.on[bufTypeVideoCaptureMplane] = true
	var pts []time.Duration
	if err := e.Drain(func(u [][]byte, p time.Duration) { pts = append(pts, p) }); err != nil {
		t.Fatal(err)
	}
	if len(pts) != 3 || pts[2] != frames[2].PTS.Truncate(time.Microsecond) {
		t.Fatalf("drained %v", pts)
	}
	if err := e.Close(); err != nil || !fk.closed {
		t.Fatalf("close: %v closed=%v", err, fk.closed)
	}
}

func TestM2MFakeTimeout(t *testing.T) {
	e, fk, _, err := fakeEncoder(t, M2MConfig{Width: 640, Height: 480, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	fk.on[bufTypeVideoCaptureMplane] = false // a hung encoder
	start := time.Now()
	_, err = e.Encode(testFrame(media.I420, 640, 480, 0), false)
	if err == nil || !strings.Contains(err.Error(), "no encoded picture within") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %v", d)
	}
}

func TestLumaRows(t *testing.T) {
	for _, c := range []struct{ h, bpl, size, want int }{
		{480, 640, 640 * 480 * 3 / 2, 480},
		{1080, 1920, 1920 * 1088 * 3 / 2, 1088},
		{480, 640, 1 << 22, 480}, // large padding at the end: not rows
		{480, 0, 0, 480},
	} {
		if got := lumaRows(c.h, c.bpl, c.size); got != c.want {
			t.Errorf("lumaRows(%d, %d, %d) = %d, want %d", c.h, c.bpl, c.size, got, c.want)
		}
	}
}

// TestM2MFakeDeviceGone: POLLERR with nothing to dequeue ends the wait at
// once with an error naming the device, instead of spinning to the
// deadline; Close still releases everything.
func TestM2MFakeDeviceGone(t *testing.T) {
	e, fk, _, err := fakeEncoder(t, M2MConfig{Width: 640, Height: 480, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	fk.on[bufTypeVideoCaptureMplane] = false
	if err := e.submit(testFrame(media.I420, 640, 480, 0)); err != nil {
		t.Fatal(err)
	}
	fk.gone = true
	start := time.Now()
	_, err = e.Encode(testFrame(media.I420, 640, 480, 1), false)
	if err == nil || !strings.Contains(err.Error(), "/dev/video11") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
	if err := e.Close(); err != nil || !fk.closed {
		t.Fatalf("close: %v closed=%v", err, fk.closed)
	}
}

func TestM2MFakeNotM2MNamed(t *testing.T) {
	fk := newFakeBCM()
	fk.caps = 0x1 | capStreaming // a camera
	open := func(string) (m2mIO, error) { return fk, nil }
	quiet := slog.New(slog.NewTextHandler(&logBuf{}, nil))
	_, err := newM2M(M2MConfig{Device: "/dev/video0", Width: 640, Height: 480}, quiet, open, nil)
	if !errors.Is(err, ErrNoM2MEncoder) || !strings.Contains(err.Error(), "/dev/video0 (bcm2835-codec-encode, driver bcm2835-codec, caps 0x04000001): not a streaming M2M node") {
		t.Fatalf("explicit device: err = %v", err)
	}
	_, err = newM2M(M2MConfig{Width: 640, Height: 480}, quiet, open, []string{"/dev/video0", "/dev/video1"})
	if !errors.Is(err, ErrNoM2MEncoder) || !strings.Contains(err.Error(), "no M2M nodes among 2 /dev/video* nodes") {
		t.Fatalf("search: err = %v", err)
	}
}

// BenchmarkM2MFakeEncode1080p measures the encoder's own cost per picture
// (the one copy into the OUTPUT buffer plus the bookkeeping) against the
// fake, which does no encoding: the floor under any hardware's latency.
func BenchmarkM2MFakeEncode1080p(b *testing.B) {
	fk := newFakeBCM()
	e, err := newM2M(M2MConfig{Width: 1920, Height: 1080, Timeout: time.Second}, slog.New(slog.NewTextHandler(&logBuf{}, nil)),
		func(string) (m2mIO, error) { return fk, nil }, []string{"/dev/video11"})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	f := testFrame(media.I420, 1920, 1080, 0)
	calls0 := e.Calls()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Encode(f, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(e.Calls()-calls0)/float64(b.N), "calls/op")
}

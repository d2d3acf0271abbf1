package stream

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"go.uber.org/goleak"

	"camagent/internal/testtool"
)

// decoded is what ffmpeg made of a stream.
type decoded struct {
	size   string   // "320x240", from the framemd5 header
	frames []string // md5 of each picture
	errs   string   // everything ffmpeg said at level error
}

// decodeFrames decodes frames pictures of input (a URL or a file) with
// ffmpeg. It returns an error rather than failing, so goroutines may call it.
func decodeFrames(ffmpeg, input, transport string, frames int) (decoded, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := []string{"-nostdin", "-v", "error"}
	if transport != "" {
		args = append(args, "-rtsp_transport", transport)
	}
	args = append(args, "-i", input, "-frames:v", strconv.Itoa(frames), "-fps_mode", "passthrough", "-f", "framemd5", "-")
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil && stderr.Len() == 0 {
		return decoded{}, fmt.Errorf("ffmpeg %s: %w", input, err)
	}
	d := decoded{errs: stderr.String()}
	for _, l := range strings.Split(stdout.String(), "\n") {
		if dim, ok := strings.CutPrefix(l, "#dimensions 0: "); ok {
			d.size = strings.TrimSpace(dim)
		}
		if f := strings.Split(l, ","); len(f) == 6 && !strings.HasPrefix(l, "#") {
			d.frames = append(d.frames, strings.TrimSpace(f[5]))
		}
	}
	return d, nil
}

// Two real decoders read both paths at once, one over TCP and one over UDP;
// each gets its own hub's stream, decodes cleanly from its first picture,
// and every picture it shows is one of that stream's.
func TestRTSPTwoPathsServeTheirOwnStreams(t *testing.T) {
	ffmpeg := testtool.Need(t, "ffmpeg")
	mainHub, subHub := NewHub(nil), NewHub(nil)
	camera(t, mainHub, mainFixture)
	camera(t, subHub, subFixture)
	_, url := startRTSP(t, func(c *RTSPConfig) { c.UDP, c.UDPRTPPort = true, testtool.FreeUDPPair(t) },
		testMount{hub: mainHub, keys: &keyCounter{}}, testMount{path: "/sub", hub: subHub, keys: &keyCounter{}})

	cases := []struct {
		path, transport, fixture, size string
	}{
		{"/stream", "tcp", mainFixture, "320x240"},
		{"/sub", "udp", subFixture, "160x120"},
	}
	results := make([]decoded, len(cases))
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Go(func() { results[i], errs[i] = decodeFrames(ffmpeg, url+c.path, c.transport, 45) })
	}
	wg.Wait()
	for i, c := range cases {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		got := results[i]
		if got.errs != "" {
			t.Errorf("%s over %s: decoder errors:\n%s", c.path, c.transport, got.errs)
		}
		if got.size != c.size || len(got.frames) < 45 {
			t.Errorf("%s over %s: %d pictures of %s, want 45 of %s", c.path, c.transport, len(got.frames), got.size, c.size)
		}
		file, err := decodeFrames(ffmpeg, c.fixture, "", 30)
		if err != nil || file.errs != "" || len(file.frames) != 30 {
			t.Fatalf("decoding %s: %v %s (%d pictures)", c.fixture, err, file.errs, len(file.frames))
		}
		own := map[string]bool{}
		for _, md5 := range file.frames {
			own[md5] = true
		}
		for n, md5 := range got.frames {
			if !own[md5] {
				t.Errorf("%s picture %d (md5 %s) is not a picture of %s", c.path, n, md5, c.fixture)
				break
			}
		}
	}
	// The main path keeps its subscriber name; the sub path has its own.
	for hub, want := range map[*Hub]string{mainHub: "rtsp", subHub: "rtsp/sub"} {
		if subs := hub.Stats().Subscribers; len(subs) != 1 || subs[0].Name != want {
			t.Errorf("hub subscribers %+v, want one named %q", subs, want)
		}
	}
}

func TestRTSPUnknownPathNotFound(t *testing.T) {
	_, url := startRTSP(t, nil, testMount{hub: NewHub(nil)}, testMount{path: "/sub", hub: NewHub(nil)})
	for path, want := range map[string]base.StatusCode{"/stream": base.StatusOK, "/sub": base.StatusOK, "/nope": base.StatusNotFound, "/stream/sub": base.StatusNotFound} {
		c, u := dial(t, url+path)
		_, res, err := c.Describe(u)
		got := statusOf(err)
		if err == nil {
			got = res.StatusCode
		}
		if got != want {
			t.Errorf("DESCRIBE %s: status %d (%v), want %d", path, got, err, want)
		}
	}
}

// MaxReaders is one budget for the whole server: a camera's uplink and
// memory do not grow because a second path exists.
func TestRTSPMaxReadersCountsEveryPath(t *testing.T) {
	s, url := startRTSP(t, func(c *RTSPConfig) { c.MaxReaders = 2 },
		testMount{hub: NewHub(nil)}, testMount{path: "/sub", hub: NewHub(nil)})
	first, err := play(t, url+"/stream")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := play(t, url+"/sub"); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/sub", "/stream"} {
		if _, err := play(t, url+path); statusOf(err) != base.StatusServiceUnavailable {
			t.Errorf("third reader on %s: %v, want 503 at SETUP", path, err)
		}
	}
	st := s.Stats()
	if want := map[string]int{"/stream": 1, "/sub": 1}; st.Readers != 2 || !maps.Equal(st.Paths, want) {
		t.Errorf("stats: %d readers, per path %v; want 2, %v", st.Readers, st.Paths, want)
	}
	// A reader leaving one path frees a place on either.
	first.Close()
	testtool.WaitFor(t, 10*time.Second, "the closed session to be forgotten", func() bool { return s.Stats().Readers == 1 })
	if _, err := play(t, url+"/sub"); err != nil {
		t.Fatalf("after a reader left: %v", err)
	}
	if got, want := s.Stats().Paths, map[string]int{"/stream": 0, "/sub": 2}; !maps.Equal(got, want) {
		t.Errorf("per path %v, want %v", got, want)
	}
}

// A reader joining a path asks that path's encoder, and only it, for an IDR.
func TestRTSPKeyframeOnJoinAsksThatPathsEncoder(t *testing.T) {
	mainKeys, subKeys := &keyCounter{}, &keyCounter{}
	_, url := startRTSP(t, nil, testMount{hub: NewHub(nil), keys: mainKeys}, testMount{path: "/sub", hub: NewHub(nil), keys: subKeys})
	check := func(when string, wantMain, wantSub int32) {
		t.Helper()
		if m, s := mainKeys.n.Load(), subKeys.n.Load(); m != wantMain || s != wantSub {
			t.Errorf("%s: keyframes asked of main %d, sub %d; want %d, %d", when, m, s, wantMain, wantSub)
		}
	}
	if _, err := play(t, url+"/sub"); err != nil {
		t.Fatal(err)
	}
	check("after PLAY /sub", 0, 1) // OnPlay asks before it answers
	if _, err := play(t, url+"/stream"); err != nil {
		t.Fatal(err)
	}
	check("after PLAY /stream", 1, 1)
}

// Run returns only after every mount's writer and every server goroutine
// exited, with readers on both paths connected at the time.
func TestRTSPRunJoinsEveryPath(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	t.Run("serve", func(t *testing.T) {
		mainHub, subHub := NewHub(nil), NewHub(nil)
		camera(t, mainHub, mainFixture)
		camera(t, subHub, subFixture)
		s, url := startRTSP(t, nil, testMount{hub: mainHub}, testMount{path: "/sub", hub: subHub})
		for _, path := range []string{"/stream", "/sub"} {
			if _, err := play(t, url+path); err != nil {
				t.Fatal(err)
			}
		}
		testtool.WaitFor(t, 10*time.Second, "both readers playing", func() bool { return s.Stats().Readers == 2 })
	}) // the subtest's cleanups stop the clients, the server and the cameras
}

func TestRTSPAddPathRefuses(t *testing.T) {
	s, err := NewRTSPServer(RTSPConfig{Listen: "127.0.0.1:0", Path: "/stream", MaxReaders: 1, WriteQueue: 64, Anonymous: true}, NewHub(nil), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddPath("/sub", NewHub(nil), nil); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/stream/": "already served", "/sub": "already served", "sub2": "must start with '/'"} {
		if err := s.AddPath(path, NewHub(nil), nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("AddPath(%q) = %v, want an error containing %q", path, err, want)
		}
	}
	if err := s.AddPath("/sub2", nil, nil); err == nil {
		t.Error("AddPath without a hub succeeded")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	if err := s.AddPath("/late", NewHub(nil), nil); err == nil {
		t.Error("AddPath after Run succeeded")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A digest may name any served path (VLC signs SETUP .../trackID=0 with the
// base URL), but not a path the server does not serve.
func TestRTSPDigestURIAcceptsEveryPath(t *testing.T) {
	s, err := NewRTSPServer(RTSPConfig{Path: "/stream", Anonymous: true}, NewHub(nil), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddPath("/sub", NewHub(nil), nil); err != nil {
		t.Fatal(err)
	}
	req := &base.Request{Method: base.Setup, URL: mustURL(t, "rtsp://cam:554/sub/trackID=0")}
	for claimed, accepted := range map[string]bool{
		"rtsp://cam:554/sub":              true,
		"/sub/":                           true,
		"rtsp://cam:554/stream":           true, // still bound to nonce, method and password
		"rtsp://cam:554/stream/trackID=0": true,
		"rtsp://cam:554/other":            false,
		"rtsp://cam:554/subway":           false,
	} {
		header := fmt.Sprintf(`Digest username="u", realm="camagent", nonce="n", uri=%q, response="r"`, claimed)
		want := req.URL.String()
		if accepted {
			want = claimed
		}
		if got := s.digestURI(req, header); got != want {
			t.Errorf("claimed %q: digest checked against %q, want %q", claimed, got, want)
		}
	}
}

func mustURL(t *testing.T, s string) *base.URL {
	t.Helper()
	u, err := base.ParseURL(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

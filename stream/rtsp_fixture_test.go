package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"

	"camagent/auth"
	"camagent/internal/clock"
	"camagent/media"
)

// The fixtures are 30 frames of ffmpeg's testsrc at two sizes, x264
// baseline, an IDR with SPS and PPS every 10 frames, so they loop cleanly:
//
//	ffmpeg -f lavfi -i testsrc=size=320x240:rate=30 -frames:v 30 -c:v libx264 \
//	  -profile:v baseline -x264-params keyint=10:min-keyint=10:scenecut=0:repeat-headers=1 \
//	  -f h264 testdata/testsrc-320x240.h264
const (
	mainFixture = "testdata/testsrc-320x240.h264"
	subFixture  = "testdata/testsrc-160x120.h264"
	testUser    = "viewer"
	testPass    = "s3cret"
)

// accessUnits splits an Annex B file into pictures: parameter sets and SEI
// join the slice that follows them; each slice ends its picture (the
// fixtures have one slice per picture).
func accessUnits(t testing.TB, path string) [][][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nalus [][]byte
	for _, chunk := range bytes.Split(data, []byte{0, 0, 1})[1:] {
		nalus = append(nalus, bytes.TrimRight(chunk, "\x00")) // a 4-byte start code leaves a zero behind
	}
	var aus [][][]byte
	var cur [][]byte
	for _, n := range nalus {
		cur = append(cur, n)
		if typ := n[0] & 0x1f; typ == 1 || typ == 5 {
			aus = append(aus, cur)
			cur = nil
		}
	}
	if len(aus) == 0 || !isIDR(aus[0]) {
		t.Fatalf("%s: %d pictures, want some starting with an IDR", path, len(aus))
	}
	return aus
}

func isIDR(au [][]byte) bool {
	for _, n := range au {
		if n[0]&0x1f == 5 {
			return true
		}
	}
	return false
}

// camera publishes the fixture in a loop at 30 pictures a second, as an
// encoder would, until the test ends. The ticker stands for the camera's
// frame clock; nothing waits on it for a result.
func camera(t *testing.T, hub *Hub, fixture string) {
	aus := accessUnits(t, fixture)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		pool := media.NewAUPool(64)
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			src := aus[n%len(aus)]
			au := pool.Get()
			au.SetNALUs(src)
			au.IDR, au.Seq, au.PTS, au.Wall = isIDR(src), uint64(n), time.Duration(n)*time.Second/30, time.Now()
			hub.Publish(au)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// keyCounter is a KeyframeRequester that counts presses.
type keyCounter struct{ n atomic.Int32 }

func (k *keyCounter) RequestKeyframe() { k.n.Add(1) }

// testMount is one extra path for startRTSP.
type testMount struct {
	path string
	hub  *Hub
	keys KeyframeRequester
}

// startRTSP runs a server with Digest users on a free port; the main path
// is /stream. It returns the base URL with credentials ("rtsp://u:p@host:port").
func startRTSP(t *testing.T, edit func(*RTSPConfig), main testMount, extra ...testMount) (*RTSPServer, string) {
	t.Helper()
	cfg := RTSPConfig{Listen: "127.0.0.1:0", Path: "/stream", MaxReaders: 8, WriteQueue: 512, KeyframeOnJoin: true}
	if edit != nil {
		edit(&cfg)
	}
	d, err := auth.NewDigest(auth.DigestConfig{Realm: "camagent", Algorithms: []auth.Algorithm{auth.AlgSHA256, auth.AlgMD5}},
		[]auth.Account{{Name: testUser, Password: testPass, Role: auth.RoleUser}}, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewRTSPServer(cfg, main.hub, d, main.keys, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range extra {
		if err := s.AddPath(m.path, m.hub, m.keys); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("rtsp server stopped with error: %v", err)
		}
	})
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("rtsp server failed to start: %v", err)
	}
	return s, fmt.Sprintf("rtsp://%s:%s@%s", testUser, testPass, s.Addr().String())
}

// dial starts a gortsplib client (TCP) for url; the test closes it.
func dial(t *testing.T, url string) (*gortsplib.Client, *base.URL) {
	t.Helper()
	u, err := base.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	tcp := gortsplib.ProtocolTCP
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp, DialContext: (&net.Dialer{}).DialContext}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, u
}

// play sets up and plays url with a fresh client; the returned client is
// playing (and discards what it receives).
func play(t *testing.T, url string) (*gortsplib.Client, error) {
	t.Helper()
	c, u := dial(t, url)
	desc, _, err := c.Describe(u)
	if err != nil {
		return c, fmt.Errorf("DESCRIBE %s: %w", u.Path, err)
	}
	if err := c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		return c, fmt.Errorf("SETUP %s: %w", u.Path, err)
	}
	if _, err := c.Play(nil); err != nil {
		return c, fmt.Errorf("PLAY %s: %w", u.Path, err)
	}
	return c, nil
}

// statusOf extracts the RTSP status code from a client error, or 0.
func statusOf(err error) base.StatusCode {
	var bad liberrors.ErrClientBadStatusCode
	if errors.As(err, &bad) {
		return bad.Code
	}
	return 0
}

package onvif

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestLoginDelaySchedule(t *testing.T) {
	var got []string
	for n := 1; n <= 8; n++ {
		got = append(got, loginDelay(n).String())
	}
	if s := strings.Join(got, " "); s != "0s 0s 1s 2s 4s 8s 8s 8s" {
		t.Errorf("delays %s", s)
	}
	if loginDelay(1<<30) != maxLoginDelay {
		t.Error("no cap for many failures")
	}
}

// wrongLogin posts a GetDeviceInformation with a wrong password from addr.
func wrongLogin(s *testServer, addr string, seq int) <-chan *httptest.ResponseRecorder {
	tok := newToken("viewer", seq)
	tok.password = "guess"
	return loginFrom(s, addr, tok)
}

func loginFrom(s *testServer, addr string, tok token) <-chan *httptest.ResponseRecorder {
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		done <- post(s, "application/soap+xml", strings.NewReader(envelope12(tok.header(), deviceInfo)), func(r *http.Request) {
			r.RemoteAddr = addr
		})
	}()
	return done
}

// expectDelayed checks that the reply waits for exactly d of fake time.
func expectDelayed(t *testing.T, s *testServer, done <-chan *httptest.ResponseRecorder, d time.Duration) *httptest.ResponseRecorder {
	t.Helper()
	if d > 0 {
		for s.clk.Waiters() == 0 {
			select {
			case w := <-done:
				t.Fatalf("answered without the %v delay: %d", d, w.Code)
			default:
				waitABit()
			}
		}
		s.clk.Advance(d - time.Millisecond)
		select {
		case <-done:
			t.Fatalf("answered before %v", d)
		default:
		}
		s.clk.Advance(time.Millisecond)
	}
	return <-done
}

func TestLoginDelayGrowsAndResets(t *testing.T) {
	s := newTestServer(t, nil)
	const guesser = "192.0.2.66:5000"
	seq := 0
	for _, d := range []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		seq++
		isFault(t, expectDelayed(t, s, wrongLogin(s, guesser, seq), d), 400, "NotAuthorized")
	}
	// Other sources are not slowed down, not even the guesser's neighbour.
	seq++
	isFault(t, expectDelayed(t, s, wrongLogin(s, "192.0.2.67:5000", seq), 0), 400, "NotAuthorized")
	// Stale tokens and missing credentials are not guesses.
	stale := newToken("viewer", 100)
	stale.created = t0.Add(-time.Hour).Format(time.RFC3339)
	isFault(t, expectDelayed(t, s, loginFrom(s, "192.0.2.67:5000", stale), 0), 400, "NotAuthorized")
	// Only refusals wait; a success answers at once and forgets the
	// failures.
	seq++
	if w := expectDelayed(t, s, loginFrom(s, guesser, newToken("viewer", seq)), 0); w.Code != 200 {
		t.Fatalf("login: %d\n%s", w.Code, w.Body)
	}
	seq++
	isFault(t, expectDelayed(t, s, wrongLogin(s, guesser, seq), 0), 400, "NotAuthorized")
	// So does a quiet quarter-hour.
	for range 3 {
		seq++
		s.logins.failed(netip.MustParseAddr("192.0.2.66"))
	}
	s.clk.Advance(loginForget)
	fresh := newToken("viewer", 200)
	fresh.password, fresh.created = "guess", s.clk.Now().Format(time.RFC3339) // a guess, not a stale token
	isFault(t, expectDelayed(t, s, loginFrom(s, guesser, fresh), 0), 400, "NotAuthorized")
	fresh = newToken("viewer", 201)
	fresh.password, fresh.created = "guess", s.clk.Now().Format(time.RFC3339)
	isFault(t, expectDelayed(t, s, loginFrom(s, guesser, fresh), 0), 400, "NotAuthorized")
	fresh = newToken("viewer", 202)
	fresh.password, fresh.created = "guess", s.clk.Now().Format(time.RFC3339)
	isFault(t, expectDelayed(t, s, loginFrom(s, guesser, fresh), time.Second), 400, "NotAuthorized")
}

func TestLoginDelayTableBounded(t *testing.T) {
	s := newTestServer(t, nil)
	l := s.logins
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
	for i := range maxLoginSources + 100 {
		s.clk.Advance(time.Millisecond) // distinct ages
		l.failed(addr(i))
	}
	if n := l.size(); n != maxLoginSources {
		t.Errorf("%d sources remembered", n)
	}
	// The newest sources are kept.
	if d := l.failed(addr(maxLoginSources + 99)); d != 0 || l.size() != maxLoginSources {
		t.Errorf("second failure of the newest source: %v", d)
	}
	// An IPv6 /64 is one source.
	for i := range 3 {
		d := l.failed(netip.MustParseAddr(fmt.Sprintf("2001:db8:1:2::%x", i+1)))
		if want := loginDelay(i + 1); d != want {
			t.Errorf("IPv6 failure %d: %v, want %v", i+1, d, want)
		}
	}
}

func TestLoginDelayWaitersBounded(t *testing.T) {
	s := newTestServer(t, nil)
	l := s.logins
	l.waiting = maxDelayedReplies
	if l.wait(context.Background(), time.Second) {
		t.Fatal("waited beyond maxDelayedReplies")
	}
	l.waiting = 0
	// Through the server: the reply is "busy" at once.
	a := netip.MustParseAddr("192.0.2.70")
	for range freeLoginFailures {
		l.failed(a)
	}
	l.waiting = maxDelayedReplies
	isFault(t, expectDelayed(t, s, wrongLogin(s, "192.0.2.70:1", 1), 0), 503, "Action")
	// A client that goes away ends its wait.
	l.waiting = 0
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if !l.wait(ctx, time.Hour) {
		t.Fatal("refused")
	}
}

// TestLoginDelaySnapshot: refused digests on the snapshot URL count too.
func TestLoginDelaySnapshot(t *testing.T) {
	s := newSnapshotServer(t, fakeSnaps{})
	ch := getSnapshot(s, http.MethodGet, "").Result().Header.Get("WWW-Authenticate")
	nonce, opaque := param(ch, "nonce"), param(ch, "opaque")
	for i, d := range []time.Duration{0, 0, time.Second} {
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- getSnapshot(s, http.MethodGet, digestGET("viewer", "guess", nonce, opaque, i+1)) }()
		if w := expectDelayed(t, s, done, d); w.Code != 401 {
			t.Fatalf("guess %d: %d", i+1, w.Code)
		}
	}
	if w := getSnapshot(s, http.MethodGet, digestGET("viewer", "viewer-secret-333", nonce, opaque, 4)); w.Code != 200 {
		t.Fatalf("login: %d", w.Code)
	}
	if s.logins.size() != 0 {
		t.Error("success did not forget the failures")
	}
}

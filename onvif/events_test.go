package onvif

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"camagent/internal/testtool"
)

const (
	tevNS  = ` xmlns:tev="` + nsTEV + `"`
	wsntNS = ` xmlns:wsnt="` + nsWSNT + `"`
)

// soapAt posts an authenticated request to path.
func soapAt(s http.Handler, path, user string, seq int, body string) *httptest.ResponseRecorder {
	header := ""
	if user != "" {
		header = newToken(user, seq).header()
	}
	return post(s, "application/soap+xml; charset=utf-8", strings.NewReader(envelope12(header, body)), func(r *http.Request) {
		r.URL.Path, r.RequestURI = path, path
	})
}

var addressRE = regexp.MustCompile(`<wsa:Address>http://192\.0\.2\.10:8080(/onvif/events_service/pullpoint/[0-9a-f]{32})</wsa:Address>`)

func createPullPoint(t *testing.T, s *testServer, seq int, initial string) string {
	t.Helper()
	arg := ""
	if initial != "" {
		arg = `<tev:InitialTerminationTime>` + initial + `</tev:InitialTerminationTime>`
	}
	w := soapAt(s, DevicePath, "viewer", seq, `<tev:CreatePullPointSubscription`+tevNS+`>`+arg+`</tev:CreatePullPointSubscription>`)
	m := addressRE.FindStringSubmatch(w.Body.String())
	if w.Code != 200 || m == nil {
		t.Fatalf("CreatePullPointSubscription: %d\n%s", w.Code, w.Body)
	}
	return m[1]
}

func pullBody(timeout string) string {
	return `<tev:PullMessages` + tevNS + `><tev:Timeout>` + timeout + `</tev:Timeout><tev:MessageLimit>10</tev:MessageLimit></tev:PullMessages>`
}

var msgRE = regexp.MustCompile(`<wsnt:Topic Dialect="[^"]+">([^<]+)</wsnt:Topic><wsnt:Message><tt:Message UtcTime="[^"]+" PropertyOperation="(\w+)">.*?<tt:SimpleItem Name="State" Value="(\w+)"/>`)

func messages(body string) []string {
	var out []string
	for _, m := range msgRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[2]+" "+m[3])
	}
	return out
}

func TestEventsPullPointLifecycle(t *testing.T) {
	s := newTestServer(t, nil)
	addr := createPullPoint(t, s, 1, "PT60S")
	// The properties' current states come first.
	w := soapAt(s, addr, "viewer", 2, pullBody("PT0S"))
	if got := strings.Join(messages(w.Body.String()), ","); got != TopicMotionAlarm+" Initialized false,"+TopicSignalLoss+" Initialized false" {
		t.Fatalf("first pull: %q\n%s", got, w.Body)
	}
	// A change while nobody pulls is queued.
	s.PublishEvent(TopicMotionAlarm, true)
	s.PublishEvent(TopicMotionAlarm, true) // no change, no message
	w = soapAt(s, addr, "viewer", 3, pullBody("PT1S"))
	if got := strings.Join(messages(w.Body.String()), ","); got != TopicMotionAlarm+" Changed true" {
		t.Fatalf("after motion: %q", got)
	}
	// Long poll: the request waits until a change arrives.
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- soapAt(s, addr, "viewer", 4, pullBody("PT1M")) }()
	for s.clk.Waiters() == 0 {
		select {
		case w := <-done:
			t.Fatalf("pull returned without waiting: %s", w.Body)
		default:
		}
		waitABit()
	}
	s.PublishEvent(TopicSignalLoss, true)
	if got := strings.Join(messages((<-done).Body.String()), ","); got != TopicSignalLoss+" Changed true" {
		t.Fatalf("long poll: %q", got)
	}
	// A long poll with nothing to say ends at its (capped) timeout.
	go func() { done <- soapAt(s, addr, "viewer", 5, pullBody("PT1M")) }()
	for s.clk.Waiters() == 0 {
		waitABit()
	}
	s.clk.Advance(maxPullWait)
	if w := <-done; w.Code != 200 || len(messages(w.Body.String())) != 0 {
		t.Fatalf("empty long poll: %d %s", w.Code, w.Body)
	}
	// SetSynchronizationPoint repeats the current states.
	if w := soapAt(s, addr, "viewer", 6, `<tev:SetSynchronizationPoint`+tevNS+`/>`); w.Code != 200 {
		t.Fatalf("SetSynchronizationPoint: %d %s", w.Code, w.Body)
	}
	w = soapAt(s, addr, "viewer", 7, pullBody("PT0S"))
	if got := strings.Join(messages(w.Body.String()), ","); got != TopicMotionAlarm+" Initialized true,"+TopicSignalLoss+" Initialized true" {
		t.Fatalf("after sync: %q", got)
	}
	// Renew moves the termination time; expiry removes the subscription.
	w = soapAt(s, addr, "viewer", 8, `<wsnt:Renew`+wsntNS+`><wsnt:TerminationTime>PT2M</wsnt:TerminationTime></wsnt:Renew>`)
	if want := xsTime(s.clk.Now().Add(2 * time.Minute)); w.Code != 200 || !strings.Contains(w.Body.String(), "<wsnt:TerminationTime>"+want) {
		t.Fatalf("Renew: %d want %s\n%s", w.Code, want, w.Body)
	}
	s.clk.Advance(2 * time.Minute)
	if w := soapAt(s, addr, "viewer", 9, pullBody("PT0S")); w.Code != 400 || !strings.Contains(w.Body.String(), "InvalidSubscription") {
		t.Fatalf("expired pull: %d %s", w.Code, w.Body)
	}
	// Unsubscribe ends another one.
	addr = createPullPoint(t, s, 10, "")
	if w := soapAt(s, addr, "viewer", 11, `<wsnt:Unsubscribe`+wsntNS+`/>`); w.Code != 200 {
		t.Fatalf("Unsubscribe: %d", w.Code)
	}
	if w := soapAt(s, addr, "viewer", 12, pullBody("PT0S")); w.Code != 400 {
		t.Fatalf("pull after Unsubscribe: %d", w.Code)
	}
	// Anonymous callers get nothing.
	if w := soapAt(s, addr, "", 0, pullBody("PT0S")); w.Code == 200 {
		t.Fatal("anonymous pull answered")
	}
}

// waitABit yields to the pulling goroutine (no sleeping).
func waitABit() { runtime.Gosched() }

func TestEventsBounded(t *testing.T) {
	s := newTestServer(t, nil)
	for i := range maxPullPoints {
		createPullPoint(t, s, i+1, "PT10S")
	}
	w := soapAt(s, DevicePath, "viewer", 100, `<tev:CreatePullPointSubscription`+tevNS+`/>`)
	if w.Code != 503 || !strings.Contains(w.Body.String(), "MaxPullPoints") {
		t.Fatalf("pull point %d: %d %s", maxPullPoints+1, w.Code, w.Body)
	}
	s.clk.Advance(10 * time.Second) // all expire
	if s.events.count() != 0 {
		t.Fatalf("%d live after expiry", s.events.count())
	}
	addr := createPullPoint(t, s, 101, "PT1H") // clamped to maxSubLifetime
	for i := range 3 * maxQueuedEvents {
		s.PublishEvent(TopicMotionAlarm, i%2 == 0)
	}
	id := strings.TrimPrefix(addr, pullPointPath)
	s.events.mu.Lock()
	sub := s.events.subs[id]
	n, dropped, exp := len(sub.queue), sub.dropped, sub.expires
	s.events.mu.Unlock()
	if n != maxQueuedEvents || dropped == 0 || exp != s.clk.Now().Add(maxSubLifetime) {
		t.Fatalf("queue %d dropped %d expires %v", n, dropped, exp)
	}
}

func TestParseLifetime(t *testing.T) {
	now := t0
	for in, want := range map[string]time.Duration{
		"PT60S": time.Minute, "PT1M30S": 90 * time.Second, "PT0S": time.Second, "P1D": maxSubLifetime,
		"PT10.5S": 10 * time.Second, "": defaultSubLifetime, now.Add(3 * time.Minute).Format(time.RFC3339): 3 * time.Minute,
	} {
		if got, ok := parseLifetime(in, now, defaultSubLifetime); !ok || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"P", "PT", "PTS", "60", "PT-5S", "P99999999D", "yesterday"} {
		if _, ok := parseLifetime(bad, now, time.Minute); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestEventResponsesValidateAgainstXSD validates every event response.
func TestEventResponsesValidateAgainstXSD(t *testing.T) {
	testtool.Need(t, "xmllint")
	testtool.Need(t, "xsltproc")
	specs := specsDir(t)
	s := newTestServer(t, nil)
	tmp := t.TempDir()
	var files []string
	save := func(name string, w *httptest.ResponseRecorder) {
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
		p := filepath.Join(tmp, name+".xml")
		if err := os.WriteFile(p, w.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	save("GetServiceCapabilities-Events", soapAt(s, eventsPath, "", 0, `<tev:GetServiceCapabilities`+tevNS+`/>`))
	save("GetEventProperties", soapAt(s, eventsPath, "viewer", 1, `<tev:GetEventProperties`+tevNS+`/>`))
	w := soapAt(s, eventsPath, "viewer", 2, `<tev:CreatePullPointSubscription`+tevNS+`><tev:InitialTerminationTime>PT60S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`)
	save("CreatePullPointSubscription", w)
	addr := addressRE.FindStringSubmatch(w.Body.String())[1]
	s.PublishEvent(TopicMotionAlarm, true)
	save("PullMessages", soapAt(s, addr, "viewer", 3, pullBody("PT0S")))
	save("SetSynchronizationPoint-Events", soapAt(s, addr, "viewer", 4, `<tev:SetSynchronizationPoint`+tevNS+`/>`))
	save("Renew", soapAt(s, addr, "viewer", 5, `<wsnt:Renew`+wsntNS+`><wsnt:TerminationTime>PT60S</wsnt:TerminationTime></wsnt:Renew>`))
	save("Unsubscribe", soapAt(s, addr, "viewer", 6, `<wsnt:Unsubscribe`+wsntNS+`/>`))
	cmd := exec.Command(filepath.Join(specs, "validate.sh"), append([]string{"-q"}, files...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("validate.sh: %v\n%s", err, out)
	}
	t.Logf("%d event responses valid", len(files))
}

func TestEventsOneLongPollPerSubscription(t *testing.T) {
	s := newTestServer(t, nil)
	addr := createPullPoint(t, s, 1, "")
	soapAt(s, addr, "viewer", 2, pullBody("PT0S")) // drain Initialized
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- soapAt(s, addr, "viewer", 3, pullBody("PT1M")) }()
	for s.clk.Waiters() == 0 {
		waitABit()
	}
	// A second pull on the same subscription answers at once, empty.
	if w := soapAt(s, addr, "viewer", 4, pullBody("PT1M")); w.Code != 200 || len(messages(w.Body.String())) != 0 {
		t.Fatalf("second pull: %d %s", w.Code, w.Body)
	}
	s.PublishEvent(TopicMotionAlarm, true)
	if got := messages((<-done).Body.String()); len(got) != 1 {
		t.Fatalf("first pull: %q", got)
	}
}

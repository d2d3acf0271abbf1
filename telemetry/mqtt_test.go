package telemetry

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"camagent/internal/testtool"
)

func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile("../docs/schemas/" + name + ".v1.json")
	if err != nil {
		t.Fatalf("schema %s: %v", name, err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("document does not match its schema: %v\n%s", err, doc)
	}
}

func TestBirthIsRetainedAndValid(t *testing.T) {
	broker := testtool.StartMosquitto(t, "")
	startTelemetry(t, "cam-birth", testMQTTConfig(broker.URL()))
	ctl := newController(t, broker.URL(), "ctl-birth")
	// Subscribing after the fact still gets the status: it is retained.
	ch := ctl.subscribe(Topics{"camagent", "cam-birth"}.Status(), 1)
	select {
	case m := <-ch:
		var s Status
		if err := json.Unmarshal(m.Payload(), &s); err != nil || s.State != "online" || !m.Retained() || s.Firmware != "test-1" {
			t.Fatalf("status = %+v retained=%v err=%v", s, m.Retained(), err)
		}
		validate(t, compileSchema(t, "status"), m.Payload())
	case <-time.After(3 * time.Second):
		t.Fatal("no retained status")
	}
}

// The agent in a child process, so the test can kill -9 it.
const childEnv = "CAMAGENT_TELEMETRY_CHILD_BROKER"

func TestMain(m *testing.M) {
	if url := os.Getenv(childEnv); url != "" {
		runChild(url)
		return
	}
	if spec := os.Getenv(eventsChildEnv); spec != "" {
		runEventsChild(spec)
		return
	}
	os.Exit(m.Run())
}

func TestOfflineWithinOneAndAHalfKeepalivesAfterKill(t *testing.T) {
	broker := testtool.StartMosquitto(t, "")
	ctl := newController(t, broker.URL(), "ctl-lwt")
	ch := ctl.subscribe(Topics{"camagent", "cam-child"}.Status(), 1)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+broker.URL())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitState := func(want string, within time.Duration) time.Time {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case m := <-ch:
				var s Status
				_ = json.Unmarshal(m.Payload(), &s)
				if s.State == want {
					return time.Now()
				}
			case <-deadline:
				t.Fatalf("no %s status within %v", want, within)
			}
		}
	}
	waitState("online", 10*time.Second)
	killed := time.Now()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	keepalive := 2 * time.Second
	at := waitState("offline", keepalive*3/2+500*time.Millisecond)
	t.Logf("offline %v after kill -9 (keepalive %v)", at.Sub(killed).Round(time.Millisecond), keepalive)
	if d := at.Sub(killed); d > keepalive*3/2 {
		t.Errorf("offline after %v, want within %v", d, keepalive*3/2)
	}
}

func TestHealthPollOneDeviceAndFleet(t *testing.T) {
	broker := testtool.StartMosquitto(t, "")
	schema := compileSchema(t, "health")
	replySchema := compileSchema(t, "reply")
	startTelemetry(t, "cam-a", testMQTTConfig(broker.URL()))
	startTelemetry(t, "cam-b", testMQTTConfig(broker.URL()))
	ctl := newController(t, broker.URL(), "ctl-poll")

	sent := time.Now()
	r := ctl.command(Topics{"camagent", "cam-a"}.Cmd(CmdHealth), Command{})
	if !r.OK || r.Device != "cam-a" || r.Cmd != CmdHealth {
		t.Fatalf("reply = %+v", r)
	}
	t.Logf("one-device poll round trip %v", time.Since(sent).Round(time.Millisecond))
	validate(t, schema, r.Result)
	b, _ := json.Marshal(r)
	validate(t, replySchema, b)
	var h Health
	if err := json.Unmarshal(r.Result, &h); err != nil || h.ConfigHash == "" || h.Camera.ConfiguredFPS != 30 {
		t.Errorf("health = %+v, %v", h, err)
	}

	// Fleet: every device answers on the one reply topic within a second.
	reply := ReplyPrefix("camagent") + "ctl-poll/fleet-1"
	ch := ctl.subscribe(reply, 1)
	cmd, _ := json.Marshal(Command{ID: "fleet-1", ReplyTo: reply})
	sent = time.Now()
	ctl.publish(Topics{Prefix: "camagent"}.FleetCmd(CmdHealth), cmd)
	seen := map[string]bool{}
	deadline := time.After(time.Second)
	for len(seen) < 2 {
		select {
		case m := <-ch:
			var r Reply
			_ = json.Unmarshal(m.Payload(), &r)
			if !r.OK || r.ID != "fleet-1" {
				t.Fatalf("fleet reply = %+v", r)
			}
			validate(t, schema, r.Result)
			seen[r.Device] = true
		case <-deadline:
			t.Fatalf("fleet poll: only %v answered within 1 s", seen)
		}
	}
	t.Logf("fleet poll of 2 devices complete after %v", time.Since(sent).Round(time.Millisecond))
}

func TestKeyframeCommand(t *testing.T) {
	broker := testtool.StartMosquitto(t, "")
	_, fa := startTelemetry(t, "cam-k", testMQTTConfig(broker.URL()))
	ctl := newController(t, broker.URL(), "ctl-k")
	if r := ctl.command(Topics{"camagent", "cam-k"}.Cmd(CmdKeyframe), Command{}); !r.OK {
		t.Fatalf("reply = %+v", r)
	}
	if n := fa.keyframes.Load(); n != 1 {
		t.Errorf("keyframes requested = %d, want 1", n)
	}
}

func TestDayNightCommand(t *testing.T) {
	broker := testtool.StartMosquitto(t, "")
	_, fa := startTelemetry(t, "cam-dn", testMQTTConfig(broker.URL()))
	ctl := newController(t, broker.URL(), "ctl-dn")
	topic := Topics{"camagent", "cam-dn"}.Cmd(CmdDayNight)
	if r := ctl.command(topic, Command{Args: json.RawMessage(`{"mode":"night"}`)}); !r.OK || string(r.Result) != `{"mode":"night"}` {
		t.Fatalf("reply = %+v", r)
	}
	for _, bad := range []string{`{"mode":"dusk"}`, `{}`, `{"mode":"auto","x":1}`} {
		if r := ctl.command(topic, Command{Args: json.RawMessage(bad)}); r.OK || !hasCode(r, ErrCodeInvalid) {
			t.Errorf("%s: reply = %+v", bad, r)
		}
	}
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if len(fa.modes) != 1 || fa.modes[0] != "night" {
		t.Errorf("modes applied = %v, want [night]", fa.modes)
	}
}

func TestConfigSetRefusesBadConfigWithEveryError(t *testing.T) {
	broker := testtool.StartMosquitto(t, "")
	_, fa := startTelemetry(t, "cam-cfg", testMQTTConfig(broker.URL()))
	ctl := newController(t, broker.URL(), "ctl-cfg")
	topic := Topics{"camagent", "cam-cfg"}.Cmd(CmdConfigSet)
	r := ctl.command(topic, Command{Args: json.RawMessage(`{"yaml":"bad: config"}`)})
	if r.OK || len(r.Errors) != 2 || !hasCode(r, ErrCodeInvalid) {
		t.Fatalf("bad config reply = %+v", r)
	}
	if r := ctl.command(topic, Command{Args: json.RawMessage(`{"yaml":"device:\n  name: y\n"}`)}); !r.OK {
		t.Fatalf("good config reply = %+v", r)
	}
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if len(fa.saved) != 1 {
		t.Errorf("saved %d configs, want 1", len(fa.saved))
	}
}

// Every refused command gets a precise error and changes nothing.
func TestBadCommandsAreRefused(t *testing.T) {
	broker := testtool.StartMosquitto(t, "")
	_, fa := startTelemetry(t, "cam-bad", testMQTTConfig(broker.URL()))
	ctl := newController(t, broker.URL(), "ctl-bad")
	tp := Topics{"camagent", "cam-bad"}
	errCh := ctl.subscribe(tp.ErrorTopic(), 1)
	rt := ReplyPrefix("camagent") + "ctl-bad/x"
	replyCh := ctl.subscribe(rt, 1)
	cases := []struct {
		name, topic, payload, code string
		toErrorTopic               bool
	}{
		{"malformed JSON", tp.Cmd(CmdKeyframe), `{"id":`, ErrCodeMalformed, true},
		{"not an object", tp.Cmd(CmdKeyframe), `[1,2]`, ErrCodeMalformed, true},
		{"unknown field", tp.Cmd(CmdKeyframe), `{"id":"1","reply_to":"` + rt + `","x":1}`, ErrCodeMalformed, true},
		{"oversized", tp.Cmd(CmdKeyframe), `{"id":"1","reply_to":"` + rt + `","args":"` + strings.Repeat("a", 5000) + `"}`, ErrCodeTooLarge, true},
		{"reply_to outside the reply tree", tp.Cmd(CmdKeyframe), `{"id":"1","reply_to":"camagent/v1/cam-x/status"}`, ErrCodeMalformed, true},
		{"unknown command", tp.Cmd("selfdestruct"), `{"id":"1","reply_to":"` + rt + `"}`, ErrCodeUnknown, false},
		{"another device's id", tp.Cmd(CmdKeyframe), `{"id":"1","reply_to":"` + rt + `","device":"cam-other"}`, ErrCodeWrongDevice, false},
		{"fleet keyframe", Topics{Prefix: "camagent"}.FleetCmd(CmdKeyframe), `{"id":"1","reply_to":"` + rt + `"}`, ErrCodeInvalid, false},
		{"arguments where none are taken", tp.Cmd(CmdKeyframe), `{"id":"1","reply_to":"` + rt + `","args":{"all":true}}`, ErrCodeInvalid, false},
		{"reboot delay out of range", tp.Cmd(CmdReboot), `{"id":"1","reply_to":"` + rt + `","args":{"delay_s":-1}}`, ErrCodeInvalid, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctl.publish(c.topic, []byte(c.payload))
			ch := replyCh
			if c.toErrorTopic {
				ch = errCh
			}
			r := ctl.awaitReply(ch)
			if r.OK || !hasCode(r, c.code) {
				t.Errorf("reply = %+v, want error %s", r, c.code)
			}
		})
	}
	if fa.keyframes.Load() != 0 || fa.reboots.Load() != 0 {
		t.Errorf("a refused command acted: keyframes=%d reboots=%d", fa.keyframes.Load(), fa.reboots.Load())
	}
}

func TestSignedCommands(t *testing.T) {
	broker := testtool.StartMosquitto(t, "")
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	c := testMQTTConfig(broker.URL())
	c.CommandKey = base64.StdEncoding.EncodeToString(pub)
	_, fa := startTelemetry(t, "cam-sig", c)
	ctl := newController(t, broker.URL(), "ctl-sig")
	topic := Topics{"camagent", "cam-sig"}.Cmd(CmdKeyframe)
	signed := func(id string, ts time.Time, key ed25519.PrivateKey) Command {
		cmd := Command{ID: id, ReplyTo: ReplyPrefix("camagent") + "ctl-sig/" + id, Device: "cam-sig", TS: ts.Unix(), Nonce: "nonce-" + id + "-0123456789"}
		Sign(key, CmdKeyframe, &cmd)
		return cmd
	}
	if r := ctl.command(topic, Command{}); r.OK || !hasCode(r, ErrCodeUnsigned) {
		t.Errorf("unsigned: %+v", r)
	}
	good := signed("s1", time.Now(), priv)
	if r := ctl.command(topic, good); !r.OK {
		t.Fatalf("signed: %+v", r)
	}
	if r := ctl.command(topic, good); r.OK || !hasCode(r, ErrCodeReplay) {
		t.Errorf("replayed: %+v", r)
	}
	if r := ctl.command(topic, signed("s2", time.Now().Add(-time.Hour), priv)); r.OK || !hasCode(r, ErrCodeStale) {
		t.Errorf("stale: %+v", r)
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	if r := ctl.command(topic, signed("s3", time.Now(), other)); r.OK || !hasCode(r, ErrCodeBadSignature) {
		t.Errorf("foreign key: %+v", r)
	}
	tampered := signed("s4", time.Now(), priv)
	tampered.Device = "cam-other"
	if r := ctl.command(topic, tampered); r.OK || !hasCode(r, ErrCodeWrongDevice) {
		t.Errorf("other device: %+v", r)
	}
	if n := fa.keyframes.Load(); n != 1 {
		t.Errorf("keyframes = %d, want exactly the one valid command", n)
	}
}

// runChild is the agent process of the kill -9 test.
func runChild(url string) {
	c := testMQTTConfig(url)
	fa := &fakeAgent{}
	tel, err := New(Options{Config: c, DeviceID: "cam-child", Version: "child", Stats: fa.stats, Actions: fa, Host: fixedHost{}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = tel.Run(contextForever())
}

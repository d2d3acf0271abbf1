package onvif

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"camagent/internal/testtool"
)

var inputMsgRE = regexp.MustCompile(`<wsnt:Topic Dialect="[^"]+">([^<]+)</wsnt:Topic><wsnt:Message><tt:Message UtcTime="[^"]+" PropertyOperation="(\w+)">` +
	`<tt:Source><tt:SimpleItem Name="(\w+)" Value="([^"]+)"/></tt:Source><tt:Data><tt:SimpleItem Name="(\w+)" Value="(\w+)"/>`)

// allMessages renders every message as "topic op source=token data=state".
func allMessages(body string) []string {
	var out []string
	for _, m := range inputMsgRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[2]+" "+m[3]+"="+m[4]+" "+m[5]+"="+m[6])
	}
	return out
}

func newInputServer(t *testing.T) *testServer {
	return newTestServer(t, func(c *Config) { c.DigitalInputs = []string{"tamper", "door"} })
}

func TestDigitalInputEvents(t *testing.T) {
	s := newInputServer(t)
	s.SetDigitalInput("door", true) // state before any subscription
	addr := createPullPoint(t, s, 1, "PT60S")
	w := soapAt(s, addr, "viewer", 2, pullBody("PT0S"))
	want := []string{
		TopicMotionAlarm + " Initialized Source=video_source State=false",
		TopicSignalLoss + " Initialized Source=video_source State=false",
		TopicDigitalInput + " Initialized InputToken=tamper LogicalState=false",
		TopicDigitalInput + " Initialized InputToken=door LogicalState=true",
	}
	if got := allMessages(w.Body.String()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("initial:\n%s\nwant\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), w.Body)
	}
	// Open, repeat (no message), close; inputs are independent of each
	// other and of the video source's topics.
	s.SetDigitalInput("tamper", true)
	s.SetDigitalInput("tamper", true)
	s.SetDigitalInput("door", true)
	s.PublishEvent(TopicMotionAlarm, true)
	s.SetDigitalInput("tamper", false)
	s.SetDigitalInput("window", true) // not configured: ignored
	w = soapAt(s, addr, "viewer", 3, pullBody("PT0S"))
	want = []string{
		TopicDigitalInput + " Changed InputToken=tamper LogicalState=true",
		TopicMotionAlarm + " Changed Source=video_source State=true",
		TopicDigitalInput + " Changed InputToken=tamper LogicalState=false",
	}
	if got := allMessages(w.Body.String()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("changes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A synchronization point repeats every current state.
	soapAt(s, addr, "viewer", 4, `<tev:SetSynchronizationPoint`+tevNS+`/>`)
	w = soapAt(s, addr, "viewer", 5, pullBody("PT0S"))
	if got := allMessages(w.Body.String()); len(got) != 4 || got[3] != TopicDigitalInput+" Initialized InputToken=door LogicalState=true" {
		t.Fatalf("after synchronization point: %q", got)
	}
}

func TestDigitalInputsAdvertisedOnlyWhenConfigured(t *testing.T) {
	s := newTestServer(t, nil)
	w := soapAt(s, eventsPath, "viewer", 1, `<tev:GetEventProperties`+tevNS+`/>`)
	if w.Code != 200 || strings.Contains(w.Body.String(), "DigitalInput") {
		t.Fatalf("digital input topic without inputs: %d\n%s", w.Code, w.Body)
	}
	s.SetDigitalInput("tamper", true) // no inputs: ignored, no panic
	addr := createPullPoint(t, s, 2, "")
	if got := allMessages(soapAt(s, addr, "viewer", 3, pullBody("PT0S")).Body.String()); len(got) != 2 {
		t.Fatalf("initial messages without inputs: %q", got)
	}
}

func TestDigitalInputConfigChecked(t *testing.T) {
	for _, inputs := range [][]string{{""}, {"has space"}, {strings.Repeat("x", 65)}, make([]string, maxDigitalInputs+1)} {
		cfg := Config{Listen: ":0", RTSPPort: 554, RTSPPath: "/s", DigitalInputs: inputs}
		if _, err := New(cfg); err == nil {
			t.Errorf("inputs %q accepted", inputs)
		}
	}
}

// TestDigitalInputMessagesValidateAgainstXSD: a PullMessagesResponse with
// input messages, schema-checked like the other event responses.
func TestDigitalInputMessagesValidateAgainstXSD(t *testing.T) {
	testtool.Need(t, "xmllint")
	testtool.Need(t, "xsltproc")
	specs := specsDir(t)
	s := newInputServer(t)
	addr := createPullPoint(t, s, 1, "PT60S")
	s.SetDigitalInput("tamper", true)
	w := soapAt(s, addr, "viewer", 2, pullBody("PT0S"))
	if w.Code != 200 || len(allMessages(w.Body.String())) != 5 {
		t.Fatalf("PullMessages: %d\n%s", w.Code, w.Body)
	}
	tmp := t.TempDir()
	p := filepath.Join(tmp, "PullMessages-DigitalInput.xml")
	if err := os.WriteFile(p, w.Body.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(specs, "validate.sh"), "-q", p)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("validate.sh: %v\n%s", err, out)
	}
}

// Motion is raised in both forms: VideoSource/MotionAlarm and the rule
// engine's CellMotionDetector/Motion that many NVRs subscribe to instead.
func TestCellMotionFollowsMotionAlarm(t *testing.T) {
	s := newTestServer(t, nil)
	w := soapAt(s, DevicePath, "viewer", 1, `<tev:CreatePullPointSubscription`+tevNS+`/>`)
	m := addressRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("CreatePullPointSubscription: %d %s", w.Code, w.Body)
	}
	first := soapAt(s, m[1], "viewer", 2, pullBody("PT0S")).Body.String()
	if !strings.Contains(first, `>tns1:RuleEngine/CellMotionDetector/Motion</wsnt:Topic>`) ||
		!strings.Contains(first, `<tt:SimpleItem Name="IsMotion" Value="false"/>`) {
		t.Fatalf("initial states:\n%s", first)
	}
	s.PublishEvent(TopicMotionAlarm, true)
	got := soapAt(s, m[1], "viewer", 3, pullBody("PT0S")).Body.String()
	for _, want := range []string{
		`>tns1:VideoSource/MotionAlarm</wsnt:Topic>`, `<tt:SimpleItem Name="State" Value="true"/>`,
		`>tns1:RuleEngine/CellMotionDetector/Motion</wsnt:Topic>`, `PropertyOperation="Changed"`,
		`<tt:SimpleItem Name="VideoSourceConfigurationToken" Value="video_source_config"/>`,
		`<tt:SimpleItem Name="Rule" Value="MotionDetectorRule"/>`, `<tt:SimpleItem Name="IsMotion" Value="true"/>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}

package app

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

const tevNS = ` xmlns:tev="http://www.onvif.org/ver10/events/wsdl"`

// TestONVIFPullPointReceivesMotion is the NVR event path: a PullPoint
// subscription created with WS-Security gets the MotionAlarm and SignalLoss
// states (Initialized), then MotionAlarm true once the test pattern's moving
// square and clock reach the motion detector. The pattern always moves, so
// motion starts about 200 ms after start-up: usually as "Changed true"
// after "Initialized false"; on a slow machine the subscription may already
// start with "Initialized true".
func TestONVIFPullPointReceivesMotion(t *testing.T) {
	_, a := startAgent(t, nil)
	dev := fmt.Sprintf("http://%s/onvif/device_service", a.ONVIFAddr())
	caps := soapCall(t, dev, "", `<tds:GetCapabilities xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><tds:Category>Events</tds:Category></tds:GetCapabilities>`)
	if !strings.Contains(caps, fmt.Sprintf("<tt:XAddr>http://%s/onvif/events_service</tt:XAddr>", a.ONVIFAddr())) {
		t.Fatalf("GetCapabilities(Events):\n%s", caps)
	}
	resp := soapCall(t, dev, wsSecurity(testUser, testPass),
		`<tev:CreatePullPointSubscription`+tevNS+`><tev:InitialTerminationTime>PT60S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`)
	m := regexp.MustCompile(`<wsa:Address>([^<]+)</wsa:Address>`).FindStringSubmatch(resp)
	if m == nil {
		t.Fatalf("CreatePullPointSubscription:\n%s", resp)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var seen []string
	re := regexp.MustCompile(`>(tns1:VideoSource/\w+)</wsnt:Topic>.*?PropertyOperation="(\w+)".*?Name="State" Value="(\w+)"`)
	for ctx.Err() == nil {
		// Each PullMessages long-polls up to 5 s on the device side.
		body := soapCall(t, m[1], wsSecurity(testUser, testPass),
			`<tev:PullMessages`+tevNS+`><tev:Timeout>PT5S</tev:Timeout><tev:MessageLimit>16</tev:MessageLimit></tev:PullMessages>`)
		for _, msg := range strings.Split(body, "<wsnt:NotificationMessage>")[1:] {
			if e := re.FindStringSubmatch(msg); e != nil {
				seen = append(seen, e[1]+" "+e[2]+" "+e[3])
			}
		}
		if motionTrue(seen) {
			break
		}
	}
	if len(seen) < 2 || !strings.HasPrefix(seen[0], "tns1:VideoSource/MotionAlarm Initialized ") || !motionTrue(seen) {
		t.Fatalf("events: %q", seen)
	}
	for _, e := range seen {
		if strings.HasPrefix(e, "tns1:VideoSource/SignalLoss") && strings.HasSuffix(e, "true") {
			t.Fatalf("signal loss while frames flow: %q", seen)
		}
	}
	t.Logf("events: %q", seen)
	soapCall(t, m[1], wsSecurity(testUser, testPass), `<wsnt:Unsubscribe xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"/>`)
}

func motionTrue(seen []string) bool {
	for _, e := range seen {
		if e == "tns1:VideoSource/MotionAlarm Changed true" || e == "tns1:VideoSource/MotionAlarm Initialized true" {
			return true
		}
	}
	return false
}

package onvif

import (
	"strings"
	"testing"
)

var subKeys = &fakeKeys{}

// withSubStream configures the second, smaller stream.
func withSubStream(c *Config) {
	c.Sub = &SubStream{Video: Video{Width: 640, Height: 360, FPS: 30, BitrateKbps: 512, GOP: 30, Profile: "Main"}, Path: "/sub", Keyframes: subKeys}
}

const subTok = `<trt:ProfileToken>profile_sub</trt:ProfileToken>`

// subGoldenCases run on servers configured by withSubStream.
var subGoldenCases = []goldenCase{
	{"Sub-GetProfiles", `<trt:GetProfiles/>`, "viewer", false, 200},
	{"Sub-GetProfile", `<trt:GetProfile>` + subTok + `</trt:GetProfile>`, "viewer", false, 200},
	{"Sub-GetVideoEncoderConfigurations", `<trt:GetVideoEncoderConfigurations/>`, "viewer", false, 200},
	{"Sub-GetVideoEncoderConfiguration", `<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>video_encoder_sub</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>`, "viewer", false, 200},
	{"Sub-GetStreamUri", `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>` + subTok + `</trt:GetStreamUri>`, "viewer", false, 200},
	{"Sub-GetServiceCapabilities", `<trt:GetServiceCapabilities/>`, "", false, 200},
	{"Sub-tr2-GetProfiles", `<tr2:GetProfiles` + tr2NS + `><tr2:Type>All</tr2:Type></tr2:GetProfiles>`, "viewer", false, 200},
	{"Sub-tr2-GetVideoEncoderConfigurations", `<tr2:GetVideoEncoderConfigurations` + tr2NS + `><tr2:ProfileToken>profile_sub</tr2:ProfileToken></tr2:GetVideoEncoderConfigurations>`, "viewer", false, 200},
	{"Sub-tr2-GetStreamUri", `<tr2:GetStreamUri` + tr2NS + `><tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>profile_sub</tr2:ProfileToken></tr2:GetStreamUri>`, "viewer", false, 200},
}

func init() { goldenTables = append(goldenTables, goldenTable{withSubStream, subGoldenCases}) }

// The sub profile's stream URI names its own path, and its
// synchronisation point asks its own encoder for an IDR.
func TestSubProfileStreamAndKeyframe(t *testing.T) {
	s := newTestServer(t, withSubStream)
	body := soapAt(s, mediaPath, "viewer", 1, `<trt:GetStreamUri>`+subTok+`</trt:GetStreamUri>`).Body.String()
	if !strings.Contains(body, "<tt:Uri>rtsp://") || !strings.Contains(body, ":8554/sub</tt:Uri>") {
		t.Fatalf("GetStreamUri(profile_sub):\n%s", body)
	}
	before, main := subKeys.n, s.keys.n
	if w := soapAt(s, mediaPath, "viewer", 2, `<trt:SetSynchronizationPoint>`+subTok+`</trt:SetSynchronizationPoint>`); w.Code != 200 {
		t.Fatalf("SetSynchronizationPoint(profile_sub): %d\n%s", w.Code, w.Body)
	}
	if subKeys.n != before+1 || s.keys.n != main {
		t.Errorf("keyframes: sub %d->%d, main %d->%d", before, subKeys.n, main, s.keys.n)
	}
	if w := soapAt(s, mediaPath, "viewer", 3, `<trt:GetProfile><trt:ProfileToken>profile_nope</trt:ProfileToken></trt:GetProfile>`); w.Code != 400 {
		t.Errorf("unknown profile: %d", w.Code)
	}
}

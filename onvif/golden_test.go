package onvif

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current responses")

// goldenCase is one request answered by a golden response. user "" sends
// no credentials.
type goldenCase struct {
	name   string
	body   string
	user   string
	soap11 bool
	status int
}

var goldenCases = []goldenCase{
	// Device service.
	{"GetSystemDateAndTime", `<tds:GetSystemDateAndTime/>`, "", false, 200},
	{"GetCapabilities", `<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>`, "", false, 200},
	{"GetCapabilities-Media", `<tds:GetCapabilities><tds:Category>Media</tds:Category></tds:GetCapabilities>`, "", false, 200},
	{"GetCapabilities-Events", `<tds:GetCapabilities><tds:Category>Events</tds:Category></tds:GetCapabilities>`, "", false, 200},
	{"GetCapabilities-PTZ", `<tds:GetCapabilities><tds:Category>PTZ</tds:Category></tds:GetCapabilities>`, "", false, 500},
	{"GetServices", `<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>`, "", false, 200},
	{"GetServices-IncludeCapability", `<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>`, "", false, 200},
	{"GetServiceCapabilities-Device", `<tds:GetServiceCapabilities/>`, "", false, 200},
	{"GetWsdlUrl", `<tds:GetWsdlUrl/>`, "", false, 200},
	{"GetHostname", `<tds:GetHostname/>`, "", false, 200},
	{"GetDeviceInformation", `<tds:GetDeviceInformation/>`, "viewer", false, 200},
	{"GetScopes", `<tds:GetScopes/>`, "viewer", false, 200},
	{"GetNetworkInterfaces", `<tds:GetNetworkInterfaces/>`, "viewer", false, 200},
	{"GetDNS", `<tds:GetDNS/>`, "viewer", false, 200},
	{"GetNetworkProtocols", `<tds:GetNetworkProtocols/>`, "viewer", false, 200},
	{"GetDiscoveryMode", `<tds:GetDiscoveryMode/>`, "viewer", false, 200},
	{"GetUsers", `<tds:GetUsers/>`, "admin", false, 200},
	{"SetHostname", `<tds:SetHostname><tds:Name>evil</tds:Name></tds:SetHostname>`, "admin", false, 500},
	{"SetNetworkInterfaces", `<tds:SetNetworkInterfaces><tds:InterfaceToken>eth0</tds:InterfaceToken><tds:NetworkInterface/></tds:SetNetworkInterfaces>`, "admin", false, 500},
	{"SystemReboot", `<tds:SystemReboot/>`, "admin", false, 500},
	// Media service.
	{"GetServiceCapabilities-Media", `<trt:GetServiceCapabilities/>`, "", false, 200},
	{"GetProfiles", `<trt:GetProfiles/>`, "viewer", false, 200},
	{"GetProfile", `<trt:GetProfile><trt:ProfileToken>profile_main</trt:ProfileToken></trt:GetProfile>`, "viewer", false, 200},
	{"GetProfile-NoProfile", `<trt:GetProfile><trt:ProfileToken>nope</trt:ProfileToken></trt:GetProfile>`, "viewer", false, 400},
	{"GetVideoSources", `<trt:GetVideoSources/>`, "viewer", false, 200},
	{"GetVideoSourceConfigurations", `<trt:GetVideoSourceConfigurations/>`, "viewer", false, 200},
	{"GetVideoSourceConfiguration", `<trt:GetVideoSourceConfiguration><trt:ConfigurationToken>video_source_config</trt:ConfigurationToken></trt:GetVideoSourceConfiguration>`, "viewer", false, 200},
	{"GetVideoEncoderConfigurations", `<trt:GetVideoEncoderConfigurations/>`, "viewer", false, 200},
	{"GetVideoEncoderConfiguration", `<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>video_encoder_main</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>`, "viewer", false, 200},
	{"GetVideoEncoderConfiguration-NoConfig", `<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>x</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>`, "viewer", false, 400},
	{"GetVideoEncoderConfigurationOptions", `<trt:GetVideoEncoderConfigurationOptions><trt:ProfileToken>profile_main</trt:ProfileToken></trt:GetVideoEncoderConfigurationOptions>`, "viewer", false, 200},
	{"GetStreamUri", `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>profile_main</trt:ProfileToken></trt:GetStreamUri>`, "viewer", false, 200},
	{"GetStreamUri-Multicast", `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Multicast</tt:Stream><tt:Transport><tt:Protocol>UDP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>profile_main</trt:ProfileToken></trt:GetStreamUri>`, "viewer", false, 400},
	{"SetSynchronizationPoint", `<trt:SetSynchronizationPoint><trt:ProfileToken>profile_main</trt:ProfileToken></trt:SetSynchronizationPoint>`, "viewer", false, 200},
	{"GetSnapshotUri", `<trt:GetSnapshotUri><trt:ProfileToken>profile_main</trt:ProfileToken></trt:GetSnapshotUri>`, "viewer", false, 500},
	// Refusals and envelope variants.
	{"NotAuthorized", `<tds:GetDeviceInformation/>`, "", false, 400},
	{"UnknownOperation", `<tds:GetSystemLog><tds:LogType>System</tds:LogType></tds:GetSystemLog>`, "admin", false, 500},
	{"GetUsers-Operator", `<tds:GetUsers/>`, "oper", false, 400},
	{"SOAP11-GetDeviceInformation", `<tds:GetDeviceInformation/>`, "viewer", true, 200},
	{"SOAP11-NotAuthorized", `<tds:GetDeviceInformation/>`, "", true, 400},
}

// goldenTable is a set of cases answered by servers configured by mod.
type goldenTable struct {
	mod   func(*Config)
	cases []goldenCase
}

// goldenTables: the default server, one with the optional services
// (Imaging, digital inputs) configured, and one with an Admin backend
// (admin_test.go).
var goldenTables = []goldenTable{{nil, goldenCases}, {withOptionalServices, optionalGoldenCases}, {withAdmin, adminGoldenCases}}

// forEachGolden calls f for every case of every table, with a sequence
// number unique across tables.
func forEachGolden(f func(seq int, c goldenCase, mod func(*Config))) {
	seq := 0
	for _, tb := range goldenTables {
		for _, c := range tb.cases {
			f(seq, c, tb.mod)
			seq++
		}
	}
}

// run answers c on a fresh server configured by mod and returns the
// recorded exchange.
func (c goldenCase) run(t testing.TB, seq int, mod func(*Config)) (status int, contentType string, body []byte) {
	s := newTestServer(t, mod)
	header := ""
	if c.user != "" {
		header = newToken(c.user, seq).header()
	}
	ct := `application/soap+xml; charset=utf-8`
	env := envelope12(header, c.body)
	if c.soap11 {
		ct, env = "text/xml; charset=utf-8", envelope11(header, c.body)
	}
	rec := post(s, ct, bytes.NewReader([]byte(env)), nil)
	return rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()
}

func TestGolden(t *testing.T) {
	forEachGolden(func(i int, c goldenCase, mod func(*Config)) {
		t.Run(c.name, func(t *testing.T) {
			status, ct, body := c.run(t, i, mod)
			if status != c.status {
				t.Errorf("status %d, want %d\n%s", status, c.status, body)
			}
			got := fmt.Appendf(nil, "HTTP %d\nContent-Type: %s\n\n%s", status, ct, body)
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./onvif -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("response differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	})
}

package onvif

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"camagent/internal/testtool"
)

const tr2NS = ` xmlns:tr2="` + nsTR2 + `"`

func TestMedia2(t *testing.T) {
	s := newSnapshotServer(t, fakeSnaps{})
	seq := 0
	for _, c := range []struct {
		name, body string
		status     int
		want       []string
		not        []string
	}{
		{"profiles all", `<tr2:GetProfiles` + tr2NS + `><tr2:Type>All</tr2:Type></tr2:GetProfiles>`, 200,
			[]string{`<tr2:Profiles token="profile_main" fixed="true">`, `<tt:SourceToken>video_source</tt:SourceToken>`, `<tt:Encoding>H264</tt:Encoding>`, `<tt:Width>1280</tt:Width>`}, nil},
		{"profiles bare", `<tr2:GetProfiles` + tr2NS + `/>`, 200, []string{`<tr2:Name>MainStream</tr2:Name>`}, []string{"Configurations"}},
		{"profiles encoder only", `<tr2:GetProfiles` + tr2NS + `><tr2:Type>VideoEncoder</tr2:Type></tr2:GetProfiles>`, 200, []string{"<tr2:VideoEncoder "}, []string{"<tr2:VideoSource "}},
		{"profiles unknown token", `<tr2:GetProfiles` + tr2NS + `><tr2:Token>x</tr2:Token></tr2:GetProfiles>`, 400, []string{"NoProfile"}, nil},
		{"stream uri", `<tr2:GetStreamUri` + tr2NS + `><tr2:Protocol>RtspUnicast</tr2:Protocol><tr2:ProfileToken>profile_main</tr2:ProfileToken></tr2:GetStreamUri>`, 200,
			[]string{`<tr2:Uri>rtsp://192.0.2.10:8554/stream</tr2:Uri>`}, nil},
		{"stream uri multicast", `<tr2:GetStreamUri` + tr2NS + `><tr2:Protocol>RtspMulticast</tr2:Protocol><tr2:ProfileToken>profile_main</tr2:ProfileToken></tr2:GetStreamUri>`, 400, nil, nil},
		{"encoder configs", `<tr2:GetVideoEncoderConfigurations` + tr2NS + `/>`, 200, []string{`<tr2:Configurations token="video_encoder_main"`, `GovLength="30"`}, nil},
		{"encoder config unknown", `<tr2:GetVideoEncoderConfigurations` + tr2NS + `><tr2:ConfigurationToken>x</tr2:ConfigurationToken></tr2:GetVideoEncoderConfigurations>`, 400, nil, nil},
		{"source configs", `<tr2:GetVideoSourceConfigurations` + tr2NS + `/>`, 200, []string{`<tt:Bounds x="0" y="0" width="1280" height="720"/>`}, nil},
		{"snapshot uri", `<tr2:GetSnapshotUri` + tr2NS + `><tr2:ProfileToken>profile_main</tr2:ProfileToken></tr2:GetSnapshotUri>`, 200, []string{`<tr2:Uri>http://192.0.2.10:8080/onvif/snapshot</tr2:Uri>`}, nil},
		{"sync point", `<tr2:SetSynchronizationPoint` + tr2NS + `><tr2:ProfileToken>profile_main</tr2:ProfileToken></tr2:SetSynchronizationPoint>`, 200, nil, nil},
	} {
		seq++
		w := soapAt(s, "/onvif/media2_service", "viewer", seq, c.body)
		body := w.Body.String()
		if w.Code != c.status {
			t.Errorf("%s: %d\n%s", c.name, w.Code, body)
			continue
		}
		for _, x := range c.want {
			if !strings.Contains(body, x) {
				t.Errorf("%s: missing %s\n%s", c.name, x, body)
			}
		}
		for _, x := range c.not {
			if strings.Contains(body, x) {
				t.Errorf("%s: unexpected %s", c.name, x)
			}
		}
	}
	if s.keys.n != 1 {
		t.Errorf("keyframes %d", s.keys.n)
	}
}

func TestMedia2ResponsesValidateAgainstXSD(t *testing.T) {
	testtool.Need(t, "xmllint")
	testtool.Need(t, "xsltproc")
	specs := specsDir(t)
	s := newSnapshotServer(t, fakeSnaps{})
	tmp := t.TempDir()
	var files []string
	seq := 0
	for name, body := range map[string]string{
		"tr2-GetServiceCapabilities":              `<tr2:GetServiceCapabilities` + tr2NS + `/>`,
		"tr2-GetProfiles":                         `<tr2:GetProfiles` + tr2NS + `><tr2:Type>All</tr2:Type></tr2:GetProfiles>`,
		"tr2-GetStreamUri":                        `<tr2:GetStreamUri` + tr2NS + `><tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>profile_main</tr2:ProfileToken></tr2:GetStreamUri>`,
		"tr2-GetVideoEncoderConfigurations":       `<tr2:GetVideoEncoderConfigurations` + tr2NS + `/>`,
		"tr2-GetVideoSourceConfigurations":        `<tr2:GetVideoSourceConfigurations` + tr2NS + `/>`,
		"tr2-GetSnapshotUri":                      `<tr2:GetSnapshotUri` + tr2NS + `><tr2:ProfileToken>profile_main</tr2:ProfileToken></tr2:GetSnapshotUri>`,
		"tr2-SetSynchronizationPoint":             `<tr2:SetSynchronizationPoint` + tr2NS + `><tr2:ProfileToken>profile_main</tr2:ProfileToken></tr2:SetSynchronizationPoint>`,
		"tr2-GetVideoEncoderConfigurationOptions": `<tr2:GetVideoEncoderConfigurationOptions` + tr2NS + `/>`,
		"GetServices-All":                         `<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>`,
	} {
		seq++
		w := soapAt(s, DevicePath, "viewer", seq, body)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
		p := filepath.Join(tmp, name+".xml")
		if err := os.WriteFile(p, w.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	cmd := exec.Command(filepath.Join(specs, "validate.sh"), append([]string{"-q"}, files...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("validate.sh: %v\n%s", err, out)
	}
}

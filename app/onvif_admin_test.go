package app

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"camagent/config"
)

const (
	tdsNS = ` xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"`
	tr2NS = ` xmlns:tr2="http://www.onvif.org/ver20/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"`
)

// ONVIF administration end to end: the name and location scopes are saved
// and answered at once; a new user and a new encoder setting are saved and
// applied by starting the pipeline again (Run returns ErrReload).
func TestONVIFAdminPersistsAndApplies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "camagent.yaml")
	cfg := loopbackConfig(t)
	cfg.Users = []config.User{{Name: "admin", Password: "admin-password-1", Role: "administrator"}}
	if err := config.Save(path, cfg); err != nil {
		t.Fatal(err)
	}
	a, done := runWithConfigPath(t, cfg, path)
	dev := fmt.Sprintf("http://%s/onvif/device_service", a.ONVIFAddr())
	sec := func() string { return wsSecurity("admin", "admin-password-1") }

	soapCall(t, dev, sec(), `<tds:SetScopes`+tdsNS+`><tds:Scopes>onvif://www.onvif.org/name/gate-3</tds:Scopes>`+
		`<tds:Scopes>onvif://www.onvif.org/location/city/lyon</tds:Scopes></tds:SetScopes>`)
	if got := soapCall(t, dev, sec(), `<tds:GetScopes`+tdsNS+`/>`); !strings.Contains(got, "onvif://www.onvif.org/name/gate-3") {
		t.Errorf("GetScopes after SetScopes:\n%s", got)
	}
	saved, err := config.Load(path)
	if err != nil || saved.Device.Name != "gate-3" || saved.ONVIF.Location != "city/lyon" {
		t.Fatalf("saved after SetScopes: %+v %+v, %v", saved.Device, saved.ONVIF.Location, err)
	}
	select {
	case err := <-done:
		t.Fatalf("SetScopes stopped the agent: %v", err)
	default:
	}

	soapCall(t, dev, sec(), `<tds:CreateUsers`+tdsNS+`><tds:User><tt:Username>nvr</tt:Username><tt:Password>nvr-password-1</tt:Password>`+
		`<tt:UserLevel>Operator</tt:UserLevel></tds:User></tds:CreateUsers>`)
	// The new account works on the next ONVIF request, before the reload.
	soapCall(t, dev, wsSecurity("nvr", "nvr-password-1"), `<tds:GetDeviceInformation`+tdsNS+`/>`)
	select {
	case err := <-done:
		if !errors.Is(err, ErrReload) {
			t.Fatalf("Run = %v, want ErrReload", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("CreateUsers did not make the agent reload")
	}
	saved, err = config.Load(path)
	if err != nil || len(saved.Users) != 2 || saved.Users[1].Name != "nvr" || saved.Users[1].Role != "operator" ||
		saved.Users[1].Password.Reveal() != "nvr-password-1" || saved.Device.Name != "gate-3" {
		t.Fatalf("saved after CreateUsers: %+v, %v", saved.Users, err)
	}

	// The reloaded agent (as cmd/camagent starts it): a new encoder setting.
	a2, done2 := runWithConfigPath(t, saved, path)
	soapCall(t, fmt.Sprintf("http://%s/onvif/media2_service", a2.ONVIFAddr()), wsSecurity("nvr", "nvr-password-1"),
		`<tr2:SetVideoEncoderConfiguration`+tr2NS+`><tr2:Configuration token="video_encoder_main" GovLength="15" Profile="Baseline">`+
			`<tt:Name>H264Main</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>`+
			`<tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height></tt:Resolution>`+
			`<tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>15</tt:FrameRateLimit><tt:BitrateLimit>800</tt:BitrateLimit></tt:RateControl><tt:Quality>5</tt:Quality>`+
			`</tr2:Configuration></tr2:SetVideoEncoderConfiguration>`)
	select {
	case err := <-done2:
		if !errors.Is(err, ErrReload) {
			t.Fatalf("Run = %v, want ErrReload", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SetVideoEncoderConfiguration did not make the agent reload")
	}
	saved, err = config.Load(path)
	tp := saved.Source.TestPattern
	if err != nil || tp.Width != 640 || tp.Height != 360 || tp.FPS != 15 || saved.Encoder.BitrateKbps != 800 || saved.Encoder.GOP != 15 {
		t.Fatalf("saved after SetVideoEncoderConfiguration: %+v %+v, %v", tp, saved.Encoder, err)
	}
}

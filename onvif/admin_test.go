package onvif

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"camagent/auth"
)

// fakeAdmin records every call; err, when set, fails them all.
type fakeAdmin struct {
	mu       sync.Mutex
	calls    []string
	users    []auth.Account
	name     string
	location string
	disc     bool
	video    Video
	time     time.Time
	hard     bool
	err      error
}

func (f *fakeAdmin) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.err
}

func (f *fakeAdmin) SetUsers(a []auth.Account) error {
	f.users = a
	return f.record("SetUsers")
}

func (f *fakeAdmin) SetScopes(name, location string) error {
	f.name, f.location = name, location
	return f.record("SetScopes")
}

func (f *fakeAdmin) SetDiscoverable(on bool) error { f.disc = on; return f.record("SetDiscoverable") }
func (f *fakeAdmin) SetVideoEncoder(v Video) error { f.video = v; return f.record("SetVideoEncoder") }
func (f *fakeAdmin) SetSystemTime(t time.Time) error {
	f.time = t
	return f.record("SetSystemTime")
}
func (f *fakeAdmin) Reboot() error                  { return f.record("Reboot") }
func (f *fakeAdmin) FactoryDefault(hard bool) error { f.hard = hard; return f.record("FactoryDefault") }

func (f *fakeAdmin) callList() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, ",")
}

var testVideoOptions = VideoOptions{
	Resolutions: []Size{{640, 360}, {1280, 720}, {1920, 1080}},
	FPSMin:      1, FPSMax: 30, BitrateMinKbps: 256, BitrateMaxKbps: 8000, GOPMin: 1, GOPMax: 120,
}

// withAdmin configures a fresh fake Admin, the video options and a location.
func withAdmin(c *Config) {
	c.Admin = &fakeAdmin{}
	c.VideoOptions = testVideoOptions
	c.Device.Location = "country/fr/city/paris"
}

func newAdminServer(t *testing.T) (*testServer, *fakeAdmin) {
	t.Helper()
	s := newTestServer(t, withAdmin)
	return s, s.cfg.Admin.(*fakeAdmin)
}

func userXML(name, password, level string) string {
	pw := ""
	if password != "-" {
		pw = `<tt:Password>` + password + `</tt:Password>`
	}
	return `<tds:User><tt:Username>` + name + `</tt:Username>` + pw + `<tt:UserLevel>` + level + `</tt:UserLevel></tds:User>`
}

func dateTimeReq(typ, tz string, y, mo, d, h, mi, sec int) string {
	return `<tds:SetSystemDateAndTime><tds:DateTimeType>` + typ + `</tds:DateTimeType><tds:DaylightSavings>false</tds:DaylightSavings>` +
		`<tds:TimeZone><tt:TZ>` + tz + `</tt:TZ></tds:TimeZone><tds:UTCDateTime><tt:Time><tt:Hour>` + fmt.Sprint(h) + `</tt:Hour><tt:Minute>` +
		fmt.Sprint(mi) + `</tt:Minute><tt:Second>` + fmt.Sprint(sec) + `</tt:Second></tt:Time><tt:Date><tt:Year>` + fmt.Sprint(y) +
		`</tt:Year><tt:Month>` + fmt.Sprint(mo) + `</tt:Month><tt:Day>` + fmt.Sprint(d) + `</tt:Day></tt:Date></tds:UTCDateTime></tds:SetSystemDateAndTime>`
}

// encoderReq is a Media1 SetVideoEncoderConfiguration as ODM sends it.
func encoderReq(token string, w, h, fps, kbps, gov int, enc string) string {
	return `<trt:SetVideoEncoderConfiguration><trt:Configuration token="` + token + `"><tt:Name>H264Main</tt:Name><tt:UseCount>1</tt:UseCount>` +
		`<tt:Encoding>` + enc + `</tt:Encoding><tt:Resolution><tt:Width>` + fmt.Sprint(w) + `</tt:Width><tt:Height>` + fmt.Sprint(h) + `</tt:Height></tt:Resolution>` +
		`<tt:Quality>4</tt:Quality><tt:RateControl><tt:FrameRateLimit>` + fmt.Sprint(fps) + `</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
		`<tt:BitrateLimit>` + fmt.Sprint(kbps) + `</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>` + fmt.Sprint(gov) + `</tt:GovLength>` +
		`<tt:H264Profile>Main</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>` +
		`<tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration>` +
		`<trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>`
}

func encoder2Req(w, h int, fps string, kbps, gov int) string {
	return `<tr2:SetVideoEncoderConfiguration` + tr2NS + `><tr2:Configuration token="video_encoder_main" GovLength="` + fmt.Sprint(gov) + `" Profile="Main">` +
		`<tt:Name>H264Main</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>` + fmt.Sprint(w) +
		`</tt:Width><tt:Height>` + fmt.Sprint(h) + `</tt:Height></tt:Resolution><tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>` + fps +
		`</tt:FrameRateLimit><tt:BitrateLimit>` + fmt.Sprint(kbps) + `</tt:BitrateLimit></tt:RateControl><tt:Quality>5</tt:Quality></tr2:Configuration></tr2:SetVideoEncoderConfiguration>`
}

func manyUsers(n int) string {
	var b strings.Builder
	b.WriteString(`<tds:CreateUsers>`)
	for i := range n {
		b.WriteString(userXML(fmt.Sprintf("u%02d", i), "long-enough-pw", "User"))
	}
	b.WriteString(`</tds:CreateUsers>`)
	return b.String()
}

// adminGoldenCases run on servers configured by withAdmin.
var adminGoldenCases = []goldenCase{
	{"Admin-GetServiceCapabilities", `<tds:GetServiceCapabilities/>`, "", false, 200},
	{"Admin-GetScopes", `<tds:GetScopes/>`, "viewer", false, 200},
	{"Admin-SetScopes", `<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/name/Gate%204</tds:Scopes><tds:Scopes>onvif://www.onvif.org/location/city/lyon</tds:Scopes></tds:SetScopes>`, "admin", false, 200},
	{"Admin-SetScopes-Fixed", `<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/hardware/other</tds:Scopes></tds:SetScopes>`, "admin", false, 400},
	{"Admin-SetScopes-TooMany", `<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/name/a</tds:Scopes><tds:Scopes>urn:example:custom</tds:Scopes></tds:SetScopes>`, "admin", false, 500},
	{"Admin-SetScopes-NoName", `<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/location/x</tds:Scopes></tds:SetScopes>`, "admin", false, 400},
	{"Admin-SetScopes-Operator", `<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/name/a</tds:Scopes></tds:SetScopes>`, "oper", false, 400},
	{"Admin-AddScopes", `<tds:AddScopes><tds:ScopeItem>onvif://www.onvif.org/location/country/fr/city/paris</tds:ScopeItem></tds:AddScopes>`, "admin", false, 200},
	{"Admin-AddScopes-TooMany", `<tds:AddScopes><tds:ScopeItem>onvif://www.onvif.org/location/elsewhere</tds:ScopeItem></tds:AddScopes>`, "admin", false, 500},
	{"Admin-RemoveScopes", `<tds:RemoveScopes><tds:ScopeItem>onvif://www.onvif.org/location/country/fr/city/paris</tds:ScopeItem></tds:RemoveScopes>`, "admin", false, 200},
	{"Admin-RemoveScopes-Fixed", `<tds:RemoveScopes><tds:ScopeItem>onvif://www.onvif.org/Profile/Streaming</tds:ScopeItem></tds:RemoveScopes>`, "admin", false, 400},
	{"Admin-RemoveScopes-NoScope", `<tds:RemoveScopes><tds:ScopeItem>onvif://www.onvif.org/location/nowhere</tds:ScopeItem></tds:RemoveScopes>`, "admin", false, 400},
	{"Admin-SetDiscoveryMode", `<tds:SetDiscoveryMode><tds:DiscoveryMode>NonDiscoverable</tds:DiscoveryMode></tds:SetDiscoveryMode>`, "admin", false, 200},
	{"Admin-CreateUsers", `<tds:CreateUsers>` + userXML("guest", "guest-password", "User") + `</tds:CreateUsers>`, "admin", false, 200},
	{"Admin-CreateUsers-Clash", `<tds:CreateUsers>` + userXML("guest", "guest-password", "User") + userXML("oper", "oper-password", "Operator") + `</tds:CreateUsers>`, "admin", false, 400},
	{"Admin-CreateUsers-Anonymous", `<tds:CreateUsers>` + userXML("anon", "anon-password", "Anonymous") + `</tds:CreateUsers>`, "admin", false, 400},
	{"Admin-CreateUsers-Extended", `<tds:CreateUsers>` + userXML("ext", "ext-password", "Extended") + `</tds:CreateUsers>`, "admin", false, 400},
	{"Admin-CreateUsers-WeakPassword", `<tds:CreateUsers>` + userXML("guest", "short", "User") + `</tds:CreateUsers>`, "admin", false, 400},
	{"Admin-CreateUsers-PasswordTooLong", `<tds:CreateUsers>` + userXML("guest", strings.Repeat("p", 129), "User") + `</tds:CreateUsers>`, "admin", false, 400},
	{"Admin-CreateUsers-UsernameTooLong", `<tds:CreateUsers>` + userXML(strings.Repeat("u", 33), "guest-password", "User") + `</tds:CreateUsers>`, "admin", false, 400},
	{"Admin-CreateUsers-UsernameTooShort", `<tds:CreateUsers>` + userXML("", "guest-password", "User") + `</tds:CreateUsers>`, "admin", false, 400},
	{"Admin-CreateUsers-TooManyUsers", manyUsers(30), "admin", false, 500},
	{"Admin-DeleteUsers", `<tds:DeleteUsers><tds:Username>viewer</tds:Username></tds:DeleteUsers>`, "admin", false, 200},
	{"Admin-DeleteUsers-Missing", `<tds:DeleteUsers><tds:Username>viewer</tds:Username><tds:Username>nobody</tds:Username></tds:DeleteUsers>`, "admin", false, 400},
	{"Admin-DeleteUsers-Self", `<tds:DeleteUsers><tds:Username>admin</tds:Username></tds:DeleteUsers>`, "admin", false, 400},
	{"Admin-SetUser", `<tds:SetUser>` + userXML("viewer", "new-viewer-secret", "Operator") + `</tds:SetUser>`, "admin", false, 200},
	{"Admin-SetUser-Missing", `<tds:SetUser>` + userXML("nobody", "new-viewer-secret", "User") + `</tds:SetUser>`, "admin", false, 400},
	{"Admin-SetUser-NoPassword", `<tds:SetUser>` + userXML("viewer", "-", "User") + `</tds:SetUser>`, "admin", false, 400},
	{"Admin-SetUser-LastAdministrator", `<tds:SetUser>` + userXML("admin", "admin-secret-1", "Operator") + `</tds:SetUser>`, "admin", false, 400},
	{"Admin-SetUser-User", `<tds:SetUser>` + userXML("viewer", "new-viewer-secret", "Administrator") + `</tds:SetUser>`, "viewer", false, 400},
	{"Admin-SetSystemDateAndTime", dateTimeReq("Manual", "UTC0", 2026, 11, 27, 10, 30, 0), "admin", false, 200},
	{"Admin-SetSystemDateAndTime-NTP", dateTimeReq("NTP", "UTC0", 2026, 11, 27, 10, 30, 0), "admin", false, 400},
	{"Admin-SetSystemDateAndTime-TimeZone", dateTimeReq("Manual", "CET-1CEST,M3.5.0,M10.5.0/3", 2026, 11, 27, 10, 30, 0), "admin", false, 400},
	{"Admin-SetSystemDateAndTime-DateTime", dateTimeReq("Manual", "UTC0", 2026, 2, 30, 10, 30, 0), "admin", false, 400},
	{"Admin-SystemReboot", `<tds:SystemReboot/>`, "admin", false, 200},
	{"Admin-SystemReboot-Operator", `<tds:SystemReboot/>`, "oper", false, 400},
	{"Admin-SetSystemFactoryDefault", `<tds:SetSystemFactoryDefault><tds:FactoryDefault>Soft</tds:FactoryDefault></tds:SetSystemFactoryDefault>`, "admin", false, 200},
	{"Admin-SetHostname", `<tds:SetHostname><tds:Name>evil</tds:Name></tds:SetHostname>`, "admin", false, 500},
	{"Admin-GetVideoEncoderConfigurationOptions", `<trt:GetVideoEncoderConfigurationOptions><trt:ConfigurationToken>video_encoder_main</trt:ConfigurationToken></trt:GetVideoEncoderConfigurationOptions>`, "viewer", false, 200},
	{"Admin-SetVideoEncoderConfiguration", encoderReq("video_encoder_main", 1920, 1080, 25, 4000, 50, "H264"), "oper", false, 200},
	{"Admin-SetVideoEncoderConfiguration-Resolution", encoderReq("video_encoder_main", 1000, 1000, 25, 4000, 50, "H264"), "oper", false, 400},
	{"Admin-SetVideoEncoderConfiguration-Encoding", encoderReq("video_encoder_main", 1920, 1080, 25, 4000, 50, "JPEG"), "oper", false, 400},
	{"Admin-SetVideoEncoderConfiguration-NoConfig", encoderReq("other", 1920, 1080, 25, 4000, 50, "H264"), "oper", false, 400},
	{"Admin-SetVideoEncoderConfiguration-User", encoderReq("video_encoder_main", 1920, 1080, 25, 4000, 50, "H264"), "viewer", false, 400},
	{"Admin-tr2-GetVideoEncoderConfigurationOptions", `<tr2:GetVideoEncoderConfigurationOptions` + tr2NS + `/>`, "viewer", false, 200},
	{"Admin-tr2-SetVideoEncoderConfiguration", encoder2Req(640, 360, "15.0", 512, 30), "oper", false, 200},
	{"Admin-tr2-SetVideoEncoderConfiguration-FrameRate", encoder2Req(640, 360, "29.97", 512, 30), "oper", false, 400},
}

// TestAdminGoldenCalls checks what each golden request asked of the Admin:
// successes call it with the right values, refusals call nothing.
func TestAdminGoldenCalls(t *testing.T) {
	want := map[string]string{
		"Admin-SetScopes": "SetScopes", "Admin-AddScopes": "", "Admin-RemoveScopes": "SetScopes",
		"Admin-SetDiscoveryMode": "SetDiscoverable", "Admin-CreateUsers": "SetUsers", "Admin-DeleteUsers": "SetUsers",
		"Admin-SetUser": "SetUsers", "Admin-SetSystemDateAndTime": "SetSystemTime", "Admin-SystemReboot": "Reboot",
		"Admin-SetSystemFactoryDefault": "FactoryDefault", "Admin-SetVideoEncoderConfiguration": "SetVideoEncoder",
		"Admin-tr2-SetVideoEncoderConfiguration": "SetVideoEncoder",
	}
	for i, c := range adminGoldenCases {
		var fa *fakeAdmin
		c.run(t, 5000+i, func(cfg *Config) { withAdmin(cfg); fa = cfg.Admin.(*fakeAdmin) })
		if got := fa.callList(); got != want[c.name] {
			t.Errorf("%s: admin calls %q, want %q", c.name, got, want[c.name])
		}
		switch c.name {
		case "Admin-SetScopes":
			if fa.name != "Gate 4" || fa.location != "city/lyon" {
				t.Errorf("SetScopes(%q, %q)", fa.name, fa.location)
			}
		case "Admin-RemoveScopes":
			if fa.name != "Gate 3 north" || fa.location != "" {
				t.Errorf("RemoveScopes: SetScopes(%q, %q)", fa.name, fa.location)
			}
		case "Admin-SetDiscoveryMode":
			if fa.disc {
				t.Error("SetDiscoverable(true)")
			}
		case "Admin-SetSystemDateAndTime":
			if !fa.time.Equal(time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)) {
				t.Errorf("SetSystemTime(%v)", fa.time)
			}
		case "Admin-SetSystemFactoryDefault":
			if fa.hard {
				t.Error("FactoryDefault(hard) for Soft")
			}
		case "Admin-SetVideoEncoderConfiguration":
			if w := (Video{Width: 1920, Height: 1080, FPS: 25, BitrateKbps: 4000, GOP: 50, Profile: "Main"}); fa.video != w {
				t.Errorf("SetVideoEncoder(%+v)", fa.video)
			}
		case "Admin-tr2-SetVideoEncoderConfiguration":
			if w := (Video{Width: 640, Height: 360, FPS: 15, BitrateKbps: 512, GOP: 30, Profile: "Main"}); fa.video != w {
				t.Errorf("SetVideoEncoder(%+v)", fa.video)
			}
		}
	}
}

// squeeze drops the indentation between elements.
func squeeze(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(strings.TrimSpace(l))
	}
	return b.String()
}

// adminDo posts body as user with a fresh nonce.
func adminDo(s *testServer, seq *int, user, body string) (int, string) {
	*seq++
	w := soapAt(s, DevicePath, user, *seq, body)
	return w.Code, w.Body.String()
}

func TestAdminUsersTakeEffect(t *testing.T) {
	s, fa := newAdminServer(t)
	seq := 0
	if code, body := adminDo(s, &seq, "admin", `<tds:CreateUsers>`+userXML("guest", "guest-password", "Operator")+`</tds:CreateUsers>`); code != 200 {
		t.Fatalf("CreateUsers: %d\n%s", code, body)
	}
	if len(fa.users) != 4 || fa.users[3] != (auth.Account{Name: "guest", Password: "guest-password", Role: auth.RoleOperator}) {
		t.Fatalf("SetUsers(%#v)", fa.users)
	}
	// The new account works for the next request.
	guest := token{user: "guest", password: "guest-password", nonce: []byte("nonce-guest-1"), created: t0.Format(time.RFC3339)}
	if w := postSOAP(s, envelope12(guest.header(), `<tds:GetDeviceInformation/>`)); w.Code != 200 {
		t.Fatalf("new user refused: %d\n%s", w.Code, w.Body)
	}
	if _, body := adminDo(s, &seq, "admin", `<tds:GetUsers/>`); !strings.Contains(squeeze(body), "<tt:Username>guest</tt:Username><tt:UserLevel>Operator</tt:UserLevel>") {
		t.Errorf("GetUsers lacks guest:\n%s", body)
	}
	// A changed password: the old one is refused, the new one accepted.
	if code, body := adminDo(s, &seq, "admin", `<tds:SetUser>`+userXML("viewer", "viewer-new-secret", "User")+`</tds:SetUser>`); code != 200 {
		t.Fatalf("SetUser: %d\n%s", code, body)
	}
	if code, _ := adminDo(s, &seq, "viewer", `<tds:GetDeviceInformation/>`); code != 400 {
		t.Errorf("old viewer password still accepted: %d", code)
	}
	nv := token{user: "viewer", password: "viewer-new-secret", nonce: []byte("nonce-viewer-new"), created: t0.Format(time.RFC3339)}
	if w := postSOAP(s, envelope12(nv.header(), `<tds:GetDeviceInformation/>`)); w.Code != 200 {
		t.Fatalf("new viewer password refused: %d", w.Code)
	}
	// Deleted: refused.
	if code, body := adminDo(s, &seq, "admin", `<tds:DeleteUsers><tds:Username>guest</tds:Username></tds:DeleteUsers>`); code != 200 {
		t.Fatalf("DeleteUsers: %d\n%s", code, body)
	}
	guest.nonce = []byte("nonce-guest-2")
	if w := postSOAP(s, envelope12(guest.header(), `<tds:GetDeviceInformation/>`)); w.Code != 400 {
		t.Fatalf("deleted user accepted: %d", w.Code)
	}
	if got := fa.callList(); got != "SetUsers,SetUsers,SetUsers" {
		t.Errorf("calls %s", got)
	}
}

func TestAdminUserRefusals(t *testing.T) {
	s, fa := newAdminServer(t)
	seq := 0
	for _, c := range []struct {
		body, sub string
		status    int
	}{
		// All or none: the good first entry is not created either.
		{`<tds:CreateUsers>` + userXML("good", "good-password", "User") + userXML("bad:name", "bad-password", "User") + `</tds:CreateUsers>`, "InvalidArgVal", 400},
		{`<tds:CreateUsers>` + userXML("dup", "dup-password", "User") + userXML("dup", "dup-password", "User") + `</tds:CreateUsers>`, "UsernameClash", 400},
		{`<tds:CreateUsers/>`, "InvalidArgs", 400},
		{`<tds:DeleteUsers><tds:Username>viewer</tds:Username><tds:Username>viewer</tds:Username></tds:DeleteUsers>`, "InvalidArgVal", 400},
		{`<tds:SetUser>` + userXML("viewer", "ok-password", "User") + userXML("viewer", "ok-password", "User") + `</tds:SetUser>`, "InvalidArgVal", 400},
		{`<tds:SetUser>` + userXML("viewer", strings.Repeat("x", 129), "User") + `</tds:SetUser>`, "PasswordTooLong", 400},
		{`<tds:SetUser>` + userXML("viewer", "ok-password", "Anonymous") + `</tds:SetUser>`, "AnonymousNotAllowed", 400},
	} {
		code, body := adminDo(s, &seq, "admin", c.body)
		if code != c.status || !strings.Contains(body, "<env:Value>ter:"+c.sub+"</env:Value>") {
			t.Errorf("%s: %d\n%s", c.body, code, body)
		}
	}
	// Deleting the last administrator (not oneself): another admin asks.
	s2, fa2 := newAdminServer(t)
	if code, body := adminDo(s2, &seq, "admin", `<tds:CreateUsers>`+userXML("root2", "root2-password", "Administrator")+`</tds:CreateUsers>`); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	root2 := token{user: "root2", password: "root2-password", nonce: []byte("nonce-root2"), created: t0.Format(time.RFC3339)}
	if w := postSOAP(s2, envelope12(root2.header(), `<tds:SetUser>`+userXML("root2", "root2-password", "User")+`</tds:SetUser>`)); w.Code != 200 {
		t.Fatalf("demote self with another admin left: %d\n%s", w.Code, w.Body)
	}
	if code, body := adminDo(s2, &seq, "admin", `<tds:DeleteUsers><tds:Username>oper</tds:Username><tds:Username>admin</tds:Username></tds:DeleteUsers>`); code != 400 || !strings.Contains(body, "ter:FixedUser") {
		t.Errorf("delete self: %d\n%s", code, body)
	}
	if got := fa.callList(); got != "" {
		t.Errorf("refusals called the admin: %s", got)
	}
	if got := fa2.callList(); got != "SetUsers,SetUsers" {
		t.Errorf("calls %s", got)
	}
}

func TestAdminFailureChangesNothing(t *testing.T) {
	s, fa := newAdminServer(t)
	fa.err = errors.New("disk full")
	seq := 0
	for _, body := range []string{
		`<tds:CreateUsers>` + userXML("guest", "guest-password", "User") + `</tds:CreateUsers>`,
		`<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/name/x</tds:Scopes></tds:SetScopes>`,
		`<tds:SetDiscoveryMode><tds:DiscoveryMode>NonDiscoverable</tds:DiscoveryMode></tds:SetDiscoveryMode>`,
		encoderReq("video_encoder_main", 1920, 1080, 25, 4000, 50, "H264"),
		dateTimeReq("Manual", "", 2026, 1, 1, 0, 0, 0),
		`<tds:SetSystemFactoryDefault><tds:FactoryDefault>Hard</tds:FactoryDefault></tds:SetSystemFactoryDefault>`,
	} {
		code, resp := adminDo(s, &seq, "admin", body)
		if code != 500 || !strings.Contains(resp, "<env:Value>ter:Action</env:Value>") || strings.Contains(resp, "disk full") {
			t.Errorf("%.40s: %d\n%s", body, code, resp)
		}
	}
	if s.users.Load().accounts()[0].Name != "admin" || len(s.users.Load().accounts()) != 3 {
		t.Error("users changed")
	}
	if d := s.device(); d.Name != "Gate 3 north" || s.discoverable() != s.cfg.Discoverable {
		t.Errorf("state changed: %+v", d)
	}
	if v := s.video(); v.Width != 1280 {
		t.Errorf("video changed: %+v", v)
	}
}

func TestAdminStateAnswered(t *testing.T) {
	s, _ := newAdminServer(t)
	seq := 0
	must := func(body string) {
		t.Helper()
		if code, resp := adminDo(s, &seq, "admin", body); code != 200 {
			t.Fatalf("%d\n%s", code, resp)
		}
	}
	_, body := adminDo(s, &seq, "", `<tds:GetSystemDateAndTime/>`)
	if !strings.Contains(body, "<tt:DateTimeType>NTP</tt:DateTimeType>") {
		t.Errorf("GetSystemDateAndTime before a manual set:\n%s", body)
	}
	must(dateTimeReq("Manual", "UTC0", 2026, 11, 27, 10, 30, 0))
	if _, body = adminDo(s, &seq, "", `<tds:GetSystemDateAndTime/>`); !strings.Contains(body, "<tt:DateTimeType>Manual</tt:DateTimeType>") {
		t.Errorf("GetSystemDateAndTime after a manual set:\n%s", body)
	}
	must(`<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/name/Gate%204</tds:Scopes></tds:SetScopes>`)
	_, body = adminDo(s, &seq, "viewer", `<tds:GetScopes/>`)
	if !strings.Contains(body, "name/Gate%204</tt:ScopeItem>") || strings.Contains(body, "location/") {
		t.Errorf("GetScopes after SetScopes:\n%s", body)
	}
	if d := s.DeviceInfo(); d.Name != "Gate 4" || d.Location != "" {
		t.Errorf("DeviceInfo %+v", d)
	}
	must(`<tds:AddScopes><tds:ScopeItem>onvif://www.onvif.org/location/city/lyon</tds:ScopeItem></tds:AddScopes>`)
	if _, body := adminDo(s, &seq, "viewer", `<tds:GetScopes/>`); !strings.Contains(squeeze(body), "<tt:ScopeDef>Configurable</tt:ScopeDef><tt:ScopeItem>onvif://www.onvif.org/location/city/lyon</tt:ScopeItem>") {
		t.Errorf("GetScopes after AddScopes:\n%s", body)
	}
	must(`<tds:SetDiscoveryMode><tds:DiscoveryMode>Discoverable</tds:DiscoveryMode></tds:SetDiscoveryMode>`)
	if _, body := adminDo(s, &seq, "viewer", `<tds:GetDiscoveryMode/>`); !strings.Contains(body, ">Discoverable<") {
		t.Errorf("GetDiscoveryMode:\n%s", body)
	}
	// Bitrate out of range is adapted, not refused (Media spec).
	if code, resp := adminDo(s, &seq, "oper", encoderReq("video_encoder_main", 640, 360, 10, 99999, 20, "H264")); code != 200 {
		t.Fatalf("%d\n%s", code, resp)
	}
	for _, c := range []struct{ body, want string }{
		{`<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>video_encoder_main</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>`, "<tt:Width>640</tt:Width>"},
		{`<trt:GetProfiles/>`, "<tt:BitrateLimit>8000</tt:BitrateLimit>"},
		{`<trt:GetVideoSources/>`, "<tt:Framerate>10</tt:Framerate>"},
		{`<tr2:GetVideoEncoderConfigurations` + tr2NS + `/>`, `GovLength="20"`},
	} {
		if _, body := adminDo(s, &seq, "viewer", c.body); !strings.Contains(body, c.want) {
			t.Errorf("%s: missing %s\n%s", c.body, c.want, body)
		}
	}
}

// TestAdminRebootAfterResponse: Reboot runs once the answer is written.
func TestAdminRebootAfterResponse(t *testing.T) {
	s, fa := newAdminServer(t)
	seq := 0
	code, body := adminDo(s, &seq, "admin", `<tds:SystemReboot/>`)
	if code != 200 || !strings.Contains(body, "<tds:Message>Rebooting in 5 seconds</tds:Message>") || fa.callList() != "Reboot" {
		t.Fatalf("%d %s\n%s", code, fa.callList(), body)
	}
	// A failing reboot is logged; the answer was already sent.
	fa.err = errors.New("no permission")
	if code, _ := adminDo(s, &seq, "admin", `<tds:SystemReboot/>`); code != 200 {
		t.Errorf("status %d", code)
	}
}

// TestNoAdminNotSupported: without an Admin every Set answers
// ActionNotSupported, as before.
func TestNoAdminNotSupported(t *testing.T) {
	s := newTestServer(t, nil)
	seq := 0
	for _, c := range adminGoldenCases {
		if !strings.Contains(c.body, ":Set") && !strings.Contains(c.body, ":Create") && !strings.Contains(c.body, ":Delete") &&
			!strings.Contains(c.body, ":Add") && !strings.Contains(c.body, ":Remove") && !strings.Contains(c.body, ":SystemReboot") {
			continue
		}
		code, body := adminDo(s, &seq, "admin", c.body)
		if code != 500 || !strings.Contains(body, "ter:ActionNotSupported") {
			t.Errorf("%s: %d\n%s", c.name, code, body)
		}
	}
}

func TestAdminPasswordsNotLogged(t *testing.T) {
	var buf bytes.Buffer
	fa := &fakeAdmin{err: errors.New("backend refused")}
	s := newTestServer(t, func(c *Config) {
		withAdmin(c)
		c.Admin = fa
		c.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	seq := 0
	var out strings.Builder
	for _, body := range []string{
		`<tds:CreateUsers>` + userXML("guest", "secret-guest-pw", "User") + `</tds:CreateUsers>`,
		`<tds:CreateUsers>` + userXML("guest", "secret-guest-pw", "Anonymous") + `</tds:CreateUsers>`,
		`<tds:SetUser>` + userXML("viewer", "secret-viewer-pw", "User") + `</tds:SetUser>`,
		`<tds:SetUser>` + userXML("nobody", "secret-nobody-pw", "User") + `</tds:SetUser>`,
	} {
		_, resp := adminDo(s, &seq, "admin", body)
		out.WriteString(resp)
	}
	fa.err = nil
	_, resp := adminDo(s, &seq, "admin", `<tds:CreateUsers>`+userXML("guest", "secret-guest-pw", "User")+`</tds:CreateUsers>`)
	out.WriteString(resp)
	all := buf.String() + out.String() + fmt.Sprintf("%v %+v", s.users.Load(), s.cfg)
	if strings.Contains(all, "secret-") {
		t.Errorf("a password leaked:\n%s", all)
	}
	if !strings.Contains(buf.String(), "users changed") {
		t.Errorf("change not logged:\n%s", buf.String())
	}
}

func TestVideoOptionsEffective(t *testing.T) {
	v := Video{Width: 800, Height: 600, FPS: 50, BitrateKbps: 100, GOP: 60}
	o := testVideoOptions.effective(v)
	if len(o.Resolutions) != 4 || o.Resolutions[3] != (Size{800, 600}) || len(testVideoOptions.Resolutions) != 3 {
		t.Errorf("resolutions %v", o.Resolutions)
	}
	if o.FPSMin != 1 || o.FPSMax != 50 || o.BitrateMinKbps != 100 || o.BitrateMaxKbps != 8000 || o.GOPMin != 1 || o.GOPMax != 120 {
		t.Errorf("ranges %+v", o)
	}
	if o := (VideoOptions{}).effective(v); o.FPSMin != 50 || o.FPSMax != 50 || len(o.Resolutions) != 1 {
		t.Errorf("empty options %+v", o)
	}
}

func TestVideoOptionsCheck(t *testing.T) {
	for _, o := range []VideoOptions{{FPSMin: 10}, {FPSMin: 30, FPSMax: 10}, {Resolutions: []Size{{0, 720}}}, {GOPMin: -1, GOPMax: 5}, {FPSMin: 1, FPSMax: 241}} {
		if _, err := New(Config{Listen: ":0", RTSPPort: 554, RTSPPath: "/s", VideoOptions: o}); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// TestDiscoverySetScopes: Probes match the new name and location, the
// MetadataVersion is bumped, and a Hello is queued for Run.
func TestDiscoverySetScopes(t *testing.T) {
	d, _ := newTestDiscovery(t)
	probe := func(scopes string) (string, bool) {
		reply, _, ok := d.handle([]byte(probeEnv("", probeBody("", `<Scopes>`+scopes+`</Scopes>`))), lanSource, 2)
		return string(reply), ok
	}
	if _, ok := probe("onvif://www.onvif.org/name/Gate%203"); !ok {
		t.Fatal("old name does not match")
	}
	d.SetScopes("Gate 4", "")
	if _, ok := probe("onvif://www.onvif.org/name/Gate%203"); ok {
		t.Error("old name still matches")
	}
	if _, ok := probe("onvif://www.onvif.org/location/city/hall"); ok {
		t.Error("cleared location still matches")
	}
	reply, ok := probe("onvif://www.onvif.org/name/Gate%204")
	if !ok || !strings.Contains(reply, "<d:MetadataVersion>2</d:MetadataVersion>") {
		t.Errorf("new name: ok=%v\n%s", ok, reply)
	}
	select {
	case <-d.changed:
	default:
		t.Error("no Hello queued")
	}
	d.SetScopes("Gate 4", "") // unchanged: no new version, no Hello
	select {
	case <-d.changed:
		t.Error("Hello queued for no change")
	default:
	}
}

// stubDigest accepts "Digest <name>" for the accounts it knows.
type stubDigest struct{ known map[string]auth.Account }

func (d stubDigest) Verify(_, _, h string, _ netip.Addr) (auth.Account, error) {
	if a, ok := d.known[strings.TrimPrefix(h, "Digest ")]; ok {
		return a, nil
	}
	return auth.Account{}, auth.ErrDenied
}
func (stubDigest) Challenge(netip.Addr, bool) []string { return []string{`Digest realm="x"`} }

func TestSetHTTPDigest(t *testing.T) {
	old := stubDigest{map[string]auth.Account{"admin": {Name: "admin", Role: auth.RoleAdministrator}}}
	s := newTestServer(t, func(c *Config) { withAdmin(c); c.Digest = old })
	get := func(user string) int {
		return post(s, "application/soap+xml", strings.NewReader(envelope12("", `<tds:GetDeviceInformation/>`)), func(r *http.Request) {
			r.Header.Set("Authorization", "Digest "+user)
		}).Code
	}
	if get("guest") != 401 || get("admin") != 200 {
		t.Fatal("stub digest")
	}
	s.SetHTTPDigest(nil) // ignored
	s.SetHTTPDigest(stubDigest{map[string]auth.Account{"guest": {Name: "guest", Role: auth.RoleUser}}})
	if get("guest") != 200 || get("admin") != 401 {
		t.Error("new verifier not used")
	}
	plain := newTestServer(t, nil)
	plain.SetHTTPDigest(old) // built without Digest: stays without
	if plain.digest() != nil {
		t.Error("digest switched on")
	}
}

// TestAdminConcurrent: Set and Get operations race each other (run with
// -race); every request is answered and the final state is one of the sets.
func TestAdminConcurrent(t *testing.T) {
	s, _ := newAdminServer(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			fps := 10 + i
			bodies := []struct{ user, body string }{
				{"oper", encoderReq("video_encoder_main", 1280, 720, fps, 3000, 30, "H264")},
				{"viewer", `<trt:GetProfiles/>`},
				{"admin", `<tds:CreateUsers>` + userXML(fmt.Sprintf("c%d", i), "concurrent-pw", "User") + `</tds:CreateUsers>`},
				{"admin", `<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/name/n` + fmt.Sprint(i) + `</tds:Scopes></tds:SetScopes>`},
				{"viewer", `<tds:GetScopes/>`},
				{"admin", `<tds:GetUsers/>`},
			}
			for j, b := range bodies {
				if w := soapAt(s, DevicePath, b.user, 100000+i*100+j, b.body); w.Code != 200 {
					t.Errorf("%s: %d\n%s", b.body, w.Code, w.Body)
				}
			}
		})
	}
	wg.Wait()
	if n := len(s.users.Load().accounts()); n != 3+8 {
		t.Errorf("%d accounts, want 11 (a lost update)", n)
	}
	if fps := s.video().FPS; fps < 10 || fps > 17 {
		t.Errorf("fps %d", fps)
	}
}

package onvif

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

const timgNS = ` xmlns:timg="` + nsTIMG + `"`

// fakeImaging is a camera with brightness, contrast and saturation on
// V4L2-like 0..255 ranges, no sharpness, and an IR cut filter.
type fakeImaging struct {
	mu   sync.Mutex
	s    ImagingSettings
	o    ImagingOptions
	sets []ImagingSettings // every SetImagingSettings call
	err  error             // returned by SetImagingSettings
}

func newFakeImaging() *fakeImaging {
	r := &FloatRange{0, 255}
	return &fakeImaging{
		s: ImagingSettings{Brightness: Float(128), ColorSaturation: Float(64), Contrast: Float(32), IrCutFilter: IrCutFilterAuto,
			Sharpness: Float(3)}, // reported by the backend, but not in the options: never answered
		o: ImagingOptions{Brightness: r, ColorSaturation: r, Contrast: r,
			IrCutFilterModes: []IrCutFilterMode{IrCutFilterOn, IrCutFilterOff, IrCutFilterAuto}},
	}
}

func (f *fakeImaging) ImagingSettings() ImagingSettings { f.mu.Lock(); defer f.mu.Unlock(); return f.s }
func (f *fakeImaging) ImagingOptions() ImagingOptions   { return f.o }
func (f *fakeImaging) SetImagingSettings(s ImagingSettings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets = append(f.sets, s)
	if f.err != nil {
		return f.err
	}
	for _, p := range []struct{ dst, src **float64 }{{&f.s.Brightness, &s.Brightness}, {&f.s.ColorSaturation, &s.ColorSaturation},
		{&f.s.Contrast, &s.Contrast}, {&f.s.Sharpness, &s.Sharpness}} {
		if *p.src != nil {
			*p.dst = *p.src
		}
	}
	if s.IrCutFilter != "" {
		f.s.IrCutFilter = s.IrCutFilter
	}
	return nil
}

// withOptionalServices configures the Imaging service and two digital
// inputs, for the golden cases of those.
func withOptionalServices(c *Config) {
	c.Imaging = newFakeImaging()
	c.DigitalInputs = []string{"tamper", "door"}
}

func imgReq(op, inner string) string {
	return `<timg:` + op + timgNS + `>` + inner + `</timg:` + op + `>`
}

const srcTok = `<timg:VideoSourceToken>video_source</timg:VideoSourceToken>`

func setReq(settings string) string { return setReqWith(settings, "") }

// setReqWith adds extra (ForcePersistence) after the settings.
func setReqWith(settings, extra string) string {
	return imgReq("SetImagingSettings", srcTok+`<timg:ImagingSettings>`+settings+`</timg:ImagingSettings>`+extra)
}

var optionalGoldenCases = []goldenCase{
	{"Imaging-GetServices", `<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>`, "", false, 200},
	{"Imaging-GetCapabilities", `<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>`, "", false, 200},
	{"Imaging-GetCapabilities-Imaging", `<tds:GetCapabilities><tds:Category>Imaging</tds:Category></tds:GetCapabilities>`, "", false, 200},
	{"Imaging-GetServiceCapabilities", imgReq("GetServiceCapabilities", ""), "", false, 200},
	{"Imaging-GetImagingSettings", imgReq("GetImagingSettings", srcTok), "viewer", false, 200},
	{"Imaging-GetImagingSettings-NoSource", imgReq("GetImagingSettings", `<timg:VideoSourceToken>nope</timg:VideoSourceToken>`), "viewer", false, 400},
	{"Imaging-GetOptions", imgReq("GetOptions", srcTok), "viewer", false, 200},
	{"Imaging-SetImagingSettings", setReqWith(`<tt:Brightness>200</tt:Brightness><tt:IrCutFilter>OFF</tt:IrCutFilter>`,
		`<timg:ForcePersistence>true</timg:ForcePersistence>`), "oper", false, 200},
	{"Imaging-SetImagingSettings-Range", setReq(`<tt:Brightness>256</tt:Brightness>`), "oper", false, 400},
	{"Imaging-SetImagingSettings-User", setReq(`<tt:Brightness>20</tt:Brightness>`), "viewer", false, 400},
	{"Imaging-GetMoveOptions", imgReq("GetMoveOptions", srcTok), "viewer", false, 200},
	{"Imaging-GetStatus", imgReq("GetStatus", srcTok), "viewer", false, 200},
	{"Imaging-Move", imgReq("Move", srcTok+`<timg:Focus><tt:Continuous><tt:Speed>1</tt:Speed></tt:Continuous></timg:Focus>`), "oper", false, 500},
	{"Imaging-Stop", imgReq("Stop", srcTok), "oper", false, 500},
	{"GetEventProperties-DigitalInputs", `<tev:GetEventProperties` + tevNS + `/>`, "viewer", false, 200},
}

func newImagingServer(t *testing.T) (*testServer, *fakeImaging) {
	t.Helper()
	img := newFakeImaging()
	return newTestServer(t, func(c *Config) { c.Imaging = img }), img
}

// imgValues extracts "Name=value" pairs of the tt: leaves in body.
func imgValues(body string) string {
	var out []string
	for _, n := range []string{"Brightness", "ColorSaturation", "Contrast", "IrCutFilter", "Sharpness"} {
		if _, rest, ok := strings.Cut(body, "<tt:"+n+">"); ok {
			v, _, _ := strings.Cut(rest, "<")
			out = append(out, n+"="+v)
		}
	}
	return strings.Join(out, " ")
}

func TestImagingGetSetRoundTrip(t *testing.T) {
	s, img := newImagingServer(t)
	get := func(seq int) string {
		t.Helper()
		w := soapAt(s, imagingPath, "viewer", seq, imgReq("GetImagingSettings", srcTok))
		if w.Code != 200 {
			t.Fatalf("GetImagingSettings: %d\n%s", w.Code, w.Body)
		}
		return imgValues(w.Body.String())
	}
	if got := get(1); got != "Brightness=128 ColorSaturation=64 Contrast=32 IrCutFilter=AUTO" {
		t.Fatalf("initial: %s", got)
	}
	w := soapAt(s, imagingPath, "oper", 2, setReqWith(`<tt:Brightness>200.0</tt:Brightness><tt:Contrast>0</tt:Contrast>`+
		`<tt:IrCutFilter>OFF</tt:IrCutFilter>`, `<timg:ForcePersistence>true</timg:ForcePersistence>`))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<timg:SetImagingSettingsResponse") {
		t.Fatalf("SetImagingSettings: %d\n%s", w.Code, w.Body)
	}
	if got := get(3); got != "Brightness=200 ColorSaturation=64 Contrast=0 IrCutFilter=OFF" {
		t.Fatalf("after set: %s", got)
	}
	// Only the sent fields reach the backend.
	last := img.sets[len(img.sets)-1]
	if last.ColorSaturation != nil || last.Sharpness != nil || *last.Brightness != 200 || *last.Contrast != 0 {
		t.Errorf("backend got %+v", last)
	}
	for i, m := range []string{"ON", "AUTO", "OFF"} {
		w := soapAt(s, imagingPath, "admin", 10+i, setReq(`<tt:IrCutFilter>`+m+`</tt:IrCutFilter>`))
		if w.Code != 200 {
			t.Fatalf("IrCutFilter %s: %d\n%s", m, w.Code, w.Body)
		}
		if got := get(20 + i); !strings.Contains(got, "IrCutFilter="+m) {
			t.Errorf("IrCutFilter %s: %s", m, got)
		}
	}
}

func TestImagingSetRefusedChangesNothing(t *testing.T) {
	s, img := newImagingServer(t)
	img.o.IrCutFilterModes = []IrCutFilterMode{IrCutFilterOn, IrCutFilterOff} // no AUTO
	for i, settings := range []string{
		`<tt:Brightness>255.5</tt:Brightness>`,
		`<tt:Brightness>10</tt:Brightness><tt:Contrast>-1</tt:Contrast>`, // one bad value spoils all
		`<tt:Brightness>NaN</tt:Brightness>`,
		`<tt:Brightness>INF</tt:Brightness>`,
		`<tt:Brightness>bright</tt:Brightness>`,
		`<tt:Brightness></tt:Brightness>`,
		`<tt:Brightness>1</tt:Brightness><tt:Brightness>2</tt:Brightness>`,
		`<tt:Sharpness>1</tt:Sharpness>`, // no sharpness control
		`<tt:IrCutFilter>AUTO</tt:IrCutFilter>`,
		`<tt:IrCutFilter>on</tt:IrCutFilter>`,
		`<tt:Exposure><tt:Mode>AUTO</tt:Mode></tt:Exposure>`,
	} {
		isFault(t, soapAt(s, imagingPath, "oper", i, setReq(settings)), 400, "SettingsInvalid")
	}
	isFault(t, soapAt(s, imagingPath, "oper", 50, imgReq("SetImagingSettings", srcTok)), 400, "InvalidArgs")
	isFault(t, soapAt(s, imagingPath, "oper", 51, setReqWith(`<tt:Brightness>1</tt:Brightness>`,
		`<timg:ForcePersistence>maybe</timg:ForcePersistence>`)), 400, "InvalidArgs")
	if len(img.sets) != 0 {
		t.Fatalf("backend called for refused requests: %+v", img.sets)
	}
	if got := fmt.Sprintf("%v %v %v", *img.s.Brightness, *img.s.Contrast, img.s.IrCutFilter); got != "128 32 AUTO" {
		t.Errorf("settings changed: %s", got)
	}
	// The backend's own refusals.
	img.err = fmt.Errorf("v4l2: %w", ErrImagingRange)
	isFault(t, soapAt(s, imagingPath, "oper", 60, setReq(`<tt:Brightness>1</tt:Brightness>`)), 400, "SettingsInvalid")
	img.err = errors.New("camera unplugged")
	isFault(t, soapAt(s, imagingPath, "oper", 61, setReq(`<tt:Brightness>1</tt:Brightness>`)), 500, "Action")
}

func TestImagingBadTokenAndAccess(t *testing.T) {
	s, _ := newImagingServer(t)
	bad := `<timg:VideoSourceToken>video_source_config</timg:VideoSourceToken>`
	seq := 0
	for _, op := range []string{"GetImagingSettings", "GetOptions", "GetMoveOptions", "GetStatus", "Stop", "SetImagingSettings", "Move"} {
		for _, tok := range []string{bad, ""} {
			seq++
			isFault(t, soapAt(s, imagingPath, "admin", seq, imgReq(op, tok)), 400, "NoSource")
		}
		seq++
		isFault(t, soapAt(s, imagingPath, "", seq, imgReq(op, srcTok)), 400, "NotAuthorized")
	}
	for _, op := range []string{"SetImagingSettings", "Move", "Stop"} {
		seq++
		isFault(t, soapAt(s, imagingPath, "viewer", seq, imgReq(op, srcTok)), 400, "NotAuthorized")
		if got := s.ops[opName(nsTIMG, op)].class; got != Actuate {
			t.Errorf("%s class %s", op, got)
		}
	}
	for _, op := range []string{"Move", "Stop"} {
		seq++
		isFault(t, soapAt(s, imagingPath, "oper", seq, imgReq(op, srcTok)), 500, "ActionNotSupported")
	}
}

func TestImagingOnlyWhenConfigured(t *testing.T) {
	s := newTestServer(t, nil)
	isFault(t, soapAt(s, imagingPath, "admin", 1, imgReq("GetImagingSettings", srcTok)), 500, "ActionNotSupported")
	for i, body := range []string{
		`<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>`,
		`<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>`,
	} {
		if w := soapAt(s, DevicePath, "", i, body); w.Code != 200 || strings.Contains(w.Body.String(), "imaging") {
			t.Errorf("imaging advertised without a backend: %d\n%s", w.Code, w.Body)
		}
	}
	isFault(t, soapAt(s, DevicePath, "", 3, `<tds:GetCapabilities><tds:Category>Imaging</tds:Category></tds:GetCapabilities>`), 500, "NoSuchService")
}

// TestImagingOnlySupportedFields: a camera with brightness alone answers
// brightness alone, whatever else the backend reports.
func TestImagingOnlySupportedFields(t *testing.T) {
	img := newFakeImaging()
	img.o = ImagingOptions{Brightness: &FloatRange{-64, 64}}
	img.s.Brightness = Float(-3)
	s := newTestServer(t, func(c *Config) { c.Imaging = img })
	w := soapAt(s, imagingPath, "viewer", 1, imgReq("GetImagingSettings", srcTok))
	if got := imgValues(w.Body.String()); got != "Brightness=-3" {
		t.Errorf("settings: %s\n%s", got, w.Body)
	}
	w = soapAt(s, imagingPath, "viewer", 2, imgReq("GetOptions", srcTok))
	if !strings.Contains(w.Body.String(), "<timg:ImagingOptions><tt:Brightness><tt:Min>-64</tt:Min><tt:Max>64</tt:Max></tt:Brightness></timg:ImagingOptions>") {
		t.Errorf("options:\n%s", w.Body)
	}
	isFault(t, soapAt(s, imagingPath, "oper", 3, setReq(`<tt:IrCutFilter>ON</tt:IrCutFilter>`)), 400, "SettingsInvalid")
}

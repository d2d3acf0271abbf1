package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"camagent/capture"
	"camagent/encode"
)

// On a host without /dev/video* nodes (the build machine, CI) devices says
// so and exits 0; --json gives empty lists, not nulls.
func TestDevicesNoneFound(t *testing.T) {
	if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) > 0 {
		t.Skipf("this host has video nodes: %v", nodes)
	}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"devices"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d; stderr %s", code, errOut.String())
	}
	for _, s := range []string{"CAMERAS (0)", "M2M ENCODERS (0)", "(none found)", "PATH"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
	if strings.Count(out.String(), "(none found)") != 2 {
		t.Errorf("want two (none found):\n%s", out.String())
	}
	out.Reset()
	if code := run(t.Context(), []string{"devices", "--json"}, &out, &errOut); code != exitOK {
		t.Fatalf("--json: exit %d; stderr %s", code, errOut.String())
	}
	if got := out.String(); got != "{\"cameras\":[],\"encoders\":[]}\n" {
		t.Errorf("--json printed %q", got)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr: %s", errOut.String())
	}
}

func fakeDevices(t *testing.T, err error) {
	old1, old2 := listCameras, listEncoders
	t.Cleanup(func() { listCameras, listEncoders = old1, old2 })
	listCameras = func() ([]capture.CameraInfo, error) {
		return []capture.CameraInfo{{
			Path: "/dev/video0", Card: "USB Camera", Driver: "uvcvideo", BusInfo: "usb-0000:01:00.0-1.3",
			Capabilities: []string{"VIDEO_CAPTURE", "STREAMING"},
			Formats: []capture.FormatInfo{
				{FourCC: "YUYV", Description: "YUYV 4:2:2", Supported: true, Sizes: []capture.SizeInfo{
					{Width: 640, Height: 480, Rates: []capture.RateInfo{{Interval: "1/30", MinFPS: 30, MaxFPS: 30}, {Interval: "1/15", MinFPS: 15, MaxFPS: 15}}},
				}},
				{FourCC: "UYVY", Description: "UYVY 4:2:2", Sizes: []capture.SizeInfo{
					{Width: 640, Height: 480, Rates: []capture.RateInfo{{Interval: "1/30", MinFPS: 30, MaxFPS: 30}, {Interval: "1/15", MinFPS: 15, MaxFPS: 15}}},
				}},
				{FourCC: "H264", Description: "H.264", Compressed: true, Sizes: []capture.SizeInfo{
					{Width: 16, Height: 16, MaxWidth: 1920, MaxHeight: 1080, StepWidth: 2, StepHeight: 2,
						Rates: []capture.RateInfo{{Interval: "1/60..1/1", MinFPS: 1, MaxFPS: 60}}},
				}},
			},
			Controls: []capture.ControlInfo{
				{ID: 0x00980900, Name: "Brightness", Type: "int", Min: -64, Max: 64, Step: 1, Default: 0},
				{ID: 0x009a0913, Name: "Auto Exposure, Bias", Type: "int_menu", Max: 1, Step: 1,
					Menu: []capture.MenuItem{{Index: 0, Value: ptr(int64(0))}, {Index: 1, Value: ptr(int64(-2000))}}},
				{ID: 0x0098f909, Name: "U16 8x16 Matrix", Type: "u16", Min: 16, Max: 8192, Step: 1, Default: 24, Dims: []uint32{8, 16}},
				{ID: 0x00980918, Name: "Power Line Frequency", Type: "menu", Max: 2, Step: 1, Default: 1,
					Menu: []capture.MenuItem{{Index: 0, Name: "Disabled"}, {Index: 1, Name: "50 Hz"}, {Index: 2, Name: "60 Hz"}}},
			},
		}}, err
	}
	listEncoders = func() ([]encode.M2MInfo, error) {
		return []encode.M2MInfo{{Path: "/dev/video11", Card: "bcm2835-codec-encode", Driver: "bcm2835-codec",
			MultiPlanar: true, Usable: true,
			Output:  []encode.M2MFormatInfo{{FourCC: "YU12"}, {FourCC: "NV12"}},
			Capture: []encode.M2MFormatInfo{{FourCC: "H264"}}}}, err
	}
}

func TestDevicesTable(t *testing.T) {
	fakeDevices(t, nil)
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"devices"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d; stderr %s", code, errOut.String())
	}
	for _, s := range []string{
		"CAMERAS (1)", "/dev/video0", "USB Camera", "uvcvideo", "usb-0000:01:00.0-1.3",
		"* YUYV", "640x480", "fps 30 15", "UYVY 4:2:2\n        (sizes and rates as above)", "H264", "(compressed)", "16x16..1920x1080", "fps 1-60",
		"Brightness", "-64..64 step 1 default 0", "u16[8][16]", "default 0 [0=0, 1=-2000]", "default 1 [0=Disabled, 1=50 Hz, 2=60 Hz]",
		"M2M ENCODERS (1)", "/dev/video11", "bcm2835-codec-encode", "multi", "YU12 NV12",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
	if strings.Contains(out.String(), "none found") {
		t.Errorf("says none found:\n%s", out.String())
	}
}

func TestDevicesJSON(t *testing.T) {
	fakeDevices(t, nil)
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"devices", "-json"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d; stderr %s", code, errOut.String())
	}
	var got deviceList
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(got.Cameras) != 1 || got.Cameras[0].Formats[0].Sizes[0].Rates[0].MaxFPS != 30 ||
		len(got.Encoders) != 1 || got.Encoders[0].Capture[0].FourCC != "H264" {
		t.Errorf("round trip: %+v", got)
	}
	for _, s := range []string{`"bus_info":"usb-0000:01:00.0-1.3"`, `"max_width":1920`, `"interval":"1/60..1/1"`, `"multi_planar":true`, `"menu":[{"index":0,"value":0},{"index":1,"value":-2000}]`} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("JSON lacks %s: %s", s, out.String())
		}
	}
}

// A node that cannot be opened is named on stderr with exit 1; what could
// be listed is still printed.
func TestDevicesOpenError(t *testing.T) {
	fakeDevices(t, errors.New("/dev/video2: open: permission denied"))
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"devices"}, &out, &errOut); code != exitFailure {
		t.Fatalf("exit %d, want %d", code, exitFailure)
	}
	if strings.Count(errOut.String(), "permission denied") != 1 || !strings.Contains(out.String(), "/dev/video0") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	}
}

func TestDevicesBadArgs(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"devices", "extra"}, &out, &errOut); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
}

func ptr[T any](v T) *T { return &v }

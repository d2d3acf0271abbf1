package app

import (
	"fmt"
	"strings"
	"testing"

	"camagent/config"
)

// The sub stream: the same pictures, smaller, on rtsp.sub_path beside the
// main stream, both decodable at once by a real client.
func TestSubStreamServedBesideTheMainStream(t *testing.T) {
	url, a := startAgent(t, func(c *config.Config) {
		c.Encoder.SubStream.Mode = "on"
		c.Encoder.SubStream.Width, c.Encoder.SubStream.Height = 320, 180
	})
	if a.sub == nil {
		t.Fatal("no sub stream with mode on")
	}
	subURL := strings.TrimSuffix(url, "/stream") + "/sub"
	if got, want := probe(t, subURL, "tcp"), "codec_name=h264|width=320|height=180|r_frame_rate=30/1"; got != want {
		t.Errorf("sub stream: ffprobe = %q, want %q", got, want)
	}
	if got, want := probe(t, url, "tcp"), "codec_name=h264|width=640|height=480|r_frame_rate=30/1"; got != want {
		t.Errorf("main stream: ffprobe = %q, want %q", got, want)
	}
	// ONVIF: a second profile whose stream URI is the sub stream.
	dev := fmt.Sprintf("http://%s/onvif/media_service", a.ONVIFAddr())
	got := soapCall(t, dev, wsSecurity(testUser, testPass), `<trt:GetStreamUri xmlns:trt="http://www.onvif.org/ver10/media/wsdl">`+
		`<trt:ProfileToken>profile_sub</trt:ProfileToken></trt:GetStreamUri>`)
	if !strings.Contains(got, "/sub</tt:Uri>") {
		t.Errorf("GetStreamUri(profile_sub):\n%s", got)
	}
	lines, errs := decode(t, subURL, "tcp", 30)
	if errs != "" || len(lines) < 30 {
		t.Errorf("sub stream decode: %d frames, errors %q", len(lines), errs)
	}
}

func TestSubStreamChoice(t *testing.T) {
	s := config.Default().Encoder.SubStream
	for _, c := range []struct {
		mode    string
		w, h    int
		backend string
		want    bool
	}{
		{"auto", 1280, 720, "v4l2-m2m:bcm2835-codec-encode", true},
		{"auto", 1280, 720, "openh264", false},
		{"on", 1280, 720, "openh264", true},
		{"on", 640, 360, "openh264", false}, // not larger than the sub stream
		{"off", 1920, 1080, "v4l2-m2m:bcm2835-codec-encode", false},
	} {
		s.Mode = c.mode
		if got, why := wantSubStream(s, c.w, c.h, c.backend); got != c.want {
			t.Errorf("%s %dx%d %s: %v (%s), want %v", c.mode, c.w, c.h, c.backend, got, why, c.want)
		}
	}
}

// A UVC camera's own H.264 is passed through: no encoder, no sub stream
// (there are no raw pictures to scale), ONVIF still describes the stream.
func TestPassthroughCameraHasNoEncoder(t *testing.T) {
	cfg := loopbackConfig(t)
	cfg.Source.Type = "v4l2"
	cfg.Source.V4L2.Device = "/dev/video-none"
	cfg.Source.V4L2.Formats = []string{"H264"}
	cfg.Encoder.SubStream.Mode = "on"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.stage != nil || a.sub != nil || a.snap != nil || !strings.Contains(a.describe, "passed through") {
		t.Errorf("stage %v, sub %v, snapshots %v, %q", a.stage != nil, a.sub != nil, a.snap != nil, a.describe)
	}
	if a.video.Width != cfg.Source.V4L2.Width || a.video.Profile != "Main" {
		t.Errorf("ONVIF video %+v", a.video)
	}
}

//go:build linux

package encode

import (
	"reflect"
	"testing"
)

// The fake bcm2835-codec is listed as the Pi's encoder would be: MPLANE,
// raw formats on OUTPUT, H.264 on CAPTURE, usable by the agent.
func TestDescribeM2MEncoder(t *testing.T) {
	info, ok := describeM2M(newFakeBCM(), "/dev/video11")
	if !ok {
		t.Fatal("fake bcm2835-codec not recognised as an encoder")
	}
	fourccs := func(fs []M2MFormatInfo) []string {
		var s []string
		for _, f := range fs {
			s = append(s, f.FourCC)
		}
		return s
	}
	if info.Path != "/dev/video11" || info.Card != "bcm2835-codec-encode" || info.Driver != "bcm2835-codec" ||
		!info.MultiPlanar || !info.Usable {
		t.Errorf("info %+v", info)
	}
	if got := fourccs(info.Output); !reflect.DeepEqual(got, []string{"YU12", "NV12", "YUYV"}) {
		t.Errorf("OUTPUT %v", got)
	}
	if got := fourccs(info.Capture); !reflect.DeepEqual(got, []string{"H264"}) {
		t.Errorf("CAPTURE %v", got)
	}
}

// A node that is not M2M (a camera) is not an encoder.
func TestDescribeM2MSkipsCamera(t *testing.T) {
	f := newFakeBCM()
	f.caps = 0x00000001 | capStreaming
	if _, ok := describeM2M(f, "/dev/video0"); ok {
		t.Error("capture node listed as an encoder")
	}
}

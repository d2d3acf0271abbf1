package capture

import (
	"errors"
	"strings"
	"testing"
)

func discrete(w, h uint32) FrameSize {
	return FrameSize{MinW: w, MaxW: w, StepW: 1, MinH: h, MaxH: h, StepH: 1}
}

func TestChooseMode(t *testing.T) {
	webcam := []FormatOffer{
		{FourCC: FourCCYUYV, Sizes: []FrameSize{discrete(640, 480), discrete(320, 240)}},
		{FourCC: FourCCMJPEG, Sizes: []FrameSize{discrete(640, 480), discrete(1280, 720), discrete(1920, 1080)}},
		{FourCC: fourcc("H264"), Sizes: []FrameSize{discrete(1920, 1080)}},
	}
	all := []FourCC{FourCCNV12, FourCCYU12, FourCCYUYV, FourCCMJPEG}
	cases := []struct {
		name   string
		offers []FormatOffer
		prefer []FourCC
		w, h   uint32
		want   Mode
	}{
		{"raw preferred at equal size", webcam, all, 640, 480, Mode{FourCC: FourCCYUYV, Width: 640, Height: 480}},
		{"size beats format preference", webcam, all, 1280, 720, Mode{FourCC: FourCCMJPEG, Width: 1280, Height: 720}},
		{"closest size", webcam, []FourCC{FourCCYUYV}, 1280, 720, Mode{FourCC: FourCCYUYV, Width: 640, Height: 480}},
		{"stepwise rounds to step", []FormatOffer{{FourCC: FourCCNV12, Sizes: []FrameSize{{MinW: 16, MaxW: 1920, StepW: 16, MinH: 16, MaxH: 1080, StepH: 8}}}},
			all, 1000, 700, Mode{FourCC: FourCCNV12, Width: 1008, Height: 704}},
		{"stepwise clamps", []FormatOffer{{FourCC: FourCCNV12, Sizes: []FrameSize{{MinW: 16, MaxW: 1920, StepW: 2, MinH: 16, MaxH: 1080, StepH: 2}}}},
			all, 3840, 2160, Mode{FourCC: FourCCNV12, Width: 1920, Height: 1080}},
		{"no size list: ask for the request", []FormatOffer{{FourCC: FourCCYU12}}, all, 800, 600, Mode{FourCC: FourCCYU12, Width: 800, Height: 600}},
		{"JPEG counts as MJPEG", []FormatOffer{{FourCC: FourCCJPEG, Sizes: []FrameSize{discrete(640, 480)}}}, all, 640, 480, Mode{FourCC: FourCCJPEG, Width: 640, Height: 480}},
	}
	for _, c := range cases {
		got, err := chooseMode(c.offers, c.prefer, c.w, c.h)
		if err != nil || got != c.want {
			t.Errorf("%s: got %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func TestChooseModeNone(t *testing.T) {
	_, err := chooseMode([]FormatOffer{{FourCC: fourcc("H264"), Sizes: []FrameSize{discrete(1920, 1080)}}, {FourCC: fourcc("RGB3")}},
		[]FourCC{FourCCYUYV, FourCCMJPEG}, 640, 480)
	if !errors.Is(err, ErrNoUsableFormat) {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{"YUYV,MJPG", "H264 1920x1080", "RGB3"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

func TestChooseInterval(t *testing.T) {
	d := []Fract{{1, 30}, {1, 25}, {1, 15}, {1, 5}}
	for _, c := range []struct {
		fps  int
		want Fract
	}{{30, Fract{1, 30}}, {60, Fract{1, 30}}, {24, Fract{1, 25}}, {1, Fract{1, 5}}} {
		if got := chooseInterval(d, Fract{}, Fract{}, c.fps); got != c.want {
			t.Errorf("discrete fps %d: %v, want %v", c.fps, got, c.want)
		}
	}
	lo, hi := Fract{1, 60}, Fract{1, 1}
	for _, c := range []struct {
		fps  int
		want Fract
	}{{120, Fract{1, 60}}, {30, Fract{1, 30}}} {
		if got := chooseInterval(nil, lo, hi, c.fps); got != c.want {
			t.Errorf("stepwise fps %d: %v, want %v", c.fps, got, c.want)
		}
	}
	if got := chooseInterval(nil, Fract{}, Fract{}, 20); got != (Fract{1, 20}) {
		t.Errorf("nothing offered: %v", got)
	}
}

func TestParseFourCC(t *testing.T) {
	for s, want := range map[string]FourCC{"yuyv": FourCCYUYV, "MJPEG": FourCCMJPEG, "I420": FourCCYU12, "NV12": FourCCNV12} {
		if got, err := ParseFourCC(s); err != nil || got != want {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	if got, err := ParseFourCC("h264"); err != nil || got != FourCCH264 {
		t.Errorf("H264: %v %v", got, err)
	}
	if _, err := ParseFourCC("HEVC"); err == nil {
		t.Error("HEVC accepted")
	}
	if FourCCYUYV.String() != "YUYV" {
		t.Error(FourCCYUYV.String())
	}
	if s := (fourcc("Y16 ") | 1<<31).String(); s != "Y16-BE" {
		t.Errorf("big-endian Y16: %q", s)
	}
}

// A driver that sets another format than the one asked, or an odd size,
// is refused for good, with the device and what it offers in the message.
func TestCheckGranted(t *testing.T) {
	offers := []FormatOffer{{FourCC: FourCCYUYV, Sizes: []FrameSize{{MinW: 640, MaxW: 640, MinH: 480, MaxH: 480}}}}
	want := Mode{FourCC: FourCCNV12, Width: 640, Height: 480}
	err := checkGranted("/dev/video3 (cam)", want, Mode{FourCC: FourCCYUYV, Width: 640, Height: 480}, offers)
	var p permanent
	if !errors.Is(err, ErrFormatRefused) || !errors.As(err, &p) ||
		!strings.Contains(err.Error(), "/dev/video3 (cam)") || !strings.Contains(err.Error(), "driver set YUYV") || !strings.Contains(err.Error(), "640x480") {
		t.Errorf("refused format: %v", err)
	}
	err = checkGranted("/dev/video3 (cam)", want, Mode{FourCC: FourCCNV12, Width: 641, Height: 480}, offers)
	if !errors.Is(err, ErrFormatRefused) || !strings.Contains(err.Error(), "odd size 641x480") {
		t.Errorf("odd size: %v", err)
	}
	if err := checkGranted("x", want, want, offers); err != nil {
		t.Errorf("granted as asked: %v", err)
	}
}

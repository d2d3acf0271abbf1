package config

import "testing"

func TestSubStreamValidation(t *testing.T) {
	c := mustParse(t, "encoder:\n  sub_stream:\n    mode: maybe\n    width: 641\n    height: 2000\n    bitrate_kbps: 10\n")
	checkProblems(t, c.Validate(), []want{
		{"encoder.sub_stream.mode", 3, "must be one of auto, on, off"},
		{"encoder.sub_stream.width", 4, "even number between 64 and 1920"},
		{"encoder.sub_stream.height", 5, "even number between 64 and 1080"},
		{"encoder.sub_stream.bitrate_kbps", 6, "between 64 and 50000"},
	})
	c = mustParse(t, "rtsp:\n  path: /live\n  sub_path: /live/\n")
	checkProblems(t, c.Validate(), []want{{"rtsp.sub_path", 3, "must differ from rtsp.path"}})
	if d := Default(); d.Encoder.SubStream.Mode != "auto" || d.RTSP.SubPath != "/sub" || d.Encoder.SubStream.Width != 640 {
		t.Errorf("defaults: %+v %q", d.Encoder.SubStream, d.RTSP.SubPath)
	}
}

func TestPassthroughFormat(t *testing.T) {
	c := mustParse(t, "source:\n  type: v4l2\n  v4l2:\n    device: /dev/video0\n    formats: [H264, YUYV]\n")
	checkProblems(t, c.Validate(), []want{{"source.v4l2.formats", 5, "must be the only format"}})
	c = mustParse(t, "source:\n  type: v4l2\n  v4l2:\n    device: /dev/video0\n    formats: [h264]\n")
	if err := c.Validate(); err != nil || !c.Source.V4L2.Passthrough() {
		t.Errorf("[h264]: %v, passthrough %v", err, c.Source.V4L2.Passthrough())
	}
}

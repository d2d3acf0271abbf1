//go:build linux

package encode

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestM2MIoctlNumbers pins request numbers and struct sizes to what gcc
// computes from <linux/videodev2.h> (Debian 12, 6.1 UAPI): gcc on amd64,
// aarch64-linux-gnu-gcc on arm64, arm-linux-gnueabihf-gcc (32-bit time_t,
// as Go uses) on armv7. Values were computed once and are hard-coded.
func TestM2MIoctlNumbers(t *testing.T) {
	common := map[string][2]uintptr{
		"VIDIOC_QUERYCAP":                 {vidiocQuerycap, 0x80685600},
		"VIDIOC_ENUM_FMT":                 {vidiocEnumFmt, 0xc0405602},
		"VIDIOC_REQBUFS":                  {vidiocReqbufs, 0xc0145608},
		"VIDIOC_EXPBUF":                   {vidiocExpbuf, 0xc0405610},
		"VIDIOC_STREAMON":                 {vidiocStreamon, 0x40045612},
		"VIDIOC_STREAMOFF":                {vidiocStreamoff, 0x40045613},
		"VIDIOC_S_PARM":                   {vidiocSParm, 0xc0cc5616},
		"VIDIOC_S_CTRL":                   {vidiocSCtrl, 0xc008561c},
		"VIDIOC_ENCODER_CMD":              {vidiocEncoderCmd, 0xc028564d},
		"VIDIOC_DECODER_CMD":              {vidiocDecoderCmd, 0xc0485660},
		"VIDIOC_SUBSCRIBE_EVENT":          {vidiocSubscribeEvent, 0x4020565a},
		"sizeof v4l2_capability":          {unsafe.Sizeof(v4l2Capability{}), 104},
		"sizeof v4l2_fmtdesc":             {unsafe.Sizeof(v4l2Fmtdesc{}), 64},
		"sizeof v4l2_pix_format_mplane":   {unsafe.Sizeof(v4l2PixFormatMplane{}), 192},
		"sizeof v4l2_plane_pix_format":    {unsafe.Sizeof(v4l2PlanePixFormat{}), 20},
		"sizeof v4l2_requestbuffers":      {unsafe.Sizeof(v4l2Requestbuffers{}), 20},
		"sizeof v4l2_streamparm":          {unsafe.Sizeof(v4l2Streamparm{}), 204},
		"sizeof v4l2_control":             {unsafe.Sizeof(v4l2Control{}), 8},
		"sizeof v4l2_ext_control":         {unsafe.Sizeof(v4l2ExtControl{}), 20},
		"sizeof v4l2_encoder_cmd":         {unsafe.Sizeof(v4l2EncoderCmd{}), 40},
		"sizeof v4l2_decoder_cmd":         {unsafe.Sizeof(v4l2DecoderCmd{}), 72},
		"sizeof v4l2_event_subscription":  {unsafe.Sizeof(v4l2EventSubscription{}), 32},
		"offsetof v4l2_event.pending":     {unsafe.Offsetof(v4l2Event{}.Pending), 72},
		"offsetof v4l2_event.timestamp":   {unsafe.Offsetof(v4l2Event{}.Timestamp), 80},
		"offsetof v4l2_pix_format_mplane": {unsafe.Offsetof(v4l2PixFormatMplane{}.NumPlanes), 180},
	}
	var perArch map[string][2]uintptr
	switch runtime.GOARCH {
	case "amd64", "arm64":
		perArch = map[string][2]uintptr{
			"VIDIOC_S_FMT": {vidiocSFmt, 0xc0d05605}, "VIDIOC_G_FMT": {vidiocGFmt, 0xc0d05604},
			"VIDIOC_QUERYBUF": {vidiocQuerybuf, 0xc0585609},
			"VIDIOC_QBUF":     {vidiocQbuf, 0xc058560f}, "VIDIOC_DQBUF": {vidiocDqbuf, 0xc0585611},
			"VIDIOC_S_EXT_CTRLS": {vidiocSExtCtrls, 0xc0205648}, "VIDIOC_DQEVENT": {vidiocDqevent, 0x80885659},
			"sizeof v4l2_format": {unsafe.Sizeof(v4l2Format{}), 208}, "sizeof v4l2_buffer": {unsafe.Sizeof(v4l2Buffer{}), 88},
			"sizeof v4l2_plane": {unsafe.Sizeof(v4l2Plane{}), 64}, "sizeof v4l2_ext_controls": {unsafe.Sizeof(v4l2ExtControls{}), 32},
			"sizeof v4l2_event": {unsafe.Sizeof(v4l2Event{}), 136}, "offsetof v4l2_event.id": {unsafe.Offsetof(v4l2Event{}.ID), 96},
			"offsetof v4l2_ext_controls.controls": {unsafe.Offsetof(v4l2ExtControls{}.Controls), 24},
			"offsetof v4l2_buffer.m":              {unsafe.Offsetof(v4l2Buffer{}.M), 64},
		}
	case "arm":
		perArch = map[string][2]uintptr{
			"VIDIOC_S_FMT": {vidiocSFmt, 0xc0cc5605}, "VIDIOC_G_FMT": {vidiocGFmt, 0xc0cc5604},
			"VIDIOC_QUERYBUF": {vidiocQuerybuf, 0xc0445609},
			"VIDIOC_QBUF":     {vidiocQbuf, 0xc044560f}, "VIDIOC_DQBUF": {vidiocDqbuf, 0xc0445611},
			"VIDIOC_S_EXT_CTRLS": {vidiocSExtCtrls, 0xc0185648}, "VIDIOC_DQEVENT": {vidiocDqevent, 0x80805659},
			"sizeof v4l2_format": {unsafe.Sizeof(v4l2Format{}), 204}, "sizeof v4l2_buffer": {unsafe.Sizeof(v4l2Buffer{}), 68},
			"sizeof v4l2_plane": {unsafe.Sizeof(v4l2Plane{}), 60}, "sizeof v4l2_ext_controls": {unsafe.Sizeof(v4l2ExtControls{}), 24},
			"sizeof v4l2_event": {unsafe.Sizeof(v4l2Event{}), 128}, "offsetof v4l2_event.id": {unsafe.Offsetof(v4l2Event{}.ID), 88},
			"offsetof v4l2_ext_controls.controls": {unsafe.Offsetof(v4l2ExtControls{}.Controls), 20},
			"offsetof v4l2_buffer.m":              {unsafe.Offsetof(v4l2Buffer{}.M), 52},
		}
	default:
		t.Skipf("no pinned values for %s", runtime.GOARCH)
	}
	for _, m := range []map[string][2]uintptr{common, perArch} {
		for name, v := range m {
			if v[0] != v[1] {
				t.Errorf("%s = %#x, C headers say %#x", name, v[0], v[1])
			}
		}
	}
}

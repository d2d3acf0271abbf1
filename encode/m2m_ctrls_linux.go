//go:build linux

package encode

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Codec control ids (linux/v4l2-controls.h, pinned in the test).
const (
	cidGOPSize         = 0x9909cb
	cidBitrateMode     = 0x9909ce
	cidBitrate         = 0x9909cf
	cidRepeatSeqHeader = 0x9909e2
	cidForceKeyFrame   = 0x9909e5
	cidH264MinQP       = 0x990a61
	cidH264MaxQP       = 0x990a62
	cidH264IPeriod     = 0x990a66
	cidH264Level       = 0x990a67
	cidH264Profile     = 0x990a6b

	bitrateModeVBR = 0
	bitrateModeCBR = 1
)

var h264Profiles = map[string]int32{
	"baseline": 0, "constrained_baseline": 1, "main": 2, "high": 4,
}

// h264Levels maps "4.1" to V4L2_MPEG_VIDEO_H264_LEVEL_4_1 (enum order).
var h264Levels = map[string]int32{
	"1": 0, "1.0": 0, "1b": 1, "1.1": 2, "1.2": 3, "1.3": 4, "2": 5, "2.0": 5, "2.1": 6, "2.2": 7,
	"3": 8, "3.0": 8, "3.1": 9, "3.2": 10, "4": 11, "4.0": 11, "4.1": 12, "4.2": 13,
	"5": 14, "5.0": 14, "5.1": 15, "5.2": 16,
}

type m2mCtrl struct {
	id    uint32
	name  string
	value int32
}

// controls lists what the config asks for. H.264 controls are only sent
// for H.264: vicodec would refuse them all, which is noise, not news.
func (e *M2MEncoder) controls() []m2mCtrl {
	c := e.cfg
	var cs []m2mCtrl
	if c.BitrateKbps > 0 {
		mode := int32(bitrateModeVBR)
		if c.CBR {
			mode = bitrateModeCBR
		}
		cs = append(cs, m2mCtrl{cidBitrateMode, "bitrate_mode", mode},
			m2mCtrl{cidBitrate, "bitrate", int32(c.BitrateKbps * 1000)})
	}
	if c.GOP > 0 {
		cs = append(cs, m2mCtrl{cidGOPSize, "gop_size", int32(c.GOP)})
	}
	if c.Codec != M2MH264 {
		return cs
	}
	if c.GOP > 0 {
		cs = append(cs, m2mCtrl{cidH264IPeriod, "h264_i_period", int32(c.GOP)})
	}
	if v, ok := h264Profiles[strings.ToLower(c.Profile)]; ok {
		cs = append(cs, m2mCtrl{cidH264Profile, "h264_profile", v})
	} else if c.Profile != "" {
		e.log.Warn("m2m encoder: unknown H.264 profile, driver default kept", "device", e.name, "profile", c.Profile)
	}
	if v, ok := h264Levels[c.Level]; ok {
		cs = append(cs, m2mCtrl{cidH264Level, "h264_level", v})
	} else if c.Level != "" {
		e.log.Warn("m2m encoder: unknown H.264 level, driver default kept", "device", e.name, "level", c.Level)
	}
	if c.MinQP > 0 {
		cs = append(cs, m2mCtrl{cidH264MinQP, "h264_min_qp", int32(c.MinQP)})
	}
	if c.MaxQP > 0 {
		cs = append(cs, m2mCtrl{cidH264MaxQP, "h264_max_qp", int32(c.MaxQP)})
	}
	// SPS/PPS before every IDR, so late RTSP joiners can start (the Pi
	// sends them only once otherwise; raspberrypi/firmware#1612). The
	// Stage re-inserts them anyway; this keeps the driver honest.
	cs = append(cs, m2mCtrl{cidRepeatSeqHeader, "repeat_sequence_header", 1})
	return cs
}

// applyControls sets each control on its own, so one refusal does not
// lose the others. Refusals are logged once and are not fatal: the
// encoder still works at the driver's defaults.
func (e *M2MEncoder) applyControls() {
	for _, c := range e.controls() {
		if err := e.setCtrl(c.id, c.value); err != nil {
			e.warnOnce(c.id, "m2m encoder refused control, driver default kept", "control", c.name, "value", c.value, "err", err)
		}
	}
}

// setCtrl uses VIDIOC_S_EXT_CTRLS (codec-class controls need it on some
// drivers) and falls back to VIDIOC_S_CTRL where the former is missing.
func (e *M2MEncoder) setCtrl(id uint32, v int32) error {
	if e.extCtl == nil {
		e.extCtl = new(v4l2ExtControl)
	}
	*e.extCtl = v4l2ExtControl{ID: id, Value: v}
	cs := v4l2ExtControls{Count: 1, Controls: uintptr(unsafe.Pointer(e.extCtl))}
	e.calls++
	err := e.dev.ioctl(vidiocSExtCtrls, unsafe.Pointer(&cs))
	if errors.Is(err, unix.ENOTTY) {
		c := v4l2Control{ID: id, Value: v}
		e.calls++
		err = e.dev.ioctl(vidiocSCtrl, unsafe.Pointer(&c))
	}
	if err != nil {
		return fmt.Errorf("encode: %s: set control %#x=%d: %w", e.name, id, v, err)
	}
	return nil
}

// forceKeyFrame asks for an IDR on the next picture. Without the control
// (vicodec) the Stage's forced keyframe degrades to the next GOP start.
func (e *M2MEncoder) forceKeyFrame() {
	if err := e.setCtrl(cidForceKeyFrame, 1); err != nil {
		e.warnOnce(cidForceKeyFrame, "m2m encoder cannot force a key frame; next one comes with the GOP", "err", err)
		return
	}
	e.forceKeyCtrl = true
}

func (e *M2MEncoder) warnOnce(id uint32, msg string, args ...any) {
	if e.warned[id] {
		return
	}
	e.warned[id] = true
	e.log.Warn(msg, append([]any{"device", e.name}, args...)...)
}

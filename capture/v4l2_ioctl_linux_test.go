//go:build linux

package capture

import (
	"runtime"
	"testing"
)

// TestV4L2IoctlNumbers pins the computed request numbers to the values the
// C headers give (gcc with linux/videodev2.h, Debian 12 6.1 UAPI) on each
// architecture the agent ships for.
func TestV4L2IoctlNumbers(t *testing.T) {
	common := map[string][2]uintptr{
		"QUERYCAP":            {vidiocQuerycap, 0x80685600},
		"ENUM_FMT":            {vidiocEnumFmt, 0xc0405602},
		"REQBUFS":             {vidiocReqbufs, 0xc0145608},
		"STREAMON":            {vidiocStreamon, 0x40045612},
		"STREAMOFF":           {vidiocStreamoff, 0x40045613},
		"S_PARM":              {vidiocSParm, 0xc0cc5616},
		"ENUM_FRAMESIZES":     {vidiocEnumFramesizes, 0xc02c564a},
		"ENUM_FRAMEINTERVALS": {vidiocEnumFrameintervals, 0xc034564b},
		"QUERYCTRL":           {vidiocQueryctrl, 0xc0445624},
		"QUERYMENU":           {vidiocQuerymenu, 0xc02c5625},
		"QUERY_EXT_CTRL":      {vidiocQueryExtCtrl, 0xc0e85667},
		"EXPBUF":              {vidiocExpbuf, 0xc0405610},
	}
	var perArch map[string][2]uintptr
	switch runtime.GOARCH {
	case "amd64", "arm64":
		perArch = map[string][2]uintptr{
			"S_FMT": {vidiocSFmt, 0xc0d05605}, "QUERYBUF": {vidiocQuerybuf, 0xc0585609},
			"QBUF": {vidiocQbuf, 0xc058560f}, "DQBUF": {vidiocDqbuf, 0xc0585611},
		}
	case "arm":
		perArch = map[string][2]uintptr{
			"S_FMT": {vidiocSFmt, 0xc0cc5605}, "QUERYBUF": {vidiocQuerybuf, 0xc0445609},
			"QBUF": {vidiocQbuf, 0xc044560f}, "DQBUF": {vidiocDqbuf, 0xc0445611},
		}
	default:
		t.Skipf("no pinned values for %s", runtime.GOARCH)
	}
	for _, m := range []map[string][2]uintptr{common, perArch} {
		for name, v := range m {
			if v[0] != v[1] {
				t.Errorf("VIDIOC_%s = %#x, C headers say %#x", name, v[0], v[1])
			}
		}
	}
}

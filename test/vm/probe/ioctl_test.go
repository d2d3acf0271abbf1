//go:build linux

package main

import (
	"testing"
	"unsafe"
)

// The expected values are what <linux/videodev2.h> and <linux/gpio.h> give,
// printed by a C program built with gcc for amd64 and with
// aarch64-linux-gnu-gcc for arm64 (identical on both). A wrong struct mirror
// shows up here as a wrong size, and in the guest as ENOTTY.
func TestIoctlNumbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"VIDIOC_QUERYCAP", vidiocQuerycap, 0x80685600},
		{"VIDIOC_ENUM_FMT", vidiocEnumFmt, 0xc0405602},
		{"GPIO_GET_CHIPINFO_IOCTL", gpioGetChipinfo, 0x8044b401},
		{"GPIO_V2_GET_LINEINFO_IOCTL", gpioV2GetLineinfo, 0xc100b405},
		{"sizeof(struct v4l2_capability)", unsafe.Sizeof(v4l2Capability{}), 104},
		{"sizeof(struct v4l2_fmtdesc)", unsafe.Sizeof(v4l2Fmtdesc{}), 64},
		{"sizeof(struct gpiochip_info)", unsafe.Sizeof(gpiochipInfo{}), 68},
		{"sizeof(struct gpio_v2_line_info)", unsafe.Sizeof(gpioV2LineInfo{}), 256},
		{"offsetof(gpio_v2_line_info, flags)", unsafe.Offsetof(gpioV2LineInfo{}.Flags), 72},
		{"offsetof(gpio_v2_line_info, attrs)", unsafe.Offsetof(gpioV2LineInfo{}.Attrs), 80},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestFourcc(t *testing.T) {
	for v, want := range map[uint32]string{
		0x56595559:         "YUYV",
		0x54485746:         "FWHT",
		0x20203859:         "Y8", // trailing spaces trimmed
		0x56595559 | 1<<31: "YUYV-BE",
		0x00000001:         "0x00000001",
	} {
		if got := fourcc(v); got != want {
			t.Errorf("fourcc(%#x) = %q, want %q", v, got, want)
		}
	}
}

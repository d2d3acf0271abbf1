//go:build linux

package main

import (
	"unsafe"

	"camagent/internal/v4l2"
)

// Linux encodes an ioctl request as direction | size | type | number
// (include/uapi/asm-generic/ioctl.h, used by both amd64 and arm64): 2
// direction bits at 30, a 14-bit argument size at 16, the driver's type byte
// at 8 and the command number at 0. The sizes come from the Go mirrors of
// the kernel structs below. Every field is naturally aligned and the structs
// have no pointers or longs, so the layout is the same on every 64-bit Linux
// (32-bit ARM would differ for structs holding time values; none are used
// here). ioctl_test.go pins the results to what the C headers give.
const (
	iocWrite = 1
	iocRead  = 2

	iocDirShift  = 30
	iocSizeShift = 16
	iocTypeShift = 8
)

const (
	// VIDIOC_QUERYCAP = _IOR('V', 0, struct v4l2_capability)
	vidiocQuerycap = iocRead<<iocDirShift | unsafe.Sizeof(v4l2Capability{})<<iocSizeShift | 'V'<<iocTypeShift | 0
	// VIDIOC_ENUM_FMT = _IOWR('V', 2, struct v4l2_fmtdesc)
	vidiocEnumFmt = (iocRead|iocWrite)<<iocDirShift | unsafe.Sizeof(v4l2Fmtdesc{})<<iocSizeShift | 'V'<<iocTypeShift | 2
	// GPIO_GET_CHIPINFO_IOCTL = _IOR(0xB4, 0x01, struct gpiochip_info)
	gpioGetChipinfo = iocRead<<iocDirShift | unsafe.Sizeof(gpiochipInfo{})<<iocSizeShift | 0xB4<<iocTypeShift | 0x01
	// GPIO_V2_GET_LINEINFO_IOCTL = _IOWR(0xB4, 0x05, struct gpio_v2_line_info)
	gpioV2GetLineinfo = (iocRead|iocWrite)<<iocDirShift | unsafe.Sizeof(gpioV2LineInfo{})<<iocSizeShift | 0xB4<<iocTypeShift | 0x05
)

// The V4L2 structures and the ioctl call are the agent's own
// (internal/v4l2): struct v4l2_capability is 104 bytes, struct
// v4l2_fmtdesc 64 (5.7+ layout with mbus_code).
type (
	v4l2Capability = v4l2.Capability
	v4l2Fmtdesc    = v4l2.Fmtdesc
)

var (
	ioctl = v4l2.Ioctl
	cstr  = v4l2.CStr
)

// struct gpiochip_info (linux/gpio.h), 68 bytes.
type gpiochipInfo struct {
	Name  [32]byte
	Label [32]byte
	Lines uint32
}

// struct gpio_v2_line_attribute: id, padding, then a u64 union.
type gpioV2LineAttribute struct {
	ID      uint32
	Padding uint32
	Value   uint64
}

// struct gpio_v2_line_info (linux/gpio.h), 256 bytes; Flags is at offset 72.
type gpioV2LineInfo struct {
	Name     [32]byte
	Consumer [32]byte
	Offset   uint32
	NumAttrs uint32
	Flags    uint64
	Attrs    [10]gpioV2LineAttribute
	Padding  [4]uint32
}

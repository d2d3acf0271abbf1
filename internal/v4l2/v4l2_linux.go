//go:build linux

package v4l2

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The single-planar structures, the ioctl number encoding and the ioctl
// call that the capture source, the M2M encoder and the VM bench's probe
// all use. Layout differences between 64- and 32-bit come only from long,
// pointer and struct timeval fields, mirrored with uintptr and
// unix.Timeval so Go lays them out as the C compiler does; capture's and
// encode's ioctl tests pin the numbers to gcc's values.

// Directions of an ioctl request (asm-generic/ioctl.h).
const (
	IocWrite = 1
	IocRead  = 2
)

// Ioc encodes a V4L2 ioctl request: 2 direction bits at 30, 14 size bits
// at 16, type 'V' at 8, number at 0 (amd64, arm64 and arm).
func Ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'V'<<8 | nr }

type Capability struct {
	Driver       [16]byte
	Card         [32]byte
	BusInfo      [32]byte
	Version      uint32
	Capabilities uint32
	DeviceCaps   uint32
	Reserved     [3]uint32
}

type Fmtdesc struct {
	Index       uint32
	Type        uint32
	Flags       uint32
	Description [32]byte
	PixelFormat uint32
	MbusCode    uint32
	Reserved    [3]uint32
}

// PixFormat is the single-planar member of v4l2_format's union.
type PixFormat struct {
	Width, Height, PixelFormat, Field       uint32
	BytesPerLine, SizeImage, Colorspace     uint32
	Priv, Flags, YcbcrEnc, Quantization, XF uint32
}

// Format: the union holds pointers (v4l2_window), so it is
// pointer-aligned: 208 bytes on 64-bit, 204 on 32-bit.
type Format struct {
	Type uint32
	Fmt  struct {
		_   [0]uintptr
		Raw [200]byte
	}
}

// Exportbuffer is struct v4l2_exportbuffer (VIDIOC_EXPBUF; 64 bytes everywhere).
type Exportbuffer struct {
	Type     uint32
	Index    uint32
	Plane    uint32
	Flags    uint32
	FD       int32
	Reserved [11]uint32
}

type Requestbuffers struct {
	Count        uint32
	Type         uint32
	Memory       uint32
	Capabilities uint32
	Flags        uint8
	Reserved     [3]uint8
}

type Timecode struct {
	Type, Flags                     uint32
	Frames, Seconds, Minutes, Hours uint8
	Userbits                        [4]uint8
}

// Buffer: 88 bytes on 64-bit, 68 on 32-bit with 32-bit time_t (what Go
// uses on arm). M is the offset/userptr/planes/fd union.
type Buffer struct {
	Index     uint32
	Type      uint32
	BytesUsed uint32
	Flags     uint32
	Field     uint32
	Timestamp unix.Timeval
	Timecode  Timecode
	Sequence  uint32
	Memory    uint32
	M         uintptr
	Length    uint32
	Reserved2 uint32
	RequestFD int32
}

// Pix is the single-planar member of the format union.
func (f *Format) Pix() *PixFormat { return (*PixFormat)(unsafe.Pointer(&f.Fmt.Raw[0])) }

// Mplane is the multi-planar member of the format union.
func (f *Format) Mplane() *PixFormatMplane { return (*PixFormatMplane)(unsafe.Pointer(&f.Fmt.Raw[0])) }

// Ioctl issues one request whose argument is a pointer to a struct,
// retrying on EINTR.
func Ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		default:
			return errno
		}
	}
}

// CStr turns a NUL-padded kernel string field into a Go string.
func CStr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

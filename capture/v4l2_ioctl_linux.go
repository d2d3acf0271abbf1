//go:build linux

package capture

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Go mirrors of the linux/videodev2.h structs the capture path uses, and
// the ioctl numbers computed from their sizes (asm-generic/ioctl.h: 2
// direction bits at 30, 14 size bits at 16, type at 8, number at 0; used
// by amd64, arm64 and arm). Layout differences between 64- and 32-bit come
// only from long, pointer and struct timeval fields, mirrored with uintptr
// and unix.Timeval so Go lays them out as the C compiler does.
// v4l2_ioctl_linux_test.go pins the numbers to the C headers' values.
const (
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'V'<<8 | nr }

var (
	vidiocQuerycap           = ioc(iocRead, 0, unsafe.Sizeof(v4l2Capability{}))
	vidiocEnumFmt            = ioc(iocRead|iocWrite, 2, unsafe.Sizeof(v4l2Fmtdesc{}))
	vidiocSFmt               = ioc(iocRead|iocWrite, 5, unsafe.Sizeof(v4l2Format{}))
	vidiocReqbufs            = ioc(iocRead|iocWrite, 8, unsafe.Sizeof(v4l2Requestbuffers{}))
	vidiocQuerybuf           = ioc(iocRead|iocWrite, 9, unsafe.Sizeof(v4l2Buffer{}))
	vidiocQbuf               = ioc(iocRead|iocWrite, 15, unsafe.Sizeof(v4l2Buffer{}))
	vidiocDqbuf              = ioc(iocRead|iocWrite, 17, unsafe.Sizeof(v4l2Buffer{}))
	vidiocStreamon           = ioc(iocWrite, 18, unsafe.Sizeof(int32(0)))
	vidiocStreamoff          = ioc(iocWrite, 19, unsafe.Sizeof(int32(0)))
	vidiocSParm              = ioc(iocRead|iocWrite, 22, unsafe.Sizeof(v4l2Streamparm{}))
	vidiocEnumFramesizes     = ioc(iocRead|iocWrite, 74, unsafe.Sizeof(v4l2Frmsizeenum{}))
	vidiocEnumFrameintervals = ioc(iocRead|iocWrite, 75, unsafe.Sizeof(v4l2Frmivalenum{}))
	vidiocQueryctrl          = ioc(iocRead|iocWrite, 36, unsafe.Sizeof(v4l2Queryctrl{}))
	vidiocQuerymenu          = ioc(iocRead|iocWrite, 37, unsafe.Sizeof(v4l2Querymenu{}))
	vidiocQueryExtCtrl       = ioc(iocRead|iocWrite, 103, unsafe.Sizeof(v4l2QueryExtCtrl{}))
)

const (
	capVideoCapture       = 0x00000001
	capVideoCaptureMplane = 0x00001000
	capStreaming          = 0x04000000
	capDeviceCaps         = 0x80000000

	bufTypeVideoCapture = 1
	memoryMmap          = 1
	fieldNone           = 1

	frmsizeDiscrete = 1
	frmivalDiscrete = 1

	bufFlagError            = 0x00000040
	bufFlagTimestampMask    = 0x0000e000
	bufFlagTimestampMonoton = 0x00002000
)

type v4l2Capability struct {
	Driver       [16]byte
	Card         [32]byte
	BusInfo      [32]byte
	Version      uint32
	Capabilities uint32
	DeviceCaps   uint32
	Reserved     [3]uint32
}

type v4l2Fmtdesc struct {
	Index       uint32
	Type        uint32
	Flags       uint32
	Description [32]byte
	PixelFormat uint32
	MbusCode    uint32
	Reserved    [3]uint32
}

// v4l2PixFormat is the single-planar member of v4l2_format's union.
type v4l2PixFormat struct {
	Width, Height, PixelFormat, Field       uint32
	BytesPerLine, SizeImage, Colorspace     uint32
	Priv, Flags, YcbcrEnc, Quantization, XF uint32
}

// v4l2Format: the union holds pointers (v4l2_window), so it is
// pointer-aligned: 208 bytes on 64-bit, 204 on 32-bit.
type v4l2Format struct {
	Type uint32
	Fmt  struct {
		_   [0]uintptr
		Raw [200]byte
	}
}

func (f *v4l2Format) pix() *v4l2PixFormat { return (*v4l2PixFormat)(unsafe.Pointer(&f.Fmt.Raw[0])) }

type v4l2Fract struct{ Num, Den uint32 }

// v4l2Streamparm with the capture member of its 200-byte union.
type v4l2Streamparm struct {
	Type         uint32
	Capability   uint32
	CaptureMode  uint32
	TimePerFrame v4l2Fract
	ExtendedMode uint32
	ReadBuffers  uint32
	Reserved     [4]uint32
	_            [200 - 40]byte
}

type v4l2Requestbuffers struct {
	Count        uint32
	Type         uint32
	Memory       uint32
	Capabilities uint32
	Flags        uint8
	Reserved     [3]uint8
}

type v4l2Timecode struct {
	Type, Flags                     uint32
	Frames, Seconds, Minutes, Hours uint8
	Userbits                        [4]uint8
}

// v4l2Buffer: 88 bytes on 64-bit, 68 on 32-bit with 32-bit time_t (what Go
// uses on arm). M is the offset/userptr/planes/fd union.
type v4l2Buffer struct {
	Index     uint32
	Type      uint32
	BytesUsed uint32
	Flags     uint32
	Field     uint32
	Timestamp unix.Timeval
	Timecode  v4l2Timecode
	Sequence  uint32
	Memory    uint32
	M         uintptr
	Length    uint32
	Reserved2 uint32
	RequestFD int32
}

type v4l2Frmsizeenum struct {
	Index       uint32
	PixelFormat uint32
	Type        uint32
	// discrete {w, h} or stepwise {min_w, max_w, step_w, min_h, max_h, step_h}
	U        [6]uint32
	Reserved [2]uint32
}

type v4l2Frmivalenum struct {
	Index       uint32
	PixelFormat uint32
	Width       uint32
	Height      uint32
	Type        uint32
	// discrete fract, or stepwise {min, max, step} fracts
	U        [6]uint32
	Reserved [2]uint32
}

// v4l2Queryctrl is struct v4l2_queryctrl (68 bytes everywhere), the
// fallback for drivers without VIDIOC_QUERY_EXT_CTRL.
type v4l2Queryctrl struct {
	ID           uint32
	Type         uint32
	Name         [32]byte
	Minimum      int32
	Maximum      int32
	Step         int32
	DefaultValue int32
	Flags        uint32
	Reserved     [2]uint32
}

// v4l2QueryExtCtrl is struct v4l2_query_ext_ctrl (232 bytes everywhere:
// the s64 fields sit at offset 40, 8-aligned for Go's arm layout too).
type v4l2QueryExtCtrl struct {
	ID           uint32
	Type         uint32
	Name         [32]byte
	Minimum      int64
	Maximum      int64
	Step         uint64
	DefaultValue int64
	Flags        uint32
	ElemSize     uint32
	Elems        uint32
	NrOfDims     uint32
	Dims         [4]uint32
	Reserved     [32]uint32
}

// v4l2Querymenu is the packed struct v4l2_querymenu (44 bytes): the union
// is the item's name, or for integer menus its s64 value (little-endian in
// the first 8 bytes).
type v4l2Querymenu struct {
	ID       uint32
	Index    uint32
	Name     [32]byte
	Reserved uint32
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
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

func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

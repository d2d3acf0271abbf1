//go:build linux

package capture

import (
	"unsafe"

	"camagent/internal/v4l2"
)

// The ioctl numbers of the capture path, and the linux/videodev2.h
// structs only it uses (frame sizes and intervals, controls); the ones the
// encoder uses too live in internal/v4l2. v4l2_ioctl_linux_test.go pins
// the numbers to the C headers' values.
const (
	iocWrite = v4l2.IocWrite
	iocRead  = v4l2.IocRead
)

var (
	ioc   = v4l2.Ioc
	ioctl = v4l2.Ioctl
	cstr  = v4l2.CStr
)

// The structures shared with encode/ and the bench's probe (internal/v4l2).
type (
	v4l2Capability     = v4l2.Capability
	v4l2Fmtdesc        = v4l2.Fmtdesc
	v4l2PixFormat      = v4l2.PixFormat
	v4l2Format         = v4l2.Format
	v4l2Requestbuffers = v4l2.Requestbuffers
	v4l2Timecode       = v4l2.Timecode
	v4l2Buffer         = v4l2.Buffer
	v4l2Exportbuffer   = v4l2.Exportbuffer
)

var (
	vidiocQuerycap           = ioc(iocRead, 0, unsafe.Sizeof(v4l2Capability{}))
	vidiocEnumFmt            = ioc(iocRead|iocWrite, 2, unsafe.Sizeof(v4l2Fmtdesc{}))
	vidiocSFmt               = ioc(iocRead|iocWrite, 5, unsafe.Sizeof(v4l2Format{}))
	vidiocReqbufs            = ioc(iocRead|iocWrite, 8, unsafe.Sizeof(v4l2Requestbuffers{}))
	vidiocQuerybuf           = ioc(iocRead|iocWrite, 9, unsafe.Sizeof(v4l2Buffer{}))
	vidiocQbuf               = ioc(iocRead|iocWrite, 15, unsafe.Sizeof(v4l2Buffer{}))
	vidiocExpbuf             = ioc(iocRead|iocWrite, 16, unsafe.Sizeof(v4l2Exportbuffer{}))
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

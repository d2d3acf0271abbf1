//go:build linux

package encode

import (
	"camagent/internal/v4l2"

	"errors"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Go mirrors of the linux/videodev2.h structs only the M2M encoder uses
// (controls, commands, events), and the ioctl numbers computed from their
// sizes. The structures the capture source uses too live in internal/v4l2.
// Layout differences between 64- and 32-bit come only from long/pointer
// and time fields, mirrored with uintptr and unix.Timeval/Timespec.
// m2m_ioctl_linux_test.go pins every number and size to gcc's values on
// amd64, arm64 and armv7.
const (
	m2mIocWrite = v4l2.IocWrite
	m2mIocRead  = v4l2.IocRead
)

var (
	m2mIoc  = v4l2.Ioc
	m2mCstr = v4l2.CStr
)

// The structures shared with capture/ and the bench's probe (internal/v4l2).
type (
	v4l2Capability     = v4l2.Capability
	v4l2Fmtdesc        = v4l2.Fmtdesc
	v4l2PixFormat      = v4l2.PixFormat
	v4l2Format         = v4l2.Format
	v4l2Requestbuffers = v4l2.Requestbuffers
	v4l2Exportbuffer   = v4l2.Exportbuffer
	v4l2Timecode       = v4l2.Timecode
	v4l2Buffer         = v4l2.Buffer
)

var (
	vidiocQuerycap       = m2mIoc(m2mIocRead, 0, unsafe.Sizeof(v4l2Capability{}))
	vidiocEnumFmt        = m2mIoc(m2mIocRead|m2mIocWrite, 2, unsafe.Sizeof(v4l2Fmtdesc{}))
	vidiocGFmt           = m2mIoc(m2mIocRead|m2mIocWrite, 4, unsafe.Sizeof(v4l2Format{}))
	vidiocSFmt           = m2mIoc(m2mIocRead|m2mIocWrite, 5, unsafe.Sizeof(v4l2Format{}))
	vidiocReqbufs        = m2mIoc(m2mIocRead|m2mIocWrite, 8, unsafe.Sizeof(v4l2Requestbuffers{}))
	vidiocExpbuf         = m2mIoc(m2mIocRead|m2mIocWrite, 16, unsafe.Sizeof(v4l2Exportbuffer{}))
	vidiocQuerybuf       = m2mIoc(m2mIocRead|m2mIocWrite, 9, unsafe.Sizeof(v4l2Buffer{}))
	vidiocQbuf           = m2mIoc(m2mIocRead|m2mIocWrite, 15, unsafe.Sizeof(v4l2Buffer{}))
	vidiocDqbuf          = m2mIoc(m2mIocRead|m2mIocWrite, 17, unsafe.Sizeof(v4l2Buffer{}))
	vidiocStreamon       = m2mIoc(m2mIocWrite, 18, unsafe.Sizeof(int32(0)))
	vidiocStreamoff      = m2mIoc(m2mIocWrite, 19, unsafe.Sizeof(int32(0)))
	vidiocSParm          = m2mIoc(m2mIocRead|m2mIocWrite, 22, unsafe.Sizeof(v4l2Streamparm{}))
	vidiocSCtrl          = m2mIoc(m2mIocRead|m2mIocWrite, 28, unsafe.Sizeof(v4l2Control{}))
	vidiocSExtCtrls      = m2mIoc(m2mIocRead|m2mIocWrite, 72, unsafe.Sizeof(v4l2ExtControls{}))
	vidiocEncoderCmd     = m2mIoc(m2mIocRead|m2mIocWrite, 77, unsafe.Sizeof(v4l2EncoderCmd{}))
	vidiocDqevent        = m2mIoc(m2mIocRead, 89, unsafe.Sizeof(v4l2Event{}))
	vidiocSubscribeEvent = m2mIoc(m2mIocWrite, 90, unsafe.Sizeof(v4l2EventSubscription{}))
	vidiocDecoderCmd     = m2mIoc(m2mIocRead|m2mIocWrite, 96, unsafe.Sizeof(v4l2DecoderCmd{}))
)

const (
	capVideoM2MMplane = 0x00004000
	capVideoM2M       = 0x00008000
	capStreaming      = 0x04000000
	capDeviceCaps     = 0x80000000

	bufTypeVideoCapture       = 1
	bufTypeVideoOutput        = 2
	bufTypeVideoCaptureMplane = 9
	bufTypeVideoOutputMplane  = 10

	memoryMmap   = 1
	memoryDMABuf = 4
	fieldNone    = 1

	bufFlagKeyframe = 0x00000008
	bufFlagError    = 0x00000040
	bufFlagLast     = 0x00100000

	eventEOS          = 2
	eventSourceChange = 5

	encCmdStop = 1
	decCmdStop = 1

	fourccYU12 = 0x32315559 // V4L2_PIX_FMT_YUV420
	fourccNV12 = 0x3231564e
	fourccH264 = 0x34363248
	fourccFWHT = 0x54485746
)

// The multi-planar structures are shared with capture/.
type (
	v4l2PlanePixFormat  = v4l2.PlanePixFormat
	v4l2PixFormatMplane = v4l2.PixFormatMplane
	v4l2Plane           = v4l2.Plane
)

// v4l2Streamparm with the output member of its 200-byte union (same shape
// as the capture member): encoders take the frame rate on OUTPUT.
type v4l2Streamparm struct {
	Type         uint32
	Capability   uint32
	OutputMode   uint32
	TimePerFrame struct{ Num, Den uint32 }
	ExtendedMode uint32
	WriteBuffers uint32
	Reserved     [4]uint32
	_            [200 - 40]byte
}

// v4l2Plane: 64 bytes on 64-bit, 60 on 32-bit.
type v4l2Control struct {
	ID    uint32
	Value int32
}

// v4l2ExtControl is C-packed (20 bytes): the 64-bit value union sits at
// offset 12, so it is split into two 32-bit words (little-endian on every
// target) to keep Go from padding it.
type v4l2ExtControl struct {
	ID        uint32
	Size      uint32
	Reserved2 uint32
	Value     int32
	ValueHi   int32
}

type v4l2ExtControls struct {
	Which     uint32
	Count     uint32
	ErrorIdx  uint32
	RequestFD int32
	Reserved  uint32
	Controls  uintptr
}

type v4l2EncoderCmd struct {
	Cmd, Flags uint32
	Raw        [8]uint32
}

type v4l2DecoderCmd struct {
	Cmd, Flags uint32
	Raw        [16]uint32
}

type v4l2EventSubscription struct {
	Type, ID, Flags uint32
	Reserved        [5]uint32
}

// v4l2Event: the union holds an s64, so C puts it at offset 8 on every
// target; Go aligns uint64 to 4 on arm, hence the explicit pad words.
// 136 bytes on 64-bit, 128 on 32-bit.
type v4l2Event struct {
	Type      uint32
	_         uint32
	U         [64]byte
	Pending   uint32
	Sequence  uint32
	Timestamp unix.Timespec
	ID        uint32
	Reserved  [8]uint32
	_         [8 - unsafe.Sizeof(uintptr(0))]byte
}

// m2mIO is the seam between the encoder and the kernel: the real one is a
// file descriptor, the unit tests' fake answers like a bcm2835-codec.
type m2mIO interface {
	ioctl(req uintptr, arg unsafe.Pointer) error
	// poll waits for events (POLLIN, POLLOUT, POLLPRI) for at most timeout.
	poll(events int16, timeout time.Duration) (revents int16, err error)
	mmap(offset int64, length int) ([]byte, error)
	munmap(b []byte) error
	close() error
}

type fdIO struct{ fd int }

// openM2MNode opens non-blocking: DQBUF must never block, waiting is done
// in poll with a deadline.
func openM2MNode(path string) (m2mIO, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &fdIO{fd: fd}, nil
}

func (d *fdIO) ioctl(req uintptr, arg unsafe.Pointer) error { return v4l2.Ioctl(d.fd, req, arg) }

func (d *fdIO) poll(events int16, timeout time.Duration) (int16, error) {
	pfd := []unix.PollFd{{Fd: int32(d.fd), Events: events}}
	ms := int(timeout / time.Millisecond)
	if timeout > 0 && ms == 0 {
		ms = 1
	}
	n, err := unix.Poll(pfd, ms)
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return 0, nil
		}
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	return pfd[0].Revents, nil
}

func (d *fdIO) mmap(offset int64, length int) ([]byte, error) {
	return unix.Mmap(d.fd, offset, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

func (d *fdIO) munmap(b []byte) error { return unix.Munmap(b) }
func (d *fdIO) close() error          { return unix.Close(d.fd) }

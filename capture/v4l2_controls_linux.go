//go:build linux

package capture

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// v4l2Control is struct v4l2_control (8 bytes everywhere).
type v4l2Control struct {
	ID    uint32
	Value int32
}

var (
	vidiocGCtrl = ioc(iocRead|iocWrite, 27, unsafe.Sizeof(v4l2Control{}))
	vidiocSCtrl = ioc(iocRead|iocWrite, 28, unsafe.Sizeof(v4l2Control{}))
)

const (
	ctrlFlagReadOnly = 0x0004
	ctrlTypeInteger  = 1
	ctrlTypeBoolean  = 2
)

// v4l2CtrlDevice is a second descriptor on the capture node, for controls
// only: it never streams, so it does not disturb the session's buffers.
type v4l2CtrlDevice struct {
	path string
	fd   int
}

// openCtrlDevice opens the node the source streams from, resolved the
// same way (Device, or the first node matching Match).
func openCtrlDevice(cfg V4L2Config) (ctrlDevice, error) {
	path, err := nodePath(cfg)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: open: %w", path, err)
	}
	return &v4l2CtrlDevice{path: path, fd: fd}, nil
}

func (d *v4l2CtrlDevice) query(id ControlID) (ctrlInfo, error) {
	q := v4l2Queryctrl{ID: uint32(id)}
	if err := ioctl(d.fd, vidiocQueryctrl, unsafe.Pointer(&q)); err != nil {
		if errors.Is(err, unix.EINVAL) {
			return ctrlInfo{}, ErrNoControl
		}
		return ctrlInfo{}, fmt.Errorf("%s: VIDIOC_QUERYCTRL: %w", d.path, err)
	}
	switch {
	case q.Flags&ctrlFlagDisabled != 0:
		return ctrlInfo{}, fmt.Errorf("%w: disabled", ErrNoControl)
	case q.Type != ctrlTypeInteger && q.Type != ctrlTypeBoolean && q.Type != ctrlTypeMenu:
		return ctrlInfo{}, fmt.Errorf("%w: type %d", ErrNoControl, q.Type)
	}
	return ctrlInfo{ControlValue: ControlValue{Min: q.Minimum, Max: q.Maximum, Step: q.Step, Default: q.DefaultValue},
		readOnly: q.Flags&ctrlFlagReadOnly != 0}, nil
}

func (d *v4l2CtrlDevice) get(id ControlID) (int32, error) {
	c := v4l2Control{ID: uint32(id)}
	if err := ioctl(d.fd, vidiocGCtrl, unsafe.Pointer(&c)); err != nil {
		return 0, fmt.Errorf("%s: VIDIOC_G_CTRL: %w", d.path, err)
	}
	return c.Value, nil
}

func (d *v4l2CtrlDevice) set(id ControlID, v int32) error {
	c := v4l2Control{ID: uint32(id), Value: v}
	if err := ioctl(d.fd, vidiocSCtrl, unsafe.Pointer(&c)); err != nil {
		if errors.Is(err, unix.ERANGE) {
			return &ControlRangeError{ID: id, Value: v}
		}
		return fmt.Errorf("%s: VIDIOC_S_CTRL: %w", d.path, err)
	}
	return nil
}

func (d *v4l2CtrlDevice) Close() error {
	if d.fd < 0 {
		return nil
	}
	err := unix.Close(d.fd)
	d.fd = -1
	return err
}

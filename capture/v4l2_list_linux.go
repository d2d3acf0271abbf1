//go:build linux

package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	capVideoOutput      = 0x00000002
	capVideoOutputMpl   = 0x00002000
	capVideoM2MMplane   = 0x00004000
	capVideoM2M         = 0x00008000
	bufTypeCaptureMpl   = 9
	fmtFlagCompressed   = 0x0001
	fmtFlagEmulated     = 0x0002
	ctrlFlagDisabled    = 0x0001
	ctrlFlagNextCtrl    = 0x80000000
	ctrlFlagNextCompnd  = 0x40000000
	ctrlTypeMenu        = 3
	ctrlTypeCtrlClass   = 6
	ctrlTypeIntegerMenu = 9
)

// ListCameras describes every V4L2 video-capture node under /dev/video*
// (single- or multi-planar; memory-to-memory nodes are codecs, not
// cameras, and are left out), in node-number order. Nodes that cannot be
// opened are reported in the error, joined, next to the cameras that
// could; a node that vanished meanwhile is skipped silently.
func ListCameras() ([]CameraInfo, error) {
	nodes, _ := filepath.Glob("/dev/video*")
	sort.Slice(nodes, func(i, j int) bool { return nodeNum(nodes[i]) < nodeNum(nodes[j]) })
	cams := []CameraInfo{}
	var errs []error
	for _, p := range nodes {
		c, ok, err := describeCamera(p)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			cams = append(cams, c)
		}
	}
	return cams, errors.Join(errs...)
}

func describeCamera(path string) (CameraInfo, bool, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) {
			return CameraInfo{}, false, nil
		}
		return CameraInfo{}, false, fmt.Errorf("%s: open: %w", path, err)
	}
	defer unix.Close(fd)
	var c v4l2Capability
	if ioctl(fd, vidiocQuerycap, unsafe.Pointer(&c)) != nil {
		return CameraInfo{}, false, nil // not V4L2 (or gone)
	}
	caps := c.Capabilities
	if caps&capDeviceCaps != 0 {
		caps = c.DeviceCaps
	}
	single, multi := caps&capVideoCapture != 0, caps&capVideoCaptureMplane != 0
	m2m := caps&(capVideoM2M|capVideoM2MMplane) != 0 ||
		(single || multi) && caps&(capVideoOutput|capVideoOutputMpl) != 0
	if !(single || multi) || m2m {
		return CameraInfo{}, false, nil
	}
	info := CameraInfo{
		Path: path, Card: cstr(c.Card[:]), Driver: cstr(c.Driver[:]), BusInfo: cstr(c.BusInfo[:]),
		Capabilities: CapabilityNames(caps), CapsMask: caps, MultiPlanar: !single,
		Formats: []FormatInfo{}, Controls: []ControlInfo{},
	}
	typ := uint32(bufTypeVideoCapture)
	if !single {
		typ = bufTypeCaptureMpl
	}
	offers, err := enumFormatsFD(fd, typ, nil)
	if err != nil {
		info.Errors = append(info.Errors, err.Error())
	}
	for _, o := range offers {
		f := FormatInfo{
			FourCC: o.FourCC.String(), Description: o.Description,
			Compressed: o.flags&fmtFlagCompressed != 0, Emulated: o.flags&fmtFlagEmulated != 0,
			Supported: o.FourCC.supported(), Sizes: []SizeInfo{},
		}
		for _, s := range o.Sizes {
			si := SizeInfo{Width: s.MinW, Height: s.MinH, Rates: []RateInfo{}}
			if s.MinW != s.MaxW || s.MinH != s.MaxH {
				si.MaxWidth, si.MaxHeight, si.StepWidth, si.StepHeight = s.MaxW, s.MaxH, s.StepW, s.StepH
			}
			discrete, lo, hi := enumIntervalsFD(fd, o.FourCC, s.MaxW, s.MaxH)
			for _, iv := range discrete {
				si.Rates = append(si.Rates, rateInfo(iv, iv))
			}
			if lo.Num != 0 && hi.Num != 0 {
				si.Rates = append(si.Rates, rateInfo(lo, hi))
			}
			f.Sizes = append(f.Sizes, si)
		}
		info.Formats = append(info.Formats, f)
	}
	info.Controls = listControls(fd)
	return info, true, nil
}

// listControls walks the controls with V4L2_CTRL_FLAG_NEXT_CTRL (and
// NEXT_COMPOUND) through VIDIOC_QUERY_EXT_CTRL, or VIDIOC_QUERYCTRL when
// the driver predates it (kernels before 3.19).
func listControls(fd int) []ControlInfo {
	ctrls := []ControlInfo{}
	var q v4l2QueryExtCtrl
	q.ID = ctrlFlagNextCtrl | ctrlFlagNextCompnd
	err := ioctl(fd, vidiocQueryExtCtrl, unsafe.Pointer(&q))
	if errors.Is(err, unix.ENOTTY) {
		return listControlsOld(fd)
	}
	for n := 0; err == nil && n < 4096; n++ {
		c := ControlInfo{ID: q.ID, Name: cstr(q.Name[:]), Type: ctrlTypeName(q.Type),
			Min: q.Minimum, Max: q.Maximum, Step: q.Step, Default: q.DefaultValue, Flags: ctrlFlags(q.Flags)}
		if q.NrOfDims > 0 && q.NrOfDims <= 4 {
			c.Dims = append([]uint32(nil), q.Dims[:q.NrOfDims]...)
		}
		if keepControl(q.Type, q.Flags) {
			c.Menu = listMenu(fd, q.ID, q.Type, q.Minimum, q.Maximum)
			ctrls = append(ctrls, c)
		}
		q = v4l2QueryExtCtrl{ID: q.ID | ctrlFlagNextCtrl | ctrlFlagNextCompnd}
		err = ioctl(fd, vidiocQueryExtCtrl, unsafe.Pointer(&q))
	}
	return ctrls
}

func listControlsOld(fd int) []ControlInfo {
	ctrls := []ControlInfo{}
	q := v4l2Queryctrl{ID: ctrlFlagNextCtrl}
	for n := 0; n < 4096 && ioctl(fd, vidiocQueryctrl, unsafe.Pointer(&q)) == nil; n++ {
		if keepControl(q.Type, q.Flags) {
			ctrls = append(ctrls, ControlInfo{ID: q.ID, Name: cstr(q.Name[:]), Type: ctrlTypeName(q.Type),
				Min: int64(q.Minimum), Max: int64(q.Maximum), Step: uint64(uint32(q.Step)), Default: int64(q.DefaultValue),
				Flags: ctrlFlags(q.Flags), Menu: listMenu(fd, q.ID, q.Type, int64(q.Minimum), int64(q.Maximum))})
		}
		q = v4l2Queryctrl{ID: q.ID | ctrlFlagNextCtrl}
	}
	return ctrls
}

func keepControl(typ, flags uint32) bool {
	return typ != ctrlTypeCtrlClass && flags&ctrlFlagDisabled == 0
}

// listMenu asks VIDIOC_QUERYMENU for every index in [min, max]; drivers
// answer EINVAL for the gaps of a sparse menu.
func listMenu(fd int, id, typ uint32, lo, hi int64) []MenuItem {
	if typ != ctrlTypeMenu && typ != ctrlTypeIntegerMenu || lo < 0 || hi < lo || hi-lo > 256 {
		return nil
	}
	var items []MenuItem
	for i := lo; i <= hi; i++ {
		m := v4l2Querymenu{ID: id, Index: uint32(i)}
		if ioctl(fd, vidiocQuerymenu, unsafe.Pointer(&m)) != nil {
			continue
		}
		it := MenuItem{Index: uint32(i)}
		if typ == ctrlTypeIntegerMenu {
			v := int64(binary.LittleEndian.Uint64(m.Name[:8]))
			it.Value = &v
		} else {
			it.Name = cstr(m.Name[:])
		}
		items = append(items, it)
	}
	return items
}

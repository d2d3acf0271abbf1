//go:build linux

package encode

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"unsafe"

	"golang.org/x/sys/unix"
)

const fmtFlagCompressed = 0x0001

// ListM2MEncoders finds the encoders the way NewM2M does, by capability:
// every streaming M2M node under /dev/video* whose CAPTURE queue offers a
// compressed format and whose OUTPUT queue takes a raw one (decoders are
// the other way round and are left out). Nodes that cannot be opened are
// reported in the joined error next to the encoders that could.
func ListM2MEncoders() ([]M2MInfo, error) {
	nodes, _ := filepath.Glob("/dev/video*")
	sort.Slice(nodes, func(i, j int) bool { return m2mNodeNum(nodes[i]) < m2mNodeNum(nodes[j]) })
	encs := []M2MInfo{}
	var errs []error
	for _, p := range nodes {
		dev, err := openM2MNode(p)
		if err != nil {
			if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENODEV) && !errors.Is(err, unix.ENXIO) {
				errs = append(errs, fmt.Errorf("%s: open: %w", p, err))
			}
			continue
		}
		if info, ok := describeM2M(dev, p); ok {
			encs = append(encs, info)
		}
		dev.close()
	}
	return encs, errors.Join(errs...)
}

func describeM2M(dev m2mIO, path string) (M2MInfo, bool) {
	var c v4l2Capability
	if dev.ioctl(vidiocQuerycap, unsafe.Pointer(&c)) != nil {
		return M2MInfo{}, false
	}
	caps := c.Capabilities
	if caps&capDeviceCaps != 0 {
		caps = c.DeviceCaps
	}
	if caps&(capVideoM2M|capVideoM2MMplane) == 0 || caps&capStreaming == 0 {
		return M2MInfo{}, false
	}
	mplane := caps&capVideoM2MMplane != 0
	outT, capT := uint32(bufTypeVideoOutput), uint32(bufTypeVideoCapture)
	if mplane {
		outT, capT = bufTypeVideoOutputMplane, bufTypeVideoCaptureMplane
	}
	raw, _ := enumFormatInfo(dev, outT)
	_, coded := enumFormatInfo(dev, capT)
	if len(raw) == 0 || len(coded) == 0 {
		return M2MInfo{}, false
	}
	info := M2MInfo{
		Path: path, Card: m2mCstr(c.Card[:]), Driver: m2mCstr(c.Driver[:]), BusInfo: m2mCstr(c.BusInfo[:]),
		CapsMask: caps, MultiPlanar: mplane, Output: raw, Capture: coded,
	}
	for _, f := range coded {
		if f.FourCC == fourccString(fourccH264) {
			for _, r := range raw {
				info.Usable = info.Usable || r.FourCC == fourccString(fourccYU12) || r.FourCC == fourccString(fourccNV12)
			}
		}
	}
	return info, true
}

// enumFormatInfo splits a queue's formats into raw and compressed ones.
func enumFormatInfo(dev m2mIO, typ uint32) (raw, coded []M2MFormatInfo) {
	for i := uint32(0); i < 64; i++ {
		d := v4l2Fmtdesc{Index: i, Type: typ}
		if dev.ioctl(vidiocEnumFmt, unsafe.Pointer(&d)) != nil {
			break
		}
		f := M2MFormatInfo{FourCC: fourccString(d.PixelFormat), Description: m2mCstr(d.Description[:])}
		if d.Flags&fmtFlagCompressed != 0 {
			coded = append(coded, f)
		} else {
			raw = append(raw, f)
		}
	}
	return raw, coded
}

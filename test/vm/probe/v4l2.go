//go:build linux

package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Capability bits (V4L2_CAP_*) and buffer types (V4L2_BUF_TYPE_*) from
// linux/videodev2.h.
const (
	capVideoCapture       = 0x00000001
	capVideoOutput        = 0x00000002
	capVideoOverlay       = 0x00000004
	capVBICapture         = 0x00000010
	capVBIOutput          = 0x00000020
	capVideoCaptureMplane = 0x00001000
	capVideoOutputMplane  = 0x00002000
	capVideoM2MMplane     = 0x00004000
	capVideoM2M           = 0x00008000
	capExtPixFormat       = 0x00200000
	capMetaCapture        = 0x00800000
	capReadWrite          = 0x01000000
	capStreaming          = 0x04000000
	capMetaOutput         = 0x08000000
	capDeviceCaps         = 0x80000000

	bufTypeVideoCapture       = 1
	bufTypeVideoOutput        = 2
	bufTypeVideoCaptureMplane = 9
	bufTypeVideoOutputMplane  = 10

	fmtFlagCompressed = 0x0001
)

var capNames = []struct {
	bit  uint32
	name string
}{
	{capVideoCapture, "VIDEO_CAPTURE"}, {capVideoOutput, "VIDEO_OUTPUT"},
	{capVideoOverlay, "VIDEO_OVERLAY"}, {capVBICapture, "VBI_CAPTURE"},
	{capVBIOutput, "VBI_OUTPUT"}, {capVideoCaptureMplane, "VIDEO_CAPTURE_MPLANE"},
	{capVideoOutputMplane, "VIDEO_OUTPUT_MPLANE"}, {capVideoM2MMplane, "VIDEO_M2M_MPLANE"},
	{capVideoM2M, "VIDEO_M2M"}, {capExtPixFormat, "EXT_PIX_FORMAT"},
	{capMetaCapture, "META_CAPTURE"}, {capReadWrite, "READWRITE"},
	{capStreaming, "STREAMING"}, {capMetaOutput, "META_OUTPUT"},
}

// videoNode is one /dev/videoN with its capabilities.
type videoNode struct {
	path string
	fd   int
	cap  v4l2Capability
	caps uint32 // the node's own caps (device_caps), not the whole driver's
}

func (n *videoNode) driver() string { return cstr(n.cap.Driver[:]) }

func (n *videoNode) String() string {
	v := n.cap.Version
	var names []string
	for _, c := range capNames {
		if n.caps&c.bit != 0 {
			names = append(names, c.name)
		}
	}
	return fmt.Sprintf("%s: driver=%s card=%q bus=%s version=%d.%d.%d caps=%#08x devcaps=%#08x [%s]",
		n.path, n.driver(), cstr(n.cap.Card[:]), cstr(n.cap.BusInfo[:]), v>>16, v>>8&0xff, v&0xff,
		n.cap.Capabilities, n.caps, strings.Join(names, " "))
}

// openVideoNodes opens every /dev/videoN in numeric order and queries it.
// Nodes are found by what they can do, never by number: without udev the
// numbering depends only on the order the drivers were loaded.
func openVideoNodes() ([]*videoNode, error) {
	paths, _ := filepath.Glob("/dev/video*")
	sort.Slice(paths, func(i, j int) bool { return devNum(paths[i]) < devNum(paths[j]) })
	var nodes []*videoNode
	for _, p := range paths {
		fd, err := unix.Open(p, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			return nodes, fmt.Errorf("open %s: %w", p, err)
		}
		n := &videoNode{path: p, fd: fd}
		if err := ioctl(fd, vidiocQuerycap, unsafe.Pointer(&n.cap)); err != nil {
			unix.Close(fd)
			return nodes, fmt.Errorf("VIDIOC_QUERYCAP %s: %w", p, err)
		}
		n.caps = n.cap.Capabilities
		if n.caps&capDeviceCaps != 0 {
			n.caps = n.cap.DeviceCaps
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

func closeVideoNodes(nodes []*videoNode) {
	for _, n := range nodes {
		unix.Close(n.fd)
	}
}

// devNum is the number at the end of a device path (-1 if none).
func devNum(path string) int {
	i := len(path)
	for i > 0 && path[i-1] >= '0' && path[i-1] <= '9' {
		i--
	}
	n, err := strconv.Atoi(path[i:])
	if err != nil {
		return -1
	}
	return n
}

// format is one VIDIOC_ENUM_FMT answer.
type format struct {
	fourcc uint32
	flags  uint32
	desc   string
}

func (f format) compressed() bool { return f.flags&fmtFlagCompressed != 0 }

// enumFormats lists the pixel formats of one buffer type (queue).
func enumFormats(n *videoNode, bufType uint32) ([]format, error) {
	var out []format
	for i := uint32(0); ; i++ {
		d := v4l2Fmtdesc{Index: i, Type: bufType}
		err := ioctl(n.fd, vidiocEnumFmt, unsafe.Pointer(&d))
		if err == unix.EINVAL { // end of the list
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("VIDIOC_ENUM_FMT %s type %d index %d: %w", n.path, bufType, i, err)
		}
		out = append(out, format{d.PixelFormat, d.Flags, cstr(d.Description[:])})
	}
}

// fourcc renders a pixel format code as its four characters; "-BE" marks
// the big-endian variant (bit 31).
func fourcc(v uint32) string {
	be := v&(1<<31) != 0
	v &^= 1 << 31
	b := []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%#08x", v)
		}
	}
	s := strings.TrimRight(string(b), " ")
	if be {
		s += "-BE"
	}
	return s
}

func formatList(fs []format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = fourcc(f.fourcc)
		if f.compressed() {
			names[i] += "(compressed)"
		}
	}
	return fmt.Sprintf("(%d) %s", len(fs), strings.Join(names, " "))
}

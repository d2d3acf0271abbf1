//go:build linux

package capture

import (
	"camagent/internal/v4l2"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// v4l2Device is one opened, streaming single-planar capture node. Frames
// stay in the driver's mmap'ed buffers; the source converts them straight
// into its own pool, which is the only copy.
type v4l2Device struct {
	path, card string
	fd         int
	typ        uint32 // bufTypeVideoCapture, or bufTypeCaptureMpl on multi-planar-only nodes
	mode       Mode
	bpl        int
	bufs       [][]byte
	planes     []v4l2.Plane // one per buffer, multi-planar nodes only (QBUF/DQBUF point at it)
	dqPlane    v4l2.Plane   // the plane of the buffer DQBUF returns
	streaming  bool
	dmabufs    []int // exported dma-buf per buffer, -1 until Export
}

func (d *v4l2Device) mplane() bool { return d.typ == bufTypeCaptureMpl }

// newBuf is a v4l2_buffer for buffer i (DQBUF: -1) of this node's type;
// on multi-planar nodes it points at that buffer's one plane.
func (d *v4l2Device) newBuf(i int) v4l2Buffer {
	b := v4l2Buffer{Type: d.typ, Memory: memoryMmap}
	if i >= 0 {
		b.Index = uint32(i)
	}
	if d.mplane() {
		p := &d.dqPlane
		if i >= 0 {
			p = &d.planes[i]
			*p = v4l2.Plane{Length: uint32(len(d.bufs[i]))}
		}
		b.M, b.Length = uintptr(unsafe.Pointer(p)), 1
	}
	return b
}

// nodePath is the camera's node: Device, or the first node matching Match
// (looked up afresh each time: numbers change when a camera comes back).
func nodePath(cfg V4L2Config) (string, error) {
	if cfg.Match != "" {
		return findV4L2(cfg.Match)
	}
	return cfg.Device, nil
}

// openV4L2Stream finds the camera, negotiates the mode, maps the buffers
// and starts streaming. Every step is redone on a reconnect: a camera that
// comes back is a new device as far as the driver is concerned.
func openV4L2Stream(cfg V4L2Config, log *slog.Logger) (v4l2Stream, error) {
	path, err := nodePath(cfg)
	if err != nil {
		return nil, err
	}
	d, err := openV4L2Node(path)
	if err != nil {
		return nil, err
	}
	if err := d.start(cfg, log); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// openV4L2Node opens path non-blocking (DQBUF must never block: waiting is
// done in poll with a timeout) and checks it is a streaming capture node.
func openV4L2Node(path string) (*v4l2Device, error) {
	var st unix.Stat_t
	if unix.Stat(path, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return nil, permanent{fmt.Errorf("%s: %w: not a character device", path, ErrNotV4L2)}
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, fmt.Errorf("%s: open: %w", path, err)
	}
	var c v4l2Capability
	if err := ioctl(fd, vidiocQuerycap, unsafe.Pointer(&c)); err != nil {
		unix.Close(fd)
		return nil, permanent{fmt.Errorf("%s: %w (VIDIOC_QUERYCAP: %v)", path, ErrNotV4L2, err)}
	}
	caps := c.Capabilities
	if caps&capDeviceCaps != 0 {
		caps = c.DeviceCaps
	}
	card := cstr(c.Card[:])
	typ := uint32(bufTypeVideoCapture)
	if caps&capVideoCapture == 0 && caps&capVideoCaptureMplane != 0 {
		// CSI receivers and some bridges are multi-planar only; the
		// single-plane formats (NV12, YU12, YUYV, MJPG) work the same
		// through the multi-planar API with one plane.
		typ = bufTypeCaptureMpl
	}
	if caps&(capVideoCapture|capVideoCaptureMplane) == 0 || caps&capStreaming == 0 {
		unix.Close(fd)
		return nil, permanent{fmt.Errorf("%s (%s, driver %s, caps %#08x): %w: no video capture with streaming",
			path, card, cstr(c.Driver[:]), caps, ErrNotV4L2)}
	}
	return &v4l2Device{path: path, card: card, fd: fd, typ: typ}, nil
}

// findV4L2 returns the first capture node whose card name or bus info
// contains match (case-insensitive), in /dev/videoN numeric order.
func findV4L2(match string) (string, error) {
	nodes, _ := filepath.Glob("/dev/video*")
	sort.Slice(nodes, func(i, j int) bool { return nodeNum(nodes[i]) < nodeNum(nodes[j]) })
	var seen []string
	want := strings.ToLower(match)
	for _, p := range nodes {
		c, err := queryCap(p)
		if err != nil {
			continue
		}
		caps := c.Capabilities
		if caps&capDeviceCaps != 0 {
			caps = c.DeviceCaps
		}
		card, bus := cstr(c.Card[:]), cstr(c.BusInfo[:])
		if caps&(capVideoCapture|capVideoCaptureMplane) == 0 || caps&(capVideoOutput|capVideoOutputMpl|capVideoM2M|capVideoM2MMplane) != 0 {
			continue // not a camera, or a memory-to-memory codec
		}
		seen = append(seen, fmt.Sprintf("%s %q %s", p, card, bus))
		if strings.Contains(strings.ToLower(card), want) || strings.Contains(strings.ToLower(bus), want) {
			return p, nil
		}
	}
	if len(seen) == 0 {
		return "", fmt.Errorf("%w for %q: no capture nodes present", ErrNoDevice, match)
	}
	return "", fmt.Errorf("%w for %q among %s", ErrNoDevice, match, strings.Join(seen, "; "))
}

// queryCap opens path for a moment and returns its VIDIOC_QUERYCAP answer.
func queryCap(path string) (v4l2Capability, error) {
	var c v4l2Capability
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return c, err
	}
	defer unix.Close(fd)
	err = ioctl(fd, vidiocQuerycap, unsafe.Pointer(&c))
	return c, err
}

func nodeNum(p string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "video"))
	if err != nil {
		return 1 << 30
	}
	return n
}

func (d *v4l2Device) Name() string      { return fmt.Sprintf("%s (%s)", d.path, d.card) }
func (d *v4l2Device) Mode() Mode        { return d.mode }
func (d *v4l2Device) BytesPerLine() int { return d.bpl }

// start negotiates and starts streaming: S_FMT, S_PARM (always: drivers
// keep the last rate any program set, and vivid defaults to 5 fps),
// REQBUFS, mmap, QBUF, STREAMON.
func (d *v4l2Device) start(cfg V4L2Config, log *slog.Logger) error {
	offers, err := d.enumFormats()
	if err != nil {
		return err
	}
	want, err := chooseMode(offers, cfg.Formats, uint32(cfg.Width), uint32(cfg.Height))
	if err != nil {
		return permanent{fmt.Errorf("%s: %w", d.Name(), err)}
	}
	p, err := d.setFormat(want)
	if err != nil {
		return err
	}
	if err := checkGranted(d.Name(), want, Mode{FourCC: FourCC(p.PixelFormat), Width: p.Width, Height: p.Height}, offers); err != nil {
		return err
	}
	d.mode = Mode{FourCC: want.FourCC, Width: p.Width, Height: p.Height}
	d.bpl = int(p.BytesPerLine)
	compressed := want.FourCC == FourCCMJPEG || want.FourCC == FourCCJPEG || want.FourCC == FourCCH264
	if d.bpl == 0 && !compressed { // compressed formats have no rows: 0 is right
		d.bpl = int(p.Width)
		if want.FourCC == FourCCYUYV {
			d.bpl *= 2
		}
	}

	iv := d.enumIntervals(want.FourCC, p.Width, p.Height)(cfg.FPS)
	var sp v4l2Streamparm
	sp.Type = d.typ
	sp.TimePerFrame = v4l2Fract(iv)
	if err := ioctl(d.fd, vidiocSParm, unsafe.Pointer(&sp)); err != nil {
		// Some drivers have no frame-rate control; they stream at their
		// own rate, which is logged as unknown.
		log.Warn("camera has no frame interval control", "device", d.Name(), "err", err)
	} else {
		d.mode.Interval = Fract(sp.TimePerFrame)
	}
	log.Info("camera mode granted", "device", d.Name(),
		"requested", fmt.Sprintf("%dx%d@%d", cfg.Width, cfg.Height, cfg.FPS),
		"chosen", want.FourCC.String(), "granted", d.mode.String(), "bytesperline", d.bpl, "sizeimage", p.SizeImage)

	if err := d.mapBuffers(cfg.Buffers); err != nil {
		return err
	}
	t := int32(d.typ)
	if err := ioctl(d.fd, vidiocStreamon, unsafe.Pointer(&t)); err != nil {
		return fmt.Errorf("%s: VIDIOC_STREAMON: %w", d.Name(), err)
	}
	d.streaming = true
	return nil
}

func (d *v4l2Device) enumFormats() ([]FormatOffer, error) {
	// Sizes only for formats we could use: keeps errors readable.
	offers, err := enumFormatsFD(d.fd, d.typ, func(f FourCC) bool { return f.supported() })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name(), err)
	}
	return offers, nil
}

// enumFormatsFD lists the formats of one buffer type, with their frame
// sizes for the formats sizes accepts (all of them when it is nil).
func enumFormatsFD(fd int, typ uint32, sizes func(FourCC) bool) ([]FormatOffer, error) {
	var offers []FormatOffer
	for i := uint32(0); ; i++ {
		fdesc := v4l2Fmtdesc{Index: i, Type: typ}
		if err := ioctl(fd, vidiocEnumFmt, unsafe.Pointer(&fdesc)); err != nil {
			if errors.Is(err, unix.EINVAL) {
				break
			}
			return offers, fmt.Errorf("VIDIOC_ENUM_FMT: %w", err)
		}
		o := FormatOffer{FourCC: FourCC(fdesc.PixelFormat), Description: cstr(fdesc.Description[:]), flags: fdesc.Flags}
		if sizes == nil || sizes(o.FourCC) {
			o.Sizes = enumSizesFD(fd, o.FourCC)
		}
		offers = append(offers, o)
	}
	return offers, nil
}

func enumSizesFD(fd int, f FourCC) []FrameSize {
	var sizes []FrameSize
	for i := uint32(0); i < 256; i++ {
		fs := v4l2Frmsizeenum{Index: i, PixelFormat: uint32(f)}
		if ioctl(fd, vidiocEnumFramesizes, unsafe.Pointer(&fs)) != nil {
			break
		}
		u := fs.U
		if fs.Type == frmsizeDiscrete {
			sizes = append(sizes, FrameSize{MinW: u[0], MaxW: u[0], StepW: 1, MinH: u[1], MaxH: u[1], StepH: 1})
			continue
		}
		sizes = append(sizes, FrameSize{MinW: u[0], MaxW: u[1], StepW: u[2], MinH: u[3], MaxH: u[4], StepH: u[5]})
		break // stepwise and continuous are a single entry
	}
	return sizes
}

// setFormat asks for want with S_FMT (the multi-planar variant on
// multi-planar nodes) and returns what the driver set, as a single-planar
// description: only one-plane layouts are accepted.
func (d *v4l2Device) setFormat(want Mode) (v4l2PixFormat, error) {
	var f v4l2Format
	f.Type = d.typ
	if !d.mplane() {
		p := f.Pix()
		p.Width, p.Height, p.PixelFormat, p.Field = want.Width, want.Height, uint32(want.FourCC), fieldNone
		if err := ioctl(d.fd, vidiocSFmt, unsafe.Pointer(&f)); err != nil {
			return v4l2PixFormat{}, fmt.Errorf("%s: VIDIOC_S_FMT %v %dx%d: %w", d.Name(), want.FourCC, want.Width, want.Height, err)
		}
		return *p, nil
	}
	mp := f.Mplane()
	mp.Width, mp.Height, mp.PixelFormat, mp.Field, mp.NumPlanes = want.Width, want.Height, uint32(want.FourCC), fieldNone, 1
	if err := ioctl(d.fd, vidiocSFmt, unsafe.Pointer(&f)); err != nil {
		return v4l2PixFormat{}, fmt.Errorf("%s: VIDIOC_S_FMT (multi-planar) %v %dx%d: %w", d.Name(), want.FourCC, want.Width, want.Height, err)
	}
	if mp.NumPlanes != 1 {
		return v4l2PixFormat{}, permanent{fmt.Errorf("%s: %w: %v in %d planes; only one-plane layouts are supported",
			d.Name(), ErrFormatRefused, FourCC(mp.PixelFormat), mp.NumPlanes)}
	}
	return v4l2PixFormat{Width: mp.Width, Height: mp.Height, PixelFormat: mp.PixelFormat, Field: mp.Field,
		BytesPerLine: mp.PlaneFmt[0].BytesPerLine, SizeImage: mp.PlaneFmt[0].SizeImage}, nil
}

// enumIntervals returns chooseInterval bound to what the camera offers for
// this size.
func (d *v4l2Device) enumIntervals(f FourCC, w, h uint32) func(int) Fract {
	discrete, lo, hi := enumIntervalsFD(d.fd, f, w, h)
	return func(fps int) Fract { return chooseInterval(discrete, lo, hi, fps) }
}

// enumIntervalsFD returns the discrete intervals offered for f at w×h, or
// the [lo, hi] interval range of a stepwise or continuous offer.
func enumIntervalsFD(fd int, f FourCC, w, h uint32) (discrete []Fract, lo, hi Fract) {
	for i := uint32(0); i < 256; i++ {
		fi := v4l2Frmivalenum{Index: i, PixelFormat: uint32(f), Width: w, Height: h}
		if ioctl(fd, vidiocEnumFrameintervals, unsafe.Pointer(&fi)) != nil {
			break
		}
		if fi.Type == frmivalDiscrete {
			discrete = append(discrete, Fract{fi.U[0], fi.U[1]})
			continue
		}
		lo, hi = Fract{fi.U[0], fi.U[1]}, Fract{fi.U[2], fi.U[3]}
		break
	}
	return discrete, lo, hi
}

func (d *v4l2Device) mapBuffers(n int) error {
	rb := v4l2Requestbuffers{Count: uint32(n), Type: d.typ, Memory: memoryMmap}
	if err := ioctl(d.fd, vidiocReqbufs, unsafe.Pointer(&rb)); err != nil {
		return fmt.Errorf("%s: VIDIOC_REQBUFS %d: %w", d.Name(), n, err)
	}
	if rb.Count < 2 {
		return fmt.Errorf("%s: VIDIOC_REQBUFS granted %d buffers, need 2", d.Name(), rb.Count)
	}
	d.planes = make([]v4l2.Plane, rb.Count) // never reallocated: QBUF keeps pointers into it
	for i := uint32(0); i < rb.Count; i++ {
		b := v4l2Buffer{Index: i, Type: d.typ, Memory: memoryMmap}
		if d.mplane() {
			b.M, b.Length = uintptr(unsafe.Pointer(&d.planes[i])), 1
		}
		if err := ioctl(d.fd, vidiocQuerybuf, unsafe.Pointer(&b)); err != nil {
			return fmt.Errorf("%s: VIDIOC_QUERYBUF %d: %w", d.Name(), i, err)
		}
		off, length := int64(uint32(b.M)), int(b.Length)
		if d.mplane() {
			off, length = int64(uint32(d.planes[i].M)), int(d.planes[i].Length)
		}
		m, err := unix.Mmap(d.fd, off, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return fmt.Errorf("%s: mmap buffer %d: %w", d.Name(), i, err)
		}
		d.bufs = append(d.bufs, m)
		b = d.newBuf(int(i))
		if err := ioctl(d.fd, vidiocQbuf, unsafe.Pointer(&b)); err != nil {
			return fmt.Errorf("%s: VIDIOC_QBUF %d: %w", d.Name(), i, err)
		}
	}
	return nil
}

// pollSlice bounds one poll so a cancelled ctx is noticed quickly without
// another file descriptor to wake the poll.
const pollSlice = 100 * time.Millisecond

// Next waits for a filled buffer. An unplugged camera shows up as
// POLLERR/POLLHUP and DQBUF failing with ENODEV (EIO on some drivers); a
// camera that silently stops shows up as the timeout.
func (d *v4l2Device) Next(ctx context.Context, timeout time.Duration) (v4l2Buf, error) {
	deadline := time.Now().Add(timeout)
	for {
		if err := ctx.Err(); err != nil {
			return v4l2Buf{}, err
		}
		b := d.newBuf(-1)
		err := ioctl(d.fd, vidiocDqbuf, unsafe.Pointer(&b))
		if err == nil {
			if d.mplane() {
				b.BytesUsed = d.dqPlane.BytesUsed // one plane: its payload is the picture
			}
			if int(b.Index) >= len(d.bufs) || int(b.BytesUsed) > len(d.bufs[b.Index]) {
				return v4l2Buf{}, fmt.Errorf("%s: VIDIOC_DQBUF: bad buffer %d (%d bytes)", d.Name(), b.Index, b.BytesUsed)
			}
			if b.Flags&bufFlagError != 0 {
				// The driver says the picture is corrupt (a USB transfer
				// error): give the buffer back and wait for the next one.
				if err := d.Requeue(v4l2Buf{index: int(b.Index)}); err != nil {
					return v4l2Buf{}, err
				}
				continue
			}
			return d.buf(&b), nil
		}
		if !errors.Is(err, unix.EAGAIN) {
			return v4l2Buf{}, fmt.Errorf("%s: VIDIOC_DQBUF: %w", d.Name(), err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return v4l2Buf{}, fmt.Errorf("%s: no frame for %v", d.Name(), timeout)
		}
		pfd := []unix.PollFd{{Fd: int32(d.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, int(min(left, pollSlice)/time.Millisecond)+1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return v4l2Buf{}, fmt.Errorf("%s: poll: %w", d.Name(), err)
		}
		if n > 0 && pfd[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 && pfd[0].Revents&unix.POLLIN == 0 {
			// Let DQBUF report the reason (ENODEV after an unplug).
			b := d.newBuf(-1)
			if err := ioctl(d.fd, vidiocDqbuf, unsafe.Pointer(&b)); err != nil && !errors.Is(err, unix.EAGAIN) {
				return v4l2Buf{}, fmt.Errorf("%s: VIDIOC_DQBUF: %w", d.Name(), err)
			}
			return v4l2Buf{}, fmt.Errorf("%s: poll: device error (revents %#x): %w", d.Name(), pfd[0].Revents, unix.EIO)
		}
	}
}

// buf maps the driver's timestamp to PTS and wall-clock time. Drivers
// stamp with CLOCK_MONOTONIC (uvcvideo, vivid); the wall time is derived
// from the current offset between the two clocks.
func (d *v4l2Device) buf(b *v4l2Buffer) v4l2Buf {
	ts := time.Duration(b.Timestamp.Sec)*time.Second + time.Duration(b.Timestamp.Usec)*time.Microsecond
	wall := time.Now()
	var now unix.Timespec
	if b.Flags&bufFlagTimestampMask == bufFlagTimestampMonoton && unix.ClockGettime(unix.CLOCK_MONOTONIC, &now) == nil {
		wall = wall.Add(-(time.Duration(now.Nano()) - ts))
	}
	data := d.bufs[b.Index][:b.BytesUsed]
	if b.BytesUsed == 0 { // some drivers leave it 0 for full raw frames
		data = d.bufs[b.Index]
	}
	return v4l2Buf{index: int(b.Index), Data: data, Seq: b.Sequence, TS: ts, Wall: wall}
}

func (d *v4l2Device) Requeue(x v4l2Buf) error {
	b := d.newBuf(x.index)
	if err := ioctl(d.fd, vidiocQbuf, unsafe.Pointer(&b)); err != nil {
		return fmt.Errorf("%s: VIDIOC_QBUF: %w", d.Name(), err)
	}
	return nil
}

// Buffers is how many buffers the driver granted.
func (d *v4l2Device) Buffers() int { return len(d.bufs) }

// Export returns buffer i as a dma-buf (VIDIOC_EXPBUF), made once per
// session and closed with the device. Drivers whose memory cannot be
// shared answer ENOTTY or EINVAL.
func (d *v4l2Device) Export(i int) (int, error) {
	if i < 0 || i >= len(d.bufs) {
		return -1, fmt.Errorf("%s: VIDIOC_EXPBUF: no buffer %d", d.Name(), i)
	}
	if d.dmabufs == nil {
		d.dmabufs = make([]int, len(d.bufs))
		for j := range d.dmabufs {
			d.dmabufs[j] = -1
		}
	}
	if d.dmabufs[i] >= 0 {
		return d.dmabufs[i], nil
	}
	e := v4l2Exportbuffer{Type: d.typ, Index: uint32(i), Flags: unix.O_RDWR | unix.O_CLOEXEC}
	if err := ioctl(d.fd, vidiocExpbuf, unsafe.Pointer(&e)); err != nil {
		return -1, fmt.Errorf("%s: VIDIOC_EXPBUF %d: %w", d.Name(), i, err)
	}
	d.dmabufs[i] = int(e.FD)
	return int(e.FD), nil
}

// Close stops streaming, unmaps and closes. After an unplug the ioctls
// fail; the unmap and close still release the driver's buffers.
func (d *v4l2Device) Close() error {
	if d.streaming {
		t := int32(d.typ)
		_ = ioctl(d.fd, vidiocStreamoff, unsafe.Pointer(&t))
		d.streaming = false
	}
	for _, m := range d.bufs {
		_ = unix.Munmap(m)
	}
	for _, fd := range d.dmabufs {
		if fd >= 0 {
			_ = unix.Close(fd)
		}
	}
	d.bufs, d.dmabufs = nil, nil
	if d.fd >= 0 {
		err := unix.Close(d.fd)
		d.fd = -1
		return err
	}
	return nil
}

// FindCamera returns the first V4L2 video-capture node, so the agent can
// prefer a real camera and fall back to the test pattern when there is none.
func FindCamera() (string, error) { return findV4L2("") }

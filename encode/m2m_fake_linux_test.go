//go:build linux

package encode

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeBCM answers the VIDIOC_* calls the way the Pi's bcm2835-codec
// encoder node does, as far as the encoder relies on it: multi-planar
// only, H.264 only on CAPTURE, YU12/NV12 on OUTPUT, at most 1920x1080
// (larger requests are clamped, as the driver does), bytesperline aligned
// to 64 (YU12) or 32 (NV12), luma height padded to 16 lines, levels above
// 4.2 refused, no GOP_SIZE control (it has H264_I_PERIOD). Encoding is
// synchronous and produces a fake Annex B picture per OUTPUT buffer.
type fakeBCM struct {
	caps     uint32
	maxW     uint32
	maxH     uint32
	outFmt   v4l2PixFormatMplane
	capFmt   v4l2PixFormatMplane
	mem      map[int64][]byte
	nbuf     map[uint32]int
	outQ     []fakeBuf // queued raw pictures
	outDone  []uint32
	capFree  []uint32
	capDone  []fakeBuf
	on       map[uint32]bool
	stopping bool
	stopped  bool
	events   []uint32
	subs     map[uint32]bool
	ctrls    map[uint32]int32
	sets     int
	frames   int
	forceKey bool
	lastOut  []byte // copy of the last raw picture, to check the layout
	closed   bool
	gone     bool // device removed: poll says POLLERR, ioctls ENODEV
	// dma-buf import on OUTPUT (bcm2835-codec's io_modes include DMABUF):
	// the test plays the exporter, mapping fds to memory.
	dmabufs      map[int][]byte
	refuseImport bool // like dma-contig refusing memory it cannot reach
	outMem       uint32
	imports      int
	opens        int
}

type fakeBuf struct {
	index uint32
	n     int
	ts    unix.Timeval
	flags uint32
	src   []byte // imported OUTPUT picture
}

// reopen is a new file descriptor: a fresh M2M context on the same device.
func (f *fakeBCM) reopen() {
	f.opens++
	f.outQ, f.outDone, f.capFree, f.capDone = nil, nil, nil, nil
	f.on = map[uint32]bool{}
	f.stopping, f.stopped, f.closed, f.frames = false, false, false, 0
}

const fakeOutOff, fakeCapOff = 0, 1 << 24

func newFakeBCM() *fakeBCM {
	return &fakeBCM{caps: capVideoM2MMplane | 0x00200000 | capStreaming, maxW: 1920, maxH: 1080,
		mem: map[int64][]byte{}, nbuf: map[uint32]int{}, on: map[uint32]bool{}, subs: map[uint32]bool{},
		ctrls: map[uint32]int32{}, dmabufs: map[int][]byte{}}
}

// fakeCtrlRange is what the fake accepts; ids missing here are EINVAL.
var fakeCtrlRange = map[uint32][2]int32{
	cidBitrateMode: {0, 1}, cidBitrate: {25000, 25000000}, cidRepeatSeqHeader: {0, 1},
	cidForceKeyFrame: {0, 1}, cidH264MinQP: {0, 51}, cidH264MaxQP: {0, 51},
	cidH264IPeriod: {0, 1 << 30}, cidH264Level: {0, 13}, cidH264Profile: {0, 4},
}

func (f *fakeBCM) setCtrl(id uint32, v int32) error {
	r, ok := fakeCtrlRange[id]
	if !ok {
		return unix.EINVAL
	}
	if v < r[0] || v > r[1] || (id == cidH264Profile && v == 3) {
		return unix.ERANGE
	}
	f.sets++
	if id == cidForceKeyFrame {
		f.forceKey = true
		return nil
	}
	f.ctrls[id] = v
	return nil
}

func align(v, a uint32) uint32 { return (v + a - 1) &^ (a - 1) }

func (f *fakeBCM) ioctl(req uintptr, arg unsafe.Pointer) error {
	if f.gone && req != vidiocDqbuf {
		return unix.ENODEV
	}
	switch req {
	case vidiocQuerycap:
		c := (*v4l2Capability)(arg)
		copy(c.Driver[:], "bcm2835-codec")
		copy(c.Card[:], "bcm2835-codec-encode")
		c.Capabilities, c.DeviceCaps = f.caps|capDeviceCaps, f.caps
	case vidiocEnumFmt:
		d := (*v4l2Fmtdesc)(arg)
		var list []uint32
		switch d.Type {
		case bufTypeVideoOutputMplane:
			list = []uint32{fourccYU12, fourccNV12, 0x56595559 /* YUYV */}
		case bufTypeVideoCaptureMplane:
			list = []uint32{fourccH264}
		}
		if int(d.Index) >= len(list) {
			return unix.EINVAL
		}
		d.PixelFormat = list[d.Index]
		if d.Type == bufTypeVideoCaptureMplane {
			d.Flags = fmtFlagCompressed
		}
	case vidiocSFmt:
		return f.sFmt((*v4l2Format)(arg))
	case vidiocSParm:
		if (*v4l2Streamparm)(arg).Type != bufTypeVideoOutputMplane {
			return unix.EINVAL
		}
	case vidiocSExtCtrls:
		cs := (*v4l2ExtControls)(arg)
		c := unsafe.Slice((*v4l2ExtControl)(fieldPtr(&cs.Controls)), cs.Count)
		for i := range c {
			if err := f.setCtrl(c[i].ID, c[i].Value); err != nil {
				cs.ErrorIdx = uint32(i)
				return err
			}
		}
	case vidiocSCtrl:
		c := (*v4l2Control)(arg)
		return f.setCtrl(c.ID, c.Value)
	case vidiocReqbufs:
		rb := (*v4l2Requestbuffers)(arg)
		dma := rb.Memory == memoryDMABuf && rb.Type == bufTypeVideoOutputMplane
		if !f.mplaneType(rb.Type) || (rb.Memory != memoryMmap && !dma) {
			return unix.EINVAL
		}
		if rb.Type == bufTypeVideoOutputMplane {
			f.outMem = rb.Memory
		}
		rb.Count = min(max(rb.Count, 1), 16)
		f.nbuf[rb.Type] = int(rb.Count)
	case vidiocQuerybuf:
		b := (*v4l2Buffer)(arg)
		if !f.mplaneType(b.Type) || int(b.Index) >= f.nbuf[b.Type] || b.Length < 1 {
			return unix.EINVAL
		}
		p := (*v4l2Plane)(fieldPtr(&b.M))
		size, base := f.outFmt.PlaneFmt[0].SizeImage, int64(fakeOutOff)
		if b.Type == bufTypeVideoCaptureMplane {
			size, base = f.capFmt.PlaneFmt[0].SizeImage, fakeCapOff
		}
		p.Length, p.M = size, uintptr(base+int64(b.Index)*int64(size))
	case vidiocExpbuf:
		return f.expbuf((*v4l2Exportbuffer)(arg))
	case vidiocQbuf:
		return f.qbuf((*v4l2Buffer)(arg))
	case vidiocDqbuf:
		return f.dqbuf((*v4l2Buffer)(arg))
	case vidiocStreamon, vidiocStreamoff:
		t := uint32(*(*int32)(arg))
		if !f.mplaneType(t) {
			return unix.EINVAL
		}
		f.on[t] = req == vidiocStreamon
	case vidiocEncoderCmd:
		c := (*v4l2EncoderCmd)(arg)
		if c.Cmd != encCmdStop {
			return unix.EINVAL
		}
		f.stopping = true
		f.run()
	case vidiocSubscribeEvent:
		s := (*v4l2EventSubscription)(arg)
		if s.Type != eventEOS && s.Type != eventSourceChange {
			return unix.EINVAL
		}
		f.subs[s.Type] = true
	case vidiocDqevent:
		if len(f.events) == 0 {
			return unix.ENOENT
		}
		(*v4l2Event)(arg).Type = f.events[0]
		f.events = f.events[1:]
	default:
		return unix.ENOTTY
	}
	return nil
}

// expbuf exports an OUTPUT buffer the way vb2 does: a new file (here a
// memfd, so the caller can mmap it) over memory the importer will read;
// the fake registers it as a dma-buf it can import.
func (f *fakeBCM) expbuf(x *v4l2Exportbuffer) error {
	if x.Type != bufTypeVideoOutputMplane || int(x.Index) >= f.nbuf[x.Type] {
		return unix.EINVAL
	}
	size := int(f.outFmt.PlaneFmt[0].SizeImage)
	fd, err := unix.MemfdCreate("fake-dmabuf", unix.MFD_CLOEXEC)
	if err != nil {
		return err
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return err
	}
	m, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return err
	}
	f.dmabufs[fd] = m
	x.FD = int32(fd)
	return nil
}

func (f *fakeBCM) mplaneType(t uint32) bool {
	return t == bufTypeVideoOutputMplane || t == bufTypeVideoCaptureMplane
}

func (f *fakeBCM) sFmt(fm *v4l2Format) error {
	if !f.mplaneType(fm.Type) {
		return unix.EINVAL
	}
	m := fm.Mplane()
	m.Width, m.Height = min(m.Width, f.maxW), min(m.Height, f.maxH)
	m.NumPlanes, m.Field = 1, fieldNone
	if fm.Type == bufTypeVideoCaptureMplane {
		m.PixelFormat = fourccH264
		m.PlaneFmt[0] = v4l2PlanePixFormat{SizeImage: 512 << 10}
		f.capFmt = *m
		return nil
	}
	if m.PixelFormat != fourccYU12 && m.PixelFormat != fourccNV12 {
		m.PixelFormat = fourccYU12
	}
	a := uint32(64)
	if m.PixelFormat == fourccNV12 {
		a = 32
	}
	bpl := align(m.Width, a)
	m.PlaneFmt[0] = v4l2PlanePixFormat{BytesPerLine: bpl, SizeImage: bpl * align(m.Height, 16) * 3 / 2}
	f.outFmt = *m
	return nil
}

func (f *fakeBCM) qbuf(b *v4l2Buffer) error {
	if !f.mplaneType(b.Type) || int(b.Index) >= f.nbuf[b.Type] || b.Length != 1 {
		return unix.EINVAL
	}
	p := (*v4l2Plane)(fieldPtr(&b.M))
	if b.Type == bufTypeVideoCaptureMplane {
		f.capFree = append(f.capFree, b.Index)
	} else {
		if f.stopped {
			return unix.EBUSY
		}
		if p.BytesUsed < f.outFmt.PlaneFmt[0].SizeImage || b.Memory != f.outMem {
			return unix.EINVAL // the driver wants whole pictures
		}
		in := fakeBuf{index: b.Index, n: int(p.BytesUsed), ts: b.Timestamp}
		if b.Memory == memoryDMABuf {
			mem, ok := f.dmabufs[int(int32(uint32(p.M)))]
			if !ok || f.refuseImport || p.Length < f.outFmt.PlaneFmt[0].SizeImage || len(mem) < int(p.Length) {
				return unix.EINVAL
			}
			in.src = mem
			f.imports++
		}
		f.outQ = append(f.outQ, in)
	}
	f.run()
	return nil
}

// run encodes every queued picture for which a CAPTURE buffer is free.
func (f *fakeBCM) run() {
	if !f.on[bufTypeVideoOutputMplane] || !f.on[bufTypeVideoCaptureMplane] {
		return
	}
	for len(f.outQ) > 0 && len(f.capFree) > 0 {
		in, ci := f.outQ[0], f.capFree[0]
		f.outQ, f.capFree = f.outQ[1:], f.capFree[1:]
		src := in.src
		if src == nil {
			src = f.mem[fakeOutOff+int64(in.index)*int64(f.outFmt.PlaneFmt[0].SizeImage)]
		}
		f.lastOut = append(f.lastOut[:0], src[:in.n]...)
		dst := f.mem[fakeCapOff+int64(ci)*int64(f.capFmt.PlaneFmt[0].SizeImage)]
		period := int(f.ctrls[cidH264IPeriod])
		key := f.frames == 0 || f.forceKey || (period > 0 && f.frames%period == 0)
		f.forceKey = false
		var au []byte
		if key && (f.frames == 0 || f.ctrls[cidRepeatSeqHeader] == 1) {
			au = append(au, 0, 0, 0, 1, 0x67, 0x64, 0, 0x28, 0, 0, 0, 1, 0x68, 0xee, 0x3c, 0x80)
		}
		nal := byte(0x41)
		if key {
			nal = 0x65
		}
		au = append(au, 0, 0, 1, nal, 0x88, byte(f.frames), 0x11)
		n := copy(dst, au)
		flags := uint32(0)
		if key {
			flags = bufFlagKeyframe
		}
		f.capDone = append(f.capDone, fakeBuf{index: ci, n: n, ts: in.ts, flags: flags})
		f.outDone = append(f.outDone, in.index)
		f.frames++
	}
	if f.stopping && len(f.outQ) == 0 && len(f.capFree) > 0 {
		// bcm2835-codec ends a drain with an empty buffer flagged LAST.
		f.capDone = append(f.capDone, fakeBuf{index: f.capFree[0], flags: bufFlagLast})
		f.capFree = f.capFree[1:]
		f.stopping, f.stopped = false, true
		if f.subs[eventEOS] {
			f.events = append(f.events, eventEOS)
		}
	}
}

func (f *fakeBCM) dqbuf(b *v4l2Buffer) error {
	if !f.mplaneType(b.Type) || b.Length != 1 {
		return unix.EINVAL
	}
	p := (*v4l2Plane)(fieldPtr(&b.M))
	if f.gone {
		return unix.EAGAIN // what a vanished vb2 queue with nothing done says first
	}
	f.run()
	if b.Type == bufTypeVideoOutputMplane {
		if len(f.outDone) == 0 {
			return unix.EAGAIN
		}
		b.Index, f.outDone = f.outDone[0], f.outDone[1:]
		return nil
	}
	if len(f.capDone) == 0 {
		if f.stopped {
			return unix.EPIPE
		}
		return unix.EAGAIN
	}
	d := f.capDone[0]
	f.capDone = f.capDone[1:]
	b.Index, b.Flags, b.Timestamp = d.index, d.flags, d.ts
	p.BytesUsed = uint32(d.n)
	return nil
}

// poll never waits: the fake is synchronous, so whatever is not ready now
// never will be, and the encoder's deadline ends the wait.
func (f *fakeBCM) poll(events int16, timeout time.Duration) (int16, error) {
	if f.gone {
		return unix.POLLERR, nil
	}
	f.run()
	var r int16
	if len(f.capDone) > 0 {
		r |= unix.POLLIN
	}
	if len(f.outDone) > 0 {
		r |= unix.POLLOUT
	}
	if len(f.events) > 0 {
		r |= unix.POLLPRI
	}
	return r & (events | unix.POLLERR), nil
}

func (f *fakeBCM) mmap(offset int64, length int) ([]byte, error) {
	b := make([]byte, length)
	f.mem[offset] = b
	return b, nil
}

func (f *fakeBCM) munmap([]byte) error { return nil }
func (f *fakeBCM) close() error        { f.closed = true; return nil }

// fieldPtr reads a uintptr field that holds a pointer the encoder stored
// (the kernel ABI's pointer unions) as a pointer again.
func fieldPtr(p *uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(p)) }

//go:build linux

package encode

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"camagent/media"
)

// m2mQueue is one side of the encoder: OUTPUT takes raw pictures, CAPTURE
// gives back the bitstream. Both are MMAP with one plane per buffer (the
// single-plane YU12/NV12 layouts), described the MPLANE way when the
// device wants it.
type m2mQueue struct {
	typ    uint32
	mem    uint32 // memoryMmap, or memoryDMABuf for an OUTPUT queue importing frames
	count  int    // buffers granted (bufs is empty when importing)
	bufs   [][]byte
	planes []*v4l2Plane // MPLANE only: heap-allocated, so the kernel's pointer stays valid
	free   []int        // OUTPUT only: buffers we own
	bpl    int
	size   int
	planeH int // rows of luma before chroma (drivers may pad the height)
}

var _ Encoder = (*M2MEncoder)(nil)

// M2MEncoder drives a V4L2 stateful memory-to-memory encoder. It is
// synchronous: Encode queues one picture and waits for one bitstream
// buffer, which is what 1-in-1-out encoders (bcm2835-codec without
// B-frames, vicodec) do. The returned units alias the driver's mmap'ed
// CAPTURE buffer, which is requeued at the next call: no copy on output.
type M2MEncoder struct {
	cfg          M2MConfig
	log          *slog.Logger
	dev          m2mIO
	name, driver string
	path         string
	open         func(string) (m2mIO, error) // kept to reopen in the other memory mode
	mplane       bool
	importing    bool // OUTPUT takes frames' dma-bufs (zero copy)
	noImport     bool // the driver refused an import once: copy from now on
	imported     uint64
	copied       uint64
	out, cap     m2mQueue
	streaming    bool
	drained      bool
	events       bool
	held         int // CAPTURE buffer handed out by the last Encode, or -1
	nalus        [][]byte
	warned       map[uint32]bool
	forceKeyCtrl bool
	lastPTS      time.Duration
	lastKey      bool
	calls        uint64 // ioctl + poll calls, for the syscalls-per-frame figure
	// The kernel reads these through pointers hidden in uintptr fields,
	// which the Go stack copier would not update: they live on the heap.
	dqPlane       *v4l2Plane
	extCtl        *v4l2ExtControl
	scratch       *v4l2Buffer
	encodedFrames uint64
}

// NewM2M opens the configured node, or the first /dev/video* whose CAPTURE
// queue offers the codec, and starts streaming.
func NewM2M(cfg M2MConfig, log *slog.Logger) (Encoder, error) {
	e, err := newM2M(cfg, log, openM2MNode, nil)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return e, nil
}

func newM2M(cfg M2MConfig, log *slog.Logger, open func(string) (m2mIO, error), nodes []string) (*M2MEncoder, error) {
	e, err := findM2M(cfg, log, open, nodes)
	if err != nil {
		return nil, err
	}
	if err := e.start(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// findM2M opens the configured node, or the first whose CAPTURE queue
// offers the codec and whose OUTPUT queue takes the raw format.
func findM2M(cfg M2MConfig, log *slog.Logger, open func(string) (m2mIO, error), nodes []string) (*M2MEncoder, error) {
	cfg.defaults()
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width%2 != 0 || cfg.Height%2 != 0 {
		return nil, fmt.Errorf("encode: invalid M2M encoder size %dx%d", cfg.Width, cfg.Height)
	}
	if cfg.Input != media.I420 && cfg.Input != media.NV12 {
		return nil, fmt.Errorf("encode: M2M encoder input %v: want I420 or NV12", cfg.Input)
	}
	if log == nil {
		log = slog.Default()
	}
	e := &M2MEncoder{cfg: cfg, log: log, held: -1, warned: map[uint32]bool{}, open: open}
	if cfg.Device != "" {
		nodes = []string{cfg.Device}
	} else if nodes == nil {
		nodes, _ = filepath.Glob("/dev/video*")
		sort.Slice(nodes, func(i, j int) bool { return m2mNodeNum(nodes[i]) < m2mNodeNum(nodes[j]) })
	}
	var seen []string
	others := 0
	for _, p := range nodes {
		ok, why, m2m := e.try(open, p)
		if ok {
			break
		}
		if m2m || cfg.Device != "" {
			seen = append(seen, why)
		} else {
			others++ // cameras and other nodes: not worth listing
		}
	}
	if e.dev == nil {
		if len(seen) == 0 {
			seen = []string{fmt.Sprintf("no M2M nodes among %d /dev/video* nodes", others)}
		}
		return nil, fmt.Errorf("%w for %v from %v: %s", ErrNoM2MEncoder, cfg.Codec, cfg.Input, strings.Join(seen, "; "))
	}
	return e, nil
}

// try opens p and keeps it if it is an M2M node whose CAPTURE queue offers
// the codec and whose OUTPUT queue takes the raw format. why explains a
// refusal; m2m says whether p was an M2M node at all.
func (e *M2MEncoder) try(open func(string) (m2mIO, error), p string) (ok bool, why string, m2m bool) {
	dev, err := open(p)
	if err != nil {
		return false, fmt.Sprintf("%s: %v", p, err), false
	}
	var c v4l2Capability
	if err := dev.ioctl(vidiocQuerycap, unsafe.Pointer(&c)); err != nil {
		dev.close()
		return false, fmt.Sprintf("%s: VIDIOC_QUERYCAP: %v", p, err), false
	}
	caps := c.Capabilities
	if caps&capDeviceCaps != 0 {
		caps = c.DeviceCaps
	}
	card, driver := m2mCstr(c.Card[:]), m2mCstr(c.Driver[:])
	desc := fmt.Sprintf("%s (%s, driver %s, caps %#08x)", p, card, driver, caps)
	if caps&(capVideoM2M|capVideoM2MMplane) == 0 || caps&capStreaming == 0 {
		dev.close()
		return false, desc + ": not a streaming M2M node", false
	}
	mplane := caps&capVideoM2MMplane != 0
	outT, capT := uint32(bufTypeVideoOutput), uint32(bufTypeVideoCapture)
	if mplane {
		outT, capT = bufTypeVideoOutputMplane, bufTypeVideoCaptureMplane
	}
	codecs, raws := enumFourccs(dev, capT), enumFourccs(dev, outT)
	if !has(codecs, e.codecFourcc()) || !has(raws, e.rawFourcc()) {
		dev.close()
		return false, fmt.Sprintf("%s: CAPTURE offers %s, OUTPUT offers %s", desc, fourccList(codecs), fourccList(raws)), true
	}
	e.dev, e.driver, e.mplane, e.path = dev, driver, mplane, p
	e.name = fmt.Sprintf("%s (%s)", p, card)
	e.out.typ, e.cap.typ = outT, capT
	return true, "", true
}

func enumFourccs(dev m2mIO, typ uint32) []uint32 {
	var fs []uint32
	for i := uint32(0); i < 64; i++ {
		d := v4l2Fmtdesc{Index: i, Type: typ}
		if dev.ioctl(vidiocEnumFmt, unsafe.Pointer(&d)) != nil {
			break
		}
		fs = append(fs, d.PixelFormat)
	}
	return fs
}

func has(fs []uint32, f uint32) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}

func fourccList(fs []uint32) string {
	if len(fs) == 0 {
		return "nothing"
	}
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = fourccString(f)
	}
	return strings.Join(s, " ")
}

func fourccString(f uint32) string {
	return string([]byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)})
}

func m2mNodeNum(p string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "video"))
	if err != nil {
		return 1 << 30
	}
	return n
}

func (e *M2MEncoder) codecFourcc() uint32 {
	if e.cfg.Codec == M2MFWHT {
		return fourccFWHT
	}
	return fourccH264
}

func (e *M2MEncoder) rawFourcc() uint32 {
	if e.cfg.Input == media.NV12 {
		return fourccNV12
	}
	return fourccYU12
}

func (e *M2MEncoder) ioctl(name string, req uintptr, arg unsafe.Pointer) error {
	e.calls++
	if err := e.dev.ioctl(req, arg); err != nil {
		return fmt.Errorf("encode: %s: %s: %w", e.name, name, err)
	}
	return nil
}

// start follows the stateful encoder sequence of the V4L2 spec: CAPTURE
// (coded) format first, since it may constrain OUTPUT; then OUTPUT (raw)
// format, frame rate, controls, buffers, STREAMON on both queues.
func (e *M2MEncoder) start() error {
	if err := e.negotiate(); err != nil {
		return err
	}
	w, h := uint32(e.cfg.Width), uint32(e.cfg.Height)

	if e.cfg.FPS > 0 {
		sp := v4l2Streamparm{Type: e.out.typ}
		sp.TimePerFrame.Num, sp.TimePerFrame.Den = 1, uint32(e.cfg.FPS)
		if err := e.ioctl("VIDIOC_S_PARM(OUTPUT)", vidiocSParm, unsafe.Pointer(&sp)); err != nil {
			// Rate control then assumes the driver's default rate.
			e.log.Warn("m2m encoder has no frame interval control", "device", e.name, "err", err)
		}
	}
	e.applyControls()

	if e.importing {
		if err := e.requestImport(&e.out, e.cfg.Buffers); err != nil {
			return err
		}
	} else if err := e.mapQueue(&e.out, e.cfg.Buffers); err != nil {
		return err
	}
	if err := e.mapQueue(&e.cap, e.cfg.Buffers); err != nil {
		return err
	}
	for i := range e.cap.bufs {
		if err := e.qbuf(&e.cap, i, 0, 0); err != nil {
			return err
		}
	}
	for i := range e.out.count {
		e.out.free = append(e.out.free, i)
	}
	e.subscribe()
	for _, q := range []*m2mQueue{&e.out, &e.cap} {
		t := int32(q.typ)
		if err := e.ioctl("VIDIOC_STREAMON", vidiocStreamon, unsafe.Pointer(&t)); err != nil {
			return err
		}
		e.streaming = true
	}
	e.log.Info("m2m encoder started", "device", e.name, "driver", e.driver, "mplane", e.mplane,
		"codec", e.cfg.Codec.String(), "input", fourccString(e.rawFourcc()),
		"size", fmt.Sprintf("%dx%d", w, h), "bytesperline", e.out.bpl, "sizeimage", e.out.size,
		"luma_rows", e.out.planeH, "buffers", fmt.Sprintf("%d+%d", e.out.count, e.cap.count), "dmabuf_import", e.importing)
	return nil
}

// negotiate sets both formats and records the OUTPUT layout the driver
// granted: bytesperline, luma rows and size of one picture.
func (e *M2MEncoder) negotiate() error {
	w, h := uint32(e.cfg.Width), uint32(e.cfg.Height)
	var cf v4l2Format
	cf.Type = e.cap.typ
	if e.mplane {
		m := cf.Mplane()
		m.Width, m.Height, m.PixelFormat, m.Field, m.NumPlanes = w, h, e.codecFourcc(), fieldNone, 1
	} else {
		p := cf.Pix()
		p.Width, p.Height, p.PixelFormat, p.Field = w, h, e.codecFourcc(), fieldNone
	}
	if err := e.ioctl("VIDIOC_S_FMT(CAPTURE)", vidiocSFmt, unsafe.Pointer(&cf)); err != nil {
		return err
	}
	var of v4l2Format
	of.Type = e.out.typ
	if e.mplane {
		m := of.Mplane()
		m.Width, m.Height, m.PixelFormat, m.Field, m.NumPlanes = w, h, e.rawFourcc(), fieldNone, 1
	} else {
		p := of.Pix()
		p.Width, p.Height, p.PixelFormat, p.Field = w, h, e.rawFourcc(), fieldNone
	}
	if err := e.ioctl("VIDIOC_S_FMT(OUTPUT)", vidiocSFmt, unsafe.Pointer(&of)); err != nil {
		return err
	}
	gw, gh, gf, bpl, size := e.granted(&of)
	if gf != e.rawFourcc() || gw != w || gh != h {
		// Drivers clamp to what they can do instead of failing; an encoder
		// that would scale or crop is not the one configured.
		return fmt.Errorf("encode: %s: OUTPUT format %s %dx%d refused, driver set %s %dx%d",
			e.name, fourccString(e.rawFourcc()), w, h, fourccString(gf), gw, gh)
	}
	e.out.bpl, e.out.size = int(bpl), int(size)
	if e.out.bpl < e.cfg.Width {
		e.out.bpl = e.cfg.Width
	}
	e.out.planeH = lumaRows(e.cfg.Height, e.out.bpl, e.out.size)
	if need := e.out.bpl * e.out.planeH * 3 / 2; e.out.size < need {
		e.out.size = need
	}
	_, _, cfmt, _, csize := e.granted(&cf)
	e.cap.size = int(csize)
	if cfmt != e.codecFourcc() {
		return fmt.Errorf("encode: %s: CAPTURE format %s refused, driver set %s", e.name, fourccString(e.codecFourcc()), fourccString(cfmt))
	}
	return nil
}

func (e *M2MEncoder) granted(f *v4l2Format) (w, h, fourcc, bpl, size uint32) {
	if e.mplane {
		m := f.Mplane()
		return m.Width, m.Height, m.PixelFormat, m.PlaneFmt[0].BytesPerLine, m.PlaneFmt[0].SizeImage
	}
	p := f.Pix()
	return p.Width, p.Height, p.PixelFormat, p.BytesPerLine, p.SizeImage
}

// lumaRows derives the luma plane height from sizeimage: drivers such as
// bcm2835-codec pad the height to 16 lines and put chroma after the padded
// luma. Anything outside [h, h rounded up to 16] is taken as plain padding
// at the end of the buffer.
func lumaRows(h, bpl, size int) int {
	if bpl <= 0 {
		return h
	}
	r := size * 2 / (3 * bpl)
	if r >= h && r <= (h+15)&^15 {
		return r
	}
	return h
}

// subscribe asks for EOS and SOURCE_CHANGE events. Drivers without them
// still mark the last buffer with V4L2_BUF_FLAG_LAST, which is what the
// drain relies on; events only make stalls explainable.
func (e *M2MEncoder) subscribe() {
	for _, t := range []uint32{eventEOS, eventSourceChange} {
		s := v4l2EventSubscription{Type: t}
		if err := e.ioctl("VIDIOC_SUBSCRIBE_EVENT", vidiocSubscribeEvent, unsafe.Pointer(&s)); err != nil {
			e.log.Debug("m2m encoder event not available", "device", e.name, "event", t, "err", err)
			continue
		}
		e.events = true
	}
}

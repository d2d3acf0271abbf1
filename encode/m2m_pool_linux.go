//go:build linux

package encode

import (
	"fmt"
	"log/slog"
	"unsafe"

	"golang.org/x/sys/unix"

	"camagent/media"
)

// NewM2MFramePool allocates n pictures in the M2M encoder's own memory,
// for a source to convert its camera's pictures into: it opens the
// encoder (found as NewM2M finds it), negotiates cfg's formats, asks for n
// OUTPUT buffers, exports each as a dma-buf (VIDIOC_EXPBUF) and closes the
// node. The buffers live on in their dma-bufs, mapped here for the CPU and
// laid out exactly as the encoder reads them (its bytesperline and luma
// rows), so an encoder of the same device imports them: the camera's
// conversion is then the only copy. On a Raspberry Pi 4 that is memory
// bcm2835-codec can reach (contiguous), which a USB camera's is not.
// Closing the pool gives the memory back once every frame is.
func NewM2MFramePool(cfg M2MConfig, n int, log *slog.Logger) (*media.FramePool, error) {
	return newM2MFramePool(cfg, n, log, openM2MNode, nil)
}

func newM2MFramePool(cfg M2MConfig, n int, log *slog.Logger, open func(string) (m2mIO, error), nodes []string) (*media.FramePool, error) {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	e, err := findM2M(cfg, log, open, nodes)
	if err != nil {
		return nil, err
	}
	defer e.dev.close()
	if err := e.negotiate(); err != nil {
		return nil, err
	}
	rb := v4l2Requestbuffers{Count: uint32(n), Type: e.out.typ, Memory: memoryMmap}
	if err := e.ioctl("VIDIOC_REQBUFS", vidiocReqbufs, unsafe.Pointer(&rb)); err != nil {
		return nil, err
	}
	var bufs [][]byte
	var dmas []*media.DMABuf
	free := func() {
		for i, b := range bufs {
			_ = unix.Munmap(b)
			_ = unix.Close(dmas[i].FD)
		}
	}
	for i := range int(rb.Count) {
		b, d, err := e.exportOutput(i)
		if err != nil {
			free()
			return nil, err
		}
		bufs, dmas = append(bufs, b), append(dmas, d)
	}
	if len(bufs) == 0 {
		return nil, fmt.Errorf("encode: %s: VIDIOC_REQBUFS granted no buffers", e.name)
	}
	p, err := media.NewFramePoolOver(cfg.Input, cfg.Width, cfg.Height, e.out.bpl, e.out.planeH, bufs, dmas, free)
	if err != nil {
		free()
		return nil, err
	}
	log.Info("pictures allocated in the m2m encoder's memory", "device", e.name, "frames", len(bufs),
		"bytesperline", e.out.bpl, "luma_rows", e.out.planeH, "bytes", len(bufs[0]))
	return p, nil
}

// exportOutput exports OUTPUT buffer i and maps it for the CPU.
func (e *M2MEncoder) exportOutput(i int) ([]byte, *media.DMABuf, error) {
	b := v4l2Buffer{Index: uint32(i), Type: e.out.typ, Memory: memoryMmap}
	pl := new(v4l2Plane)
	if e.mplane {
		b.M, b.Length = uintptr(unsafe.Pointer(pl)), 1
	}
	if err := e.ioctl("VIDIOC_QUERYBUF", vidiocQuerybuf, unsafe.Pointer(&b)); err != nil {
		return nil, nil, err
	}
	length := int(b.Length)
	if e.mplane {
		length = int(pl.Length)
	}
	if length < e.out.size {
		return nil, nil, fmt.Errorf("encode: %s: OUTPUT buffer %d is %d bytes, a picture needs %d", e.name, i, length, e.out.size)
	}
	x := v4l2Exportbuffer{Type: e.out.typ, Index: uint32(i), Flags: unix.O_RDWR | unix.O_CLOEXEC}
	if err := e.ioctl("VIDIOC_EXPBUF", vidiocExpbuf, unsafe.Pointer(&x)); err != nil {
		return nil, nil, err
	}
	fd := int(x.FD)
	m, err := unix.Mmap(fd, 0, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		_ = unix.Close(fd)
		return nil, nil, fmt.Errorf("encode: %s: mmap exported buffer %d: %w", e.name, i, err)
	}
	y := e.out.bpl * e.out.planeH
	d := &media.DMABuf{FD: fd, Len: length, Offsets: [3]int{0, y, 0}}
	if e.cfg.Input == media.I420 {
		d.Offsets[2] = y + e.out.bpl/2*((e.out.planeH+1)/2)
	}
	return m, d, nil
}

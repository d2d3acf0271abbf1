//go:build linux

package encode

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"camagent/media"
)

// Zero copy: a frame lent by the camera carries the dma-buf of the
// driver's buffer (media.Frame.DMA). When its layout is the one this
// encoder negotiated, the OUTPUT queue runs in V4L2_MEMORY_DMABUF and
// QBUF passes the camera's buffer itself; the picture is never copied.
// Otherwise — no dma-buf, another stride or luma padding, a driver that
// refuses the import — the OUTPUT queue is mmap'ed and the picture copied
// once, as before. The two need different REQBUFS, so switching reopens
// the encoder (on the first lent frame, and on a camera that comes back
// in another mode).

// importable says whether f can be queued as it is.
func (e *M2MEncoder) importable(f *media.Frame) bool {
	d := f.DMA
	if d == nil || e.noImport || e.cfg.CopyOnly {
		return false
	}
	bpl, rows := e.out.bpl, e.out.planeH
	if f.Stride[0] != bpl || d.Offsets[0] != 0 || d.Offsets[1] != bpl*rows || d.Len < e.out.size {
		return false
	}
	if f.Format == media.NV12 {
		return f.Stride[1] == bpl
	}
	return f.Stride[1] == bpl/2 && f.Stride[2] == bpl/2 && d.Offsets[2] == bpl*rows+bpl/2*(rows/2)
}

// requestImport sets up q (OUTPUT) for dma-buf import: no memory of its own.
func (e *M2MEncoder) requestImport(q *m2mQueue, n int) error {
	q.mem = memoryDMABuf
	rb := v4l2Requestbuffers{Count: uint32(n), Type: q.typ, Memory: memoryDMABuf}
	if err := e.ioctl("VIDIOC_REQBUFS(DMABUF)", vidiocReqbufs, unsafe.Pointer(&rb)); err != nil {
		return err
	}
	if rb.Count < 1 || rb.Count > 32 {
		return fmt.Errorf("encode: %s: VIDIOC_REQBUFS(DMABUF) granted %d buffers", e.name, rb.Count)
	}
	q.count = int(rb.Count)
	if e.mplane {
		for range q.count {
			q.planes = append(q.planes, new(v4l2Plane))
		}
	}
	return nil
}

// remode reopens the encoder with its OUTPUT queue importing or mmap'ed.
// The new session starts with a key frame, as after any reopen.
func (e *M2MEncoder) remode(importing bool) error {
	if err := e.release(); err != nil {
		return err
	}
	_ = e.teardown()
	dev, err := e.open(e.path)
	if err != nil {
		return fmt.Errorf("encode: %s: reopen: %w", e.name, err)
	}
	e.dev, e.importing, e.drained, e.held = dev, importing, false, -1
	if err := e.start(); err != nil {
		return err
	}
	if importing {
		e.log.Info("m2m encoder imports the camera's buffers: no copy", "device", e.name)
	} else {
		e.log.Info("m2m encoder copies pictures into its own buffers", "device", e.name)
	}
	return nil
}

// submitImport queues f's dma-buf on a free OUTPUT buffer. A driver that
// cannot import it (another allocator's memory it cannot reach) refuses at
// QBUF: the encoder then copies, now and from then on.
func (e *M2MEncoder) submitImport(f *media.Frame) error {
	i, err := e.freeOutput()
	if err != nil {
		return err
	}
	d := f.DMA
	n := e.out.bpl * e.out.planeH * 3 / 2
	b := e.scratchBuf()
	*b = v4l2Buffer{Index: uint32(i), Type: e.out.typ, Memory: memoryDMABuf, Field: fieldNone, BytesUsed: uint32(n)}
	b.Timestamp = unix.NsecToTimeval(f.PTS.Nanoseconds())
	if e.mplane {
		p := e.out.planes[i]
		*p = v4l2Plane{BytesUsed: uint32(n), Length: uint32(d.Len), M: uintptr(uint32(int32(d.FD)))}
		b.M, b.Length = uintptr(unsafe.Pointer(p)), 1
	} else {
		b.M, b.Length = uintptr(uint32(int32(d.FD))), uint32(d.Len)
	}
	err = e.ioctl("VIDIOC_QBUF(DMABUF)", vidiocQbuf, unsafe.Pointer(b))
	if err == nil {
		e.imported++
		e.encodedFrames++
		return nil
	}
	e.out.free = append(e.out.free, i)
	if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EIO) {
		return err // the device went away: the stage reopens it
	}
	e.noImport = true
	e.log.Warn("m2m encoder cannot import the camera's buffers; copying instead", "device", e.name, "err", err)
	if err := e.remode(false); err != nil {
		return err
	}
	return e.submit(f)
}

// Copies reports how many pictures were queued by importing the camera's
// buffer and how many were copied into the encoder's own.
func (e *M2MEncoder) Copies() (imported, copied uint64) { return e.imported, e.copied }

// Timestamp is the one the driver put on the last bitstream buffer: M2M
// drivers copy it from the picture's OUTPUT buffer, so it is that
// picture's PTS (at microsecond precision).
func (e *M2MEncoder) Timestamp() time.Duration { return e.lastPTS }

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

// The streaming half of the M2M encoder: buffers, one picture in and one
// bitstream buffer out, the drain, and teardown. m2m_linux.go finds the
// device and negotiates formats.

func (e *M2MEncoder) mapQueue(q *m2mQueue, n int) error {
	q.mem = memoryMmap
	rb := v4l2Requestbuffers{Count: uint32(n), Type: q.typ, Memory: memoryMmap}
	if err := e.ioctl("VIDIOC_REQBUFS", vidiocReqbufs, unsafe.Pointer(&rb)); err != nil {
		return err
	}
	if rb.Count < 1 || rb.Count > 32 {
		return fmt.Errorf("encode: %s: VIDIOC_REQBUFS type %d granted %d buffers", e.name, q.typ, rb.Count)
	}
	for i := uint32(0); i < rb.Count; i++ {
		b := v4l2Buffer{Index: i, Type: q.typ, Memory: memoryMmap}
		var pl *v4l2Plane
		if e.mplane {
			pl = new(v4l2Plane)
			b.M, b.Length = uintptr(unsafe.Pointer(pl)), 1
		}
		if err := e.ioctl("VIDIOC_QUERYBUF", vidiocQuerybuf, unsafe.Pointer(&b)); err != nil {
			return err
		}
		off, length := int64(uint32(b.M)), int(b.Length)
		if e.mplane {
			off, length = int64(uint32(pl.M)), int(pl.Length)
			b.M = 0
		}
		m, err := e.dev.mmap(off, length)
		if err != nil {
			return fmt.Errorf("encode: %s: mmap buffer %d of type %d: %w", e.name, i, q.typ, err)
		}
		q.bufs = append(q.bufs, m)
		q.planes = append(q.planes, pl)
	}
	q.count = len(q.bufs)
	return nil
}

// qbuf queues buffer i with n payload bytes (OUTPUT) or empty (CAPTURE).
func (e *M2MEncoder) qbuf(q *m2mQueue, i, n int, pts time.Duration) error {
	b := e.scratchBuf()
	*b = v4l2Buffer{Index: uint32(i), Type: q.typ, Memory: q.mem, Field: fieldNone, BytesUsed: uint32(n)}
	b.Timestamp = unix.NsecToTimeval(pts.Nanoseconds())
	if e.mplane {
		p := q.planes[i]
		*p = v4l2Plane{BytesUsed: uint32(n), Length: uint32(len(q.bufs[i]))}
		b.M, b.Length = uintptr(unsafe.Pointer(p)), 1
	}
	return e.ioctl("VIDIOC_QBUF", vidiocQbuf, unsafe.Pointer(b))
}

// scratchBuf is the one v4l2_buffer every QBUF/DQBUF goes through: an
// argument passed through the m2mIO interface escapes, so a local would
// be a heap allocation per call.
func (e *M2MEncoder) scratchBuf() *v4l2Buffer {
	if e.scratch == nil {
		e.scratch = new(v4l2Buffer)
	}
	return e.scratch
}

// dqbuf takes one finished buffer without blocking; ok is false on EAGAIN.
func (e *M2MEncoder) dqbuf(q *m2mQueue) (b v4l2Buffer, n int, ok bool, err error) {
	sb := e.scratchBuf()
	*sb = v4l2Buffer{Type: q.typ, Memory: q.mem}
	if e.dqPlane == nil {
		e.dqPlane = new(v4l2Plane)
	}
	pl := e.dqPlane
	*pl = v4l2Plane{}
	if e.mplane {
		sb.M, sb.Length = uintptr(unsafe.Pointer(pl)), 1
	}
	e.calls++
	err = e.dev.ioctl(vidiocDqbuf, unsafe.Pointer(sb))
	b = *sb
	if err != nil {
		if errors.Is(err, unix.EAGAIN) {
			return b, 0, false, nil
		}
		return b, 0, false, err
	}
	n = int(b.BytesUsed)
	if e.mplane {
		n = int(pl.BytesUsed)
	}
	if int(b.Index) >= q.count || (q.mem == memoryMmap && n > len(q.bufs[b.Index])) {
		return b, 0, false, fmt.Errorf("encode: %s: VIDIOC_DQBUF: bad buffer %d (%d bytes)", e.name, b.Index, n)
	}
	return b, n, true, nil
}

// wait polls for events until the deadline. POLLPRI (an event) is
// dequeued and logged here; the caller retries its DQBUF either way.
func (e *M2MEncoder) wait(events int16, deadline time.Time, what string) error {
	left := time.Until(deadline)
	if left <= 0 {
		return fmt.Errorf("encode: %s: no %s within %v: %w", e.name, what, e.cfg.Timeout, unix.ETIMEDOUT)
	}
	if e.events {
		events |= unix.POLLPRI
	}
	e.calls++
	rev, err := e.dev.poll(events, left)
	if err != nil {
		return fmt.Errorf("encode: %s: poll: %w", e.name, err)
	}
	if rev&unix.POLLPRI != 0 {
		e.dqevent()
	}
	if rev&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 && rev&(unix.POLLIN|unix.POLLOUT|unix.POLLPRI) == 0 {
		// The caller's DQBUF just said EAGAIN, so this is not a ready
		// buffer: a removed device, or a queue with nothing queued.
		// Waiting on would spin until the deadline.
		return fmt.Errorf("encode: %s: poll while waiting for %s: device error (revents %#x): %w", e.name, what, rev, unix.EIO)
	}
	return nil
}

func (e *M2MEncoder) dqevent() {
	var ev v4l2Event
	if err := e.ioctl("VIDIOC_DQEVENT", vidiocDqevent, unsafe.Pointer(&ev)); err != nil {
		return
	}
	switch ev.Type {
	case eventEOS:
		e.log.Debug("m2m encoder end of stream event", "device", e.name)
	case eventSourceChange:
		// An encoder's input does not change by itself; worth knowing.
		e.log.Warn("m2m encoder source change event", "device", e.name)
	}
}

// Encode queues f and returns the bitstream of one picture.
func (e *M2MEncoder) Encode(f *media.Frame, forceIDR bool) ([][]byte, error) {
	if e.drained {
		return nil, fmt.Errorf("encode: %s: encoder drained", e.name)
	}
	if err := e.release(); err != nil {
		return nil, err
	}
	if forceIDR {
		e.forceKeyFrame()
	}
	if want := e.importable(f); want != e.importing {
		if err := e.remode(want); err != nil {
			return nil, err
		}
	}
	if e.importing {
		if err := e.submitImport(f); err != nil {
			return nil, err
		}
	} else if err := e.submit(f); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(e.cfg.Timeout)
	for {
		b, n, ok, err := e.dqbuf(&e.cap)
		if err != nil {
			return nil, fmt.Errorf("encode: %s: VIDIOC_DQBUF(CAPTURE): %w", e.name, err)
		}
		if ok {
			if b.Flags&bufFlagError != 0 || n == 0 {
				// A corrupt or empty buffer carries nothing to send; give
				// it back and report no units for this picture.
				return nil, e.qbuf(&e.cap, int(b.Index), 0, 0)
			}
			e.held = int(b.Index)
			if e.importing {
				// The caller may give the frame back to the camera as
				// soon as Encode returns: the driver must be done with it.
				if err := e.reclaimOutput(deadline, e.out.count, "imported picture back"); err != nil {
					return nil, err
				}
			}
			return e.units(&b, n), nil
		}
		if err := e.wait(unix.POLLIN, deadline, "encoded picture"); err != nil {
			return nil, err
		}
	}
}

// release requeues the CAPTURE buffer whose units the caller has finished
// with (they are valid until the next call).
func (e *M2MEncoder) release() error {
	if e.held < 0 {
		return nil
	}
	i := e.held
	e.held = -1
	return e.qbuf(&e.cap, i, 0, 0)
}

// submit copies f into a free OUTPUT buffer, honouring the driver's
// bytesperline and luma height, and queues it with f.PTS as timestamp
// (M2M drivers copy it to the CAPTURE buffer).
func (e *M2MEncoder) submit(f *media.Frame) error {
	if f.Width != e.cfg.Width || f.Height != e.cfg.Height || f.Format != e.cfg.Input {
		return fmt.Errorf("encode: %s: frame %v %dx%d does not match encoder %v %dx%d",
			e.name, f.Format, f.Width, f.Height, e.cfg.Input, e.cfg.Width, e.cfg.Height)
	}
	i, err := e.freeOutput()
	if err != nil {
		return err
	}
	dst := e.out.bufs[i]
	if len(dst) < e.out.bpl*e.out.planeH*3/2 {
		return fmt.Errorf("encode: %s: OUTPUT buffer %d is %d bytes, picture needs %d", e.name, i, len(dst), e.out.bpl*e.out.planeH*3/2)
	}
	copyFrame(dst, f, e.out.bpl, e.out.planeH)
	if err := e.qbuf(&e.out, i, e.out.bpl*e.out.planeH*3/2, f.PTS); err != nil {
		e.out.free = append(e.out.free, i)
		return err
	}
	e.copied++
	e.encodedFrames++
	return nil
}

// copyFrame writes f into a single-plane YU12 or NV12 buffer with stride
// bpl (chroma stride bpl/2 for YU12, bpl for NV12) and planeH luma rows.
func copyFrame(dst []byte, f *media.Frame, bpl, planeH int) {
	w, h := f.Width, f.Height
	for y := range h {
		copy(dst[y*bpl:y*bpl+w], f.Planes[0][y*f.Stride[0]:])
	}
	off := bpl * planeH
	cw, ch := (w+1)/2, (h+1)/2
	if f.Format == media.NV12 {
		for y := range ch {
			copy(dst[off+y*bpl:off+y*bpl+2*cw], f.Planes[1][y*f.Stride[1]:])
		}
		return
	}
	cs, cplane := bpl/2, bpl/2*(planeH/2)
	for p := 1; p <= 2; p++ {
		base := off + (p-1)*cplane
		for y := range ch {
			copy(dst[base+y*cs:base+y*cs+cw], f.Planes[p][y*f.Stride[p]:])
		}
	}
}

// freeOutput returns an OUTPUT buffer we own, reclaiming finished ones
// from the driver (waiting for one at most Timeout).
func (e *M2MEncoder) freeOutput() (int, error) {
	if err := e.reclaimOutput(time.Now().Add(e.cfg.Timeout), 1, "free input buffer"); err != nil {
		return 0, err
	}
	i := e.out.free[len(e.out.free)-1]
	e.out.free = e.out.free[:len(e.out.free)-1]
	return i, nil
}

// reclaimOutput dequeues finished OUTPUT buffers until we own want of
// them, waiting until the deadline.
func (e *M2MEncoder) reclaimOutput(deadline time.Time, want int, what string) error {
	for len(e.out.free) < want {
		b, _, ok, err := e.dqbuf(&e.out)
		if err != nil {
			return fmt.Errorf("encode: %s: VIDIOC_DQBUF(OUTPUT): %w", e.name, err)
		}
		if ok {
			e.out.free = append(e.out.free, int(b.Index))
			continue
		}
		if err := e.wait(unix.POLLOUT, deadline, what); err != nil {
			return err
		}
	}
	return nil
}

func (e *M2MEncoder) units(b *v4l2Buffer, n int) [][]byte {
	e.lastPTS = time.Duration(b.Timestamp.Nano())
	e.lastKey = b.Flags&bufFlagKeyframe != 0
	data := e.cap.bufs[b.Index][:n:n]
	if e.cfg.Codec == M2MFWHT {
		e.nalus = append(e.nalus[:0], data)
		return e.nalus
	}
	e.nalus = splitAnnexB(e.nalus[:0], data)
	return e.nalus
}

// Drain sends V4L2_ENC_CMD_STOP and hands every remaining encoded picture
// to fn (which may be nil) until the driver marks the last buffer. The
// encoder cannot encode afterwards.
func (e *M2MEncoder) Drain(fn func(units [][]byte, pts time.Duration)) error {
	if e.drained || !e.streaming {
		return nil
	}
	e.drained = true
	if err := e.release(); err != nil {
		return err
	}
	cmd := v4l2EncoderCmd{Cmd: encCmdStop}
	if err := e.ioctl("VIDIOC_ENCODER_CMD(STOP)", vidiocEncoderCmd, unsafe.Pointer(&cmd)); err != nil {
		return err
	}
	deadline := time.Now().Add(e.cfg.Timeout)
	for {
		b, n, ok, err := e.dqbuf(&e.cap)
		if errors.Is(err, unix.EPIPE) {
			return nil // the last buffer was already dequeued
		}
		if err != nil {
			return fmt.Errorf("encode: %s: drain: VIDIOC_DQBUF(CAPTURE): %w", e.name, err)
		}
		if !ok {
			if err := e.wait(unix.POLLIN, deadline, "last buffer after ENCODER_CMD STOP"); err != nil {
				return err
			}
			continue
		}
		if n > 0 && b.Flags&bufFlagError == 0 && fn != nil {
			fn(e.units(&b, n), e.lastPTS)
		}
		if b.Flags&bufFlagLast != 0 {
			return nil
		}
		if err := e.qbuf(&e.cap, int(b.Index), 0, 0); err != nil {
			return err
		}
	}
}

func (e *M2MEncoder) Backend() string { return "v4l2-m2m:" + e.driver }

// Close drains (bounded by Timeout), stops both queues and frees the
// buffers. After a device removal the ioctls fail; unmap and close still
// release the driver's memory.
func (e *M2MEncoder) Close() error {
	if e.dev == nil {
		return nil
	}
	if e.streaming && !e.drained {
		if err := e.Drain(nil); err != nil {
			e.log.Warn("m2m encoder drain on close failed", "device", e.name, "err", err)
		}
	}
	return e.teardown()
}

// teardown stops both queues, unmaps and closes the node.
func (e *M2MEncoder) teardown() error {
	if e.streaming {
		for _, q := range []*m2mQueue{&e.out, &e.cap} {
			t := int32(q.typ)
			_ = e.ioctl("VIDIOC_STREAMOFF", vidiocStreamoff, unsafe.Pointer(&t))
		}
		e.streaming = false
	}
	for _, q := range []*m2mQueue{&e.out, &e.cap} {
		for _, m := range q.bufs {
			_ = e.dev.munmap(m)
		}
		q.bufs, q.planes, q.free, q.count = nil, nil, nil, 0
	}
	err := e.dev.close()
	e.dev = nil
	return err
}

// Calls is the number of ioctl and poll calls so far (for benchmarks).
func (e *M2MEncoder) Calls() uint64 { return e.calls }

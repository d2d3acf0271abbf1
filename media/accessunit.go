package media

import (
	"sync/atomic"
	"time"
)

// AccessUnit is one encoded H.264 picture: its NAL units without start codes.
// It is shared read-only between subscribers and reference counted; the last
// Release returns it to its pool.
type AccessUnit struct {
	NALUs [][]byte
	PTS   time.Duration // presentation time since the stream started
	Wall  time.Time     // capture wall-clock time of the source picture
	IDR   bool          // random access point (SPS, PPS and an IDR slice present)
	Seq   uint64        // encoder output sequence

	buf  []byte // backing store NALUs point into when pooled
	refs atomic.Int32
	pool *AUPool
}

// Retain adds a reference before handing the unit to another owner.
func (au *AccessUnit) Retain() { au.refs.Add(1) }

// Release drops a reference; the last one recycles the unit.
func (au *AccessUnit) Release() {
	n := au.refs.Add(-1)
	if n == 0 && au.pool != nil {
		au.pool.put(au)
	}
	if n < 0 {
		panic("media: access unit released too many times")
	}
}

// Size is the number of payload bytes in all NAL units.
func (au *AccessUnit) Size() int {
	n := 0
	for _, nalu := range au.NALUs {
		n += len(nalu)
	}
	return n
}

// SetNALUs copies nalus into the unit's own buffer, reusing its capacity.
func (au *AccessUnit) SetNALUs(nalus [][]byte) {
	total := 0
	for _, n := range nalus {
		total += len(n)
	}
	if cap(au.buf) < total {
		au.buf = make([]byte, 0, total+total/4)
	}
	au.buf = au.buf[:0]
	au.NALUs = au.NALUs[:0]
	for _, n := range nalus {
		start := len(au.buf)
		au.buf = append(au.buf, n...)
		au.NALUs = append(au.NALUs, au.buf[start:len(au.buf):len(au.buf)])
	}
}

// AUPool recycles access units so that steady-state encoding does not allocate.
// Unlike FramePool it grows on demand: an encoder must never block on a slow
// subscriber, and subscribers' queues are bounded, which bounds the pool.
type AUPool struct {
	free chan *AccessUnit
}

// NewAUPool keeps up to n idle units for reuse.
func NewAUPool(n int) *AUPool { return &AUPool{free: make(chan *AccessUnit, n)} }

// Get returns a unit holding one reference.
func (p *AUPool) Get() *AccessUnit {
	var au *AccessUnit
	select {
	case au = <-p.free:
	default:
		au = &AccessUnit{pool: p}
	}
	au.refs.Store(1)
	au.NALUs = au.NALUs[:0]
	au.IDR = false
	return au
}

func (p *AUPool) put(au *AccessUnit) {
	select {
	case p.free <- au:
	default: // pool full: let the GC have it
	}
}

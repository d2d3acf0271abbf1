package app

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
	"time"

	"camagent/internal/clock"
	"camagent/media"
	"camagent/onvif"
)

// Snapshot tuning: a copy of the raw picture at most every snapshotEvery
// (the encoder goroutine pays one memcpy of a frame each time), JPEG
// quality for /onvif/snapshot.
const (
	snapshotEvery   = 250 * time.Millisecond
	snapshotQuality = 80
)

// snapshotter keeps a recent copy of the raw picture, fed by the encoder
// stage's observer, and encodes it as JPEG on request (onvif.SnapshotSource).
// Two buffers: the observer fills the spare one without a lock, then swaps
// it in only if no snapshot is being encoded (TryLock), so it never blocks
// the encoder.
type snapshotter struct {
	clk clock.Clock

	// Observer goroutine only.
	next  time.Time
	spare *image.YCbCr

	mu      sync.Mutex
	cur     *image.YCbCr
	curSeq  uint64
	jpeg    []byte // encoding of cur, nil until asked
	jpegSeq uint64
}

func newSnapshotter(clk clock.Clock) *snapshotter { return &snapshotter{clk: clk} }

// Observe is an encode.StageConfig.Observe: it copies f at most every
// snapshotEvery and never retains f.
func (s *snapshotter) Observe(f *media.Frame) {
	now := s.clk.Now()
	if now.Before(s.next) {
		return
	}
	r := image.Rect(0, 0, f.Width, f.Height)
	if s.spare == nil || s.spare.Rect != r {
		s.spare = image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	}
	if !copyYCbCr(s.spare, f) {
		return
	}
	if !s.mu.TryLock() {
		return // a snapshot is being encoded: try again with the next frame
	}
	s.cur, s.spare = s.spare, s.cur
	s.curSeq = f.Seq
	s.mu.Unlock()
	s.next = now.Add(snapshotEvery)
}

// Snapshot encodes the latest copy; concurrent callers share one encoding
// per copied picture.
func (s *snapshotter) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return nil, onvif.ErrNoPicture
	}
	if s.jpeg != nil && s.jpegSeq == s.curSeq {
		return s.jpeg, nil
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, s.cur, &jpeg.Options{Quality: snapshotQuality}); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	s.jpeg, s.jpegSeq = b.Bytes(), s.curSeq
	return s.jpeg, nil
}

// copyYCbCr copies a 4:2:0 frame (I420 or NV12) into dst of the same size.
func copyYCbCr(dst *image.YCbCr, f *media.Frame) bool {
	w, h := f.Width, f.Height
	cw, ch := (w+1)/2, (h+1)/2
	if len(f.Planes[0]) < (h-1)*f.Stride[0]+w {
		return false
	}
	for y := range h {
		copy(dst.Y[y*dst.YStride:y*dst.YStride+w], f.Planes[0][y*f.Stride[0]:])
	}
	switch f.Format {
	case media.I420:
		if len(f.Planes[1]) < (ch-1)*f.Stride[1]+cw || len(f.Planes[2]) < (ch-1)*f.Stride[2]+cw {
			return false
		}
		for y := range ch {
			copy(dst.Cb[y*dst.CStride:y*dst.CStride+cw], f.Planes[1][y*f.Stride[1]:])
			copy(dst.Cr[y*dst.CStride:y*dst.CStride+cw], f.Planes[2][y*f.Stride[2]:])
		}
	case media.NV12:
		if len(f.Planes[1]) < (ch-1)*f.Stride[1]+2*cw {
			return false
		}
		for y := range ch {
			uv := f.Planes[1][y*f.Stride[1]:]
			cb, cr := dst.Cb[y*dst.CStride:], dst.Cr[y*dst.CStride:]
			for x := range cw {
				cb[x], cr[x] = uv[2*x], uv[2*x+1]
			}
		}
	default:
		return false
	}
	return true
}

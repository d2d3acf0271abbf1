package capture

import (
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// H.264 passthrough: UVC cameras that encode on their own (many USB
// webcams offer an "H264" format beside MJPEG) deliver one access unit per
// buffer. It goes to the hub as it is — no decode, no re-encode, no second
// generation of compression artefacts — with the driver's timestamps.

// h264State keeps the parameter sets across buffers: some cameras send
// SPS/PPS only once, while readers that join later need them before every
// IDR.
type h264State struct {
	sps, pps []byte
	synced   bool // an IDR with known parameter sets went out
}

// deliverAU publishes one buffer as an access unit; the data is copied into
// a pooled unit because the driver's buffer is requeued at once.
func (v *V4L2) deliverAU(b v4l2Buf) {
	seq := v.seq
	v.seq++
	nalus, err := splitAnnexB(b.Data)
	if err != nil {
		v.badFrame(err)
		return
	}
	st := &v.h264
	idr, hasSPS, hasPPS := false, false, false
	for _, n := range nalus {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			st.sps, hasSPS = append(st.sps[:0], n...), true
		case h264.NALUTypePPS:
			st.pps, hasPPS = append(st.pps[:0], n...), true
		case h264.NALUTypeIDR:
			idr = true
		}
	}
	if idr && (!hasSPS || !hasPPS) {
		if st.sps == nil || st.pps == nil {
			v.dropped.Add(1) // an IDR nobody can decode yet
			return
		}
		nalus = append([][]byte{st.sps, st.pps}, nalus...)
	}
	if !st.synced {
		if !idr {
			v.dropped.Add(1) // readers need an IDR to start from
			return
		}
		st.synced = true
	}
	au := v.auPool.Get()
	au.SetNALUs(nalus)
	au.IDR = idr
	au.Seq, au.PTS, au.Wall = seq, v.pts(b), b.Wall
	v.cfg.AUs.Publish(au)
	v.frames.Add(1)
}

// badFrame counts a buffer that could not be used and logs the first and
// every 100th, so a bad stream cannot flood the log.
func (v *V4L2) badFrame(err error) {
	v.dropped.Add(1)
	if v.decodeErrors.Add(1)%100 == 1 {
		v.log.Warn("bad frame from camera", "err", err, "errors", v.decodeErrors.Load())
	}
}

// pts maps the driver's timestamp to the stream's, from 0 at the first
// frame ever and never going backwards, whatever the driver does.
func (v *V4L2) pts(b v4l2Buf) time.Duration {
	if !v.hasTS {
		v.ptsAt, v.hasTS = b.TS, true
	}
	p := b.TS - v.ptsAt
	if p < v.lastP {
		p = v.lastP
	}
	v.lastP = p
	return p
}

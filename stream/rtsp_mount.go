package stream

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"

	"camagent/media"
)

// mount is one path the server serves: the stream of one hub, whose
// encoder is asked for IDRs through keys. NVRs record the main path and
// run detection on a smaller sub stream, so the server has several.
type mount struct {
	path string // as configured, with its leading '/': for logs and Stats
	key  string // path without surrounding '/': what request paths are matched against
	hub  *Hub
	keys KeyframeRequester // may be nil

	describe atomic.Pointer[gortsplib.ServerStream] // set by start, read by handlers
	descFmt  *format.H264
	rtpEnc   *rtph264.Encoder // only the mount's writer goroutine uses it

	playing  atomic.Pointer[[]*reader] // copy-on-write, written under RTSPServer.mu
	sps, pps []byte                    // latest parameter sets, guarded by RTSPServer.mu
}

func newMount(path string, hub *Hub, keys KeyframeRequester) (*mount, error) {
	enc := &rtph264.Encoder{PayloadType: payloadType, PacketizationMode: 1, PayloadMaxSize: 1400}
	if err := enc.Init(); err != nil {
		return nil, fmt.Errorf("rtsp: rtp packetizer: %w", err)
	}
	m := &mount{path: path, key: strings.Trim(path, "/"), hub: hub, keys: keys, rtpEnc: enc}
	m.playing.Store(&[]*reader{})
	return m, nil
}

// AddPath serves another stream (e.g. "/sub") from hub; keys forces IDRs on
// that stream's encoder (may be nil). Call before Run. Paths must differ.
//
// The new path shares the port, the users and MaxReaders with the main one.
func (s *RTSPServer) AddPath(path string, hub *Hub, keys KeyframeRequester) error {
	if hub == nil {
		return fmt.Errorf("rtsp: path %q: no hub", path)
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("rtsp: path %q must start with '/'", path)
	}
	m, err := newMount(path, hub, keys)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return errors.New("rtsp: AddPath after Run")
	}
	for _, o := range s.mounts {
		if o.key == m.key {
			return fmt.Errorf("rtsp: path %q is already served (as %q)", path, o.path)
		}
	}
	s.mounts = append(s.mounts, m)
	return nil
}

// mountFor finds the mount a request path names, or nil (404).
func (s *RTSPServer) mountFor(path string) *mount {
	key := strings.Trim(path, "/")
	for _, m := range s.mounts {
		if m.key == key {
			return m
		}
	}
	return nil
}

// start creates the DESCRIBE stream once the server exists.
func (m *mount) start(srv *gortsplib.Server) error {
	m.descFmt = newH264Format(nil, nil)
	describe := &gortsplib.ServerStream{Server: srv, Desc: newDesc(m.descFmt)}
	if err := describe.Initialize(); err != nil {
		return err
	}
	m.describe.Store(describe)
	return nil
}

// writeAU packetises au once and hands the packets to each reader playing m.
func (s *RTSPServer) writeAU(m *mount, au *media.AccessUnit) {
	if au.IDR {
		s.noteParamSets(m, au)
	}
	readers := *m.playing.Load()
	wanted := false
	for _, r := range readers {
		if au.IDR || !r.waitIDR.Load() {
			wanted = true
			break
		}
	}
	if !wanted {
		return
	}
	pkts, err := m.rtpEnc.Encode(au.NALUs)
	if err != nil {
		s.log.Warn("rtp packetisation failed", "path", m.path, "seq", au.Seq, "err", err)
		return
	}
	ts := uint32(au.PTS * 90000 / time.Second)
	for _, p := range pkts {
		p.Timestamp = ts
	}
	for _, r := range readers {
		if r.waitIDR.Load() {
			if !au.IDR {
				continue
			}
			r.waitIDR.Store(false)
		}
		for _, p := range pkts {
			p.SequenceNumber = r.seq
			r.seq++
			if err := r.stream.WritePacketRTPWithNTP(r.media, p, au.Wall); err != nil {
				break
			}
		}
		r.sent.Add(1)
	}
}

// noteParamSets keeps the SDP's sprop-parameter-sets current, so clients
// that configure their decoder from DESCRIBE have the right SPS and PPS.
func (s *RTSPServer) noteParamSets(m *mount, au *media.AccessUnit) {
	var sps, pps []byte
	for _, n := range au.NALUs {
		switch n[0] & 0x1f {
		case 7:
			sps = n
		case 8:
			pps = n
		}
	}
	if sps == nil || pps == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if string(sps) == string(m.sps) && string(pps) == string(m.pps) {
		return
	}
	m.sps = append([]byte(nil), sps...)
	m.pps = append([]byte(nil), pps...)
	m.descFmt.SafeSetParams(m.sps, m.pps)
	m.describe.Load().ReloadDesc()
}

// publishPlayingLocked rebuilds m's copy-on-write list of playing readers;
// s.mu must be held.
func (m *mount) publishPlayingLocked(add, remove *reader) {
	old := *m.playing.Load()
	next := make([]*reader, 0, len(old)+1)
	for _, r := range old {
		if r != remove && r != add {
			next = append(next, r)
		}
	}
	if add != nil {
		next = append(next, add)
	}
	m.playing.Store(&next)
}

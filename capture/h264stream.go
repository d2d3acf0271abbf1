package capture

import (
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// storedAU is one access unit of a loaded file; its NAL units alias the file
// buffer, which stays in memory for the life of the source.
type storedAU struct {
	nalus [][]byte
	idr   bool
}

// h264Stream is a parsed and validated file.
type h264Stream struct {
	aus []storedAU
	// droppedTail counts NAL units after the last picture that belong to no
	// access unit (e.g. a parameter set with no slice after it).
	droppedTail int
}

// sliceHeader holds the two leading fields of a slice header that decide
// access unit boundaries and B-frame rejection.
type sliceHeader struct {
	firstMB   uint32
	sliceType uint32 // 0..9; %5: 0 P, 1 B, 2 I, 3 SP, 4 SI
}

func parseSliceHeader(nalu []byte) (sliceHeader, error) {
	r := rbspReader{buf: nalu[1:]}
	var h sliceHeader
	var err error
	if h.firstMB, err = r.ue(); err != nil {
		return h, fmt.Errorf("first_mb_in_slice: %w", err)
	}
	if h.sliceType, err = r.ue(); err != nil {
		return h, fmt.Errorf("slice_type: %w", err)
	}
	if h.sliceType > 9 {
		return h, fmt.Errorf("slice_type %d out of range", h.sliceType)
	}
	return h, nil
}

// startsNewAU reports whether a non-VCL NAL unit of type t, seen after a
// slice, begins the next access unit (H.264 7.4.1.2.3).
func startsNewAU(t h264.NALUType) bool {
	switch t {
	case h264.NALUTypeSPS, h264.NALUTypePPS, h264.NALUTypeSEI,
		h264.NALUTypePrefix, h264.NALUTypeSubsetSPS,
		h264.NALUTypeReserved16, h264.NALUTypeReserved17, h264.NALUTypeReserved18:
		return true
	}
	return false
}

// parseH264 splits buf into access units and checks that it can be looped
// as-is: it starts at a random access point and has no B-frames (whose
// reordering would need DTS handling that passthrough does not do).
func parseH264(buf []byte) (*h264Stream, error) {
	nalus, err := splitAnnexB(buf)
	if err != nil {
		return nil, err
	}
	s := &h264Stream{}
	var cur storedAU
	curHasVCL := false
	flush := func() {
		if curHasVCL {
			s.aus = append(s.aus, cur)
			cur, curHasVCL = storedAU{}, false
		}
		// Without a slice the NAL units so far (e.g. parameter sets between
		// two delimiters) are carried into the next access unit.
	}
	var sawSPS, sawPPS, sawIDR bool
	for i, nalu := range nalus {
		if nalu[0]&0x80 != 0 {
			return nil, fmt.Errorf("%w: NAL unit %d has forbidden_zero_bit set", ErrMalformed, i)
		}
		typ := h264.NALUType(nalu[0] & 0x1f)
		switch {
		case typ == h264.NALUTypeAccessUnitDelimiter:
			// Marks a boundary but is not kept: RTP packetisers and
			// receivers have no use for it.
			flush()
			continue
		case typ == h264.NALUTypeNonIDR || typ == h264.NALUTypeIDR:
			sh, err := parseSliceHeader(nalu)
			if err != nil {
				return nil, fmt.Errorf("%w: NAL unit %d (%v): %w", ErrMalformed, i, typ, err)
			}
			if sh.sliceType%5 == 1 {
				return nil, fmt.Errorf("%w (NAL unit %d is a B slice)", ErrBFrames, i)
			}
			if curHasVCL && sh.firstMB == 0 {
				flush()
			}
			curHasVCL = true
			if typ == h264.NALUTypeIDR {
				cur.idr, sawIDR = true, true
			}
		case typ >= h264.NALUTypeDataPartitionA && typ <= h264.NALUTypeDataPartitionC:
			return nil, fmt.Errorf("%w: NAL unit %d: data partitioning (%v) is not supported", ErrMalformed, i, typ)
		default:
			if curHasVCL && startsNewAU(typ) {
				flush()
			}
			sawSPS = sawSPS || typ == h264.NALUTypeSPS
			sawPPS = sawPPS || typ == h264.NALUTypePPS
		}
		cur.nalus = append(cur.nalus, nalu)
	}
	if !curHasVCL {
		s.droppedTail = len(cur.nalus)
	}
	flush()
	switch {
	case !sawSPS:
		return nil, ErrNoSPS
	case !sawPPS:
		return nil, ErrNoPPS
	case !sawIDR:
		return nil, ErrNoIDR
	}
	if err := checkRandomAccessStart(s.aus[0]); err != nil {
		return nil, err
	}
	return s, nil
}

// checkRandomAccessStart requires SPS and PPS before the first slice, and
// that slice to be IDR: the loop jumps back here, and a decoder joining at
// any loop must be able to start decoding at once.
func checkRandomAccessStart(au storedAU) error {
	var sps, pps bool
	for _, n := range au.nalus {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			sps = true
		case h264.NALUTypePPS:
			pps = true
		case h264.NALUTypeIDR:
			switch {
			case !sps:
				return fmt.Errorf("%w: no SPS before the first IDR slice", ErrNotRandomAccess)
			case !pps:
				return fmt.Errorf("%w: no PPS before the first IDR slice", ErrNotRandomAccess)
			}
			return nil
		case h264.NALUTypeNonIDR:
			return fmt.Errorf("%w: the first picture is not IDR", ErrNotRandomAccess)
		}
	}
	return fmt.Errorf("%w: the first access unit has no slice", ErrNotRandomAccess)
}

// firstParamSets returns the first SPS and PPS of the first access unit.
func (s *h264Stream) firstParamSets() (sps, pps []byte) {
	for _, n := range s.aus[0].nalus {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			if sps == nil {
				sps = n
			}
		case h264.NALUTypePPS:
			if pps == nil {
				pps = n
			}
		}
	}
	return sps, pps
}

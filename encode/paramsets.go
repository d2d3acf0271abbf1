package encode

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// Errors returned by ParamSetNormalizer. Returned errors wrap one of them
// (test with errors.Is).
var (
	// ErrMalformedNALU reports a NAL unit that cannot be parsed: empty,
	// truncated exp-Golomb code, out-of-range id, no rbsp_stop_one_bit, ...
	ErrMalformedNALU = errors.New("malformed H.264 NAL unit")

	// ErrCABACShift reports a CABAC slice whose rewritten header would change
	// length by a number of bits that is not a multiple of 8, which would
	// break the cabac_alignment_one_bit padding before the slice data.
	ErrCABACShift = errors.New("CABAC slice header length change is not byte-aligned")

	// ErrUnknownPPS reports a slice whose rewrite shifts the slice data by a
	// non-multiple of 8 bits while it references a PPS the normalizer has
	// not seen, so it cannot tell whether the slice is CABAC (see
	// ErrCABACShift). Feed every NAL unit of the stream, in order, from the
	// start.
	ErrUnknownPPS = errors.New("slice references a PPS that was not seen")
)

// Limits of the H.264 ids (ITU-T H.264 7.4.2.1.1, 7.4.2.2) and slice_type.
const (
	maxSPSID     = 31
	maxPPSID     = 255
	maxSliceType = 9
)

// Entropy coding mode of a PPS, as recorded per original pic_parameter_set_id.
const (
	entropyUnknown uint8 = iota
	entropyCAVLC
	entropyCABAC
)

var psEmulation3 = []byte{0, 0, 3}

// ParamSetNormalizer rewrites H.264 NAL units (no start codes, first byte =
// NAL header) so that every SPS has seq_parameter_set_id 0, every PPS has
// pic_parameter_set_id 0 and references SPS 0, and every slice (NAL types 1
// and 5) references PPS 0. It undoes the INCREASING_ID parameter-set strategy
// of OpenH264 so that clients that take SPS/PPS out of band (SDP
// sprop-parameter-sets) or join mid-stream can decode.
//
// A normalizer is stateful: it records the entropy_coding_mode_flag of each
// PPS it sees, keyed by the PPS's original id, to guard CABAC slices. Feed it
// all NAL units of one stream in decoding order. It keeps scratch buffers, so
// steady-state use does not allocate. It is not safe for concurrent use.
//
// The zero value is ready to use.
type ParamSetNormalizer struct {
	rbsp    []byte    // payload with emulation prevention removed
	w       bitWriter // rewritten RBSP
	slots   [][]byte  // per-index output buffers (NAL header + escaped RBSP)
	out     [][]byte  // result of NormalizeAU
	entropy [maxPPSID + 1]uint8
}

// Normalize returns nalu with its parameter-set ids rewritten to 0.
//
// When nothing needs to change (other NAL types, or ids already 0) it returns
// nalu itself. Otherwise the result aliases an internal buffer that stays
// valid until the next call to Normalize or NormalizeAU; copy it to keep it.
func (n *ParamSetNormalizer) Normalize(nalu []byte) ([]byte, error) {
	return n.normalize(nalu, 0)
}

// NormalizeAU normalizes the NAL units of an access unit (or any sequence of
// NAL units), in order, as Normalize does. The returned slice and every
// rewritten NAL unit in it alias internal buffers that stay valid until the
// next call to NormalizeAU or Normalize; unchanged NAL units are the input
// slices themselves. The inputs must not alias results of earlier calls that
// are rewritten again. On error it returns nil and an error naming the index
// of the offending NAL unit (units before it have already updated the
// recorded PPS entropy modes).
//
// Typical use, copying the results before the next call:
//
//	nalus, err := n.NormalizeAU(encoderOutput)
//	if err != nil { ... }
//	au.SetNALUs(nalus) // media.AccessUnit.SetNALUs copies
func (n *ParamSetNormalizer) NormalizeAU(nalus [][]byte) ([][]byte, error) {
	n.out = n.out[:0]
	for i, nalu := range nalus {
		res, err := n.normalize(nalu, i)
		if err != nil {
			return nil, fmt.Errorf("NAL unit %d: %w", i, err)
		}
		n.out = append(n.out, res)
	}
	return n.out, nil
}

func psMalformed(what string) error {
	return fmt.Errorf("%w: %s", ErrMalformedNALU, what)
}

func psMalformedErr(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrMalformedNALU, what, err)
}

func (n *ParamSetNormalizer) normalize(nalu []byte, slot int) ([]byte, error) {
	if len(nalu) == 0 {
		return nil, psMalformed("empty NAL unit")
	}
	typ := h264.NALUType(nalu[0] & 0x1f)
	switch typ {
	case h264.NALUTypeSPS, h264.NALUTypePPS, h264.NALUTypeNonIDR, h264.NALUTypeIDR:
	default:
		// Data partitions (2..4) carry no pic_parameter_set_id in B/C and
		// are not produced by the encoders we wrap; others have no ids.
		return nalu, nil
	}
	if nalu[0]&0x80 != 0 {
		return nil, psMalformed("forbidden_zero_bit set")
	}

	n.rbsp = unescapeRBSP(n.rbsp[:0], nalu[1:])
	rbsp := n.rbsp
	stop := stopBitPos(rbsp)
	if stop < 0 {
		return nil, psMalformed("no rbsp_stop_one_bit")
	}
	r := newBitReader(rbsp, stop)
	w := &n.w
	w.reset()

	switch typ {
	case h264.NALUTypeSPS:
		// profile_idc, constraint_set flags + reserved_zero_2bits, level_idc
		pcl, err := r.readBits(24)
		if err != nil {
			return nil, psMalformedErr("SPS header", err)
		}
		id, err := r.readUE()
		if err != nil {
			return nil, psMalformedErr("seq_parameter_set_id", err)
		}
		if id > maxSPSID {
			return nil, psMalformed(fmt.Sprintf("seq_parameter_set_id %d > %d", id, maxSPSID))
		}
		if id == 0 {
			return nalu, nil
		}
		w.writeBits(pcl, 24)
		w.writeUE(0)

	case h264.NALUTypePPS:
		ppsID, err := r.readUE()
		if err != nil {
			return nil, psMalformedErr("pic_parameter_set_id", err)
		}
		if ppsID > maxPPSID {
			return nil, psMalformed(fmt.Sprintf("pic_parameter_set_id %d > %d", ppsID, maxPPSID))
		}
		spsID, err := r.readUE()
		if err != nil {
			return nil, psMalformedErr("seq_parameter_set_id", err)
		}
		if spsID > maxSPSID {
			return nil, psMalformed(fmt.Sprintf("seq_parameter_set_id %d > %d", spsID, maxSPSID))
		}
		rest := r // entropy_coding_mode_flag is copied with the rest
		cabac, err := r.readBit()
		if err != nil {
			return nil, psMalformedErr("entropy_coding_mode_flag", err)
		}
		n.entropy[ppsID] = entropyCAVLC + cabac
		if ppsID == 0 && spsID == 0 {
			return nalu, nil
		}
		r = rest
		w.writeUE(0)
		w.writeUE(0)

	default: // coded slice, IDR or not
		firstMB, err := r.readUE()
		if err != nil {
			return nil, psMalformedErr("first_mb_in_slice", err)
		}
		sliceType, err := r.readUE()
		if err != nil {
			return nil, psMalformedErr("slice_type", err)
		}
		if sliceType > maxSliceType {
			return nil, psMalformed(fmt.Sprintf("slice_type %d > %d", sliceType, maxSliceType))
		}
		start := r.pos
		ppsID, err := r.readUE()
		if err != nil {
			return nil, psMalformedErr("pic_parameter_set_id", err)
		}
		if ppsID > maxPPSID {
			return nil, psMalformed(fmt.Sprintf("pic_parameter_set_id %d > %d", ppsID, maxPPSID))
		}
		if ppsID == 0 {
			return nalu, nil
		}
		// The new pic_parameter_set_id ue(0) is a single bit.
		if shift := r.pos - start - 1; shift%8 != 0 {
			switch n.entropy[ppsID] {
			case entropyCABAC:
				return nil, fmt.Errorf("%w: pic_parameter_set_id %d, %d bits", ErrCABACShift, ppsID, shift)
			case entropyUnknown:
				return nil, fmt.Errorf("%w: pic_parameter_set_id %d", ErrUnknownPPS, ppsID)
			}
		}
		w.writeUE(firstMB)
		w.writeUE(sliceType)
		w.writeUE(0)
	}

	if err := w.copyBits(&r, r.remaining()); err != nil {
		return nil, psMalformedErr("copy", err) // unreachable
	}
	// rbsp_stop_one_bit + rbsp_alignment_zero_bits, then any trailing zero
	// bytes that followed the stop bit (e.g. cabac_zero_words).
	w.writeBit(1)
	w.alignZero()
	trailing := len(rbsp) - (stop>>3 + 1)
	clear(w.growBytes(trailing))

	buf := n.slot(slot)
	buf = append(buf, nalu[0])
	buf = escapeRBSP(buf, w.bytes())
	n.slots[slot] = buf
	return buf, nil
}

// slot returns the emptied output buffer for index i.
func (n *ParamSetNormalizer) slot(i int) []byte {
	for len(n.slots) <= i {
		n.slots = append(n.slots, nil)
	}
	return n.slots[i][:0]
}

// stopBitPos returns the bit position of the rbsp_stop_one_bit (the last set
// bit of rbsp), or -1 when rbsp is all zero.
func stopBitPos(rbsp []byte) int {
	i := len(rbsp) - 1
	for i >= 0 && rbsp[i] == 0 {
		i--
	}
	if i < 0 {
		return -1
	}
	return i*8 + 7 - bits.TrailingZeros8(rbsp[i])
}

// unescapeRBSP appends src with emulation prevention bytes removed to dst
// (ITU-T H.264 7.4.1: every 0x03 that follows two zero bytes is dropped).
func unescapeRBSP(dst, src []byte) []byte {
	for {
		i := bytes.Index(src, psEmulation3)
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:i+2]...)
		src = src[i+3:]
	}
}

// escapeRBSP appends rbsp to dst inserting emulation prevention bytes: 0x03
// after any two zero bytes followed by a byte <= 0x03, and after a final pair
// of zero bytes (ITU-T H.264 7.4.1).
func escapeRBSP(dst, rbsp []byte) []byte {
	for {
		i := bytes.Index(rbsp, psEmulation3[:2])
		if i < 0 {
			return append(dst, rbsp...)
		}
		dst = append(dst, rbsp[:i+2]...)
		rbsp = rbsp[i+2:]
		if len(rbsp) == 0 || rbsp[0] <= 3 {
			dst = append(dst, 3)
		}
	}
}

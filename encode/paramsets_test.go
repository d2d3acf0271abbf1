package encode

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------
// Reference implementation: deliberately naive (bit strings, byte-at-a-time
// emulation prevention) and independent of bitio.go, used as an oracle.

// psRefUnescape removes emulation prevention bytes (ITU-T H.264 7.3.1).
func psRefUnescape(b []byte) []byte {
	out := []byte{}
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// psRefEscape inserts emulation prevention bytes.
func psRefEscape(b []byte) []byte {
	out := []byte{}
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	if zeros >= 2 {
		out = append(out, 3)
	}
	return out
}

// psRefUE parses ue(v) at pos of the bit string s.
func psRefUE(s string, pos int) (uint64, int, bool) {
	lz := 0
	for pos < len(s) && s[pos] == '0' {
		lz++
		pos++
	}
	if pos >= len(s) || lz > 31 || pos+1+lz > len(s) {
		return 0, 0, false
	}
	pos++
	v := uint64(1)
	for i := 0; i < lz; i++ {
		v = v<<1 | uint64(s[pos+i]-'0')
	}
	return v - 1, pos + lz, true
}

// psRefParsed describes the leading fields of a SPS/PPS/slice RBSP.
type psRefParsed struct {
	typ       byte
	pcl       string // SPS: profile_idc, constraint flags, level_idc
	spsID     uint64 // SPS and PPS
	ppsID     uint64 // PPS and slice
	firstMB   uint64 // slice
	sliceType uint64 // slice
	rest      string // bits after the rewritten fields, before the stop bit
	trailing  int    // zero bytes after the stop-bit byte
}

// psRefParse parses a NAL unit of type 1, 5, 7 or 8. It returns a sentinel
// error on malformed input.
func psRefParse(nalu []byte) (psRefParsed, error) {
	var p psRefParsed
	if len(nalu) == 0 || nalu[0]&0x80 != 0 {
		return p, ErrMalformedNALU
	}
	p.typ = nalu[0] & 0x1f
	rbsp := psRefUnescape(nalu[1:])
	s := btUnpackBits(rbsp)
	stop := strings.LastIndexByte(s, '1')
	if stop < 0 {
		return p, ErrMalformedNALU
	}
	p.trailing = len(rbsp) - (stop/8 + 1)
	s = s[:stop]
	pos := 0
	var ok bool
	switch p.typ {
	case 7:
		if len(s) < 24 {
			return p, ErrMalformedNALU
		}
		p.pcl = s[:24]
		if p.spsID, pos, ok = psRefUE(s, 24); !ok || p.spsID > 31 {
			return p, ErrMalformedNALU
		}
	case 8:
		if p.ppsID, pos, ok = psRefUE(s, 0); !ok || p.ppsID > 255 {
			return p, ErrMalformedNALU
		}
		if p.spsID, pos, ok = psRefUE(s, pos); !ok || p.spsID > 31 {
			return p, ErrMalformedNALU
		}
		if pos >= len(s) { // entropy_coding_mode_flag
			return p, ErrMalformedNALU
		}
	case 1, 5:
		if p.firstMB, pos, ok = psRefUE(s, 0); !ok {
			return p, ErrMalformedNALU
		}
		if p.sliceType, pos, ok = psRefUE(s, pos); !ok || p.sliceType > 9 {
			return p, ErrMalformedNALU
		}
		if p.ppsID, pos, ok = psRefUE(s, pos); !ok || p.ppsID > 255 {
			return p, ErrMalformedNALU
		}
	default:
		panic("psRefParse: unexpected type")
	}
	p.rest = s[pos:]
	return p, nil
}

// psRefNormalize is the oracle for Normalize on a single NAL unit. entropy
// gives the entropy mode assumed for every referenced PPS (entropyUnknown,
// entropyCAVLC or entropyCABAC).
func psRefNormalize(nalu []byte, entropy uint8) ([]byte, error) {
	if len(nalu) == 0 {
		return nil, ErrMalformedNALU
	}
	switch nalu[0] & 0x1f {
	case 1, 5, 7, 8:
	default:
		return nalu, nil
	}
	p, err := psRefParse(nalu)
	if err != nil {
		return nil, err
	}
	var bits string
	switch p.typ {
	case 7:
		if p.spsID == 0 {
			return nalu, nil
		}
		bits = p.pcl + "1"
	case 8:
		if p.ppsID == 0 && p.spsID == 0 {
			return nalu, nil
		}
		bits = "11"
	default:
		if p.ppsID == 0 {
			return nalu, nil
		}
		if shift := len(btUeBits(p.ppsID)) - 1; shift%8 != 0 {
			switch entropy {
			case entropyCABAC:
				return nil, ErrCABACShift
			case entropyUnknown:
				return nil, ErrUnknownPPS
			}
		}
		bits = btUeBits(p.firstMB) + btUeBits(p.sliceType) + "1"
	}
	bits += p.rest + "1"
	for len(bits)%8 != 0 {
		bits += "0"
	}
	bits += strings.Repeat("00000000", p.trailing)
	return append([]byte{nalu[0]}, psRefEscape(btPackBits(bits))...), nil
}

// ---------------------------------------------------------------------------
// NAL unit builders for the tests.

// nal builds a NAL unit from a header byte and the RBSP written as a bit
// string that must already contain the stop bit and alignment.
func psNAL(t testing.TB, header byte, rbspBits string) []byte {
	t.Helper()
	return append([]byte{header}, psRefEscape(btBitsToBytes(t, rbspBits, false))...)
}

const (
	psHdrSPS    = 0x67
	psHdrPPS    = 0x68
	psHdrIDR    = 0x65
	psHdrNonIDR = 0x41
)

// Hand-written RBSP pieces.
const (
	// profile_idc=66 (baseline), constraint_set0/1 flags, level_idc=13
	psSpsPCL = "01000010 11000000 00001101"
	// log2_max_frame_num_minus4=0, pic_order_cnt_type=2,
	// max_num_ref_frames=1, gaps=0, pic_width_in_mbs_minus1=19,
	// pic_height_in_map_units_minus1=14, frame_mbs_only=1,
	// direct_8x8_inference=1, frame_cropping=0, vui_parameters_present=0
	psSpsRest = "1 011 010 0 000010100 0001111 1 1 0 0" // 28 bits
	// entropy_coding_mode_flag=0, bottom_field_pic_order=0,
	// num_slice_groups_minus1=0, num_ref_idx_l0/l1_default_minus1=0,
	// weighted_pred=0, weighted_bipred_idc=0, pic_init_qp/qs_minus26=0,
	// chroma_qp_index_offset=0, deblocking_filter_control_present=1,
	// constrained_intra_pred=0, redundant_pic_cnt_present=0
	psPpsRest      = "0 0 1 1 1 0 00 1 1 1 1 0 0" // 14 bits
	psPpsRestCABAC = "1 0 1 1 1 0 00 1 1 1 1 0 0"
	// frame_num u(4)=0, idr_pic_id=0, no_output_of_prior_pics=0,
	// long_term_reference=0, slice_qp_delta=0,
	// disable_deblocking_filter_idc=0, alpha/beta offsets=0, then 12 bits
	// standing in for slice data.
	psIdrRest = "0000 1 0 0 1 1 1 1 1011 0110 0111" // 23 bits
	// frame_num=1, num_ref_idx_active_override=0,
	// ref_pic_list_modification_flag_l0=0, adaptive_ref_pic_marking=0,
	// slice_qp_delta=-1 (se 010), deblocking idc 1, 11 bits of "data"
	psPRest = "0001 0 0 0 010 010 11001001111" // 24 bits
)

type psNormCase struct {
	name    string
	prime   [][]byte // fed to the same normalizer first (e.g. PPS)
	in      []byte
	want    []byte // nil with wantErr == nil means "returned unchanged"
	wantErr error
}

func psNormCases(t testing.TB) []psNormCase {
	cavlcPPS1 := psNAL(t, psHdrPPS, "010 010 "+psPpsRest+" 1 000")
	cabacPPS1 := psNAL(t, psHdrPPS, "010 010 "+psPpsRestCABAC+" 1 000")
	cavlcPPS5 := psNAL(t, psHdrPPS, "00110 1 "+psPpsRest+" 1 000")
	cavlcPPS31 := psNAL(t, psHdrPPS, "00000100000 1 "+psPpsRest+" 1 00000")
	cabacPPS15 := psNAL(t, psHdrPPS, "000010000 1 "+psPpsRestCABAC+" 1 0000000")
	cabacPPS0 := psNAL(t, psHdrPPS, "1 1 "+psPpsRestCABAC+" 1 0000000")
	// Normalised SPS / PPS / slice bit strings, shared by several cases.
	spsOut := psSpsPCL + " 1 " + psSpsRest + " 1 00"      // 56 bits
	ppsOut := "1 1 " + psPpsRest + " 1 0000000"           // 24 bits
	ppsOutCABAC := "1 1 " + psPpsRestCABAC + " 1 0000000" // 24 bits
	idrOut := "1 0001000 1 " + psIdrRest + " 1 0000000"   // 40 bits
	pOut := "0001101 00110 1 " + psPRest + " 1 00"        // 48 bits
	return []psNormCase{
		// SPS
		{name: "sps id 0 unchanged", in: psNAL(t, psHdrSPS, psSpsPCL+" 1 "+psSpsRest+" 1 00")},
		{name: "sps id 1", in: psNAL(t, psHdrSPS, psSpsPCL+" 010 "+psSpsRest+" 1"), want: psNAL(t, psHdrSPS, spsOut)},
		{name: "sps id 5", in: psNAL(t, psHdrSPS, psSpsPCL+" 00110 "+psSpsRest+" 1 000000"), want: psNAL(t, psHdrSPS, spsOut)},
		{name: "sps id 31", in: psNAL(t, psHdrSPS, psSpsPCL+" 00000100000 "+psSpsRest+" 1"), want: psNAL(t, psHdrSPS, spsOut)},
		{name: "sps id 32 malformed", in: psNAL(t, psHdrSPS, psSpsPCL+" 00000100001 "+psSpsRest+" 1"), wantErr: ErrMalformedNALU},
		{name: "sps truncated header", in: []byte{psHdrSPS, 0x42, 0x80}, wantErr: ErrMalformedNALU},
		{name: "sps truncated id", in: psNAL(t, psHdrSPS, psSpsPCL+" 0001 0000"), wantErr: ErrMalformedNALU},
		{name: "sps only ids", in: psNAL(t, psHdrSPS, psSpsPCL+" 00100 1 00"), want: psNAL(t, psHdrSPS, psSpsPCL+" 1 1 000000")},
		{name: "sps 33 leading zeros", in: append([]byte{psHdrSPS, 0x42, 0xC0, 0x0D, 0, 0, 3, 0, 0, 3}, 0, 0x80), wantErr: ErrMalformedNALU},
		// PPS
		{name: "pps ids 0,0 unchanged", in: psNAL(t, psHdrPPS, ppsOut)},
		{name: "pps ids 1,1", in: cavlcPPS1, want: psNAL(t, psHdrPPS, ppsOut)},
		{name: "pps ids 5,0", in: cavlcPPS5, want: psNAL(t, psHdrPPS, ppsOut)},
		{name: "pps ids 31,0", in: cavlcPPS31, want: psNAL(t, psHdrPPS, ppsOut)},
		{name: "pps ids 0,31", in: psNAL(t, psHdrPPS, "1 00000100000 "+psPpsRest+" 1 00000"), want: psNAL(t, psHdrPPS, ppsOut)},
		{name: "pps ids 255,31", in: psNAL(t, psHdrPPS, "00000000100000000 00000100000 "+psPpsRest+" 1 00000"), want: psNAL(t, psHdrPPS, ppsOut)},
		{name: "pps cabac ids 1,1", in: cabacPPS1, want: psNAL(t, psHdrPPS, ppsOutCABAC)},
		{name: "pps id 256 malformed", in: psNAL(t, psHdrPPS, "00000000100000001 1 "+psPpsRest+" 1 0000000"), wantErr: ErrMalformedNALU},
		{name: "pps sps id 32 malformed", in: psNAL(t, psHdrPPS, "1 00000100001 "+psPpsRest+" 1 00000"), wantErr: ErrMalformedNALU},
		{name: "pps no entropy flag", in: psNAL(t, psHdrPPS, "010 010 1 0"), wantErr: ErrMalformedNALU},
		// Slices (CAVLC PPS known)
		{name: "idr pps 0 unchanged", in: psNAL(t, psHdrIDR, idrOut)},
		{name: "idr pps 1", prime: [][]byte{cavlcPPS1}, in: psNAL(t, psHdrIDR, "1 0001000 010 "+psIdrRest+" 1 00000"), want: psNAL(t, psHdrIDR, idrOut)},
		{name: "idr pps 5", prime: [][]byte{cavlcPPS5}, in: psNAL(t, psHdrIDR, "1 0001000 00110 "+psIdrRest+" 1 000"), want: psNAL(t, psHdrIDR, idrOut)},
		{name: "idr pps 31", prime: [][]byte{cavlcPPS31}, in: psNAL(t, psHdrIDR, "1 0001000 00000100000 "+psIdrRest+" 1 00000"), want: psNAL(t, psHdrIDR, idrOut)},
		{name: "p pps 5 first_mb 12", prime: [][]byte{cavlcPPS5}, in: psNAL(t, psHdrNonIDR, "0001101 00110 00110 "+psPRest+" 1 000000"), want: psNAL(t, psHdrNonIDR, pOut)},
		{name: "slice_type 10 malformed", prime: [][]byte{cavlcPPS1}, in: psNAL(t, psHdrNonIDR, "1 0001011 010 "+psPRest+" 1 0000"), wantErr: ErrMalformedNALU},
		{name: "slice pps 256 malformed", in: psNAL(t, psHdrIDR, "1 0001000 00000000100000001 "+psIdrRest+" 1 0000000"), wantErr: ErrMalformedNALU},
		{name: "slice truncated", in: psNAL(t, psHdrIDR, "1 0001000 0001 1000"), wantErr: ErrMalformedNALU},
		// Entropy guard
		{name: "unknown pps 1", in: psNAL(t, psHdrIDR, "1 0001000 010 "+psIdrRest+" 1 00000"), wantErr: ErrUnknownPPS},
		{name: "cabac pps 1 shift 2", prime: [][]byte{cabacPPS1}, in: psNAL(t, psHdrIDR, "1 0001000 010 "+psIdrRest+" 1 00000"), wantErr: ErrCABACShift},
		{name: "cabac pps 15 shift 8", prime: [][]byte{cabacPPS15}, in: psNAL(t, psHdrIDR, "1 0001000 000010000 "+psIdrRest+" 1 0000000"), want: psNAL(t, psHdrIDR, idrOut)},
		{name: "unknown pps 15 shift 8", in: psNAL(t, psHdrIDR, "1 0001000 000010000 "+psIdrRest+" 1 0000000"), want: psNAL(t, psHdrIDR, idrOut)},
		{name: "cabac pps 0 slice unchanged", prime: [][]byte{cabacPPS0}, in: psNAL(t, psHdrIDR, idrOut)},
		{name: "pps 1 re-sent as cabac", prime: [][]byte{cavlcPPS1, cabacPPS1}, in: psNAL(t, psHdrIDR, "1 0001000 010 "+psIdrRest+" 1 00000"), wantErr: ErrCABACShift},
		{name: "pps 1 re-sent as cavlc", prime: [][]byte{cabacPPS1, cavlcPPS1}, in: psNAL(t, psHdrIDR, "1 0001000 010 "+psIdrRest+" 1 00000"), want: psNAL(t, psHdrIDR, idrOut)},
		// Emulation prevention. SPS id 15 (ue 9 bits -> 1 bit) plus 7 zero
		// bits keeps the following bytes byte-aligned on both sides.
		{
			name: "ep sps id 15 with 000000/000001/000003/000002 and trailing 0000",
			in: []byte{psHdrSPS, 0x42, 0xC0, 0x0D, 0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x01,
				0x00, 0x00, 0x03, 0x03, 0x00, 0x00, 0x03, 0x02, 0xFF, 0x80, 0x00, 0x00, 0x03},
			// RBSP in:  42 C0 0D | 08 00 = ue(15) + 7 zero bits | 00 00 00 00 01
			//           00 00 03 00 00 02 FF 80 00 00
			// RBSP out: 42 C0 0D | 80 = ue(0) + 7 zero bits | same bytes,
			// so "80 00 00 00 00 01" now escapes as 80 00 00 03 00 00 03 01.
			want: []byte{psHdrSPS, 0x42, 0xC0, 0x0D, 0x80, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x01,
				0x00, 0x00, 0x03, 0x03, 0x00, 0x00, 0x03, 0x02, 0xFF, 0x80, 0x00, 0x00, 0x03},
		},
		{
			// RBSP in:  11010 00000 00000000 00000000 00000001 1 00000
			//         = D0 00 00 00 60 (escaped D0 00 00 03 00 60)
			// RBSP out: 111 00000 00000000 00000000 00000001 1 0000000
			//         = E0 00 00 01 80 (escaped E0 00 00 03 01 80)
			name:  "ep shift turns 000000 into 000001",
			prime: [][]byte{cavlcPPS1},
			in:    []byte{psHdrNonIDR, 0xD0, 0x00, 0x00, 0x03, 0x00, 0x60},
			want:  []byte{psHdrNonIDR, 0xE0, 0x00, 0x00, 0x03, 0x01, 0x80},
		},
		{
			// RBSP in:  111 00000 00000000 00000000 00000000 1 0000000 00
			//   (slice pps 0 -> unchanged even with junk)
			name: "ep unchanged pps 0 with trailing zero",
			in:   []byte{psHdrNonIDR, 0xE0, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00},
		},
		{
			// RBSP in:  11010 000 00000000 00000000 00000011 1 0000000 00000000 00000000
			//         = D0 00 00 03 80 00 00 (escaped D0 00 00 03 03 80 00 00 03)
			// RBSP out: 111 000 00000000 00000000 00000011 1 0 00000000 00000000
			//         = E0 00 00 0E 00 00 (escaped E0 00 00 0E 00 00 03)
			name:  "ep trailing zero bytes keep 0000 at end escaped",
			prime: [][]byte{cavlcPPS1},
			in:    []byte{psHdrNonIDR, 0xD0, 0x00, 0x00, 0x03, 0x03, 0x80, 0x00, 0x00, 0x03},
			want:  []byte{psHdrNonIDR, 0xE0, 0x00, 0x00, 0x0E, 0x00, 0x00, 0x03},
		},
		{
			name:  "ep unneeded emulation byte dropped",
			prime: [][]byte{cavlcPPS1},
			// RBSP after removal: D0 00 00 FF 80; 03 before FF is removed.
			in: []byte{psHdrNonIDR, 0xD0, 0x00, 0x00, 0x03, 0xFF, 0x80},
			// out: 111 00000 00000000 00000011 111111 1 0 -> E0 00 03 FE
			want: []byte{psHdrNonIDR, 0xE0, 0x00, 0x03, 0xFE},
		},
		// Malformed / pass-through
		{name: "empty", in: []byte{}, wantErr: ErrMalformedNALU},
		{name: "header only sps", in: []byte{psHdrSPS}, wantErr: ErrMalformedNALU},
		{name: "all zero slice", in: []byte{psHdrIDR, 0x00, 0x00, 0x03, 0x00}, wantErr: ErrMalformedNALU},
		{name: "forbidden bit", in: []byte{0x80 | psHdrIDR, 0x88, 0x80}, wantErr: ErrMalformedNALU},
		{name: "sei passthrough", in: []byte{0x06, 0x05, 0x00, 0x00, 0x00}},
		{name: "aud passthrough", in: []byte{0x09, 0xF0}},
		{name: "partition A passthrough", in: []byte{0x22, 0x4A, 0x80}},
		{name: "type 0 passthrough", in: []byte{0x00}},
	}
}

func TestNormalizeTable(t *testing.T) {
	for _, c := range psNormCases(t) {
		t.Run(c.name, func(t *testing.T) {
			var n ParamSetNormalizer
			for i, p := range c.prime {
				if _, err := n.Normalize(p); err != nil {
					t.Fatalf("prime %d: %v", i, err)
				}
			}
			got, err := n.Normalize(c.in)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				if got != nil {
					t.Fatalf("got %x with error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want := c.want
			if want == nil {
				want = c.in
				if len(got) != len(c.in) || (len(got) > 0 && &got[0] != &c.in[0]) {
					t.Fatalf("expected the input slice back, got %x", got)
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("\n got %x\nwant %x", got, want)
			}
			// Cross-check with the oracle (all referenced PPS assumed as primed).
			if c.prime == nil {
				ref, rerr := psRefNormalize(c.in, entropyUnknown)
				if rerr != nil || !bytes.Equal(ref, got) {
					t.Fatalf("oracle: %x, %v", ref, rerr)
				}
			}
			// Idempotence.
			var n2 ParamSetNormalizer
			again, err := n2.Normalize(got)
			if err != nil || !bytes.Equal(again, got) {
				t.Fatalf("re-normalize: %x, %v", again, err)
			}
		})
	}
}

func TestNormalizeAU(t *testing.T) {
	sps := psNAL(t, psHdrSPS, psSpsPCL+" 010 "+psSpsRest+" 1")
	pps := psNAL(t, psHdrPPS, "010 010 "+psPpsRest+" 1 000")
	sei := []byte{0x06, 0x05, 0x01, 0x00, 0x80}
	idr := psNAL(t, psHdrIDR, "1 0001000 010 "+psIdrRest+" 1 00000")
	idr2 := psNAL(t, psHdrIDR, "0001101 0001000 010 "+psIdrRest+" 1 0000000")
	au := [][]byte{sps, pps, sei, idr, idr2}

	var n ParamSetNormalizer
	got, err := n.NormalizeAU(au)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{
		psNAL(t, psHdrSPS, psSpsPCL+" 1 "+psSpsRest+" 1 00"),
		psNAL(t, psHdrPPS, "1 1 "+psPpsRest+" 1 0000000"),
		sei,
		psNAL(t, psHdrIDR, "1 0001000 1 "+psIdrRest+" 1 0000000"),
		psNAL(t, psHdrIDR, "0001101 0001000 1 "+psIdrRest+" 1 0"),
	}
	if len(got) != len(want) {
		t.Fatalf("got %d NALUs", len(got))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("NALU %d:\n got %x\nwant %x", i, got[i], want[i])
		}
	}
	if &got[2][0] != &sei[0] {
		t.Error("unchanged SEI was copied")
	}
	// Results of a second call replace the first ones, and an error names
	// the offending index.
	if _, err := n.NormalizeAU([][]byte{sps, {}}); !errors.Is(err, ErrMalformedNALU) || !strings.Contains(err.Error(), "NAL unit 1") {
		t.Fatalf("err = %v", err)
	}
	// Steady state: no allocations.
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := n.NormalizeAU(au); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("NormalizeAU allocates %v times per run", allocs)
	}
}

// TestNormalizeProperty builds random RBSPs with random ids, normalises them
// and checks that the result parses with ids 0, the other leading fields and
// the remaining bits are identical, and that the oracle agrees.
func TestNormalizeProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	randBits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = '0' + byte(rng.IntN(2))
		}
		return string(b)
	}
	randID := func(max uint64) uint64 {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return max
		default:
			return rng.Uint64N(max + 1)
		}
	}
	iters := 5000
	if testing.Short() {
		iters = 500
	}
	var n ParamSetNormalizer
	for i := range iters {
		mode := uint8(rng.IntN(3))
		for id := range n.entropy {
			n.entropy[id] = mode
		}
		var header byte
		var bits, rest string
		want := psRefParsed{}
		switch rng.IntN(3) {
		case 0:
			header = psHdrSPS
			want.pcl = randBits(24)
			want.spsID = randID(31)
			bits = want.pcl + btUeBits(want.spsID)
		case 1:
			header = psHdrPPS
			want.ppsID, want.spsID = randID(255), randID(31)
			bits = btUeBits(want.ppsID) + btUeBits(want.spsID)
			rest = randBits(1) // entropy_coding_mode_flag
		default:
			header = []byte{psHdrIDR, psHdrNonIDR, 0x01, 0x25}[rng.IntN(4)]
			want.firstMB = min(rng.Uint64N(1<<uint(rng.IntN(33))), 1<<32-2)
			want.sliceType = rng.Uint64N(10)
			want.ppsID = randID(255)
			bits = btUeBits(want.firstMB) + btUeBits(want.sliceType) + btUeBits(want.ppsID)
		}
		restLen := rng.IntN(64)
		if rng.IntN(4) == 0 {
			restLen = rng.IntN(4000)
		}
		tail := randBits(restLen)
		// Insert long zero runs to exercise emulation prevention.
		if rng.IntN(2) == 0 {
			at := rng.IntN(len(tail) + 1)
			tail = tail[:at] + strings.Repeat("0", rng.IntN(40)) + tail[at:]
		}
		rest += tail
		trailing := 0
		if rng.IntN(4) == 0 {
			trailing = rng.IntN(4)
		}
		full := bits + rest + "1"
		for len(full)%8 != 0 {
			full += "0"
		}
		full += strings.Repeat("00000000", trailing)
		in := append([]byte{header}, psRefEscape(btPackBits(full))...)

		got, err := n.Normalize(in)
		ref, rerr := psRefNormalize(in, mode)
		if !errors.Is(err, rerr) && !(err == nil && rerr == nil) {
			t.Fatalf("iter %d: err %v, oracle %v (in %x)", i, err, rerr, in)
		}
		if err != nil {
			if header&0x1f == 1 || header&0x1f == 5 {
				if shift := len(btUeBits(want.ppsID)) - 1; shift%8 == 0 || mode == entropyCAVLC {
					t.Fatalf("iter %d: unexpected %v", i, err)
				}
			} else {
				t.Fatalf("iter %d: unexpected %v", i, err)
			}
			continue
		}
		if !bytes.Equal(got, ref) {
			t.Fatalf("iter %d: differs from oracle\n in  %x\n got %x\n ref %x", i, in, got, ref)
		}
		p, err := psRefParse(got)
		if err != nil {
			t.Fatalf("iter %d: result does not parse: %v", i, err)
		}
		if p.spsID != 0 || p.ppsID != 0 || p.pcl != want.pcl || p.firstMB != want.firstMB ||
			p.sliceType != want.sliceType || p.rest != rest || p.trailing != trailing {
			t.Fatalf("iter %d: parsed %+v, want fields %+v rest %q trailing %d", i, p, want, rest, trailing)
		}
		if escaped := psRefEscape(psRefUnescape(got[1:])); !bytes.Equal(escaped, got[1:]) {
			t.Fatalf("iter %d: emulation prevention not canonical", i)
		}
	}
}

// ---------------------------------------------------------------------------
// Real stream.

// psSplitAnnexB splits an Annex-B byte stream into NAL units (without start
// codes or trailing zero bytes).
func psSplitAnnexB(t testing.TB, data []byte) [][]byte {
	t.Helper()
	var out [][]byte
	start := -1
	i := 0
	for i+2 < len(data) {
		if data[i] == 0 && data[i+1] == 0 && data[i+2] == 1 {
			if start >= 0 {
				out = append(out, bytes.TrimRight(data[start:i], "\x00"))
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start < 0 {
		t.Fatal("no start code")
	}
	out = append(out, bytes.TrimRight(data[start:], "\x00"))
	return out
}

func psJoinAnnexB(nalus [][]byte) []byte {
	var out []byte
	for _, n := range nalus {
		out = append(out, 0, 0, 0, 1)
		out = append(out, n...)
	}
	return out
}

// psNormalizeStream normalises every NAL unit of an Annex-B stream.
func psNormalizeStream(t testing.TB, data []byte) ([][]byte, [][]byte, error) {
	t.Helper()
	in := psSplitAnnexB(t, data)
	var n ParamSetNormalizer
	out := make([][]byte, 0, len(in))
	for i, nalu := range in {
		res, err := n.Normalize(nalu)
		if err != nil {
			return in, nil, fmt.Errorf("NAL unit %d (type %d): %w", i, nalu[0]&0x1f, err)
		}
		out = append(out, bytes.Clone(res))
	}
	return in, out, nil
}

// psCheckIDsZero asserts every SPS/PPS/slice of nalus has parameter-set ids
// 0, and returns how many NAL units changed relative to orig.
func psCheckIDsZero(t *testing.T, orig, nalus [][]byte) (changed int) {
	t.Helper()
	for i, nalu := range nalus {
		switch nalu[0] & 0x1f {
		case 1, 5, 7, 8:
			p, err := psRefParse(nalu)
			if err != nil {
				t.Fatalf("NAL unit %d does not parse: %v", i, err)
			}
			if p.spsID != 0 || p.ppsID != 0 {
				t.Fatalf("NAL unit %d: sps %d pps %d", i, p.spsID, p.ppsID)
			}
			q, err := psRefParse(orig[i])
			if err != nil {
				t.Fatalf("original NAL unit %d does not parse: %v", i, err)
			}
			if q.rest != p.rest || q.pcl != p.pcl || q.firstMB != p.firstMB || q.sliceType != p.sliceType {
				t.Fatalf("NAL unit %d: fields after the ids differ", i)
			}
		}
		if !bytes.Equal(nalu, orig[i]) {
			changed++
		}
	}
	return changed
}

// psNeedFFmpeg returns the ffmpeg path or skips (fails under CI=true).
func psNeedFFmpeg(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ffmpeg not on PATH (required under CI)")
		}
		t.Skip("ffmpeg not on PATH")
	}
	return path
}

// psFrameMD5 decodes an H.264 elementary stream and returns its per-frame
// hash lines.
func psFrameMD5(t *testing.T, ffmpeg, file string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "error", "-f", "h264", "-i", file, "-f", "framemd5", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("ffmpeg %s: %v\n%s", file, err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines
}

func psAssertSameDecode(t *testing.T, ffmpeg, origFile string, normalized [][]byte, wantFrames int) {
	t.Helper()
	normFile := filepath.Join(t.TempDir(), "normalized.h264")
	if err := os.WriteFile(normFile, psJoinAnnexB(normalized), 0o644); err != nil {
		t.Fatal(err)
	}
	a := psFrameMD5(t, ffmpeg, origFile)
	b := psFrameMD5(t, ffmpeg, normFile)
	if len(a) != wantFrames {
		t.Fatalf("original decodes to %d frames, want %d", len(a), wantFrames)
	}
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("frame hashes differ:\noriginal:\n%s\nnormalized:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}

// TestNormalizeRealStream uses testdata/spsid3.h264, made with
//
//	ffmpeg -f lavfi -i testsrc2=size=320x240:rate=30 -frames:v 30 -c:v libx264 \
//	  -profile:v baseline -x264-params "sps-id=3" -f h264 spsid3.h264
//
// (x264 honours sps-id and uses the same value as pic_parameter_set_id), so
// every SPS, PPS and slice carries id 3. It normalises every NAL unit and,
// when ffmpeg is available, checks both streams decode to identical frames.
func TestNormalizeRealStream(t *testing.T) {
	const file = "testdata/spsid3.h264"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	orig, norm, err := psNormalizeStream(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := psRefParse(orig[0]); err != nil || p.typ != 7 || p.spsID != 3 {
		t.Fatalf("test stream does not start with an SPS of id 3: %+v %v", p, err)
	}
	if changed := psCheckIDsZero(t, orig, norm); changed < 30+2 {
		t.Fatalf("only %d NAL units changed", changed)
	}
	psAssertSameDecode(t, psNeedFFmpeg(t), file, norm, 30)
}

// TestNormalizeRealStreamCABAC generates main-profile (CABAC) streams with
// ffmpeg: sps-id=15 shifts slice data by exactly 8 bits and must decode
// identically; sps-id=3 shifts by 4 bits and must be refused.
func TestNormalizeRealStreamCABAC(t *testing.T) {
	ffmpeg := psNeedFFmpeg(t)
	if testing.Short() {
		t.Skip("short")
	}
	gen := func(spsID int) string {
		out := filepath.Join(t.TempDir(), fmt.Sprintf("cabac%d.h264", spsID))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "error", "-f", "lavfi",
			"-i", "testsrc2=size=320x240:rate=30", "-frames:v", "20", "-c:v", "libx264",
			"-profile:v", "main", "-x264-params", fmt.Sprintf("sps-id=%d", spsID), "-f", "h264", out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			if os.Getenv("CI") == "true" { // Debian's ffmpeg has libx264; CI must not lose this test
				t.Fatalf("cannot encode with libx264: %v\n%s", err, msg)
			}
			t.Skipf("cannot encode with libx264: %v\n%s", err, msg)
		}
		return out
	}

	file := gen(15)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	orig, norm, err := psNormalizeStream(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := psRefParse(orig[1]); err != nil || p.typ != 8 || p.ppsID != 15 {
		t.Fatalf("second NAL unit is not PPS 15: %+v %v", p, err)
	}
	psCheckIDsZero(t, orig, norm)
	psAssertSameDecode(t, ffmpeg, file, norm, 20)

	data, err = os.ReadFile(gen(3))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := psNormalizeStream(t, data); !errors.Is(err, ErrCABACShift) {
		t.Fatalf("CABAC stream with 4-bit shift: err = %v, want ErrCABACShift", err)
	}
}

// ---------------------------------------------------------------------------
// Fuzzing and benchmarks.

func FuzzNormalize(f *testing.F) {
	for _, c := range psNormCases(f) {
		for mode := range uint8(3) {
			f.Add(c.in, mode)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		mode %= 3
		prime := func() *ParamSetNormalizer {
			n := new(ParamSetNormalizer)
			for i := range n.entropy {
				n.entropy[i] = mode
			}
			return n
		}
		in := bytes.Clone(data)
		got, err := prime().Normalize(data)
		if !bytes.Equal(in, data) {
			t.Fatal("input modified")
		}
		ref, rerr := psRefNormalize(data, mode)
		if err != nil {
			if !errors.Is(err, ErrMalformedNALU) && !errors.Is(err, ErrCABACShift) && !errors.Is(err, ErrUnknownPPS) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if rerr == nil || !errors.Is(err, rerr) {
				t.Fatalf("err %v, oracle err %v", err, rerr)
			}
			return
		}
		if rerr != nil || !bytes.Equal(got, ref) {
			t.Fatalf("oracle disagrees: got %x, oracle %x, %v", got, ref, rerr)
		}
		switch data[0] & 0x1f {
		case 1, 5, 7, 8:
			p, err := psRefParse(got)
			if err != nil || p.spsID != 0 || p.ppsID != 0 {
				t.Fatalf("output %x parses as %+v, %v", got, p, err)
			}
		}
		saved := bytes.Clone(got)
		again, err := prime().Normalize(saved)
		if err != nil {
			t.Fatalf("re-normalize failed: %v", err)
		}
		if !bytes.Equal(again, saved) {
			t.Fatalf("not idempotent:\n first  %x\n second %x", saved, again)
		}
	})
}

// psBenchSlice builds a CAVLC IDR slice of about size bytes referencing PPS
// ppsID, plus that PPS.
func psBenchSlice(b *testing.B, size int, ppsID uint64) (pps, slice []byte) {
	rng := rand.New(rand.NewPCG(3, 4))
	var w bitWriter
	w.writeUE(ppsID)
	w.writeUE(0)
	w.writeBits(0, 1) // CAVLC
	w.writeBits(0b1100, 4)
	w.writeBit(1)
	w.alignZero()
	pps = append([]byte{psHdrPPS}, psRefEscape(w.bytes())...)

	w.reset()
	w.writeUE(0)
	w.writeUE(7)
	w.writeUE(ppsID)
	for range size {
		w.writeBits(uint64(rng.Uint32()), 8)
	}
	w.writeBit(1)
	w.alignZero()
	slice = append([]byte{psHdrIDR}, psRefEscape(w.bytes())...)
	return pps, slice
}

func psBenchmarkNormalize(b *testing.B, ppsID uint64) {
	pps, slice := psBenchSlice(b, 20000, ppsID)
	var n ParamSetNormalizer
	if _, err := n.Normalize(pps); err != nil {
		b.Fatal(err)
	}
	if out, err := n.Normalize(slice); err != nil || (ppsID != 0) == bytes.Equal(out, slice) {
		b.Fatalf("warm-up: %v", err)
	}
	b.SetBytes(int64(len(slice)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Normalize(slice); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNormalize: ~20 KB slice, PPS id 1 (2-bit shift, unaligned copy).
func BenchmarkNormalize(b *testing.B) { psBenchmarkNormalize(b, 1) }

// BenchmarkNormalizeByteShift: PPS id 15 (8-bit shift, aligned copy).
func BenchmarkNormalizeByteShift(b *testing.B) { psBenchmarkNormalize(b, 15) }

// BenchmarkNormalizeUnchanged: PPS id 0, nothing to rewrite.
func BenchmarkNormalizeUnchanged(b *testing.B) { psBenchmarkNormalize(b, 0) }

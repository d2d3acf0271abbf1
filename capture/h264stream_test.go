package capture

import (
	"bytes"
	"errors"
	"testing"
)

// parseCases are hand-made streams; the fuzz target reuses their inputs as
// seeds.
var parseCases = []struct {
	name string
	in   []byte
	aus  []int  // NAL units per access unit
	idr  []bool // IDR flag per access unit
	err  error
}{
	{"minimal", annexB(nSPS, nPPS, nIDR), []int{3}, []bool{true}, nil},
	{"IDR then P", annexB(nSPS, nPPS, nIDR, nP, nP), []int{3, 1, 1}, []bool{true, false, false}, nil},
	{"SEI and params start a new unit", annexB(nSPS, nPPS, nSEI, nIDR, nSEI, nP, nSPS, nPPS, nIDR), []int{4, 2, 3}, []bool{true, false, true}, nil},
	{"multi-slice pictures", annexB(nSPS, nPPS, nIDR, nIDR2, nP, nP2, nP, nP2), []int{4, 2, 2}, []bool{true, false, false}, nil},
	{"AUDs dropped", annexB(nAUD, nSPS, nPPS, nIDR, nAUD, nP, nAUD, nP), []int{3, 1, 1}, []bool{true, false, false}, nil},
	{"AUD between slices splits", annexB(nSPS, nPPS, nIDR, nAUD, nP2), []int{3, 1}, []bool{true, false}, nil},
	{"params between AUDs carried forward", annexB(nAUD, nSPS, nPPS, nAUD, nIDR, nAUD, nP), []int{3, 1}, []bool{true, false}, nil},
	{"end of stream stays with its picture", annexB(nSPS, nPPS, nIDR, nP, nEOS), []int{3, 2}, []bool{true, false}, nil},
	{"trailing parameter sets ignored", annexB(nSPS, nPPS, nIDR, nP, nSPS, nPPS), []int{3, 1}, []bool{true, false}, nil},
	{"three-byte start codes", []byte{0, 0, 1, 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x42, 0xa4, 0x80,
		0, 0, 1, 0x68, 0xcb, 0x83, 0xcb, 0x20, 0, 0, 1, 0x65, 0x88, 0x84, 0x21}, []int{3}, []bool{true}, nil},

	{"empty", nil, nil, nil, ErrEmpty},
	{"no start code", []byte("not a video at all"), nil, nil, ErrNoStartCode},
	{"no SPS", annexB(nPPS, nIDR, nP), nil, nil, ErrNoSPS},
	{"no PPS", annexB(nSPS, nIDR, nP), nil, nil, ErrNoPPS},
	{"no IDR", annexB(nSPS, nPPS, nP, nP), nil, nil, ErrNoIDR},
	{"no slices", annexB(nSPS, nPPS, nSEI), nil, nil, ErrNoIDR},
	{"starts with P", annexB(nSPS, nPPS, nP, nSPS, nPPS, nIDR), nil, nil, ErrNotRandomAccess},
	{"IDR before params", annexB(nIDR, nSPS, nPPS, nIDR), nil, nil, ErrNotRandomAccess},
	{"PPS after first IDR", annexB(nSPS, nIDR, nPPS, nIDR), nil, nil, ErrNotRandomAccess},
	{"B slice type 6", annexB(nSPS, nPPS, nIDR, nP, nB), nil, nil, ErrBFrames},
	{"B slice type 1", annexB(nSPS, nPPS, nIDR, nBType1), nil, nil, ErrBFrames},
	{"truncated slice header", annexB(nSPS, nPPS, nIDR, nTruncSlc), nil, nil, ErrMalformed},
	{"forbidden bit", annexB(nSPS, nPPS, nForbid), nil, nil, ErrMalformed},
	{"data partitioning", annexB(nSPS, nPPS, nIDR, nDataPart), nil, nil, ErrMalformed},
}

func TestParseH264(t *testing.T) {
	for _, tt := range parseCases {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseH264(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if len(s.aus) != len(tt.aus) {
				t.Fatalf("%d access units, want %d", len(s.aus), len(tt.aus))
			}
			for i, au := range s.aus {
				if len(au.nalus) != tt.aus[i] || au.idr != tt.idr[i] {
					t.Errorf("access unit %d: %d NAL units idr=%v, want %d idr=%v", i, len(au.nalus), au.idr, tt.aus[i], tt.idr[i])
				}
				for _, n := range au.nalus {
					if bytes.Equal(n, nAUD) {
						t.Errorf("access unit %d kept an AUD", i)
					}
				}
			}
		})
	}
}

func TestParseSliceHeader(t *testing.T) {
	tests := []struct {
		nalu         []byte
		firstMB, typ uint32
		wantErr      bool
	}{
		{nIDR, 0, 7, false},
		{nIDR2, 10, 7, false},
		{nP, 0, 5, false},
		{nP2, 10, 5, false},
		{nB, 0, 6, false},
		{nBType1, 0, 1, false},
		{nTruncSlc, 0, 0, true},
		{[]byte{0x41, 0x80}, 0, 0, true},       // slice_type runs off the end
		{[]byte{0x41, 0x84, 0x00}, 0, 0, true}, // slice_type 15 is out of range
	}
	for _, tt := range tests {
		h, err := parseSliceHeader(tt.nalu)
		if (err != nil) != tt.wantErr {
			t.Errorf("%x: err = %v, want error %v", tt.nalu, err, tt.wantErr)
			continue
		}
		if err == nil && (h.firstMB != tt.firstMB || h.sliceType != tt.typ) {
			t.Errorf("%x: first_mb %d slice_type %d, want %d %d", tt.nalu, h.firstMB, h.sliceType, tt.firstMB, tt.typ)
		}
	}
}

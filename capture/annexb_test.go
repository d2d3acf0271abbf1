package capture

import (
	"bytes"
	"errors"
	"testing"
)

func TestSplitAnnexB(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want [][]byte
		err  error
	}{
		{"empty", nil, nil, ErrEmpty},
		{"no start code", []byte{1, 2, 3, 4, 5}, nil, ErrNoStartCode},
		{"data before start code", []byte{7, 0, 0, 1, 0x65, 1}, nil, ErrNoStartCode},
		{"only start codes", []byte{0, 0, 1, 0, 0, 0, 1}, nil, ErrMalformed},
		{"three-byte codes", []byte{0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2}, [][]byte{{0x67, 1}, {0x68, 2}}, nil},
		{"four-byte codes", []byte{0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2}, [][]byte{{0x67, 1}, {0x68, 2}}, nil},
		{"leading zero bytes", []byte{0, 0, 0, 0, 0, 1, 0x67, 1}, [][]byte{{0x67, 1}}, nil},
		{"trailing zero bytes", []byte{0, 0, 1, 0x67, 1, 0, 0, 0, 0, 0, 1, 0x68, 2, 0, 0}, [][]byte{{0x67, 1}, {0x68, 2}}, nil},
		{"empty NAL unit skipped", []byte{0, 0, 1, 0, 0, 1, 0x68, 2}, [][]byte{{0x68, 2}}, nil},
		{"emulation prevention kept", []byte{0, 0, 1, 0x65, 0, 0, 3, 1, 9}, [][]byte{{0x65, 0, 0, 3, 1, 9}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitAnnexB(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d NAL units %x, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if !bytes.Equal(got[i], tt.want[i]) {
					t.Errorf("NAL unit %d = %x, want %x", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestRBSPReader(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []uint32
		err  bool
	}{
		{"zero", []byte{0x80}, []uint32{0}, false},
		{"small values", []byte{0x88}, []uint32{0, 7}, false},       // 1 0001000
		{"P slice header", []byte{0x9a}, []uint32{0, 5}, false},     // 1 00110
		{"first_mb 10", []byte{0x16, 0x68}, []uint32{10, 5}, false}, // 0001011 00110
		{"emulation prevention", []byte{0, 0, 3, 1, 0, 0, 0x80}, []uint32{1<<23 - 1 + 64}, false},
		{"truncated", []byte{0x00}, []uint32{0}, true},
		{"truncated after 03", []byte{0, 0, 3}, []uint32{0}, true},
		{"too long", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0x80}, []uint32{0}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rbspReader{buf: tt.in}
			for i, want := range tt.want {
				got, err := r.ue()
				if tt.err {
					if err == nil {
						t.Fatalf("value %d: no error", i)
					}
					return
				}
				if err != nil || got != want {
					t.Fatalf("value %d = %d, %v; want %d", i, got, err, want)
				}
			}
		})
	}
}

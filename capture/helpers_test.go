package capture

import (
	"camagent/internal/testtool"

	"testing"
	"time"
)

// epoch is a fixed start for fake clocks; the milliseconds exercise the
// time overlay.
var epoch = time.Date(2024, 5, 17, 12, 34, 56, 789_000_000, time.UTC)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testtool.WaitFor(t, 10*time.Second, what, cond)
}

// Hand-made NAL units for the malformed-stream cases. The SPS and PPS are
// the ones x264 wrote into testdata/testsrc-320x240.h264.
var (
	nSPS = []byte{0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00,
		0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x42, 0xa4, 0x80}
	nPPS = []byte{0x68, 0xcb, 0x83, 0xcb, 0x20}
	nSEI = []byte{0x06, 0x05, 0x01, 0xaa, 0x80}
	nAUD = []byte{0x09, 0xf0}
	// Slices: header byte, then first_mb_in_slice and slice_type as
	// Exp-Golomb codes, then filler standing in for the rest.
	nIDR      = []byte{0x65, 0x88, 0x84, 0x21} // first_mb 0, slice_type 7 (I)
	nIDR2     = []byte{0x65, 0x16, 0x22, 0x21} // first_mb 10, slice_type 7
	nP        = []byte{0x41, 0x9a, 0x21, 0x12} // first_mb 0, slice_type 5 (P)
	nP2       = []byte{0x41, 0x16, 0x68, 0x12} // first_mb 10, slice_type 5
	nB        = []byte{0x01, 0x9e, 0x21, 0x12} // first_mb 0, slice_type 6 (B)
	nBType1   = []byte{0x01, 0xa0, 0x21}       // first_mb 0, slice_type 1 (B)
	nEOS      = []byte{0x0b}
	nTruncSlc = []byte{0x41, 0x00}       // ue(v) runs off the end
	nForbid   = []byte{0xe5, 0x88, 0x84} // forbidden_zero_bit set
	nDataPart = []byte{0x02, 0x88, 0x84}
)

// annexB joins NAL units with four-byte start codes.
func annexB(nalus ...[]byte) []byte {
	var b []byte
	for _, n := range nalus {
		b = append(b, 0, 0, 0, 1)
		b = append(b, n...)
	}
	return b
}

package capture

import (
	"bytes"
	"os"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// FuzzSplitAnnexB feeds arbitrary bytes through everything NewFile does with
// a file's contents: splitting, grouping, validation and SPS parsing.
func FuzzSplitAnnexB(f *testing.F) {
	for _, tt := range parseCases {
		f.Add(tt.in)
	}
	for _, p := range []string{fixture, fixtureBFrame} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 4096)]) // the head: parameter sets and the IDR
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nalus, err := splitAnnexB(data)
		if err == nil {
			for i, n := range nalus {
				if len(n) == 0 || n[len(n)-1] == 0 || bytes.Contains(n, startCode) {
					t.Fatalf("NAL unit %d = %x is empty, ends in zero or holds a start code", i, n)
				}
			}
		}
		s, err := parseH264(data)
		if err != nil {
			return
		}
		if len(s.aus) == 0 || !s.aus[0].idr {
			t.Fatal("accepted a stream that does not start with an IDR access unit")
		}
		for i, au := range s.aus {
			if len(au.nalus) == 0 {
				t.Fatalf("access unit %d is empty", i)
			}
			for _, n := range au.nalus {
				if h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter {
					t.Fatalf("access unit %d kept an AUD", i)
				}
			}
		}
		_, _ = describe(s)
	})
}

package encode

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// btBitsToBytes converts a string of '0'/'1' (spaces, '|' and '_' ignored) to
// bytes. The number of bits must be a multiple of 8 unless pad is true, in
// which case the last byte is zero-padded.
func btBitsToBytes(t testing.TB, s string, pad bool) []byte {
	t.Helper()
	clean := btCleanBits(s)
	if len(clean)%8 != 0 && !pad {
		t.Fatalf("bit string %q has %d bits, not a multiple of 8", s, len(clean))
	}
	return btPackBits(clean)
}

func btCleanBits(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '0', '1':
			return r
		case ' ', '|', '_', '\n', '\t':
			return -1
		}
		panic("bad bit character " + string(r))
	}, s)
}

// btPackBits packs a clean '0'/'1' string into bytes, zero-padding the end.
func btPackBits(s string) []byte {
	out := make([]byte, (len(s)+7)/8)
	for i := 0; i < len(s); i++ {
		if s[i] == '1' {
			out[i/8] |= 0x80 >> uint(i%8)
		}
	}
	return out
}

// btUnpackBits returns the bits of b as a '0'/'1' string.
func btUnpackBits(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) * 8)
	for _, c := range b {
		for i := 7; i >= 0; i-- {
			sb.WriteByte('0' + c>>uint(i)&1)
		}
	}
	return sb.String()
}

// btUeBits returns the exp-Golomb code of v as a bit string.
func btUeBits(v uint64) string {
	x := v + 1
	s := ""
	for x > 0 {
		s = string(rune('0'+x&1)) + s
		x >>= 1
	}
	return strings.Repeat("0", len(s)-1) + s
}

func TestBitReaderReadUE(t *testing.T) {
	cases := []struct {
		bits string
		want uint64
		err  error
	}{
		{"1", 0, nil},
		{"010", 1, nil},
		{"011", 2, nil},
		{"00100", 3, nil},
		{"00101", 4, nil},
		{"00110", 5, nil},
		{"00111", 6, nil},
		{"0001000", 7, nil},
		{"000010000", 15, nil},
		{"00000100000", 31, nil},
		{"00000000100000000", 255, nil},
		{strings.Repeat("0", 31) + "1" + strings.Repeat("1", 31), 1<<32 - 2, nil},
		{strings.Repeat("0", 31) + "1" + strings.Repeat("0", 31), 1<<31 - 1, nil},
		{strings.Repeat("0", 32) + "1" + strings.Repeat("0", 32), 0, errExpGolombTooLong},
		{"", 0, errBitsExhausted},
		{"0", 0, errBitsExhausted},
		{"000", 0, errBitsExhausted},
		{"001", 0, errBitsExhausted},
		{"0010", 0, errBitsExhausted},
	}
	for _, c := range cases {
		buf := btPackBits(c.bits)
		r := newBitReader(buf, len(c.bits))
		got, err := r.readUE()
		if !errors.Is(err, c.err) {
			t.Errorf("readUE(%q) error = %v, want %v", c.bits, err, c.err)
			continue
		}
		if err == nil {
			if got != c.want {
				t.Errorf("readUE(%q) = %d, want %d", c.bits, got, c.want)
			}
			if r.pos != len(c.bits) {
				t.Errorf("readUE(%q) consumed %d bits, want %d", c.bits, r.pos, len(c.bits))
			}
		}
		if c.err == nil && btUeBits(c.want) != c.bits {
			t.Errorf("btUeBits(%d) = %q, want %q", c.want, btUeBits(c.want), c.bits)
		}
	}
}

func TestBitReaderReadBits(t *testing.T) {
	buf := []byte{0xA5, 0x3C, 0xFF, 0x01}
	r := newBitReader(buf, 30)
	steps := []struct {
		n    int
		want uint64
	}{
		{1, 1}, {3, 0b010}, {4, 0b0101}, {0, 0}, {12, 0x3CF}, {10, 0b1111000000},
	}
	for i, s := range steps {
		got, err := r.readBits(s.n)
		if err != nil || got != s.want {
			t.Fatalf("step %d: readBits(%d) = %#b, %v; want %#b", i, s.n, got, err, s.want)
		}
	}
	if _, err := r.readBits(1); !errors.Is(err, errBitsExhausted) {
		t.Fatalf("read past end: err = %v", err)
	}
	if _, err := r.readBits(65); err == nil {
		t.Fatal("readBits(65) succeeded")
	}
	if err := r.skipBits(1); err == nil {
		t.Fatal("skipBits past end succeeded")
	}
	r2 := newBitReader(buf, 1000)
	if r2.end != 32 {
		t.Fatalf("end not clamped: %d", r2.end)
	}
	r3 := newBitReader(buf, -5)
	if r3.end != 0 {
		t.Fatalf("negative end not clamped: %d", r3.end)
	}
	r4 := newBitReader(buf, 32)
	v, err := r4.readBits(32)
	if err != nil || v != 0xA53CFF01 {
		t.Fatalf("readBits(32) = %#x, %v", v, err)
	}
}

func TestBitWriterUERoundTrip(t *testing.T) {
	vals := []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 30, 31, 32, 254, 255, 256, 1<<16 - 1, 1<<31 - 1, 1<<32 - 2}
	var w bitWriter
	for _, v := range vals {
		w.writeUE(v)
		w.writeBit(1) // interleave to misalign
	}
	want := ""
	for _, v := range vals {
		want += btUeBits(v) + "1"
	}
	if got := btUnpackBits(w.bytes())[:w.bitLen()]; got != want {
		t.Fatalf("writer bits\n got %s\nwant %s", got, want)
	}
	r := newBitReader(w.bytes(), w.bitLen())
	for _, v := range vals {
		got, err := r.readUE()
		if err != nil || got != v {
			t.Fatalf("readUE = %d, %v; want %d", got, err, v)
		}
		if b, _ := r.readBit(); b != 1 {
			t.Fatal("marker bit lost")
		}
	}
	if r.remaining() != 0 {
		t.Fatalf("%d bits left", r.remaining())
	}
}

func TestBitWriterWriteBitsAndAlign(t *testing.T) {
	var w bitWriter
	w.writeBits(0b101, 3)
	w.writeBits(0xFFFF_FFFF_FFFF_FFFF, 64)
	w.writeBits(0, 0)
	w.writeBits(0b0110, 4)
	w.alignZero()
	if !w.aligned() || w.bitLen() != 72 {
		t.Fatalf("aligned=%v bitLen=%d", w.aligned(), w.bitLen())
	}
	w.writeBits(0xAB, 8)
	want := "101" + strings.Repeat("1", 64) + "0110" + "0" + "10101011"
	if got := btUnpackBits(w.bytes()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	w.reset()
	if w.bitLen() != 0 || len(w.bytes()) != 0 {
		t.Fatal("reset did not empty the writer")
	}
	w.writeBit(1)
	if got := w.bytes(); len(got) != 1 || got[0] != 0x80 {
		t.Fatalf("after reset: %x", got)
	}
}

// TestBitWriterCopyBits checks the bulk copy against a bit-by-bit copy for
// every source/destination alignment and many lengths.
func TestBitWriterCopyBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 64)
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	srcBits := btUnpackBits(src)
	var w bitWriter
	for dstOff := 0; dstOff < 8; dstOff++ {
		for srcOff := 0; srcOff < 8; srcOff++ {
			for n := 0; srcOff+n <= len(src)*8; n += 1 + n/7 {
				w.reset()
				prefix := srcBits[len(srcBits)-dstOff:]
				for i := 0; i < dstOff; i++ {
					w.writeBits(uint64(prefix[i]-'0'), 1)
				}
				r := newBitReader(src, srcOff+n)
				if err := r.skipBits(srcOff); err != nil {
					t.Fatal(err)
				}
				if err := w.copyBits(&r, n); err != nil {
					t.Fatalf("copyBits(dst %d, src %d, n %d): %v", dstOff, srcOff, n, err)
				}
				if r.remaining() != 0 {
					t.Fatalf("reader not advanced: %d left", r.remaining())
				}
				want := prefix + srcBits[srcOff:srcOff+n]
				if w.bitLen() != len(want) {
					t.Fatalf("dst %d src %d n %d: bitLen %d want %d", dstOff, srcOff, n, w.bitLen(), len(want))
				}
				got := btUnpackBits(w.bytes())
				if got[:len(want)] != want || strings.ContainsRune(got[len(want):], '1') {
					t.Fatalf("dst %d src %d n %d:\n got %s\nwant %s", dstOff, srcOff, n, got, want)
				}
			}
		}
	}
	// Copying more than is available fails without side effects.
	r := newBitReader(src, 10)
	w.reset()
	if err := w.copyBits(&r, 11); err == nil || w.bitLen() != 0 || r.pos != 0 {
		t.Fatalf("over-long copy: err=%v bitLen=%d pos=%d", err, w.bitLen(), r.pos)
	}
}

func BenchmarkBitCopy(b *testing.B) {
	src := make([]byte, 20000)
	for i := range src {
		src[i] = byte(i * 7)
	}
	var w bitWriter
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		w.writeBits(1, 3)
		r := newBitReader(src, len(src)*8)
		_ = r.skipBits(5)
		if err := w.copyBits(&r, r.remaining()); err != nil {
			b.Fatal(err)
		}
	}
}

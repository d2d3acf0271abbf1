package encode

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// errBitsExhausted is returned by bitReader when a read goes past its limit.
var errBitsExhausted = errors.New("bit reader: not enough bits")

// errExpGolombTooLong is returned by bitReader.readUE when an exp-Golomb code
// has more than 31 leading zero bits (its value would not fit in 32 bits).
var errExpGolombTooLong = errors.New("bit reader: exp-Golomb code longer than 32 bits")

// maxUELeadingZeros bounds ue(v) codes to values that fit in 32 bits, the
// largest range any H.264 ue(v) syntax element uses.
const maxUELeadingZeros = 31

// bitReader reads big-endian (MSB first) bit strings as used by H.264 RBSPs.
// It never reads at or past bit position end.
type bitReader struct {
	buf []byte
	pos int // next bit to read, counted from the MSB of buf[0]
	end int // bit limit (exclusive), at most len(buf)*8
}

// newBitReader returns a reader over the first end bits of buf. An end that
// is negative or larger than len(buf)*8 is clamped.
func newBitReader(buf []byte, end int) bitReader {
	if end < 0 {
		end = 0
	}
	if end > len(buf)*8 {
		end = len(buf) * 8
	}
	return bitReader{buf: buf, end: end}
}

// remaining returns the number of bits left before the limit.
func (r *bitReader) remaining() int { return r.end - r.pos }

// readBit reads u(1).
func (r *bitReader) readBit() (uint8, error) {
	if r.pos >= r.end {
		return 0, errBitsExhausted
	}
	b := r.buf[r.pos>>3] >> (7 - uint(r.pos&7)) & 1
	r.pos++
	return b, nil
}

// readBits reads u(n) for 0 <= n <= 64.
func (r *bitReader) readBits(n int) (uint64, error) {
	if n < 0 || n > 64 {
		return 0, errBitsExhausted
	}
	if n > r.remaining() {
		return 0, errBitsExhausted
	}
	var v uint64
	for n > 0 {
		off := r.pos & 7
		avail := 8 - off
		take := min(avail, n)
		b := uint64(r.buf[r.pos>>3]) >> uint(avail-take) & (1<<uint(take) - 1)
		v = v<<uint(take) | b
		r.pos += take
		n -= take
	}
	return v, nil
}

// skipBits advances the reader by n bits.
func (r *bitReader) skipBits(n int) error {
	if n < 0 || n > r.remaining() {
		return errBitsExhausted
	}
	r.pos += n
	return nil
}

// readUE reads an unsigned exp-Golomb code ue(v).
func (r *bitReader) readUE() (uint64, error) {
	lz := 0
	for {
		b, err := r.readBit()
		if err != nil {
			return 0, err
		}
		if b == 1 {
			break
		}
		lz++
		if lz > maxUELeadingZeros {
			return 0, errExpGolombTooLong
		}
	}
	suffix, err := r.readBits(lz)
	if err != nil {
		return 0, err
	}
	return (uint64(1)<<uint(lz) - 1) + suffix, nil
}

// bitWriter appends big-endian (MSB first) bit strings to a byte slice that
// is reused across reset calls, so that steady-state use does not allocate.
type bitWriter struct {
	buf   []byte // bytes written so far; the last one may be partial
	nbits int    // number of bits written
}

// reset empties the writer, keeping its buffer.
func (w *bitWriter) reset() {
	w.buf = w.buf[:0]
	w.nbits = 0
}

// bytes returns the written bytes; a trailing partial byte is zero-padded.
func (w *bitWriter) bytes() []byte { return w.buf }

// bitLen returns the number of bits written.
func (w *bitWriter) bitLen() int { return w.nbits }

// aligned reports whether the writer is at a byte boundary.
func (w *bitWriter) aligned() bool { return w.nbits&7 == 0 }

// writeBits writes the n low bits of v (u(n)), 0 <= n <= 64.
func (w *bitWriter) writeBits(v uint64, n int) {
	for n > 0 {
		if w.nbits&7 == 0 {
			w.buf = append(w.buf, 0)
		}
		free := 8 - w.nbits&7
		take := min(free, n)
		chunk := byte(v>>uint(n-take)) & byte(1<<uint(take)-1)
		w.buf[len(w.buf)-1] |= chunk << uint(free-take)
		w.nbits += take
		n -= take
	}
}

// writeBit writes u(1).
func (w *bitWriter) writeBit(b uint8) { w.writeBits(uint64(b&1), 1) }

// writeUE writes v as an unsigned exp-Golomb code ue(v). v must be below
// 2^63 (H.264 only needs 32-bit values).
func (w *bitWriter) writeUE(v uint64) {
	x := v + 1
	n := bits.Len64(x)
	w.writeBits(0, n-1)
	w.writeBits(x, n)
}

// alignZero pads with zero bits up to the next byte boundary.
func (w *bitWriter) alignZero() {
	// Partial bytes are already zero-filled; only the count moves.
	w.nbits = (w.nbits + 7) &^ 7
}

// growBytes extends buf by n bytes (contents unspecified) and returns the new
// tail. It reallocates only when the capacity is insufficient.
func (w *bitWriter) growBytes(n int) []byte {
	l := len(w.buf)
	if cap(w.buf)-l < n {
		nb := make([]byte, l, 2*cap(w.buf)+n)
		copy(nb, w.buf)
		w.buf = nb
	}
	w.buf = w.buf[:l+n]
	return w.buf[l:]
}

// copyBits copies the next n bits of r into w, advancing both. It works a
// byte (or eight bytes) at a time whenever possible instead of bit by bit.
func (w *bitWriter) copyBits(r *bitReader, n int) error {
	if n < 0 || n > r.remaining() {
		return errBitsExhausted
	}
	// Bring the writer to a byte boundary.
	if head := (8 - w.nbits&7) & 7; head > 0 {
		head = min(head, n)
		v, _ := r.readBits(head) // cannot fail: n <= remaining
		w.writeBits(v, head)
		n -= head
	}
	if n == 0 {
		return nil
	}
	// The writer is now aligned.
	nBytes := n >> 3
	if nBytes > 0 {
		src := r.buf
		q := r.pos >> 3
		s := uint(r.pos & 7)
		dst := w.growBytes(nBytes)
		if s == 0 {
			copy(dst, src[q:q+nBytes])
		} else {
			// Output byte k takes the low 8-s bits of src[q+k] and the high s
			// bits of src[q+k+1]; src[q+k+1] exists because bit
			// r.pos+8k+7 < r.end <= len(src)*8 lies in it.
			in := src[q : q+nBytes+1]
			out := dst[:nBytes]
			ls, rs := s&63, (8-s)&63
			for len(out) >= 16 && len(in) >= 17 {
				a := binary.BigEndian.Uint64(in)
				b := binary.BigEndian.Uint64(in[8:])
				binary.BigEndian.PutUint64(out, a<<ls|b>>(64-ls))
				binary.BigEndian.PutUint64(out[8:], b<<ls|uint64(in[16])>>rs)
				in, out = in[16:], out[16:]
			}
			for i := range out {
				out[i] = in[i]<<ls | in[i+1]>>rs
			}
		}
		r.pos += nBytes << 3
		w.nbits += nBytes << 3
		n -= nBytes << 3
	}
	if n > 0 {
		v, _ := r.readBits(n) // n < 8 <= remaining
		w.writeBits(v, n)
	}
	return nil
}

package capture

import "errors"

var errTruncated = errors.New("truncated")

// rbspReader reads Exp-Golomb fields from a NAL unit payload, skipping
// emulation prevention bytes on the fly instead of copying the payload: the
// slice headers of every picture in a file are parsed and copies would cost
// an allocation each.
type rbspReader struct {
	buf   []byte
	pos   int
	zeros int // consecutive zero bytes just read
	cur   byte
	left  int // unread bits in cur
}

func (r *rbspReader) bit() (uint32, error) {
	if r.left == 0 {
		if r.pos >= len(r.buf) {
			return 0, errTruncated
		}
		b := r.buf[r.pos]
		r.pos++
		if r.zeros >= 2 && b == 3 { // 00 00 03: the 03 is not payload
			r.zeros = 0
			if r.pos >= len(r.buf) {
				return 0, errTruncated
			}
			b = r.buf[r.pos]
			r.pos++
		}
		if b == 0 {
			r.zeros++
		} else {
			r.zeros = 0
		}
		r.cur, r.left = b, 8
	}
	r.left--
	return uint32(r.cur>>r.left) & 1, nil
}

// ue reads an unsigned Exp-Golomb code (H.264 9.1); values needing more than
// 32 bits are rejected as corrupt.
func (r *rbspReader) ue() (uint32, error) {
	zeros := 0
	for {
		b, err := r.bit()
		if err != nil {
			return 0, err
		}
		if b == 1 {
			break
		}
		zeros++
		if zeros > 31 {
			return 0, errors.New("exp-Golomb code too long")
		}
	}
	v := uint32(0)
	for range zeros {
		b, err := r.bit()
		if err != nil {
			return 0, err
		}
		v = v<<1 | b
	}
	return (1<<zeros - 1) + v, nil
}

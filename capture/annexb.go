package capture

import (
	"bytes"
	"errors"
	"fmt"
)

// maxNALUs bounds the NAL unit index built for one file. A real 512 MiB
// recording has a few hundred thousand; the bound stops a hostile file of
// back-to-back tiny NAL units from turning into gigabytes of slice headers.
const maxNALUs = 1 << 22

var startCode = []byte{0, 0, 1}

// splitAnnexB cuts an Annex-B byte stream into NAL units that alias buf.
// The stream is not one access unit, so mediacommon's AnnexB.Unmarshal (which
// caps NAL units per access unit) does not fit. Start codes may be three or
// four bytes; zero bytes before a start code are trailing_zero_8bits (or the
// first byte of a four-byte code) and not part of the NAL unit, since a NAL
// unit never ends in a zero byte. Empty NAL units are skipped.
func splitAnnexB(buf []byte) ([][]byte, error) {
	if len(buf) == 0 {
		return nil, ErrEmpty
	}
	first := bytes.Index(buf, startCode)
	if first < 0 {
		return nil, ErrNoStartCode
	}
	for i := range first {
		if buf[i] != 0 {
			return nil, fmt.Errorf("%w at the beginning: %d bytes of other data precede the first one", ErrNoStartCode, first)
		}
	}
	var nalus [][]byte
	pos := first + len(startCode)
	for pos < len(buf) {
		end := len(buf)
		next := bytes.Index(buf[pos:], startCode)
		if next >= 0 {
			end = pos + next
		}
		nalu := bytes.TrimRight(buf[pos:end], "\x00")
		if len(nalu) > 0 {
			if len(nalus) == maxNALUs {
				return nil, fmt.Errorf("%w: more than %d NAL units", ErrMalformed, maxNALUs)
			}
			nalus = append(nalus, nalu[:len(nalu):len(nalu)])
		}
		if next < 0 {
			break
		}
		pos = end + len(startCode)
	}
	if len(nalus) == 0 {
		return nil, fmt.Errorf("%w: start codes but no NAL units", ErrMalformed)
	}
	return nalus, nil
}

// Errors of the file source; NewFile wraps them with the file name, so test
// them with errors.Is.
var (
	ErrEmpty           = errors.New("file is empty")
	ErrTooLarge        = errors.New("file is larger than 512 MiB")
	ErrNoStartCode     = errors.New("no Annex-B start code (not an H.264 elementary stream?)")
	ErrNoSPS           = errors.New("no SPS (sequence parameter set)")
	ErrNoPPS           = errors.New("no PPS (picture parameter set)")
	ErrNoIDR           = errors.New("no IDR slice")
	ErrNotRandomAccess = errors.New("stream must start with SPS, PPS and an IDR slice so that every loop starts at a random access point")
	ErrBFrames         = errors.New("B-frames are not supported for passthrough")
	ErrMalformed       = errors.New("malformed H.264")
)

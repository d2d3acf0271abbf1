package encode

import (
	"errors"
	"time"

	"camagent/media"
)

// M2MCodec is the compressed format asked of a V4L2 memory-to-memory
// encoder's CAPTURE queue.
type M2MCodec int

const (
	// M2MH264 is what the agent streams (bcm2835-codec, Rockchip, …).
	M2MH264 M2MCodec = iota
	// M2MFWHT is vicodec's codec: only for the VM tests, which have no
	// H.264 hardware. Its output is returned as one opaque unit.
	M2MFWHT
)

func (c M2MCodec) String() string {
	if c == M2MFWHT {
		return "FWHT"
	}
	return "H264"
}

// M2MConfig sizes a V4L2 stateful M2M encoder. Zero values of the optional
// fields leave the driver's default.
type M2MConfig struct {
	Device      string // /dev/videoN; "" searches /dev/video* by capability
	Codec       M2MCodec
	Input       media.PixelFormat // I420 (default) or NV12
	Width       int
	Height      int
	FPS         int
	BitrateKbps int
	CBR         bool   // constant bitrate mode; false asks for VBR
	GOP         int    // IDR interval in frames (H264_I_PERIOD and GOP_SIZE)
	Profile     string // "baseline", "constrained_baseline", "main", "high"
	Level       string // "3.1", "4", "4.0", "4.1", …
	MinQP       int
	MaxQP       int
	Buffers     int // per queue; default 4
	// CopyOnly never imports a frame's dma-buf: every picture is copied
	// into the encoder's own buffers (tests compare the two paths).
	CopyOnly bool
	Timeout  time.Duration // per picture and for the drain; default 2 s
}

var (
	// ErrNoM2MEncoder: no node offers the codec on an M2M CAPTURE queue.
	ErrNoM2MEncoder = errors.New("encode: no V4L2 M2M encoder found")
	// ErrM2MUnsupported is returned on systems without V4L2.
	ErrM2MUnsupported = errors.New("encode: V4L2 M2M encoders exist only on Linux")
)

func (c *M2MConfig) defaults() {
	if c.Input == 0 {
		c.Input = media.I420
	}
	if c.Buffers <= 0 {
		c.Buffers = 4
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
}

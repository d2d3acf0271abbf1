package encode

import (
	"errors"

	"camagent/media"
)

// Encoder compresses raw frames into H.264. Implementations are not safe for
// concurrent use; the Stage owns its encoder.
type Encoder interface {
	// Encode compresses f. With forceIDR the picture is coded as an IDR.
	// The returned NAL units (no start codes) are valid until the next call.
	// An encoder may return no units for a picture (rate control skip).
	Encode(f *media.Frame, forceIDR bool) ([][]byte, error)
	// Backend names the implementation for logs and health ("openh264").
	Backend() string
	Close() error
}

// SoftwareConfig sizes the software encoder.
type SoftwareConfig struct {
	Width, Height int
	FPS           int
	BitrateKbps   int
	GOP           int // IDR interval in frames
	Threads       int // 0 lets OpenH264 choose
}

// ErrNoSoftwareEncoder is returned by builds without cgo, which cannot link OpenH264.
var ErrNoSoftwareEncoder = errors.New("encode: this build has no software H.264 encoder (built without cgo)")

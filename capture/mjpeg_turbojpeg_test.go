//go:build cgo && turbojpeg

package capture

import (
	"testing"

	"camagent/media"
)

func init() {
	mjpegDecoders = append(mjpegDecoders, struct {
		name   string
		decode func(*media.Frame, []byte) error
	}{"libjpeg-turbo", decodeMJPEGTurbo})
}

// TestMJPEGDecoderChoice: with cgo and the tag, the source decodes MJPEG
// with libjpeg-turbo.
func TestMJPEGDecoderChoice(t *testing.T) {
	if mjpegDecoder != "libjpeg-turbo" {
		t.Fatalf("decoder %q", mjpegDecoder)
	}
}

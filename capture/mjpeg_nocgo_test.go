//go:build turbojpeg && !cgo

package capture

import "testing"

// TestMJPEGDecoderChoice: the tag "turbojpeg" without cgo would silently
// test image/jpeg only.
func TestMJPEGDecoderChoice(t *testing.T) {
	t.Fatal("build tag turbojpeg needs cgo (CGO_ENABLED=1 and a C compiler); this build decodes MJPEG with " + mjpegDecoder)
}

//go:build !(cgo && turbojpeg)

package capture

import "camagent/media"

// mjpegDecoder names the MJPEG decoder this build uses.
const mjpegDecoder = "image/jpeg"

// decodeMJPEG decodes one MJPEG frame into dst as 4:2:0. Without cgo and
// the build tag "turbojpeg" that is the standard library's image/jpeg.
func decodeMJPEG(dst *media.Frame, src []byte) error { return decodeMJPEGStd(dst, src) }

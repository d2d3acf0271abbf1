package capture

// MJPEGDecoder names the MJPEG decoder compiled into this build:
// "libjpeg-turbo" (cgo and the build tag "turbojpeg") or "image/jpeg"
// (the pure-Go fallback). `camagent version` prints it.
func MJPEGDecoder() string { return mjpegDecoder }

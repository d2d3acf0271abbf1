//go:build !linux

package capture

// ListCameras finds nothing off Linux: V4L2 is Linux-only.
func ListCameras() ([]CameraInfo, error) { return []CameraInfo{}, nil }

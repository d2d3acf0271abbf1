//go:build !linux

package encode

// ListM2MEncoders finds nothing off Linux: V4L2 is Linux-only.
func ListM2MEncoders() ([]M2MInfo, error) { return []M2MInfo{}, nil }

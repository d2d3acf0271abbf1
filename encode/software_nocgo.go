//go:build !cgo

package encode

// NewSoftware reports that this build cannot encode in software.
func NewSoftware(cfg SoftwareConfig) (Encoder, error) { return nil, ErrNoSoftwareEncoder }

package onvif

import (
	"errors"
	"math"
)

// Imaging is the camera's picture controls, served by the Imaging service
// (timg, ver20) for the one video source. Config.Imaging nil: no Imaging
// service is advertised or served. Calls come from concurrent requests, so
// an implementation must be safe for concurrent use.
type Imaging interface {
	// ImagingSettings returns the current values of the supported controls.
	ImagingSettings() ImagingSettings
	// ImagingOptions returns the supported controls and their ranges; a nil
	// range or an empty mode list means "not supported" and keeps the
	// control out of every response.
	ImagingOptions() ImagingOptions
	// SetImagingSettings applies the non-nil fields (IrCutFilter: non-"")
	// all or none. The server has already checked them against
	// ImagingOptions; an error wrapping ErrImagingRange or ErrImagingSettings
	// is answered ter:SettingsInvalid, any other error env:Receiver.
	SetImagingSettings(ImagingSettings) error
}

// ImagingSettings are picture control values in the units of
// ImagingOptions. A nil field is a control not supported (when read) or
// not to be changed (when set).
type ImagingSettings struct {
	Brightness      *float64
	ColorSaturation *float64
	Contrast        *float64
	Sharpness       *float64
	IrCutFilter     IrCutFilterMode // "": not supported / unchanged
}

// ImagingOptions are the supported controls. ONVIF clients send values in
// the advertised Min..Max, so a backend on V4L2 integer controls should
// advertise the control's own minimum and maximum: no scaling, nothing
// lost to rounding.
type ImagingOptions struct {
	Brightness       *FloatRange
	ColorSaturation  *FloatRange
	Contrast         *FloatRange
	Sharpness        *FloatRange
	IrCutFilterModes []IrCutFilterMode // the modes the camera can do; empty: no IR cut filter
}

// FloatRange is an inclusive range (tt:FloatRange).
type FloatRange struct{ Min, Max float64 }

// Contains reports whether v is in r; NaN never is.
func (r FloatRange) Contains(v float64) bool { return v >= r.Min && v <= r.Max }

// IrCutFilterMode is tt:IrCutFilterMode.
type IrCutFilterMode string

// The IR cut filter modes ONVIF defines.
const (
	IrCutFilterOn   IrCutFilterMode = "ON"   // filter in: colour image
	IrCutFilterOff  IrCutFilterMode = "OFF"  // filter out: night, monochrome
	IrCutFilterAuto IrCutFilterMode = "AUTO" // the camera decides
)

// Errors an Imaging backend returns from SetImagingSettings; both are
// answered env:Sender/ter:InvalidArgVal/ter:SettingsInvalid.
var (
	ErrImagingRange    = errors.New("onvif: imaging value out of range")
	ErrImagingSettings = errors.New("onvif: imaging setting not supported")
)

// Float is a helper for filling ImagingSettings.
func Float(v float64) *float64 { return &v }

// validate checks every set field of s against o before anything is
// applied, so a refused request changes nothing.
func (o ImagingOptions) validate(s ImagingSettings) error {
	for _, f := range []struct {
		v *float64
		r *FloatRange
	}{{s.Brightness, o.Brightness}, {s.ColorSaturation, o.ColorSaturation}, {s.Contrast, o.Contrast}, {s.Sharpness, o.Sharpness}} {
		switch {
		case f.v == nil:
		case f.r == nil:
			return ErrImagingSettings
		case math.IsNaN(*f.v) || !f.r.Contains(*f.v):
			return ErrImagingRange
		}
	}
	if s.IrCutFilter != "" && !containsMode(o.IrCutFilterModes, s.IrCutFilter) {
		return ErrImagingSettings
	}
	return nil
}

func containsMode(list []IrCutFilterMode, m IrCutFilterMode) bool {
	for _, v := range list {
		if v == m {
			return true
		}
	}
	return false
}

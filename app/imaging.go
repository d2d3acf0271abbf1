package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"camagent/capture"
	"camagent/device"
	"camagent/onvif"
)

// imagingControls are the V4L2 user controls behind the ONVIF Imaging
// fields, advertised with the camera's own ranges so nothing is scaled.
var imagingControls = []struct {
	id  capture.ControlID
	get func(*onvif.ImagingSettings) **float64
	opt func(*onvif.ImagingOptions) **onvif.FloatRange
}{
	{capture.CtrlBrightness, func(s *onvif.ImagingSettings) **float64 { return &s.Brightness }, func(o *onvif.ImagingOptions) **onvif.FloatRange { return &o.Brightness }},
	{capture.CtrlContrast, func(s *onvif.ImagingSettings) **float64 { return &s.Contrast }, func(o *onvif.ImagingOptions) **onvif.FloatRange { return &o.Contrast }},
	{capture.CtrlSaturation, func(s *onvif.ImagingSettings) **float64 { return &s.ColorSaturation }, func(o *onvif.ImagingOptions) **onvif.FloatRange { return &o.ColorSaturation }},
	{capture.CtrlSharpness, func(s *onvif.ImagingSettings) **float64 { return &s.Sharpness }, func(o *onvif.ImagingOptions) **onvif.FloatRange { return &o.Sharpness }},
}

// imaging serves ONVIF Imaging from the camera's controls (nil for the
// test pattern and file sources) and the board's IR-cut filter.
type imaging struct {
	ctl   *capture.Controls
	a     *Agent
	irCut bool // the board has day/night lines
}

// controlsRunner re-applies imaging values after a camera reopen.
type controlsRunner struct{ c *capture.Controls }

func (r controlsRunner) Run(ctx context.Context) error { return r.c.Run(ctx, time.Second) }

func (m *imaging) ImagingOptions() onvif.ImagingOptions {
	var o onvif.ImagingOptions
	if m.ctl != nil {
		for _, c := range imagingControls {
			if v, err := m.ctl.Control(c.id); err == nil {
				*c.opt(&o) = &onvif.FloatRange{Min: float64(v.Min), Max: float64(v.Max)}
			}
		}
	}
	if m.irCut {
		o.IrCutFilterModes = []onvif.IrCutFilterMode{onvif.IrCutFilterOn, onvif.IrCutFilterOff, onvif.IrCutFilterAuto}
	}
	return o
}

func (m *imaging) ImagingSettings() onvif.ImagingSettings {
	var s onvif.ImagingSettings
	if m.ctl != nil {
		for _, c := range imagingControls {
			if v, err := m.ctl.Control(c.id); err == nil {
				*c.get(&s) = onvif.Float(float64(v.Value))
			}
		}
	}
	if m.irCut && m.a.board != nil && m.a.board.DayNight != nil {
		st := m.a.board.DayNight.Status()
		switch {
		case st.Mode == device.ModeAuto:
			s.IrCutFilter = onvif.IrCutFilterAuto
		case st.Mode == device.ModeNight:
			s.IrCutFilter = onvif.IrCutFilterOff // filter out: night
		default:
			s.IrCutFilter = onvif.IrCutFilterOn
		}
	}
	return s
}

func (m *imaging) SetImagingSettings(s onvif.ImagingSettings) error {
	vals := map[capture.ControlID]int32{}
	for _, c := range imagingControls {
		if p := *c.get(&s); p != nil {
			if m.ctl == nil {
				return fmt.Errorf("%w: this source has no picture controls", onvif.ErrImagingSettings)
			}
			vals[c.id] = int32(math.Round(*p))
		}
	}
	// The IR-cut mode is checked before any control changes, so a refused
	// request changes nothing.
	mode := ""
	switch s.IrCutFilter {
	case "":
	case onvif.IrCutFilterOn:
		mode = device.ModeDay
	case onvif.IrCutFilterOff:
		mode = device.ModeNight
	case onvif.IrCutFilterAuto:
		mode = device.ModeAuto
	default:
		return fmt.Errorf("%w: IrCutFilter %q", onvif.ErrImagingSettings, s.IrCutFilter)
	}
	if mode != "" && (m.a.board == nil || m.a.board.DayNight == nil) {
		return fmt.Errorf("%w: no IR-cut filter on this board", onvif.ErrImagingSettings)
	}
	if len(vals) > 0 {
		err := m.ctl.SetControls(vals)
		switch {
		case errors.Is(err, capture.ErrControlRange):
			return fmt.Errorf("%w: %w", onvif.ErrImagingRange, err)
		case errors.Is(err, capture.ErrNoControl), errors.Is(err, capture.ErrNoDevice):
			return fmt.Errorf("%w: %w", onvif.ErrImagingSettings, err)
		case err != nil:
			return err
		}
	}
	if mode != "" {
		return m.a.DayNight(mode)
	}
	return nil
}

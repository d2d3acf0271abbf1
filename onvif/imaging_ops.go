package onvif

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Imaging service (timg, ver20) for the one video source. Bodies are
// written by hand with timg declared on the response element.
const (
	nsTIMG      = "http://www.onvif.org/ver20/imaging/wsdl"
	imagingPath = "/onvif/imaging_service"
)

func timg(name, inner string) rawResponse { return raw("timg:"+name, inner, "timg", nsTIMG) }

// The Imaging service's faults (ONVIF Imaging Service Specification).
func faultNoSource() *Fault {
	return faultInvalidArgVal("NoSource", "The requested VideoSource does not exist")
}

func faultSettingsInvalid() *Fault {
	return faultInvalidArgVal("SettingsInvalid", "The requested settings are incorrect")
}

// checkSource accepts only the media service's video source token; the
// element is required by every Imaging request that carries it.
func (c *call) checkSource() error {
	if c.token("VideoSourceToken") != sourceToken {
		return faultNoSource()
	}
	return nil
}

func imagingServiceCaps() rawResponse {
	r := raw("timg:Capabilities", "", "timg", nsTIMG)
	r.Attrs = append(r.Attrs, attr("ImageStabilization", "false"), attr("Presets", "false"), attr("AdaptablePreset", "false"))
	return r
}

func getImagingServiceCapabilities(*call) (any, error) {
	return timg("GetServiceCapabilitiesResponse", marshalInner(imagingServiceCaps())), nil
}

// xsFloat renders an xs:float; 'g' with the shortest exact digits gives
// "128" for the integer values of V4L2 controls.
func xsFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func getImagingSettings(c *call) (any, error) {
	if err := c.checkSource(); err != nil {
		return nil, err
	}
	// Only what the options advertise is reported, whatever the backend
	// fills in, so Get and GetOptions never disagree.
	o, s := c.s.cfg.Imaging.ImagingOptions(), c.s.cfg.Imaging.ImagingSettings()
	var b strings.Builder
	num := func(name string, v *float64, r *FloatRange) {
		if v != nil && r != nil {
			b.WriteString(`<tt:` + name + `>` + xsFloat(*v) + `</tt:` + name + `>`)
		}
	}
	// Schema order: BacklightCompensation, Brightness, ColorSaturation,
	// Contrast, Exposure, Focus, IrCutFilter, Sharpness, ...
	num("Brightness", s.Brightness, o.Brightness)
	num("ColorSaturation", s.ColorSaturation, o.ColorSaturation)
	num("Contrast", s.Contrast, o.Contrast)
	if s.IrCutFilter != "" && containsMode(o.IrCutFilterModes, s.IrCutFilter) {
		b.WriteString(`<tt:IrCutFilter>` + string(s.IrCutFilter) + `</tt:IrCutFilter>`)
	}
	num("Sharpness", s.Sharpness, o.Sharpness)
	return timg("GetImagingSettingsResponse", `<timg:ImagingSettings>`+b.String()+`</timg:ImagingSettings>`), nil
}

func getImagingOptions(c *call) (any, error) {
	if err := c.checkSource(); err != nil {
		return nil, err
	}
	o := c.s.cfg.Imaging.ImagingOptions()
	var b strings.Builder
	rng := func(name string, r *FloatRange) {
		if r != nil {
			b.WriteString(`<tt:` + name + `><tt:Min>` + xsFloat(r.Min) + `</tt:Min><tt:Max>` + xsFloat(r.Max) + `</tt:Max></tt:` + name + `>`)
		}
	}
	rng("Brightness", o.Brightness)
	rng("ColorSaturation", o.ColorSaturation)
	rng("Contrast", o.Contrast)
	for _, m := range o.IrCutFilterModes {
		switch m {
		case IrCutFilterOn, IrCutFilterOff, IrCutFilterAuto:
			b.WriteString(`<tt:IrCutFilterModes>` + string(m) + `</tt:IrCutFilterModes>`)
		}
	}
	rng("Sharpness", o.Sharpness)
	return timg("GetOptionsResponse", `<timg:ImagingOptions>`+b.String()+`</timg:ImagingOptions>`), nil
}

// parseImagingSettings reads a tt:ImagingSettings20. Elements the device
// has no control for (Exposure, WhiteBalance, ...) are refused rather than
// ignored: a client must not believe it set them.
func parseImagingSettings(n *node) (ImagingSettings, error) {
	var s ImagingSettings
	if n == nil {
		return s, faultInvalidArgs()
	}
	seen := map[string]bool{}
	for _, k := range n.kids {
		name := k.name.Local
		if seen[name] {
			return s, faultSettingsInvalid()
		}
		seen[name] = true
		var dst **float64
		switch name {
		case "Brightness":
			dst = &s.Brightness
		case "ColorSaturation":
			dst = &s.ColorSaturation
		case "Contrast":
			dst = &s.Contrast
		case "Sharpness":
			dst = &s.Sharpness
		case "IrCutFilter":
			switch m := IrCutFilterMode(k.value()); m {
			case IrCutFilterOn, IrCutFilterOff, IrCutFilterAuto:
				s.IrCutFilter = m
			default:
				return s, faultSettingsInvalid()
			}
			continue
		default:
			return s, faultSettingsInvalid()
		}
		v, err := strconv.ParseFloat(k.value(), 32) // xs:float
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return s, faultSettingsInvalid()
		}
		*dst = &v
	}
	return s, nil
}

// setImagingSettings validates the whole request against the options
// before the backend sees it, so a refused request changes nothing.
// ForcePersistence is accepted: whether values survive a restart is the
// backend's business (the settings are kept for the running camera).
func setImagingSettings(c *call) (any, error) {
	if err := c.checkSource(); err != nil {
		return nil, err
	}
	switch c.token("ForcePersistence") {
	case "", "true", "false", "1", "0":
	default:
		return nil, faultInvalidArgs()
	}
	s, err := parseImagingSettings(c.arg.child("*", "ImagingSettings"))
	if err != nil {
		return nil, err
	}
	img := c.s.cfg.Imaging
	if err := img.ImagingOptions().validate(s); err != nil {
		return nil, faultSettingsInvalid()
	}
	if err := img.SetImagingSettings(s); err != nil {
		if errors.Is(err, ErrImagingRange) || errors.Is(err, ErrImagingSettings) {
			return nil, faultSettingsInvalid()
		}
		c.s.log.Warn("onvif: imaging settings not applied", "err", err)
		return nil, &Fault{Code: "Receiver", Subcodes: []string{"Action"}, Reason: "The requested action failed", Status: http.StatusInternalServerError}
	}
	return timg("SetImagingSettingsResponse", ""), nil
}

// getMoveOptions: the camera has no focus lens to move, which an empty
// tt:MoveOptions20 says (every child is optional).
func getMoveOptions(c *call) (any, error) {
	if err := c.checkSource(); err != nil {
		return nil, err
	}
	return timg("GetMoveOptionsResponse", `<timg:MoveOptions/>`), nil
}

// getImagingStatus: no focus, so no FocusStatus20.
func getImagingStatus(c *call) (any, error) {
	if err := c.checkSource(); err != nil {
		return nil, err
	}
	return timg("GetStatusResponse", `<timg:Status/>`), nil
}

// focusNotSupported answers Move and Stop: the source exists but has no
// focus control (GetMoveOptions advertises none).
func focusNotSupported(c *call) (any, error) {
	if err := c.checkSource(); err != nil {
		return nil, err
	}
	return nil, faultActionNotSupported()
}

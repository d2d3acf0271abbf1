package capture

import (
	"fmt"
	"strings"
)

// CameraInfo describes one V4L2 video-capture node, for `camagent devices`:
// what QUERYCAP says, every format with its frame sizes and frame rates,
// and the controls with their ranges.
type CameraInfo struct {
	Path         string        `json:"path"`
	Card         string        `json:"card"`
	Driver       string        `json:"driver"`
	BusInfo      string        `json:"bus_info"`
	Capabilities []string      `json:"capabilities"` // the node's device caps, by name
	CapsMask     uint32        `json:"caps_mask"`
	MultiPlanar  bool          `json:"multi_planar"`
	Formats      []FormatInfo  `json:"formats"`
	Controls     []ControlInfo `json:"controls"`
	// Errors lists what could not be enumerated (the rest is still shown).
	Errors []string `json:"errors,omitempty"`
}

// FormatInfo is one pixel format a camera offers.
type FormatInfo struct {
	FourCC      string     `json:"fourcc"`
	Description string     `json:"description"`
	Compressed  bool       `json:"compressed,omitempty"`
	Emulated    bool       `json:"emulated,omitempty"` // converted in software by the driver/library
	Supported   bool       `json:"supported"`          // the V4L2 source can convert it
	Sizes       []SizeInfo `json:"sizes"`
}

// SizeInfo is one frame size (or a stepwise/continuous range: Max and
// Step set) and the frame rates offered at it. For a range the rates are
// those at the largest size.
type SizeInfo struct {
	Width      uint32     `json:"width"`
	Height     uint32     `json:"height"`
	MaxWidth   uint32     `json:"max_width,omitempty"`
	MaxHeight  uint32     `json:"max_height,omitempty"`
	StepWidth  uint32     `json:"step_width,omitempty"`
	StepHeight uint32     `json:"step_height,omitempty"`
	Rates      []RateInfo `json:"rates"`
}

func (s SizeInfo) String() string {
	if s.MaxWidth == 0 {
		return fmt.Sprintf("%dx%d", s.Width, s.Height)
	}
	return fmt.Sprintf("%dx%d..%dx%d", s.Width, s.Height, s.MaxWidth, s.MaxHeight)
}

// RateInfo is one frame interval (MinFPS == MaxFPS) or an interval range.
type RateInfo struct {
	Interval string  `json:"interval"` // seconds per frame: "1/30", or "1/60..1/1"
	MinFPS   float64 `json:"min_fps"`
	MaxFPS   float64 `json:"max_fps"`
}

func (r RateInfo) String() string {
	if r.MinFPS == r.MaxFPS {
		return fmt.Sprintf("%.4g", r.MaxFPS)
	}
	return fmt.Sprintf("%.4g-%.4g", r.MinFPS, r.MaxFPS)
}

// ControlInfo is one control (VIDIOC_QUERY_EXT_CTRL, or VIDIOC_QUERYCTRL on
// old drivers). Control-class headers and disabled controls are left out.
type ControlInfo struct {
	ID      uint32     `json:"id"`
	Name    string     `json:"name"`
	Type    string     `json:"type"`
	Min     int64      `json:"min"`
	Max     int64      `json:"max"`
	Step    uint64     `json:"step"`
	Default int64      `json:"default"`
	Flags   []string   `json:"flags,omitempty"`
	Dims    []uint32   `json:"dims,omitempty"` // arrays (compound controls)
	Menu    []MenuItem `json:"menu,omitempty"`
}

// MenuItem is one entry of a menu or integer-menu control.
type MenuItem struct {
	Index uint32 `json:"index"`
	Name  string `json:"name,omitempty"`
	Value *int64 `json:"value,omitempty"` // integer menus only (0 is a value there)
}

// TypeName is the type with the array dimensions: "u16[8][16]".
func (c ControlInfo) TypeName() string {
	t := c.Type
	for _, d := range c.Dims {
		t += fmt.Sprintf("[%d]", d)
	}
	return t
}

// Range is the control's range for display: "0..255 step 1 default 128".
func (c ControlInfo) Range() string {
	switch c.Type {
	case "bool":
		return fmt.Sprintf("default %d", c.Default)
	case "button", "ctrl_class", "area":
		return ""
	case "bitmask":
		return fmt.Sprintf("mask %#x default %#x", c.Max, c.Default)
	case "menu", "int_menu":
		items := make([]string, len(c.Menu))
		for i, m := range c.Menu {
			if m.Value != nil {
				items[i] = fmt.Sprintf("%d=%d", m.Index, *m.Value)
			} else {
				items[i] = fmt.Sprintf("%d=%s", m.Index, m.Name)
			}
		}
		return fmt.Sprintf("default %d [%s]", c.Default, strings.Join(items, ", "))
	case "string":
		return fmt.Sprintf("length %d..%d", c.Min, c.Max)
	}
	return fmt.Sprintf("%d..%d step %d default %d", c.Min, c.Max, c.Step, c.Default)
}

var capNames = []struct {
	bit  uint32
	name string
}{
	{0x00000001, "VIDEO_CAPTURE"}, {0x00000002, "VIDEO_OUTPUT"}, {0x00000004, "VIDEO_OVERLAY"},
	{0x00000010, "VBI_CAPTURE"}, {0x00000020, "VBI_OUTPUT"}, {0x00000040, "SLICED_VBI_CAPTURE"},
	{0x00000080, "SLICED_VBI_OUTPUT"}, {0x00000100, "RDS_CAPTURE"}, {0x00000200, "VIDEO_OUTPUT_OVERLAY"},
	{0x00000400, "HW_FREQ_SEEK"}, {0x00000800, "RDS_OUTPUT"}, {0x00001000, "VIDEO_CAPTURE_MPLANE"},
	{0x00002000, "VIDEO_OUTPUT_MPLANE"}, {0x00004000, "VIDEO_M2M_MPLANE"}, {0x00008000, "VIDEO_M2M"},
	{0x00010000, "TUNER"}, {0x00020000, "AUDIO"}, {0x00040000, "RADIO"}, {0x00080000, "MODULATOR"},
	{0x00100000, "SDR_CAPTURE"}, {0x00200000, "EXT_PIX_FORMAT"}, {0x00400000, "SDR_OUTPUT"},
	{0x00800000, "META_CAPTURE"}, {0x01000000, "READWRITE"}, {0x04000000, "STREAMING"},
	{0x08000000, "META_OUTPUT"}, {0x10000000, "TOUCH"}, {0x20000000, "IO_MC"}, {0x80000000, "DEVICE_CAPS"},
}

// CapabilityNames spells out a V4L2_CAP_* mask; unknown bits come out in hex.
func CapabilityNames(caps uint32) []string {
	names := []string{}
	for _, c := range capNames {
		if caps&c.bit != 0 {
			names = append(names, c.name)
			caps &^= c.bit
		}
	}
	if caps != 0 {
		names = append(names, fmt.Sprintf("%#x", caps))
	}
	return names
}

func ctrlTypeName(t uint32) string {
	switch t {
	case 1:
		return "int"
	case 2:
		return "bool"
	case 3:
		return "menu"
	case 4:
		return "button"
	case 5:
		return "int64"
	case 6:
		return "ctrl_class"
	case 7:
		return "string"
	case 8:
		return "bitmask"
	case 9:
		return "int_menu"
	case 0x100:
		return "u8"
	case 0x101:
		return "u16"
	case 0x102:
		return "u32"
	case 0x106:
		return "area"
	}
	return fmt.Sprintf("type_%#x", t)
}

var ctrlFlagNames = []string{"disabled", "grabbed", "read-only", "update", "inactive", "slider",
	"write-only", "volatile", "has-payload", "execute-on-write", "modify-layout", "dynamic-array"}

func ctrlFlags(f uint32) []string {
	var names []string
	for i, n := range ctrlFlagNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

func rateInfo(lo, hi Fract) RateInfo {
	r := RateInfo{Interval: lo.String(), MinFPS: hi.FPS(), MaxFPS: lo.FPS()}
	if lo != hi {
		r.Interval = lo.String() + ".." + hi.String()
	}
	return r
}

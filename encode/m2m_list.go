package encode

// M2MInfo describes one V4L2 memory-to-memory encoder node, for `camagent
// devices`: raw formats in on its OUTPUT queue, coded formats out on its
// CAPTURE queue.
type M2MInfo struct {
	Path        string          `json:"path"`
	Card        string          `json:"card"`
	Driver      string          `json:"driver"`
	BusInfo     string          `json:"bus_info"`
	CapsMask    uint32          `json:"caps_mask"`
	MultiPlanar bool            `json:"multi_planar"`
	Output      []M2MFormatInfo `json:"output"`  // raw pictures in
	Capture     []M2MFormatInfo `json:"capture"` // coded bitstream out
	// Usable says whether NewM2M could drive it for the agent (H.264 from
	// I420 or NV12); vicodec's FWHT is listed but only the tests use it.
	Usable bool `json:"usable"`
}

// M2MFormatInfo is one format of one queue.
type M2MFormatInfo struct {
	FourCC      string `json:"fourcc"`
	Description string `json:"description"`
}

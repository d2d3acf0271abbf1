package onvif

import "encoding/xml"

// Response types of the media service (ver10), marshal-only like device_types.go.

type mediaServiceCapabilities struct {
	XMLName  xml.Name `xml:"trt:Capabilities"`
	Snapshot bool     `xml:"SnapshotUri,attr"`
	Rotation bool     `xml:"Rotation,attr"`
	Profiles struct {
		Max int `xml:"MaximumNumberOfProfiles,attr"`
	} `xml:"trt:ProfileCapabilities"`
	Streaming struct {
		RTPMulticast bool `xml:"RTPMulticast,attr"`
		RTPTCP       bool `xml:"RTP_TCP,attr"`
		RTPRTSPTCP   bool `xml:"RTP_RTSP_TCP,attr"`
	} `xml:"trt:StreamingCapabilities"`
}

type getMediaServiceCapabilitiesResponse struct {
	XMLName xml.Name `xml:"trt:GetServiceCapabilitiesResponse"`
	Caps    mediaServiceCapabilities
}

type profile struct {
	Token   string                    `xml:"token,attr"`
	Fixed   bool                      `xml:"fixed,attr"`
	Name    string                    `xml:"tt:Name"`
	Source  videoSourceConfiguration  `xml:"tt:VideoSourceConfiguration"`
	Encoder videoEncoderConfiguration `xml:"tt:VideoEncoderConfiguration"`
}

type getProfilesResponse struct {
	XMLName  xml.Name  `xml:"trt:GetProfilesResponse"`
	Profiles []profile `xml:"trt:Profiles"`
}

type getProfileResponse struct {
	XMLName xml.Name `xml:"trt:GetProfileResponse"`
	Profile profile  `xml:"trt:Profile"`
}

type videoSourceConfiguration struct {
	Token       string `xml:"token,attr"`
	Name        string `xml:"tt:Name"`
	UseCount    int    `xml:"tt:UseCount"`
	SourceToken string `xml:"tt:SourceToken"`
	Bounds      struct {
		X      int `xml:"x,attr"`
		Y      int `xml:"y,attr"`
		Width  int `xml:"width,attr"`
		Height int `xml:"height,attr"`
	} `xml:"tt:Bounds"`
}

type videoEncoderConfiguration struct {
	Token       string     `xml:"token,attr"`
	Name        string     `xml:"tt:Name"`
	UseCount    int        `xml:"tt:UseCount"`
	Encoding    string     `xml:"tt:Encoding"`
	Resolution  resolution `xml:"tt:Resolution"`
	Quality     float64    `xml:"tt:Quality"`
	RateControl struct {
		FrameRateLimit   int `xml:"tt:FrameRateLimit"`
		EncodingInterval int `xml:"tt:EncodingInterval"`
		BitrateLimit     int `xml:"tt:BitrateLimit"`
	} `xml:"tt:RateControl"`
	H264 struct {
		GovLength   int    `xml:"tt:GovLength"`
		H264Profile string `xml:"tt:H264Profile"`
	} `xml:"tt:H264"`
	Multicast struct {
		Type      string `xml:"tt:Address>tt:Type"`
		IPv4      string `xml:"tt:Address>tt:IPv4Address"`
		Port      int    `xml:"tt:Port"`
		TTL       int    `xml:"tt:TTL"`
		AutoStart bool   `xml:"tt:AutoStart"`
	} `xml:"tt:Multicast"`
	SessionTimeout string `xml:"tt:SessionTimeout"`
}

type resolution struct {
	Width  int `xml:"tt:Width"`
	Height int `xml:"tt:Height"`
}

type intRange struct {
	Min int `xml:"tt:Min"`
	Max int `xml:"tt:Max"`
}

type getVideoSourcesResponse struct {
	XMLName xml.Name      `xml:"trt:GetVideoSourcesResponse"`
	Sources []videoSource `xml:"trt:VideoSources"`
}

type videoSource struct {
	Token      string     `xml:"token,attr"`
	Framerate  float64    `xml:"tt:Framerate"`
	Resolution resolution `xml:"tt:Resolution"`
}

type getVideoSourceConfigurationsResponse struct {
	XMLName xml.Name                   `xml:"trt:GetVideoSourceConfigurationsResponse"`
	Configs []videoSourceConfiguration `xml:"trt:Configurations"`
}

type getVideoSourceConfigurationResponse struct {
	XMLName xml.Name                 `xml:"trt:GetVideoSourceConfigurationResponse"`
	Config  videoSourceConfiguration `xml:"trt:Configuration"`
}

type getVideoEncoderConfigurationsResponse struct {
	XMLName xml.Name                    `xml:"trt:GetVideoEncoderConfigurationsResponse"`
	Configs []videoEncoderConfiguration `xml:"trt:Configurations"`
}

type getVideoEncoderConfigurationResponse struct {
	XMLName xml.Name                  `xml:"trt:GetVideoEncoderConfigurationResponse"`
	Config  videoEncoderConfiguration `xml:"trt:Configuration"`
}

type getVideoEncoderConfigurationOptionsResponse struct {
	XMLName xml.Name `xml:"trt:GetVideoEncoderConfigurationOptionsResponse"`
	Options struct {
		QualityRange intRange                      `xml:"tt:QualityRange"`
		H264         h264Options                   `xml:"tt:H264"`
		Extension    *videoEncoderOptionsExtension `xml:"tt:Extension,omitempty"`
	} `xml:"trt:Options"`
}

type h264Options struct {
	Resolutions      []resolution `xml:"tt:ResolutionsAvailable"`
	GovLengthRange   intRange     `xml:"tt:GovLengthRange"`
	FrameRateRange   intRange     `xml:"tt:FrameRateRange"`
	EncodingInterval intRange     `xml:"tt:EncodingIntervalRange"`
	Profiles         []string     `xml:"tt:H264ProfilesSupported"`
}

type videoEncoderOptionsExtension struct {
	H264 h264Options2 `xml:"tt:H264"`
}

// h264Options2 is tt:H264Options2: H264Options and a bitrate range.
type h264Options2 struct {
	h264Options
	BitrateRange intRange `xml:"tt:BitrateRange"`
}

type getStreamURIResponse struct {
	XMLName xml.Name `xml:"trt:GetStreamUriResponse"`
	URI     mediaURI `xml:"trt:MediaUri"`
}

type mediaURI struct {
	URI                 string `xml:"tt:Uri"`
	InvalidAfterConnect bool   `xml:"tt:InvalidAfterConnect"`
	InvalidAfterReboot  bool   `xml:"tt:InvalidAfterReboot"`
	Timeout             string `xml:"tt:Timeout"`
}

type setSynchronizationPointResponse struct {
	XMLName xml.Name `xml:"trt:SetSynchronizationPointResponse"`
}

type getSnapshotURIResponse struct {
	XMLName xml.Name `xml:"trt:GetSnapshotUriResponse"`
	URI     mediaURI `xml:"trt:MediaUri"`
}

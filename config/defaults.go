package config

import (
	"time"

	"camagent/device"
)

// Documented defaults. They are constants so that tests, the example file
// and Default cannot drift apart silently.
const (
	DefaultDeviceName             = "camagent"
	DefaultLogLevel               = "info"
	DefaultLogFormat              = "text"
	DefaultSourceType             = "auto"
	DefaultWidth                  = 1280
	DefaultHeight                 = 720
	DefaultFPS                    = 30
	DefaultPixelFormat            = "I420"
	DefaultEncoderType            = "auto"
	DefaultBitrateKbps            = 2000
	DefaultKeyframeMinInterval    = 500 * time.Millisecond
	DefaultListen                 = ":8554"
	DefaultPath                   = "/stream"
	DefaultUDPRTPPort             = 8000
	DefaultMaxReaders             = 64
	DefaultWriteQueue             = 512
	DefaultRole                   = "user"
	DefaultMQTTEmbeddedListen     = "127.0.0.1:1883"
	DefaultMQTTTopicPrefix        = "camagent"
	DefaultMQTTKeepalive          = 10 * time.Second
	DefaultMQTTReconnectMin       = time.Second
	DefaultMQTTReconnectMax       = time.Minute
	DefaultMQTTHealthInterval     = 30 * time.Second
	DefaultMQTTStoreMax           = 1000
	DefaultMQTTMaxPayload         = 65536
	DefaultMQTTCommandMaxAge      = time.Minute
	DefaultONVIFListen            = ":8080"
	DefaultONVIFMotionSensitivity = 50
)

// DefaultCameraFormats lists raw formats first (one copy each) and MJPEG
// last (a decode per frame); a fresh copy per call.
func DefaultCameraFormats() []string { return []string{"NV12", "YU12", "YUYV", "MJPEG"} }

// DefaultDigestAlgorithms returns a fresh copy so callers cannot alter the
// default of every later config.
func DefaultDigestAlgorithms() []string { return []string{"SHA-256", "MD5"} }

// Default returns the documented defaults. Device.ID stays empty: the caller
// resolves it to the host name, because config must not depend on the host.
// Users stay empty: with anonymous false the caller creates a development
// user. Every call returns independent pointers and slices.
func Default() *Config {
	return &Config{
		Device: Device{Name: DefaultDeviceName},
		Log:    Log{Level: DefaultLogLevel, Format: DefaultLogFormat},
		Source: Source{
			Type: DefaultSourceType,
			V4L2: V4L2{
				Width: DefaultWidth, Height: DefaultHeight, FPS: DefaultFPS,
				Formats: DefaultCameraFormats(),
			},
			TestPattern: TestPattern{
				Width: DefaultWidth, Height: DefaultHeight,
				FPS: DefaultFPS, Format: DefaultPixelFormat,
			},
			File: File{FPS: DefaultFPS},
		},
		Encoder: Encoder{
			Type:                DefaultEncoderType,
			BitrateKbps:         DefaultBitrateKbps,
			KeyframeOnJoin:      ptr(true),
			ZeroCopy:            ptr(true),
			KeyframeMinInterval: DefaultKeyframeMinInterval,
			SubStream:           SubStream{Mode: "auto", Width: 640, Height: 360, BitrateKbps: 512},
		},
		RTSP: RTSP{
			Listen:           DefaultListen,
			Path:             DefaultPath,
			SubPath:          "/sub",
			UDP:              ptr(true),
			UDPRTPPort:       DefaultUDPRTPPort,
			MaxReaders:       DefaultMaxReaders,
			WriteQueue:       DefaultWriteQueue,
			DigestAlgorithms: DefaultDigestAlgorithms(),
			LegacyDigest:     ptr(true),
		},
		MQTT: MQTT{
			Enabled:        ptr(true),
			EmbeddedListen: DefaultMQTTEmbeddedListen,
			TopicPrefix:    DefaultMQTTTopicPrefix,
			Keepalive:      DefaultMQTTKeepalive,
			ReconnectMin:   DefaultMQTTReconnectMin,
			ReconnectMax:   DefaultMQTTReconnectMax,
			HealthInterval: DefaultMQTTHealthInterval,
			StoreMax:       DefaultMQTTStoreMax,
			MaxPayload:     DefaultMQTTMaxPayload,
			CommandMaxAge:  DefaultMQTTCommandMaxAge,
		},
		ONVIF: ONVIF{Enabled: ptr(true), Listen: DefaultONVIFListen, Discovery: ptr(true),
			MotionSensitivity: ptr(DefaultONVIFMotionSensitivity)},
		Board: defaultBoard(),
	}
}

func ptr[T any](v T) *T { return &v }

// defaultBoard has every board default spelled out for example.yaml; the
// light source stays "auto" because it depends on which lines are set.
func defaultBoard() Board {
	b := device.Config{DayNight: device.DayNightConfig{Source: device.SourceAuto}}.WithDefaults()
	b.DayNight.Source = device.SourceAuto
	return b
}

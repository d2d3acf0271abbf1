package config

import (
	"strings"
	"time"

	"camagent/device"
)

// Config is the whole agent configuration: one YAML file. Zero values are
// replaced by the documented defaults in Default before validation.
type Config struct {
	Device  Device  `yaml:"device"`
	Log     Log     `yaml:"log"`
	Source  Source  `yaml:"source"`
	Encoder Encoder `yaml:"encoder"`
	RTSP    RTSP    `yaml:"rtsp"`
	MQTT    MQTT    `yaml:"mqtt"`
	ONVIF   ONVIF   `yaml:"onvif"`
	Users   []User  `yaml:"users"`
	Board   Board   `yaml:"board"`
}

// Board is the camera board's GPIO lines (status LED, IR-cut filter and
// illuminator, light sensor, tamper switch, reset button) and its hardware
// watchdog. Package device owns the meaning of every key and its checks;
// unset lines turn their feature off.
type Board = device.Config

// Device identifies this camera.
type Device struct {
	// ID names the device on the network (MQTT topics, ONVIF). Default: the host name.
	// Letters, digits, '-', '_' and '.', at most 64 characters.
	ID string `yaml:"id"`
	// Name is a human label shown to NVRs. Default "camagent".
	Name string `yaml:"name"`
}

// Log configures log/slog output on stderr.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error; default info
	Format string `yaml:"format"` // text | json; default text
}

// Source selects where pictures come from.
type Source struct {
	// Type is auto (default: the first V4L2 camera found, else the test
	// pattern), v4l2, testpattern or file.
	Type        string      `yaml:"type"`
	V4L2        V4L2        `yaml:"v4l2"`
	TestPattern TestPattern `yaml:"testpattern"`
	File        File        `yaml:"file"`
}

// V4L2 is a camera through Video4Linux2 (USB/UVC cameras, capture bridges).
type V4L2 struct {
	// Device is a node path such as /dev/video0. Empty: Match is used, or
	// with neither, the first capture device found.
	Device string `yaml:"device"`
	// Match picks the camera whose card name or bus info contains it
	// (case-insensitive), because /dev/videoN numbers change between boots.
	Match   string   `yaml:"match"`
	Width   int      `yaml:"width"`   // wanted pixels, even, 64..3840; default 1280 (the closest mode is granted)
	Height  int      `yaml:"height"`  // wanted pixels, even, 64..2160; default 720
	FPS     int      `yaml:"fps"`     // wanted frames per second, 1..120; default 30
	Formats []string `yaml:"formats"` // camera formats accepted, preferred first; default [NV12, YU12, YUYV, MJPEG]; [H264] alone: the camera's own H.264, passed through
}

// Passthrough reports whether the camera's own H.264 is streamed as it is
// (formats lists H264).
func (v V4L2) Passthrough() bool {
	for _, f := range v.Formats {
		if strings.EqualFold(f, "H264") {
			return true
		}
	}
	return false
}

// TestPattern is the built-in moving colour pattern with a burned-in frame
// counter and wall-clock time.
type TestPattern struct {
	Width  int    `yaml:"width"`  // pixels, even, 64..3840; default 1280
	Height int    `yaml:"height"` // pixels, even, 64..2160; default 720
	FPS    int    `yaml:"fps"`    // frames per second, 1..60; default 30
	Format string `yaml:"format"` // raw layout handed to the encoder: I420 (default) or NV12
}

// File plays an H.264 Annex-B elementary stream in a loop, without re-encoding.
type File struct {
	Path string `yaml:"path"` // required when source.type is file
	FPS  int    `yaml:"fps"`  // playback rate, 1..120; default 30
}

// Encoder configures H.264 encoding of raw sources.
type Encoder struct {
	// Type is auto (default), software or hardware. auto uses a V4L2
	// memory-to-memory H.264 encoder (Raspberry Pi 4 bcm2835-codec, …)
	// when one is found and passes a start-up self-test, else OpenH264;
	// hardware refuses to start without one.
	Type string `yaml:"type"`
	// BitrateKbps is the target bitrate in kbit/s, 64..50000; default 2000.
	BitrateKbps int `yaml:"bitrate_kbps"`
	// GOP is the IDR interval in frames, 1..600; default equals the source fps (one second).
	GOP int `yaml:"gop"`
	// KeyframeOnJoin forces an IDR when a new reader starts playing; default true.
	KeyframeOnJoin *bool `yaml:"keyframe_on_join"`
	// ZeroCopy, with the hardware encoder, lends an NV12 camera's buffers
	// to it and has other cameras' pictures converted straight into the
	// encoder's own memory (docs/encoders.md); false copies them through
	// ordinary memory instead. Default true.
	ZeroCopy *bool `yaml:"zero_copy"`
	// KeyframeMinInterval rate-limits forced IDRs; default 500ms, 0..10s.
	KeyframeMinInterval time.Duration `yaml:"keyframe_min_interval"`
	// SubStream is a second, smaller H.264 stream of the same pictures for
	// NVR previews and analytics (ONVIF's second profile, rtsp.sub_path).
	SubStream SubStream `yaml:"sub_stream"`
}

// SubStream configures the lower-resolution second stream.
type SubStream struct {
	// Mode is auto (default: on when the main stream uses a hardware
	// encoder, which can run a second instance cheaply; off with the
	// software encoder, where it costs CPU), on or off.
	Mode        string `yaml:"mode"`
	Width       int    `yaml:"width"`        // even, 64..1920, smaller than the main picture; default 640
	Height      int    `yaml:"height"`       // even, 64..1080; default 360
	BitrateKbps int    `yaml:"bitrate_kbps"` // 64..50000; default 512
}

// RTSP configures the stream server.
type RTSP struct {
	// Listen is the TCP address for RTSP; default ":8554".
	Listen string `yaml:"listen"`
	// Path of the stream; default "/stream". Must start with '/'.
	Path string `yaml:"path"`
	// SubPath is the sub stream's path (encoder.sub_stream); default "/sub".
	SubPath string `yaml:"sub_path"`
	// UDP enables the UDP transport on UDPRTPPort and UDPRTPPort+1; default true.
	UDP *bool `yaml:"udp"`
	// UDPRTPPort is the even RTP port; RTCP uses the next one. Default 8000.
	UDPRTPPort int `yaml:"udp_rtp_port"`
	// MaxReaders caps simultaneous playing sessions, 1..1024; default 64.
	MaxReaders int `yaml:"max_readers"`
	// WriteQueue is each reader's outgoing queue in RTP packets, a power of
	// two 64..8192; default 512. A reader whose queue is full loses packets.
	WriteQueue int `yaml:"write_queue"`
	// Anonymous allows viewing without credentials. Default false; must be explicit.
	Anonymous bool `yaml:"anonymous"`
	// DigestAlgorithms offered in the challenge, in preference order.
	// Values SHA-256 and MD5; default [SHA-256, MD5]. MD5 stays on by default
	// because ffmpeg, VLC (live555) and most NVRs speak only MD5.
	DigestAlgorithms []string `yaml:"digest_algorithms"`
	// LegacyDigest accepts RFC 2069 responses (no qop), which VLC/live555
	// sends. Nonces are bound to the client address and expire after a
	// minute, which limits replays. Default true.
	LegacyDigest *bool `yaml:"legacy_digest"`
}

// MQTT configures health telemetry and remote commands over MQTT 3.1.1
// (docs/mqtt.md has the topic contract).
type MQTT struct {
	// Enabled turns telemetry on; default true.
	Enabled *bool `yaml:"enabled"`
	// Brokers are tried in order (failover): mqtt://HOST:PORT, tcp://,
	// mqtts:// or ssl:// (TLS). Empty (default) runs an embedded broker on
	// EmbeddedListen so health is visible at once on a stand-alone device.
	Brokers []string `yaml:"brokers"`
	// EmbeddedListen is the loopback address of the embedded broker; default
	// "127.0.0.1:1883". Only loopback addresses are accepted.
	EmbeddedListen string `yaml:"embedded_listen"`
	// TopicPrefix starts every topic: <prefix>/v1/<device-id>/...; default
	// "camagent". Letters, digits, '-', '_', '.' and '/' between segments.
	TopicPrefix string `yaml:"topic_prefix"`
	// Username and Password authenticate to the broker; default none.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// TLS files for mqtts:// brokers.
	TLS MQTTTLS `yaml:"tls"`
	// Keepalive is the MQTT keepalive, 2s..5m; default 10s. The broker
	// publishes the offline will about 1.5 keepalives after the agent dies.
	Keepalive time.Duration `yaml:"keepalive"`
	// ReconnectMin and ReconnectMax bound the jittered exponential backoff
	// between connection attempts; defaults 1s and 1m.
	ReconnectMin time.Duration `yaml:"reconnect_min"`
	ReconnectMax time.Duration `yaml:"reconnect_max"`
	// HealthInterval is the period of health publications, 1s..1h; default 30s.
	HealthInterval time.Duration `yaml:"health_interval"`
	// StoreDir keeps unacknowledged QoS 1 messages (events) on disk across
	// broker outages and agent restarts. Empty (default) keeps them in memory only.
	StoreDir string `yaml:"store_dir"`
	// StoreMax bounds the stored messages, 16..100000; default 1000. The
	// oldest is dropped (and counted) when full.
	StoreMax int `yaml:"store_max"`
	// MaxPayload is the largest command accepted in bytes, 1024..1048576;
	// default 65536. Larger commands get an error reply.
	MaxPayload int `yaml:"max_payload"`
	// CommandKey is the controller's Ed25519 public key, base64 (32 bytes).
	// When set, every command must carry a valid signature, a timestamp
	// within CommandMaxAge and a fresh nonce. Default empty: commands are
	// authorised by the broker ACL alone.
	CommandKey string `yaml:"command_key"`
	// CommandMaxAge is the accepted clock difference for signed commands,
	// 1s..10m; default 60s.
	CommandMaxAge time.Duration `yaml:"command_max_age"`
}

// ONVIF configures the ONVIF device and media services: SOAP over HTTP,
// authenticated with WS-Security UsernameToken or HTTP Digest by the users below.
type ONVIF struct {
	// Enabled serves ONVIF; default true.
	Enabled *bool `yaml:"enabled"`
	// Listen is the TCP address of the ONVIF HTTP server; default ":8080".
	// The device service is at http://HOST:8080/onvif/device_service.
	Listen string `yaml:"listen"`
	// Discovery answers WS-Discovery probes on UDP 3702 (multicast
	// 239.255.255.250 and unicast) and sends Hello/Bye; default true.
	// false = ONVIF non-discoverable mode: nothing listens on 3702.
	Discovery *bool `yaml:"discovery"`
	// Location is the ONVIF location scope, a path such as
	// "country/fr/city/lyon/gate-3"; default none. At most 128 characters.
	Location string `yaml:"location"`
	// MotionSensitivity tunes the luma motion detector behind the
	// tns1:VideoSource/MotionAlarm event, 1 (large changes only) to 100;
	// 0 turns the detector off. Default 50.
	MotionSensitivity *int `yaml:"motion_sensitivity"`
}

// MQTTTLS names PEM files; a client certificate needs its key.
type MQTTTLS struct {
	CAFile   string `yaml:"ca_file"`   // trusted CAs; empty uses the system pool
	CertFile string `yaml:"cert_file"` // client certificate (mutual TLS)
	KeyFile  string `yaml:"key_file"`  // its private key
}

// User is an account shared by RTSP and ONVIF.
type User struct {
	Name     string `yaml:"name"`     // 1..32 characters, no ':' or control characters
	Password Secret `yaml:"password"` // 8..128 characters
	Role     string `yaml:"role"`     // administrator | operator | user; default user
}

// Secret is a string that never appears in logs or formatted output.
type Secret string

// String redacts the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "***"
}

// GoString redacts the value in %#v.
func (s Secret) GoString() string { return `"***"` }

// Reveal returns the secret for the code that must use it.
func (s Secret) Reveal() string { return string(s) }

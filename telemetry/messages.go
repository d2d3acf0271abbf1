package telemetry

import (
	"encoding/json"
	"time"
)

// Schema identifiers, also the $id suffixes of docs/schemas/*.json.
const (
	SchemaStatus = "camagent/status/v1"
	SchemaHealth = "camagent/health/v1"
	SchemaEvent  = "camagent/event/v1"
	SchemaReply  = "camagent/reply/v1"
)

// Status is the retained message on .../status: the birth message
// (online) and the last will (offline).
type Status struct {
	Schema           string    `json:"schema"`
	Device           string    `json:"device"`
	State            string    `json:"state"` // online | offline
	Firmware         string    `json:"firmware"`
	BootTime         time.Time `json:"boot_time"`
	LastRebootReason string    `json:"last_reboot_reason"`
	Reason           string    `json:"reason,omitempty"` // why offline
}

// Health is the document on .../health and in health replies.
type Health struct {
	Schema     string    `json:"schema"`
	Device     string    `json:"device"`
	Time       time.Time `json:"time"`
	Firmware   string    `json:"firmware"`
	BootTime   time.Time `json:"boot_time"`
	UptimeS    float64   `json:"uptime_s"`
	Verdict    string    `json:"verdict"` // ok | degraded | failed
	Reasons    []string  `json:"reasons"`
	System     System    `json:"system"`
	Network    []NetIf   `json:"network"`
	Camera     Camera    `json:"camera"`
	Encoder    *Encoder  `json:"encoder"`
	RTSP       RTSP      `json:"rtsp"`
	MQTT       MQTTStats `json:"mqtt"`
	TimeSync   TimeSync  `json:"time_sync"`
	ConfigHash string    `json:"config_hash"`
}

// System is the host's load, temperature, memory and disk.
type System struct {
	Load1             float64  `json:"load1"`
	Load5             float64  `json:"load5"`
	Load15            float64  `json:"load15"`
	CPUTempC          *float64 `json:"cpu_temp_c"` // null when the board has no sensor
	MemTotalBytes     uint64   `json:"mem_total_bytes"`
	MemAvailableBytes uint64   `json:"mem_available_bytes"`
	Disks             []Disk   `json:"disks"`
}

// Disk is one file system's space.
type Disk struct {
	Path       string `json:"path"`
	TotalBytes uint64 `json:"total_bytes"`
	FreeBytes  uint64 `json:"free_bytes"`
}

// NetIf is one network interface.
type NetIf struct {
	Name      string   `json:"name"`
	Up        bool     `json:"up"`
	Addresses []string `json:"addresses"`
	RxBytes   uint64   `json:"rx_bytes"`
	TxBytes   uint64   `json:"tx_bytes"`
}

// Camera describes the picture source.
type Camera struct {
	Device         string  `json:"device"`
	Mode           string  `json:"mode"`
	ConfiguredFPS  int     `json:"configured_fps"`
	MeasuredFPS    float64 `json:"measured_fps"`
	FramesCaptured uint64  `json:"frames_captured"`
	FramesDropped  uint64  `json:"frames_dropped"`
	LastFrameAgeS  float64 `json:"last_frame_age_s"`
	Reconnects     uint64  `json:"reconnects"`
}

// Encoder describes the H.264 encoder; null for passthrough sources.
type Encoder struct {
	Backend     string  `json:"backend"`
	Reason      string  `json:"reason"`
	BitrateKbps float64 `json:"bitrate_kbps"`
	Keyframes   uint64  `json:"keyframes"`
	Forced      uint64  `json:"forced_keyframes"`
	Errors      uint64  `json:"errors"`
	QueueDrops  uint64  `json:"queue_dropped"`
}

// RTSP describes the stream server.
type RTSP struct {
	Readers        int    `json:"readers"`
	Sessions       uint64 `json:"sessions"`
	AuthFailures   uint64 `json:"auth_failures"`
	PacketsDropped uint64 `json:"packets_dropped"`
}

// MQTTStats describes this component's own queues.
type MQTTStats struct {
	Connected     bool   `json:"connected"`
	Reconnects    uint64 `json:"reconnects"`
	QueueDepth    int    `json:"queue_depth"`    // events waiting to be handed to the client
	QueueCapacity int    `json:"queue_capacity"` //
	QueueDropped  uint64 `json:"queue_dropped"`  // events refused because the queue was full
	StoreDepth    int    `json:"store_depth"`    // QoS 1 messages not yet acknowledged
	StoreDropped  uint64 `json:"store_dropped"`  // oldest dropped at the bound, or not writable
	CmdDropped    uint64 `json:"commands_dropped"`
}

// TimeSync is the kernel's view of clock synchronisation (adjtimex).
type TimeSync struct {
	Synchronized bool    `json:"synchronized"`
	MaxErrorS    float64 `json:"max_error_s"`
}

// Event is published with QoS 1 on .../event/<type>. Seq increases by one
// per event and device; Boot changes when the sequence restarts.
type Event struct {
	Schema string          `json:"schema"`
	Device string          `json:"device"`
	Type   string          `json:"type"`
	Seq    uint64          `json:"seq"`
	Time   time.Time       `json:"time"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// Event types.
const (
	EventCameraLost       = "camera_lost"
	EventCameraRestored   = "camera_restored"
	EventAuthFailureBurst = "auth_failure_burst"
	EventConfigChanged    = "config_changed"
	EventRebootRequested  = "reboot_requested"
	EventEncoderRestarted = "encoder_restarted"
	EventMotionStart      = "motion_start"
	EventMotionStop       = "motion_stop"
)

// Command is the payload on .../cmd/<name>. ID and ReplyTo are required;
// Device, TS, Nonce and Sig are required when the device enforces
// signatures (see Signed).
type Command struct {
	ID      string          `json:"id"`
	ReplyTo string          `json:"reply_to"`
	Device  string          `json:"device,omitempty"`
	TS      int64           `json:"ts,omitempty"` // Unix seconds
	Nonce   string          `json:"nonce,omitempty"`
	Args    json.RawMessage `json:"args,omitempty"`
	Sig     string          `json:"sig,omitempty"` // base64 Ed25519 over SigningBytes
}

// Reply answers a command on its reply_to topic.
type Reply struct {
	Schema string          `json:"schema"`
	ID     string          `json:"id"`
	Device string          `json:"device"`
	Cmd    string          `json:"cmd"`
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Errors []ReplyError    `json:"errors,omitempty"`
}

// ReplyError is one reason a command was refused.
type ReplyError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes in replies.
const (
	ErrCodeMalformed    = "malformed"
	ErrCodeTooLarge     = "too_large"
	ErrCodeUnknown      = "unknown_command"
	ErrCodeWrongDevice  = "wrong_device"
	ErrCodeUnsigned     = "unsigned"
	ErrCodeBadSignature = "bad_signature"
	ErrCodeStale        = "stale"
	ErrCodeReplay       = "replay"
	ErrCodeInvalid      = "invalid"
	ErrCodeUnavailable  = "unavailable"
	ErrCodeBusy         = "busy"
)

// Command names.
const (
	CmdHealth    = "health"
	CmdReboot    = "reboot"
	CmdKeyframe  = "keyframe"
	CmdConfigGet = "config-get"
	CmdConfigSet = "config-set"
)

var commands = []string{CmdHealth, CmdReboot, CmdKeyframe, CmdConfigGet, CmdConfigSet}

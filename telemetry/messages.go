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
	ONVIF      *ONVIF    `json:"onvif"` // null when ONVIF is disabled
	MQTT       MQTTStats `json:"mqtt"`
	TimeSync   TimeSync  `json:"time_sync"`
	ConfigHash string    `json:"config_hash"`
	Board      Board     `json:"board"`
}

// Board is the camera board's own state: provisioning, status LED,
// day/night, tamper switch and hardware watchdog. A feature the board
// does not have is null.
type Board struct {
	Provisioned bool          `json:"provisioned"`
	LED         *string       `json:"led"` // the pattern shown: ok, degraded, camera-lost, …
	DayNight    *DayNight     `json:"day_night"`
	Tamper      *string       `json:"tamper"` // open | closed
	Watchdog    *WatchdogInfo `json:"watchdog"`
}

// DayNight is the IR-cut filter and illuminator state.
type DayNight struct {
	Mode  string    `json:"mode"`  // auto | day | night (the override)
	State string    `json:"state"` // day | night
	Since time.Time `json:"since"`
	Luma  *float64  `json:"luma"` // mean picture luma 0..255; null before the first frame
}

// WatchdogInfo is the hardware watchdog.
type WatchdogInfo struct {
	TimeoutS      int  `json:"timeout_s"`
	Feeding       bool `json:"feeding"`        // false: the pipeline stalled, the board will reset
	WatchdogReset bool `json:"watchdog_reset"` // the last boot was caused by the watchdog
}

// System is the host's load, temperature, memory and disk.
type System struct {
	Load1             float64   `json:"load1"`
	Load5             float64   `json:"load5"`
	Load15            float64   `json:"load15"`
	CPUTempC          *float64  `json:"cpu_temp_c"` // null when the board has no sensor
	MemTotalBytes     uint64    `json:"mem_total_bytes"`
	MemAvailableBytes uint64    `json:"mem_available_bytes"`
	Disks             []Disk    `json:"disks"`
	Model             string    `json:"model"`     // device-tree model, e.g. "Raspberry Pi 4 Model B Rev 1.5"; "" if unknown
	Serial            string    `json:"serial"`    // device-tree serial number; "" if unknown
	Throttled         *Throttle `json:"throttled"` // Raspberry Pi firmware flags; null elsewhere
}

// Throttle is the Raspberry Pi firmware's get_throttled word: what is
// happening now and what happened since boot.
type Throttle struct {
	Raw                  uint32 `json:"raw"`
	UnderVoltage         bool   `json:"under_voltage"`
	FreqCapped           bool   `json:"freq_capped"`
	Throttled            bool   `json:"throttled"`
	SoftTempLimit        bool   `json:"soft_temp_limit"`
	UnderVoltageOccurred bool   `json:"under_voltage_occurred"`
	ThrottledOccurred    bool   `json:"throttled_occurred"`
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
	Up             bool    `json:"up"`                      // streaming now (a camera between unplug and reopen is down)
	CameraFormat   string  `json:"camera_format,omitempty"` // what the camera delivers (YUYV, MJPG, …) before conversion
	FramesLent     uint64  `json:"frames_lent,omitempty"`   // handed on in the driver's buffer: no copy
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
	Restarts    uint64  `json:"restarts"` // encoder reopened after a failure
}

// RTSP describes the stream server.
type RTSP struct {
	Readers        int    `json:"readers"`
	Sessions       uint64 `json:"sessions"`
	AuthFailures   uint64 `json:"auth_failures"`
	PacketsDropped uint64 `json:"packets_dropped"`
}

// ONVIF describes the ONVIF server.
type ONVIF struct {
	Requests     uint64 `json:"requests"`
	Faults       uint64 `json:"faults"`
	AuthFailures uint64 `json:"auth_failures"`
	Busy         uint64 `json:"busy"` // refused: too many requests at once
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
	EventTamper           = "tamper"
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
	CmdDayNight  = "daynight"
	CmdReboot    = "reboot"
	CmdKeyframe  = "keyframe"
	CmdConfigGet = "config-get"
	CmdConfigSet = "config-set"
)

var commands = []string{CmdHealth, CmdReboot, CmdKeyframe, CmdConfigGet, CmdConfigSet, CmdDayNight}

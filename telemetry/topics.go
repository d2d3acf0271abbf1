package telemetry

import (
	"strings"
	"unicode/utf8"
)

// Version is the topic and schema version; it is part of every topic.
const Version = "v1"

// FleetID is the device segment of fleet-wide commands.
const FleetID = "fleet"

// Topics builds the topic names of one device under a prefix.
type Topics struct{ Prefix, Device string }

func (t Topics) base() string            { return t.Prefix + "/" + Version + "/" + t.Device }
func (t Topics) Status() string          { return t.base() + "/status" }
func (t Topics) Health() string          { return t.base() + "/health" }
func (t Topics) Event(typ string) string { return t.base() + "/event/" + typ }
func (t Topics) Cmd(name string) string  { return t.base() + "/cmd/" + name }
func (t Topics) CmdFilter() string       { return t.base() + "/cmd/+" }
func (t Topics) Events() string          { return t.base() + "/event/+" }
func (t Topics) FleetCmd(name string) string {
	return t.Prefix + "/" + Version + "/" + FleetID + "/cmd/" + name
}

// ReplyPrefix is where replies may go: <prefix>/v1/reply/. A device never
// publishes a reply elsewhere, so a command cannot make it write into
// another device's subtree.
func ReplyPrefix(prefix string) string { return prefix + "/" + Version + "/reply/" }

// AllStatus, AllHealth and AllEvents are the controller's subscriptions.
func AllStatus(prefix string) string { return prefix + "/" + Version + "/+/status" }
func AllHealth(prefix string) string { return prefix + "/" + Version + "/+/health" }
func AllEvents(prefix string) string { return prefix + "/" + Version + "/+/event/+" }

// validPublishTopic reports whether s is a topic one may publish to.
func validPublishTopic(s string) bool {
	return s != "" && len(s) <= 256 && utf8.ValidString(s) && !strings.ContainsAny(s, "+#\x00")
}

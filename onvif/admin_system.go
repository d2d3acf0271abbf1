package onvif

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Scope prefixes. The device's configurable scopes are its name and its
// location; type, Profile, hardware (and MacAddress in discovery) are
// fixed.
const (
	scopeBase     = "onvif://www.onvif.org/"
	scopeName     = scopeBase + "name/"
	scopeLocation = scopeBase + "location/"
)

var fixedScopeCategories = []string{"type/", "Profile/", "hardware/", "MacAddress/"}

// Limits of the configurable scope values: the agent's configuration
// rules for device.name and onvif.location.
const (
	maxDeviceNameLen = 64
	maxLocationLen   = 128
)

// parseScope maps a scope URI of a Set/AddScopes request to the setting it
// configures. Fixed categories cannot be written (ter:ScopeOverwrite);
// the device keeps no free-form scopes, so any other URI exceeds the
// supported number of scopes (ter:TooManyScopes).
func parseScope(item string) (kind, value string, f *Fault) {
	switch {
	case strings.HasPrefix(item, scopeName):
		v, err := url.PathUnescape(item[len(scopeName):])
		if err != nil || v == "" || utf8.RuneCountInString(v) > maxDeviceNameLen || !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			return "", "", faultBadValue("The name scope is not valid")
		}
		return "name", v, nil
	case strings.HasPrefix(item, scopeLocation):
		segs := strings.Split(strings.Trim(item[len(scopeLocation):], "/"), "/")
		for i, s := range segs {
			v, err := url.PathUnescape(s)
			if err != nil || v == "" || strings.Contains(v, "/") {
				return "", "", faultBadValue("The location scope is not valid")
			}
			segs[i] = v
		}
		v := strings.Join(segs, "/")
		if utf8.RuneCountInString(v) > maxLocationLen || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
			return "", "", faultBadValue("The location scope is not valid")
		}
		return "location", v, nil
	}
	for _, c := range fixedScopeCategories {
		if len(item) >= len(scopeBase+c) && strings.EqualFold(item[:len(scopeBase+c)], scopeBase+c) {
			return "", "", faultProhibited("ScopeOverwrite", "Scope parameter overwrites fixed device scope setting")
		}
	}
	return "", "", faultActionSub("TooManyScopes", "The requested scope list exceeds the supported number of scopes")
}

func faultFixedScope() *Fault {
	return faultProhibited("FixedScope", "Trying to remove a fixed scope parameter")
}

// applyScopes saves and then answers the new name and location. The
// caller holds state.admin.
func (c *call) applyScopes(op, name, location string) error {
	if err := c.s.cfg.Admin.SetScopes(name, location); err != nil {
		return adminErr(op, err)
	}
	c.s.state.mu.Lock()
	c.s.state.name, c.s.state.location = name, location
	c.s.state.mu.Unlock()
	c.s.log.Info("onvif: scopes changed", "op", op, "by", c.acct)
	return nil
}

func scopeArgs(arg *node, local string) []string {
	var out []string
	for _, k := range arg.kids {
		if k.name.Local == local {
			out = append(out, k.value())
		}
	}
	return out
}

// setScopes replaces the configurable scopes. The device must keep a name
// scope (Core), so a list without one would remove it: ter:FixedScope.
func setScopes(c *call) (any, error) {
	items := scopeArgs(c.arg, "Scopes")
	if len(items) == 0 {
		return nil, faultInvalidArgs()
	}
	var name, location string
	for _, it := range items {
		kind, v, f := parseScope(it)
		if f != nil {
			return nil, f
		}
		dst := &name
		if kind == "location" {
			dst = &location
		}
		if *dst != "" && *dst != v {
			return nil, faultActionSub("TooManyScopes", "The requested scope list exceeds the supported number of scopes")
		}
		*dst = v
	}
	if name == "" {
		return nil, faultFixedScope()
	}
	c.s.state.admin.Lock()
	defer c.s.state.admin.Unlock()
	if err := c.applyScopes("SetScopes", name, location); err != nil {
		return nil, err
	}
	return empty("tds:SetScopesResponse"), nil
}

// addScopes adds a location when there is none; the device holds one name
// and one location, so adding a second is ter:TooManyScopes (SetScopes
// replaces them). Adding a scope the device already has changes nothing.
func addScopes(c *call) (any, error) {
	items := scopeArgs(c.arg, "ScopeItem")
	if len(items) == 0 {
		return nil, faultInvalidArgs()
	}
	c.s.state.admin.Lock()
	defer c.s.state.admin.Unlock()
	d := c.s.device()
	name, location := d.Name, d.Location
	for _, it := range items {
		kind, v, f := parseScope(it)
		if f != nil {
			return nil, f
		}
		switch {
		case kind == "name" && v == name, kind == "location" && v == location:
		case kind == "location" && location == "":
			location = v
		default:
			return nil, faultActionSub("TooManyScopes", "The requested scope list exceeds the supported number of scopes")
		}
	}
	if location != d.Location {
		if err := c.applyScopes("AddScopes", name, location); err != nil {
			return nil, err
		}
	}
	return empty("tds:AddScopesResponse"), nil
}

// removeScopes removes the location scope; every other scope of the
// device is fixed (the name must stay, Core).
func removeScopes(c *call) (any, error) {
	items := scopeArgs(c.arg, "ScopeItem")
	if len(items) == 0 {
		return nil, faultInvalidArgs()
	}
	c.s.state.admin.Lock()
	defer c.s.state.admin.Unlock()
	d := c.s.device()
	have := scopeItems(d)
	loc := ""
	if d.Location != "" {
		loc = have[len(have)-1]
	}
	removed := false
	for _, it := range items {
		switch {
		case loc != "" && it == loc && !removed:
			removed = true
		case containsString(have, it) && it != loc:
			return nil, faultFixedScope()
		default:
			return nil, faultInvalidArgVal("NoScope", "Trying to remove a scope which does not exist")
		}
	}
	if err := c.applyScopes("RemoveScopes", d.Name, ""); err != nil {
		return nil, err
	}
	return raw("tds:RemoveScopesResponse", `<tds:ScopeItem>`+esc(loc)+`</tds:ScopeItem>`), nil
}

func setDiscoveryMode(c *call) (any, error) {
	var on bool
	switch c.token("DiscoveryMode") {
	case "Discoverable":
		on = true
	case "NonDiscoverable":
	default:
		return nil, faultBadValue("Unknown discovery mode")
	}
	c.s.state.admin.Lock()
	defer c.s.state.admin.Unlock()
	if err := c.s.cfg.Admin.SetDiscoverable(on); err != nil {
		return nil, adminErr("SetDiscoveryMode", err)
	}
	c.s.state.mu.Lock()
	c.s.state.discoverable = on
	c.s.state.mu.Unlock()
	c.s.log.Info("onvif: discovery mode changed", "discoverable", on, "by", c.acct)
	return empty("tds:SetDiscoveryModeResponse"), nil
}

// utcTimeZones are the POSIX TZ strings of the one time zone the device
// keeps (it reports "UTC0").
var utcTimeZones = []string{"", "UTC0", "GMT0", "UTC", "GMT", "UTC+0", "UTC-0", "GMT+0", "GMT-0"}

// setSystemDateAndTime sets the clock (Manual). The device reports NTP
// (the operating system's) and has no NTP configuration over ONVIF, so
// switching to NTP is answered ter:NtpServerUndefined, the Core fault for
// "no NTP server is defined".
func setSystemDateAndTime(c *call) (any, error) {
	switch c.token("DateTimeType") {
	case "Manual":
	case "NTP":
		return nil, faultInvalidArgVal("NtpServerUndefined", "Cannot switch DateTimeType to NTP because no NTP server is defined")
	default:
		return nil, faultBadValue("Unknown date and time type")
	}
	if tz := c.arg.child("*", "TimeZone").child("*", "TZ").value(); !containsString(utcTimeZones, strings.ToUpper(tz)) {
		return nil, faultInvalidArgVal("InvalidTimeZone", "An invalid time zone was specified")
	}
	t, ok := parseDateTime(c.arg.child("*", "UTCDateTime"))
	if !ok {
		return nil, faultInvalidArgVal("InvalidDateTime", "An invalid date or time was specified")
	}
	c.s.state.admin.Lock()
	defer c.s.state.admin.Unlock()
	if err := c.s.cfg.Admin.SetSystemTime(t); err != nil {
		return nil, adminErr("SetSystemDateAndTime", err)
	}
	c.s.state.mu.Lock()
	c.s.state.manualTime = true
	c.s.state.mu.Unlock()
	c.s.log.Info("onvif: system time set", "utc", t, "by", c.acct)
	return empty("tds:SetSystemDateAndTimeResponse"), nil
}

// parseDateTime reads a tt:DateTime; every field must be present and
// name a real instant from 1970 to 9999.
func parseDateTime(n *node) (time.Time, bool) {
	date, tm := n.child("*", "Date"), n.child("*", "Time")
	var v [6]int
	for i, f := range []*node{date.child("*", "Year"), date.child("*", "Month"), date.child("*", "Day"),
		tm.child("*", "Hour"), tm.child("*", "Minute"), tm.child("*", "Second")} {
		x, err := strconv.Atoi(f.value())
		if err != nil {
			return time.Time{}, false
		}
		v[i] = x
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, time.UTC)
	if v[0] < 1970 || v[0] > 9999 || t.Month() != time.Month(v[1]) || t.Day() != v[2] ||
		t.Hour() != v[3] || t.Minute() != v[4] || t.Second() != v[5] {
		return time.Time{}, false
	}
	return t, true
}

// systemReboot answers, then asks the Admin to reboot.
func systemReboot(c *call) (any, error) {
	s, by := c.s, c.acct
	c.after = func() {
		s.log.Warn("onvif: reboot requested", "by", by)
		if err := s.cfg.Admin.Reboot(); err != nil {
			s.log.Error("onvif: reboot failed", "err", err)
		}
	}
	msg := "Rebooting in " + strconv.Itoa(int(RebootDelay/time.Second)) + " seconds"
	return raw("tds:SystemRebootResponse", `<tds:Message>`+msg+`</tds:Message>`), nil
}

// setSystemFactoryDefault resets the configuration before answering, so a
// failure is a fault rather than a false success; the Admin restarts
// after returning.
func setSystemFactoryDefault(c *call) (any, error) {
	var hard bool
	switch c.token("FactoryDefault") {
	case "Hard":
		hard = true
	case "Soft":
	default:
		return nil, faultBadValue("Unknown factory default type")
	}
	c.s.state.admin.Lock()
	defer c.s.state.admin.Unlock()
	c.s.log.Warn("onvif: factory default requested", "hard", hard, "by", c.acct)
	if err := c.s.cfg.Admin.FactoryDefault(hard); err != nil {
		return nil, adminErr("SetSystemFactoryDefault", err)
	}
	return empty("tds:SetSystemFactoryDefaultResponse"), nil
}

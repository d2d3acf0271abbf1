package onvif

import (
	"net/url"
	"strings"
)

// scopeItems are the device's fixed ONVIF scopes, shared by GetScopes and
// WS-Discovery. They stay small on purpose: no firmware or serial strings.
func scopeItems(d DeviceInfo) []string {
	items := []string{
		"onvif://www.onvif.org/type/video_encoder",
		"onvif://www.onvif.org/Profile/Streaming",
		"onvif://www.onvif.org/hardware/" + url.PathEscape(d.Model),
		"onvif://www.onvif.org/name/" + url.PathEscape(d.Name),
	}
	if d.Location != "" {
		// A location is a path (country/fr/city/paris): escape per segment.
		segs := strings.Split(strings.Trim(d.Location, "/"), "/")
		for i, s := range segs {
			segs[i] = url.PathEscape(s)
		}
		items = append(items, "onvif://www.onvif.org/location/"+strings.Join(segs, "/"))
	}
	return items
}

// macScope is the MacAddress scope of one interface.
func macScope(hw string) string {
	return "onvif://www.onvif.org/MacAddress/" + url.PathEscape(hw)
}

package config

import "testing"

func TestONVIFValidation(t *testing.T) {
	c := mustParse(t, "onvif:\n  listen: \"8080\"\n")
	checkProblems(t, c.Validate(), []want{{"onvif.listen", 2, "must be host:port"}})
	c = mustParse(t, "onvif:\n  listen: \":70000\"\n")
	checkProblems(t, c.Validate(), []want{{"onvif.listen", 2, "between 1 and 65535"}})
	c = mustParse(t, "rtsp:\n  listen: \":8554\"\nonvif:\n  listen: \"0.0.0.0:8554\"\n")
	checkProblems(t, c.Validate(), []want{{"onvif.listen", 4, "already the RTSP port"}})
	// Disabled: the address is not checked.
	c = mustParse(t, "onvif:\n  enabled: false\n  listen: \"nonsense\"\n")
	if err := c.Validate(); err != nil {
		t.Errorf("disabled onvif: %v", err)
	}
	c = mustParse(t, "onvif:\n  location: \"city/lyon gate\"\n")
	checkProblems(t, c.Validate(), []want{{"onvif.location", 2, "without spaces"}})
	c = mustParse(t, "onvif:\n  discovery: false\n  location: country/fr/city/lyon\n")
	if err := c.Validate(); err != nil || c.ONVIF.DiscoveryEnabled() {
		t.Errorf("discovery false: %v, enabled %v", err, c.ONVIF.DiscoveryEnabled())
	}
	c = mustParse(t, "onvif:\n  motion_sensitivity: 101\n")
	checkProblems(t, c.Validate(), []want{{"onvif.motion_sensitivity", 2, "between 0 (off) and 100"}})
	if Default().ONVIF.Motion() != 50 || (ONVIF{}).Motion() != 50 {
		t.Error("motion default")
	}
	if !Default().ONVIF.DiscoveryEnabled() || !(ONVIF{}).DiscoveryEnabled() || (ONVIF{Enabled: new(bool)}).DiscoveryEnabled() {
		t.Error("discovery defaults: on unless ONVIF or discovery is off")
	}
	if !Default().ONVIF.ONVIFEnabled() || (ONVIF{}).ONVIFEnabled() != true || Default().ONVIF.Listen != ":8080" {
		t.Error("onvif defaults")
	}
}

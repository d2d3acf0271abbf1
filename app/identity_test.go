package app

import (
	"testing"

	"camagent/config"
)

func TestDeviceID(t *testing.T) {
	cfg := config.Default()
	cfg.Device.ID = "gate-3"
	if got := deviceID(cfg); got != "gate-3" {
		t.Errorf("configured id: %q", got)
	}
	for in, want := range map[string]string{
		"10000000ABCDEF01": "cam-10000000abcdef01",
		"":                 "",
		"bad serial/":      "",
	} {
		if got := idFrom("cam-", in); got != want {
			t.Errorf("idFrom(%q) = %q, want %q", in, got, want)
		}
	}
	// Whatever this machine is, the default is a valid id.
	cfg.Device.ID = ""
	probe := config.Default()
	probe.Device.ID = deviceID(cfg)
	if probe.Device.ID == "" || probe.Validate() != nil {
		t.Errorf("default device id %q is not valid", probe.Device.ID)
	}
}

package telemetry

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// BoardIdentity is the device-tree model and serial number ("" where the
// board has no device tree, e.g. a PC).
func BoardIdentity() (model, serial string) {
	return dtString("model"), dtString("serial-number")
}

func dtString(name string) string {
	for _, dir := range []string{"/proc/device-tree", "/sys/firmware/devicetree/base"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			return strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
		}
	}
	return ""
}

// throttled reads the Raspberry Pi firmware's throttling word: the
// downstream kernel's get_throttled attribute, else the mainline rpi_volt
// hwmon under-voltage alarm; nil on other boards.
func throttled() *Throttle {
	if b, err := os.ReadFile("/sys/devices/platform/soc/soc:firmware/get_throttled"); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 16, 32); err == nil {
			t := ParseThrottled(uint32(v))
			return &t
		}
	}
	hw, _ := filepath.Glob("/sys/class/hwmon/hwmon*")
	for _, d := range hw {
		name, _ := os.ReadFile(filepath.Join(d, "name"))
		if strings.TrimSpace(string(name)) != "rpi_volt" {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, "in0_lcrit_alarm")); err == nil {
			uv := strings.TrimSpace(string(b)) == "1"
			t := Throttle{UnderVoltage: uv}
			if uv {
				t.Raw = 1
			}
			return &t
		}
	}
	return nil
}

// ParseThrottled decodes the firmware's bits: 0-3 now, 16-19 since boot.
func ParseThrottled(v uint32) Throttle {
	return Throttle{
		Raw: v, UnderVoltage: v&1 != 0, FreqCapped: v&2 != 0, Throttled: v&4 != 0, SoftTempLimit: v&8 != 0,
		UnderVoltageOccurred: v&(1<<16) != 0, ThrottledOccurred: v&(1<<18) != 0,
	}
}

package telemetry

import "testing"

func TestParseThrottled(t *testing.T) {
	// 0x50005: under-voltage now and since boot, throttled now and since boot.
	got := ParseThrottled(0x50005)
	want := Throttle{Raw: 0x50005, UnderVoltage: true, Throttled: true, UnderVoltageOccurred: true, ThrottledOccurred: true}
	if got != want {
		t.Errorf("ParseThrottled(0x50005) = %+v, want %+v", got, want)
	}
	if got := ParseThrottled(0); got != (Throttle{}) {
		t.Errorf("ParseThrottled(0) = %+v", got)
	}
	if got := ParseThrottled(0xa); !got.FreqCapped || !got.SoftTempLimit || got.UnderVoltage {
		t.Errorf("ParseThrottled(0xa) = %+v", got)
	}
}

package telemetry

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

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

func TestNormalDisconnectIsNotLogged(t *testing.T) {
	rec := func(err error) slog.Record {
		r := slog.NewRecord(time.Time{}, slog.LevelWarn, "", 0)
		r.AddAttrs(slog.Any("error", err))
		return r
	}
	if !normalDisconnect(rec(fmt.Errorf("read tcp: %w", net.ErrClosed))) || !normalDisconnect(rec(io.EOF)) {
		t.Error("a closed connection was logged as a problem")
	}
	if normalDisconnect(rec(errors.New("protocol violation"))) {
		t.Error("a real broker error was dropped")
	}
}

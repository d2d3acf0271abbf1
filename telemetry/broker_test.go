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

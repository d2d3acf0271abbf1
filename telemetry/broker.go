package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// embeddedBroker is the loopback MQTT broker of stand-alone mode.
type embeddedBroker struct {
	srv  *mochi.Server
	addr net.Addr
}

// startEmbedded listens on addr, which must be a loopback address (config
// validation enforces it; this re-checks so no caller can expose it).
func startEmbedded(addr string, log *slog.Logger) (*embeddedBroker, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("embedded MQTT broker: %q is not a loopback address", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("embedded MQTT broker: %w", err)
	}
	srv := mochi.New(&mochi.Options{InlineClient: false, Logger: slog.New(quietHandler{log.Handler(), slog.LevelWarn})})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		l.Close()
		return nil, fmt.Errorf("embedded MQTT broker: %w", err)
	}
	if err := srv.AddListener(listeners.NewNet("loopback", l)); err != nil {
		l.Close()
		return nil, fmt.Errorf("embedded MQTT broker: %w", err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("embedded MQTT broker: %w", err)
	}
	return &embeddedBroker{srv: srv, addr: l.Addr()}, nil
}

func (b *embeddedBroker) URL() string { return "mqtt://" + b.addr.String() }

func (b *embeddedBroker) Close() error { return b.srv.Close() }

// quietHandler passes only records at or above min: the embedded broker
// logs every connection at info level, which would drown the agent's log.
type quietHandler struct {
	slog.Handler
	min slog.Level
}

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h quietHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(a), h.min}
}

func (h quietHandler) WithGroup(n string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(n), h.min}
}

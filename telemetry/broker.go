package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// embeddedBroker is the loopback MQTT broker of stand-alone mode.
type embeddedBroker struct {
	srv    *mochi.Server
	addr   net.Addr
	closed *logGate // shared with the broker's log handler
}

// logGate closes the broker's log: after shut, no record is written, and
// shut waits for the ones being written.
type logGate struct {
	mu     sync.RWMutex
	closed bool
}

func (g *logGate) shut() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
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
	closed := new(logGate)
	srv := mochi.New(&mochi.Options{InlineClient: false, Logger: slog.New(quietHandler{log.Handler(), slog.LevelWarn, closed})})
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
	return &embeddedBroker{srv: srv, addr: l.Addr(), closed: closed}, nil
}

func (b *embeddedBroker) URL() string { return "mqtt://" + b.addr.String() }

// Close stops the broker. mochi does not wait for its per-connection
// goroutines, which log the closed connections a moment later: from here
// on the broker's log is dropped, so nothing is logged after the agent
// said it stopped (and nothing writes to a finished test's log).
func (b *embeddedBroker) Close() error {
	err := b.srv.Close()
	b.closed.shut()
	return err
}

// quietHandler passes only records at or above min: the embedded broker
// logs every connection at info level, which would drown the agent's log.
type quietHandler struct {
	slog.Handler
	min    slog.Level
	closed *logGate // the broker was closed: drop everything
}

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	h.closed.mu.RLock()
	defer h.closed.mu.RUnlock()
	if h.closed.closed || normalDisconnect(r) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

// normalDisconnect: mochi logs every connection that ends by a closed
// socket or EOF (a client leaving, the agent stopping) as a warning with
// an empty message; those are not problems.
func normalDisconnect(r slog.Record) bool {
	normal := false
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && (errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF)) {
			normal = true
			return false
		}
		return true
	})
	return normal
}

func (h quietHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(a), h.min, h.closed}
}

func (h quietHandler) WithGroup(n string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(n), h.min, h.closed}
}

package onvif

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestNoSecretsInLogs drives refusals and successes with debug logging and
// checks no password (nor a digest of one) reaches the log or formatting.
func TestNoSecretsInLogs(t *testing.T) {
	var buf bytes.Buffer
	s := newTestServer(t, func(c *Config) {
		c.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	wrong := newToken("admin", 1)
	wrong.password = "guess-" + passwordOf("admin")
	text := newToken("oper", 2)
	text.text = true
	stale := newToken("viewer", 3)
	stale.created = t0.Add(-time.Hour).Format(time.RFC3339)
	for _, h := range []string{wrong.header(), text.header(), stale.header(), newToken("viewer", 4).header(), newToken("viewer", 5).header()} {
		postSOAP(s, envelope12(h, `<tds:GetUsers/>`))
	}
	logged := buf.String() + fmt.Sprintf("%v %+v %#v", s.users.Load(), s.cfg, s.cfg)
	for _, a := range testAccounts {
		if strings.Contains(logged, a.Password) {
			t.Errorf("password of %s appears:\n%s", a.Name, logged)
		}
	}
	if !strings.Contains(buf.String(), "WS-Security refused") {
		t.Errorf("refusals not logged:\n%s", buf.String())
	}
}

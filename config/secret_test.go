package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const leak = "s3cr3t-Pa55w0rd"

func TestSecretNeverFormatted(t *testing.T) {
	cfg := Default()
	cfg.Users = []User{{Name: "admin", Password: leak, Role: "administrator"}}

	logged := func(h func(*bytes.Buffer) slog.Handler) string {
		var buf bytes.Buffer
		l := slog.New(h(&buf))
		l.Info("config", "cfg", cfg, "ptr", &cfg, "user", cfg.Users[0], "pw", cfg.Users[0].Password)
		return buf.String()
	}
	jsonOut, _ := json.Marshal(cfg)
	yamlOut, _ := yaml.Marshal(cfg)
	short := Default()
	short.Users = []User{{Name: "admin", Password: "short"}}

	outputs := map[string]string{
		"slog json":    logged(func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }),
		"slog text":    logged(func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }),
		"json.Marshal": string(jsonOut),
		"yaml.Marshal": string(yamlOut),
		"validation":   fmt.Sprint(short.Validate()),
	}
	// A variable format lets the test try verbs vet would reject, such as
	// %d on a struct, which still must not print the secret.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for what, arg := range map[string]any{"ptr": cfg, "value": *cfg, "users": cfg.Users, "secret": cfg.Users[0].Password} {
			outputs[verb+" "+what] = fmt.Sprintf(verb, arg)
		}
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, leak) || strings.Contains(out, fmt.Sprintf("%x", leak)) {
				t.Errorf("password leaked: %s", out)
			}
			hexMarker := fmt.Sprintf("%x", "***")
			if name != "validation" && !strings.Contains(out, "***") && !strings.Contains(out, hexMarker) {
				t.Errorf("no redaction marker in %s", out)
			}
		})
	}

	// The one sanctioned path must write the real value.
	b, err := Marshal(cfg)
	if err != nil || !strings.Contains(string(b), leak) {
		t.Errorf("Marshal must persist the password; err=%v", err)
	}
}

func TestSecretEmpty(t *testing.T) {
	var s Secret
	if s.String() != "" || s.LogValue().String() != "" {
		t.Error("an empty secret should format as empty, to show it is unset")
	}
}

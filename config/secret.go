package config

import (
	"fmt"
	"io"
	"log/slog"
)

// LogValue redacts the secret when it is logged as an attribute on its own;
// inside structs the String and MarshalText methods do the same job.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText redacts the secret in encoding/json, yaml.Marshal and the
// slog JSON handler. Persisting the real value is Marshal's job alone, so a
// stray json.Marshal(cfg) in a health report can never leak a password.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Format redacts under every verb. String and GoString alone are not
// enough: for verbs like %d fmt falls back to printing the raw string.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), s.String())
}

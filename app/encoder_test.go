package app

import (
	"log/slog"
	"strings"
	"testing"

	"camagent/config"
	"camagent/media"
)

// On a machine without a V4L2 M2M encoder (this one, and a Raspberry Pi 5),
// auto falls back to software and says why; hardware refuses to start
// rather than silently burning the CPU.
func TestEncoderSelectionWithoutHardware(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	cases := []struct {
		typ, backend, reason, err string
	}{
		{"auto", "openh264", "no hardware encoder, software selected", ""},
		{"software", "openh264", "encoder.type software", ""},
		{"hardware", "", "", "encoder.type hardware"},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			cfg := config.Default()
			cfg.Encoder.Type = c.typ
			enc, reason, err := openEncoder(cfg, media.I420, 320, 240, 30, log)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one naming %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer enc.Close()
			if enc.Backend() != c.backend || !strings.Contains(reason, c.reason) {
				t.Errorf("backend %q reason %q, want %q and a reason containing %q", enc.Backend(), reason, c.backend, c.reason)
			}
			if err := selfTest(enc, media.I420, 320, 240); err != nil {
				t.Errorf("software encoder fails the self-test: %v", err)
			}
		})
	}
}

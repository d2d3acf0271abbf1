package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestValidationErrorFormat(t *testing.T) {
	ve := &ValidationError{File: "cam.yaml", Problems: []Problem{
		{Path: "rtsp.udp_rtp_port", Line: 12, Message: "must be even"},
		{Path: "users[1].password", Message: "too short"},
		{Line: 3, Message: "invalid YAML: oops"},
	}}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"problems", ve, "cam.yaml:12: rtsp.udp_rtp_port: must be even\ncam.yaml: users[1].password: too short\ncam.yaml:3: invalid YAML: oops\n"},
		{"wrapped", fmt.Errorf("load: %w", ve), "cam.yaml:12: rtsp.udp_rtp_port: must be even\ncam.yaml: users[1].password: too short\ncam.yaml:3: invalid YAML: oops\n"},
		{"no file name", &ValidationError{Problems: []Problem{{Path: "a", Line: 2, Message: "m"}}}, "line 2: a: m\n"},
		{"plain error", errors.New("config: open x: no such file"), "config: open x: no such file\n"},
		{"nil", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := FormatProblems(tc.err, &b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
	wantErr := "rtsp.udp_rtp_port (line 12): must be even\nusers[1].password: too short\n(line 3): invalid YAML: oops"
	if ve.Error() != wantErr {
		t.Errorf("Error() =\n%s\nwant\n%s", ve.Error(), wantErr)
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"device", "log", "source", "encoder", "rtsp", "users"}
	tests := []struct{ key, want string }{
		{"rtps", "rtsp"},
		{"user", "users"},
		{"encodr", "encoder"},
		{"Log", "log"},
		{"colour", ""},
		{"x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			got := suggest(tc.key, keys)
			want := ""
			if tc.want != "" {
				want = fmt.Sprintf(" (did you mean %q?)", tc.want)
			}
			if got != want {
				t.Errorf("suggest(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

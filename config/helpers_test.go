package config

import (
	"errors"
	"strings"
	"testing"
)

// checkProblems asserts err is a *ValidationError with exactly the wanted
// problems, in order.
func checkProblems(t *testing.T, err error, wants []want) {
	t.Helper()
	if len(wants) == 0 {
		if err != nil {
			t.Fatalf("unexpected error:\n%v", err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v (%T), want *ValidationError", err, err)
	}
	if len(ve.Problems) != len(wants) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ve.Problems), len(wants), err)
	}
	for i, w := range wants {
		p := ve.Problems[i]
		if p.Path != w.path || p.Line != w.line || !strings.Contains(p.Message, w.msg) {
			t.Errorf("problem %d = {%q, line %d, %q}, want {%q, line %d, containing %q}",
				i, p.Path, p.Line, p.Message, w.path, w.line, w.msg)
		}
	}
}

func mustParse(t *testing.T, yaml string) *Config {
	t.Helper()
	c, err := Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

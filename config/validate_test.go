package config

import (
	"errors"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range validateCases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.yaml)
			err := c.Validate()
			checkProblems(t, err, tc.want)
			var ve *ValidationError
			if errors.As(err, &ve) && ve.File != "test.yaml" {
				t.Errorf("File = %q, want test.yaml", ve.File)
			}
		})
	}
}

func TestValidateWithoutSource(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   []want
	}{
		{"default", func(*Config) {}, nil},
		{"code-built config has line 0", func(c *Config) { c.RTSP.Path = "x"; c.Log.Level = "" }, []want{
			{"log.level", 0, "must be one of"},
			{"rtsp.path", 0, "must start with '/'"},
		}},
		{"nil pointers mean defaults", func(c *Config) { c.RTSP.UDP, c.RTSP.LegacyDigest, c.Encoder.KeyframeOnJoin = nil, nil, nil }, nil},
		{"invalid UTF-8 user name", func(c *Config) { c.Users = []User{{Name: "a\xff", Password: "abcdefgh", Role: "user"}} }, []want{
			{"users[0].name", 0, "1 to 32 characters"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.modify(c)
			checkProblems(t, c.Validate(), tc.want)
		})
	}
}

func TestValidateCopyLosesLinesOnly(t *testing.T) {
	c := mustParse(t, "log:\n  level: loud\n")
	cp := *c
	checkProblems(t, cp.Validate(), []want{{"log.level", 0, "must be one of"}})
	checkProblems(t, c.Validate(), []want{{"log.level", 2, "must be one of"}})
}

func TestValidateNil(t *testing.T) {
	var c *Config
	if err := c.Validate(); err == nil {
		t.Fatal("nil config validated")
	}
}

func TestProblemCap(t *testing.T) {
	c := Default()
	for range maxProblems + 10 {
		c.Users = append(c.Users, User{Name: "", Password: "abcdefgh", Role: "user"})
	}
	var ve *ValidationError
	if !errors.As(c.Validate(), &ve) {
		t.Fatal("want *ValidationError")
	}
	if len(ve.Problems) != maxProblems+1 {
		t.Errorf("got %d problems, want %d plus a truncation note", len(ve.Problems), maxProblems)
	}
}

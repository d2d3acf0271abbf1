package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
	}{
		{"default", func(*Config) {}},
		{"everything changed", func(c *Config) {
			c.Device = Device{ID: "cam.01", Name: "Gate: north #2"}
			c.Log = Log{Level: "debug", Format: "json"}
			c.Source.Type = "file"
			c.Source.File = File{Path: "testdata/sample.h264", FPS: 25}
			c.Encoder.GOP = 50
			c.Encoder.KeyframeOnJoin = ptr(false)
			c.Encoder.KeyframeMinInterval = 1500 * time.Millisecond
			c.RTSP.Listen = "127.0.0.1:554"
			c.RTSP.UDP = ptr(false)
			c.RTSP.DigestAlgorithms = []string{"MD5"}
			c.RTSP.Anonymous = true
			c.Users = []User{
				{Name: "admin", Password: `p@ss: "word" #1`, Role: "administrator"},
				{Name: "ünïcode", Password: " spaced\tand\nnewline ", Role: "user"},
				{Name: "numeric", Password: "12345678", Role: "operator"},
				{Name: "yes", Password: "2001-12-14", Role: "user"},
				{Name: "true", Password: "1_000_000", Role: "user"},
			}
		}},
		{"strings that look like other types", func(c *Config) {
			c.Device.Name = "null"
			c.Device.ID = "1.5"
			c.Users = []User{{Name: "~", Password: "0x10_000", Role: "user"}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.modify(c)
			if err := c.Validate(); err != nil {
				t.Fatalf("test config invalid:\n%v", err)
			}
			b, err := Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(b, "marshal")
			if err != nil {
				t.Fatalf("Parse(Marshal): %v\n%s", err, b)
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("round trip changed the config:\n%s\ngot  %#v\nwant %#v", b, got, c)
			}
			if got.Hash() != c.Hash() {
				t.Error("hash changed on round trip")
			}
		})
	}
}

func TestMarshalNilPointerOmitted(t *testing.T) {
	c := Default()
	c.RTSP.UDP = nil
	b, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("udp:")) {
		t.Errorf("nil pointer written:\n%s", b)
	}
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
}

func TestHash(t *testing.T) {
	a, b := Default(), Default()
	if a.Hash() != b.Hash() || len(a.Hash()) != 64 {
		t.Fatalf("hash not stable: %q %q", a.Hash(), b.Hash())
	}
	b.Users = []User{{Name: "a", Password: "abcdefgh", Role: "user"}}
	c := Default()
	c.Users = []User{{Name: "a", Password: "abcdefgi", Role: "user"}}
	if a.Hash() == b.Hash() || b.Hash() == c.Hash() {
		t.Error("hash ignores a change")
	}
	if strings.ContainsAny(a.Hash(), "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		t.Error("hash should be lower-case hex")
	}
}

package config

import (
	"bytes"
	"os"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics on any input, and that whatever
// parses and validates survives Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		if len(tc.yaml) <= 64<<10 { // a 1 MiB seed would only slow the fuzzer
			f.Add([]byte(tc.yaml))
		}
	}
	for _, tc := range validateCases {
		f.Add([]byte(tc.yaml))
	}
	if b, err := os.ReadFile(examplePath); err == nil {
		f.Add(b)
	}
	if b, err := Marshal(Default()); err == nil {
		f.Add(b)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if c != nil {
				t.Fatal("Parse returned a config with an error")
			}
			return
		}
		if c.Validate() != nil {
			return
		}
		m1, err := Marshal(c)
		if err != nil {
			t.Fatalf("Marshal of a valid config: %v", err)
		}
		c2, err := Parse(m1, "marshal.yaml")
		if err != nil {
			t.Fatalf("Parse(Marshal(c)): %v\n%s", err, m1)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the config:\n%s\n%#v\n%#v", m1, c, c2)
		}
		if err := c2.Validate(); err != nil {
			t.Fatalf("round trip made the config invalid: %v", err)
		}
		if m2, _ := Marshal(c2); !bytes.Equal(m1, m2) {
			t.Fatalf("Marshal not canonical:\n%s\n---\n%s", m1, m2)
		}
	})
}

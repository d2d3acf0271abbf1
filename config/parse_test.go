package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "test.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded, want error; got %+v", c)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			if tc.is != nil {
				if !errors.Is(err, tc.is) {
					t.Fatalf("error = %v, want errors.Is %v", err, tc.is)
				}
				return
			}
			checkProblems(t, err, tc.want)
			var ve *ValidationError
			if errors.As(err, &ve) && ve.File != "test.yaml" {
				t.Errorf("File = %q, want test.yaml", ve.File)
			}
		})
	}
}

func TestParseAtSizeLimit(t *testing.T) {
	data := "device:\n  name: x\n"
	data += strings.Repeat("#", MaxFileSize-len(data))
	if _, err := Parse([]byte(data), "big.yaml"); err != nil {
		t.Fatalf("file of exactly MaxFileSize: %v", err)
	}
}

func TestParseDefaults(t *testing.T) {
	tests := []struct {
		name   string
		yaml   string
		modify func(c *Config) // turns Default() into the expected result
	}{
		{"unset keys keep defaults", "device:\n  name: porch\n", func(c *Config) { c.Device.Name = "porch" }},
		{"empty sections keep defaults", "rtsp: {}\nencoder:\n", func(*Config) {}},
		{"null keeps default", "rtsp:\n  udp: ~\n  max_readers: null\n", func(*Config) {}},
		{"explicit false is kept", "rtsp:\n  udp: false\n  legacy_digest: false\nencoder:\n  keyframe_on_join: false\n", func(c *Config) {
			c.RTSP.UDP, c.RTSP.LegacyDigest, c.Encoder.KeyframeOnJoin = ptr(false), ptr(false), ptr(false)
		}},
		{"explicit zero is kept", "encoder:\n  keyframe_min_interval: 0\n  gop: 0\n", func(c *Config) { c.Encoder.KeyframeMinInterval = 0 }},
		{"explicit zero int is kept for validation", "rtsp:\n  max_readers: 0\n", func(c *Config) { c.RTSP.MaxReaders = 0 }},
		{"list replaces default", "rtsp:\n  digest_algorithms: [MD5]\n", func(c *Config) { c.RTSP.DigestAlgorithms = []string{"MD5"} }},
		{"empty list is nil", "rtsp:\n  digest_algorithms: []\n", func(c *Config) { c.RTSP.DigestAlgorithms = nil }},
		{"durations", "encoder:\n  keyframe_min_interval: 1m30s\n", func(c *Config) { c.Encoder.KeyframeMinInterval = 90 * time.Second }},
		{"integer bases", "encoder:\n  bitrate_kbps: 0x100\n", func(c *Config) { c.Encoder.BitrateKbps = 256 }},
		{"numeric password is a string", "users:\n  - name: a\n    password: 12345678\n", func(c *Config) {
			c.Users = []User{{Name: "a", Password: "12345678", Role: DefaultRole}}
		}},
		{"role defaults to user", "users:\n  - name: a\n    password: abcdefgh\n  - name: b\n    role: operator\n", func(c *Config) {
			c.Users = []User{{Name: "a", Password: "abcdefgh", Role: "user"}, {Name: "b", Role: "operator"}}
		}},
		{"standard tags allowed", "device:\n  name: !!str 42\n", func(c *Config) { c.Device.Name = "42" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustParse(t, tc.yaml)
			want := Default()
			tc.modify(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default does not validate:\n%v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"size", [2]int{c.Source.TestPattern.Width, c.Source.TestPattern.Height}, [2]int{1280, 720}},
		{"fps", c.Source.TestPattern.FPS, 30},
		{"format", c.Source.TestPattern.Format, "I420"},
		{"file fps", c.Source.File.FPS, 30},
		{"encoder", c.Encoder.Type, "auto"},
		{"bitrate", c.Encoder.BitrateKbps, 2000},
		{"effective gop", c.Encoder.EffectiveGOP(c.Source.SourceFPS()), 30},
		{"keyframe on join", c.Encoder.KeyframeOnJoinEnabled(), true},
		{"keyframe interval", c.Encoder.KeyframeMinInterval, 500 * time.Millisecond},
		{"listen", c.RTSP.Listen, ":8554"},
		{"path", c.RTSP.Path, "/stream"},
		{"udp", c.RTSP.UDPEnabled(), true},
		{"rtp port", c.RTSP.UDPRTPPort, 8000},
		{"readers", c.RTSP.MaxReaders, 64},
		{"queue", c.RTSP.WriteQueue, 512},
		{"digest", c.RTSP.DigestAlgorithms, []string{"SHA-256", "MD5"}},
		{"legacy", c.RTSP.LegacyDigestEnabled(), true},
		{"anonymous", c.RTSP.Anonymous, false},
		{"log", c.Log, Log{Level: "info", Format: "text"}},
		{"device", c.Device, Device{Name: "camagent"}},
		{"users", len(c.Users), 0},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	// Defaults must not share state between calls.
	c.RTSP.DigestAlgorithms[0] = "MD5"
	*c.RTSP.UDP = false
	if d := Default(); d.RTSP.DigestAlgorithms[0] != "SHA-256" || !*d.RTSP.UDP {
		t.Error("Default shares slices or pointers between calls")
	}
}

func TestEffectiveValues(t *testing.T) {
	tests := []struct {
		name string
		gop  int
		fps  int
		want int
	}{
		{"zero follows fps", 0, 25, 25},
		{"explicit gop wins", 10, 25, 10},
		{"zero fps clamps to one", 0, 0, 1},
		{"huge fps clamps to max", 0, 1000, 600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Encoder{GOP: tc.gop}).EffectiveGOP(tc.fps); got != tc.want {
				t.Errorf("EffectiveGOP = %d, want %d", got, tc.want)
			}
		})
	}
	var zero Config
	if !zero.RTSP.UDPEnabled() || !zero.RTSP.LegacyDigestEnabled() || !zero.Encoder.KeyframeOnJoinEnabled() {
		t.Error("unset pointer bools must mean the documented default true")
	}
	if got := (Source{Type: "file", File: File{FPS: 12}, TestPattern: TestPattern{FPS: 30}}).SourceFPS(); got != 12 {
		t.Errorf("SourceFPS for file = %d, want 12", got)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("applies defaults", func(t *testing.T) {
		c, err := Load(write("ok.yaml", "rtsp:\n  max_readers: 8\n"))
		if err != nil {
			t.Fatal(err)
		}
		want := Default()
		want.RTSP.MaxReaders = 8
		if !reflect.DeepEqual(c, want) {
			t.Errorf("got %+v, want %+v", c, want)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(dir, "nope.yaml"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("empty path", func(t *testing.T) {
		if _, err := Load(""); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		if _, err := Load(write("empty.yaml", "")); !errors.Is(err, ErrEmpty) {
			t.Errorf("error = %v, want ErrEmpty", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("error = %v, want not a regular file", err)
		}
	})
	t.Run("oversize", func(t *testing.T) {
		p := write("big.yaml", strings.Repeat("#", MaxFileSize+1))
		if _, err := Load(p); !errors.Is(err, ErrTooLarge) {
			t.Errorf("error = %v, want ErrTooLarge", err)
		}
	})
	t.Run("undecodable value is not judged again", func(t *testing.T) {
		_, err := Load(write("pw.yaml", "users:\n  - name: a\n    password: [x]\n"))
		checkProblems(t, err, []want{{"users[0].password", 3, "expected a string"}})
	})
	t.Run("structural and semantic problems together", func(t *testing.T) {
		p := write("bad.yaml", "log:\n  level: loud\nrtsp:\n  udp: maybe\n  max_readers: 0\nextra: 1\n")
		_, err := Load(p)
		checkProblems(t, err, []want{
			{"log.level", 2, "must be one of"},
			{"rtsp.udp", 4, "expected true or false"},
			{"rtsp.max_readers", 5, "between 1 and 1024"},
			{"extra", 6, "unknown key"},
		})
		var ve *ValidationError
		if errors.As(err, &ve) && ve.File != p {
			t.Errorf("File = %q, want %q", ve.File, p)
		}
	})
}

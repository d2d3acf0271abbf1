package config

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const examplePath = "example.yaml"

func TestExampleValidates(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("example.yaml:\n%v", err)
	}
	// The example promises that every value shown is the default; only the
	// file path, which has no default, is filled in for illustration.
	c.Source.File.Path = ""
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("example.yaml values differ from Default():\n%+v\n%+v", c, Default())
	}
	// With the file source selected it must validate too, given a real file.
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "type: testpattern", "type: file", 1)
	s = strings.Replace(s, "/var/lib/camagent/sample.h264", "testdata/sample.h264", 1)
	if err := mustParse(t, s).Validate(); err != nil {
		t.Errorf("example with file source:\n%v", err)
	}
}

// TestExampleCoversEveryKey walks the schema by reflection so that a key
// added to config.go without documentation in example.yaml fails here.
func TestExampleCoversEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	active := map[string]bool{}
	collectPaths(doc.Content[0], "", active)

	for _, p := range schemaPaths(reflect.TypeFor[Config](), "") {
		if active[p] {
			continue
		}
		// The users entry is commented out on purpose (no shippable
		// password), so its keys must appear in the commented sample.
		if leaf, ok := strings.CutPrefix(p, "users[]."); ok {
			re := regexp.MustCompile(`(?m)^#\s+(-\s+)?` + regexp.QuoteMeta(leaf) + `:`)
			if re.Match(data) {
				continue
			}
		}
		// Board lines have no default (they differ per board), so they
		// are shown as commented samples: every key below the last
		// active one must appear in a comment.
		if rest, ok := strings.CutPrefix(p, "board."); ok && commentedSample(data, active, "board", rest) {
			continue
		}
		t.Errorf("example.yaml does not document %s", p)
	}
}

// schemaPaths lists every YAML key path of t, with "[]" for list items.
func schemaPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		key, ok := yamlKey(t.Field(i))
		if !ok {
			continue
		}
		p := joinPath(prefix, key)
		out = append(out, p)
		ft := t.Field(i).Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			if ft.Kind() == reflect.Slice {
				p += "[]"
			}
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Duration]() {
			out = append(out, schemaPaths(ft, p)...)
		}
	}
	return out
}

func collectPaths(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := joinPath(prefix, n.Content[i].Value)
			out[p] = true
			collectPaths(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			collectPaths(c, prefix+"[]", out)
		}
	}
}

func TestSchemaPathsSeesNestedKeys(t *testing.T) {
	paths := schemaPaths(reflect.TypeFor[Config](), "")
	for _, p := range []string{"rtsp.udp_rtp_port", "source.testpattern.format", "users[].password"} {
		if !slices.Contains(paths, p) {
			t.Errorf("schemaPaths misses %s: %v", p, paths)
		}
	}
}

func commentedSample(data []byte, active map[string]bool, prefix, rest string) bool {
	p := prefix
	for _, seg := range strings.Split(rest, ".") {
		p += "." + seg
		if active[p] {
			continue
		}
		if !regexp.MustCompile(`(?m)^\s*#\s*` + regexp.QuoteMeta(seg) + `:`).Match(data) {
			return false
		}
	}
	return true
}

package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder maps a yaml.Node tree onto the Config structs by hand instead of
// using yaml.Node.Decode, because the stock decoder stops at the first
// problem and does not say which YAML path it was at.
type decoder struct {
	ps    *problems
	lines map[string]int
}

var durationType = reflect.TypeFor[time.Duration]()

// decode stores the non-null node n into v. On a type problem v keeps its
// previous (default) value, so Validate can still judge the rest.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	switch {
	case v.Type() == durationType:
		d.duration(n, v, path)
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case v.Kind() == reflect.Slice:
		d.sequence(n, v, path)
	case v.Kind() == reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		if d.decodeOK(n, e.Elem(), path) {
			v.Set(e)
		}
	case v.Kind() == reflect.String:
		if d.scalar(n, path, "a string") {
			v.SetString(n.Value)
		}
	case v.Kind() == reflect.Int:
		d.integer(n, v, path)
	case v.Kind() == reflect.Bool:
		d.boolean(n, v, path)
	case v.Kind() == reflect.Float64:
		d.float(n, v, path)
	default:
		// Only reachable if someone adds a field of a new kind to the schema.
		panic(fmt.Sprintf("config: no YAML decoding for %s at %s", v.Type(), path))
	}
}

// decodeOK decodes and reports whether that added no problem.
func (d *decoder) decodeOK(n *yaml.Node, v reflect.Value, path string) bool {
	before := len(d.ps.list)
	d.decode(n, v, path)
	return len(d.ps.list) == before && !d.ps.truncated
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.ps.addf(path, n.Line, "expected a mapping, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.ps.addf(path, k.Line, "keys must be plain strings, got %s", describe(k))
			continue
		}
		p := joinPath(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.ps.addf(p, k.Line, "duplicate key %s (first at line %d)", quote(k.Value), first)
			continue
		}
		seen[k.Value] = k.Line
		f, ok := fields.index[k.Value]
		if !ok {
			d.ps.addf(p, k.Line, "unknown key %s%s", quote(k.Value), suggest(k.Value, fields.keys))
			continue
		}
		d.lines[p] = k.Line
		if isNull(val) {
			continue // null means "not set": keep the default
		}
		d.decode(val, v.Field(f), p)
	}
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.ps.addf(path, n.Line, "expected a list, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		// nil, not empty, so that Marshal/Parse round trips compare equal.
		v.SetZero()
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = item.Line
		if !isNull(item) {
			d.decode(item, s.Index(i), p)
		}
	}
	v.Set(s)
}

func (d *decoder) integer(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "an integer") {
		return
	}
	var x int64
	if n.ShortTag() != "!!int" || n.Decode(&x) != nil || v.OverflowInt(x) {
		d.ps.addf(path, n.Line, "expected an integer, got %s", describe(n))
		return
	}
	v.SetInt(x)
}

func (d *decoder) float(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "a number") {
		return
	}
	var x float64
	tag := n.ShortTag()
	if (tag != "!!float" && tag != "!!int") || n.Decode(&x) != nil || x != x || x > 1e300 || x < -1e300 {
		d.ps.addf(path, n.Line, "expected a number, got %s", describe(n))
		return
	}
	v.SetFloat(x)
}

func (d *decoder) boolean(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "true or false") {
		return
	}
	var b bool
	// Only true/false: YAML 1.1 words like "yes" or "off" are too easy to
	// misread for a switch that controls authentication.
	if n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.ps.addf(path, n.Line, "expected true or false, got %s", describe(n))
		return
	}
	v.SetBool(b)
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "a duration") {
		return
	}
	if n.ShortTag() == "!!int" && n.Value == "0" {
		v.SetInt(0)
		return
	}
	// A bare number is rejected rather than guessed as seconds or
	// nanoseconds; the unit has to be written out.
	dur, err := time.ParseDuration(n.Value)
	if n.ShortTag() != "!!str" || err != nil {
		d.ps.addf(path, n.Line, `expected a duration with a unit such as "500ms" or "2s", got %s`, describe(n))
		return
	}
	v.SetInt(int64(dur))
}

// scalar reports whether n is a scalar, adding a problem if not. The
// message never quotes the value, so it is safe for Secret fields too.
func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind == yaml.ScalarNode {
		return true
	}
	d.ps.addf(path, n.Line, "expected %s, got %s", want, describe(n))
	return false
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// describe names what the user wrote, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			return "the string " + quote(n.Value)
		}
		return quote(n.Value)
	default:
		return "an alias"
	}
}

// quote bounds echoed user input so a huge key cannot flood the report.
func quote(s string) string {
	const maxRunes = 64
	if r := []rune(s); len(r) > maxRunes {
		return fmt.Sprintf("%q...", string(r[:maxRunes]))
	}
	return fmt.Sprintf("%q", s)
}

// fieldSet is the yaml keys of one struct type.
type fieldSet struct {
	index map[string]int // key -> field index
	keys  []string       // in declaration order, for suggestions
}

func yamlFields(t reflect.Type) fieldSet {
	fs := fieldSet{index: make(map[string]int)}
	for i := range t.NumField() {
		if k, ok := yamlKey(t.Field(i)); ok {
			fs.index[k] = i
			fs.keys = append(fs.keys, k)
		}
	}
	return fs
}

// yamlKey returns the key a struct field is stored under, if any.
func yamlKey(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch tag {
	case "-":
		return "", false
	case "":
		return strings.ToLower(f.Name), true
	}
	return tag, true
}

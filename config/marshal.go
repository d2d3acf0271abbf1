package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Marshal encodes cfg as canonical YAML: every key in schema order, two
// space indentation, no comments. It is the only encoder that writes
// Secret values in clear, because the result is meant for Save. Parsing the
// output yields an equal Config.
func Marshal(cfg *Config) ([]byte, error) {
	if cfg == nil {
		return nil, errors.New("config: marshal: nil configuration")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(encodeNode(reflect.ValueOf(cfg).Elem())); err != nil {
		return nil, fmt.Errorf("config: marshal: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: marshal: %w", err)
	}
	return buf.Bytes(), nil
}

// Hash is the hex SHA-256 of Marshal's output, identifying the running
// configuration in health reports. The input includes the passwords, so a
// published hash lets someone who can guess every other value test password
// guesses offline; share it only with parties trusted with the config.
func (c *Config) Hash() string {
	b, err := Marshal(c)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// encodeNode builds the node tree by reflection, mirroring decoder, so that
// Secret is written through its underlying string rather than its
// redacting methods.
func encodeNode(v reflect.Value) *yaml.Node {
	switch {
	case v.Type() == durationType:
		return scalarNode("!!str", v.Interface().(fmt.Stringer).String())
	case v.Kind() == reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		t := v.Type()
		for i := range t.NumField() {
			key, ok := yamlKey(t.Field(i))
			f := v.Field(i)
			if !ok || f.Kind() == reflect.Pointer && f.IsNil() {
				continue // a nil pointer is "unset"; leaving it out keeps it so
			}
			n.Content = append(n.Content, scalarNode("!!str", key), encodeNode(f))
		}
		return n
	case v.Kind() == reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		// Scalar lists read best inline; lists of mappings do not.
		if v.Len() == 0 || v.Type().Elem().Kind() != reflect.Struct {
			n.Style = yaml.FlowStyle
		}
		for i := range v.Len() {
			n.Content = append(n.Content, encodeNode(v.Index(i)))
		}
		return n
	case v.Kind() == reflect.Pointer:
		return encodeNode(v.Elem())
	case v.Kind() == reflect.String:
		n := scalarNode("!!str", v.String()) // v.String is the raw value, even for Secret
		if needsDoubleQuotes(n.Value) {
			n.Style = yaml.DoubleQuotedStyle
		}
		return n
	case v.Kind() == reflect.Int:
		return scalarNode("!!int", strconv.FormatInt(v.Int(), 10))
	case v.Kind() == reflect.Bool:
		return scalarNode("!!bool", strconv.FormatBool(v.Bool()))
	case v.Kind() == reflect.Float64:
		return scalarNode("!!float", strconv.FormatFloat(v.Float(), 'g', -1, 64))
	}
	panic(fmt.Sprintf("config: no YAML encoding for %s", v.Type()))
}

func scalarNode(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

// needsDoubleQuotes picks double quotes for strings the emitter would
// otherwise write as block scalars or plain text that loses edge spaces;
// double quotes escape anything, so the value reads back byte for byte.
func needsDoubleQuotes(s string) bool {
	return s != strings.TrimSpace(s) || strings.ContainsFunc(s, func(r rune) bool {
		return !unicode.IsPrint(r) && r != ' '
	})
}

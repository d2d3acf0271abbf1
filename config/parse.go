package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds what Load and Parse accept. A real file is a few KiB;
// the cap keeps a corrupt or hostile file from exhausting a small device.
const MaxFileSize = 1 << 20

var (
	// ErrTooLarge reports input over MaxFileSize.
	ErrTooLarge = errors.New("configuration larger than 1 MiB")
	// ErrEmpty reports input with no YAML document. It is an error rather
	// than "all defaults" because an empty file on a camera usually means a
	// truncated write, not an intent.
	ErrEmpty = errors.New("configuration is empty")
)

// Load reads, parses and validates the file at path. A missing file (or an
// empty path) yields an error wrapping fs.ErrNotExist, so the caller can
// decide to run on defaults. Structural problems (unknown keys, wrong
// types) and Validate's problems are reported together in one
// *ValidationError, so one "config check" run shows everything.
func Load(path string) (*Config, error) {
	if path == "" {
		return nil, fmt.Errorf("config: no configuration file given: %w", fs.ErrNotExist)
	}
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	cfg, ps, err := decodeConfig(data, path)
	if err != nil {
		return nil, err
	}
	addSemantic(cfg, ps)
	if err := ps.err(path); err != nil {
		return nil, err
	}
	return cfg, nil
}

// addSemantic appends Validate's problems to the decoding problems ps. A
// value that failed to decode kept its default; judging that default would
// only repeat the complaint, so such paths are skipped.
func addSemantic(cfg *Config, ps *problems) {
	broken := make(map[string]bool, len(ps.list))
	for _, p := range ps.list {
		broken[p.Path] = true
	}
	semantic := &problems{}
	cfg.check(originOf(cfg), semantic)
	for _, p := range semantic.list {
		if !broken[p.Path] {
			ps.add(p)
		}
	}
	ps.truncated = ps.truncated || semantic.truncated
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	// A FIFO or device would block or never end; a directory cannot be read.
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("config: %s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return data, nil
}

// Parse decodes one YAML document onto the defaults. name labels problems
// (usually the file name). It rejects unknown keys, wrong types, duplicate
// keys, anchors and aliases, explicit tags, several documents and input
// over MaxFileSize; structural problems come back as a *ValidationError
// listing each with its YAML path and line. Parse does not call Validate.
func Parse(data []byte, name string) (*Config, error) {
	cfg, ps, err := decodeConfig(data, name)
	if err != nil {
		return nil, err
	}
	if err := ps.err(name); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decodeConfig returns either a fatal error, or a config plus the
// structural problems found, so Load can add Validate's problems to them.
func decodeConfig(data []byte, name string) (*Config, *problems, error) {
	if len(data) > MaxFileSize {
		return nil, nil, fmt.Errorf("config: %s: %w", name, ErrTooLarge)
	}
	root, err := parseDocument(data, name)
	if err != nil {
		return nil, nil, err
	}
	ps := &problems{}
	if checkNodes(root, ps); len(ps.list) > 0 {
		return nil, nil, ps.err(name)
	}
	cfg := Default()
	d := decoder{ps: ps, lines: make(map[string]int)}
	d.decode(root, reflect.ValueOf(cfg).Elem(), "")
	for i := range cfg.Users {
		if cfg.Users[i].Role == "" {
			cfg.Users[i].Role = DefaultRole
		}
	}
	remember(cfg, origin{file: name, lines: d.lines})
	return cfg, ps, nil
}

// parseDocument returns the root node of the single document in data.
func parseDocument(data []byte, name string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config: %s: %w", name, ErrEmpty)
		}
		return nil, syntaxError(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(name, err)
	default:
		return nil, &ValidationError{File: name, Problems: []Problem{{
			Line:    next.Line,
			Message: "more than one YAML document; a configuration holds exactly one",
		}}}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, fmt.Errorf("config: %s: %w", name, ErrEmpty)
	}
	return doc.Content[0], nil
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns the parser's "yaml: line N: msg" into a Problem so
// "config check" prints it like every other problem.
func syntaxError(name string, err error) error {
	p := Problem{Message: "invalid YAML: " + err.Error()}
	if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Message = "invalid YAML: " + m[2]
	}
	return &ValidationError{File: name, Problems: []Problem{p}}
}

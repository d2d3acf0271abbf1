package encode

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"camagent/media"
)

type namedEncoder string

func (n namedEncoder) Encode(*media.Frame, bool) ([][]byte, error) { return nil, nil }
func (n namedEncoder) Backend() string                             { return string(n) }
func (n namedEncoder) Close() error                                { return nil }

func TestNewSelected(t *testing.T) {
	errHW, errSW := errors.New("no hw"), errors.New("no sw")
	hwOK := func(M2MConfig, *slog.Logger) (Encoder, error) { return namedEncoder("hw"), nil }
	hwBad := func(M2MConfig, *slog.Logger) (Encoder, error) { return nil, errHW }
	swOK := func(SoftwareConfig) (Encoder, error) { return namedEncoder("sw"), nil }
	swBad := func(SoftwareConfig) (Encoder, error) { return nil, errSW }
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		mode     string
		hw       func(M2MConfig, *slog.Logger) (Encoder, error)
		sw       func(SoftwareConfig) (Encoder, error)
		want     string
		wantErrs []error
	}{
		{"auto", hwOK, swOK, "hw", nil},
		{"", hwBad, swOK, "sw", nil},
		{"auto", hwBad, swBad, "", []error{errHW, errSW}},
		{"hardware", hwBad, swOK, "", []error{errHW}},
		{"software", hwOK, swOK, "sw", nil},
		{"gpu", hwOK, swOK, "", nil},
	} {
		e, err := newSelected(c.mode, M2MConfig{}, SoftwareConfig{}, quiet, c.hw, c.sw)
		if c.want != "" {
			if err != nil || e.Backend() != c.want {
				t.Errorf("%q: got %v, %v; want %s", c.mode, e, err, c.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: no error", c.mode)
		}
		for _, w := range c.wantErrs {
			if !errors.Is(err, w) {
				t.Errorf("%q: %v does not wrap %v", c.mode, err, w)
			}
		}
	}
}

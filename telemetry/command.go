package telemetry

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

const (
	maxIDLen        = 128
	minNonceLen     = 16
	maxNonceLen     = 128
	maxNonces       = 8192 // replay cache bound; full means refuse, never evict early
	maxRebootDelayS = 3600
)

// RebootArgs are the arguments of the reboot command.
type RebootArgs struct {
	DelayS int `json:"delay_s"` // 0..3600; default 5
}

// ConfigSetArgs are the arguments of config-set: a whole YAML file.
type ConfigSetArgs struct {
	YAML string `json:"yaml"`
}

// request is a command that passed every check.
type request struct {
	name   string
	fleet  bool
	cmd    Command
	reboot RebootArgs
	config ConfigSetArgs
	mode   DayNightArgs
}

// DayNightArgs are the arguments of the daynight command.
type DayNightArgs struct {
	Mode string `json:"mode"` // auto | day | night
}

// refusal is a command that did not; id and replyTo are set when known.
type refusal struct {
	name, id, replyTo string
	errs              []ReplyError
}

func (r *refusal) add(code, format string, args ...any) {
	r.errs = append(r.errs, ReplyError{Code: code, Message: fmt.Sprintf(format, args...)})
}

// parser validates incoming commands. It is used by one goroutine.
type parser struct {
	topics     Topics
	maxPayload int
	key        ed25519.PublicKey // nil: unsigned commands accepted
	maxAge     time.Duration
	nonces     map[string]time.Time // nonce → when it may be forgotten
}

// SigningBytes is what a controller signs for command name: every field
// but the signature, in a fixed order, with the arguments hashed as sent.
func SigningBytes(name string, c Command) []byte {
	sum := sha256.Sum256(c.Args)
	return []byte(strings.Join([]string{"camagent-cmd-" + Version, name, c.Device, c.ID, c.ReplyTo,
		strconv.FormatInt(c.TS, 10), c.Nonce, hex.EncodeToString(sum[:])}, "\n"))
}

// Sign fills c.Sig; used by camctl and tests.
func Sign(key ed25519.PrivateKey, name string, c *Command) {
	c.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(key, SigningBytes(name, *c)))
}

// parse checks topic and payload; exactly one result is non-nil.
func (p *parser) parse(topic string, payload []byte, now time.Time) (*request, *refusal) {
	ref := &refusal{}
	name, fleet, ok := p.route(topic)
	ref.name = name
	if !ok {
		ref.add(ErrCodeWrongDevice, "topic %q is not a command topic of device %q", truncate(topic, 200), p.topics.Device)
		return nil, ref
	}
	if len(payload) > p.maxPayload {
		ref.add(ErrCodeTooLarge, "payload of %d bytes exceeds the limit of %d", len(payload), p.maxPayload)
		return nil, ref
	}
	var c Command
	if err := decodeStrict(payload, &c); err != nil {
		ref.add(ErrCodeMalformed, "payload is not a valid command object: %v", err)
		return nil, ref
	}
	// From here on the reply can go to the requester if the topic is sane.
	if validPublishTopic(c.ReplyTo) && strings.HasPrefix(c.ReplyTo, ReplyPrefix(p.topics.Prefix)) {
		ref.replyTo = c.ReplyTo
	} else {
		ref.add(ErrCodeMalformed, "reply_to must be a topic under %s without wildcards", ReplyPrefix(p.topics.Prefix))
	}
	if c.ID == "" || len(c.ID) > maxIDLen || strings.ContainsFunc(c.ID, notPrintable) {
		ref.add(ErrCodeMalformed, "id must be 1 to %d printable characters", maxIDLen)
	} else {
		ref.id = c.ID
	}
	if !slices.Contains(commands, name) {
		ref.add(ErrCodeUnknown, "unknown command %q; known: %s", truncate(name, 64), strings.Join(commands, ", "))
	}
	if fleet && name != CmdHealth {
		ref.add(ErrCodeInvalid, "only %q may be sent fleet-wide", CmdHealth)
	}
	wantDevice := p.topics.Device
	if fleet {
		wantDevice = FleetID
	}
	if c.Device != "" && c.Device != wantDevice {
		ref.add(ErrCodeWrongDevice, "command is for device %q, this is %q", truncate(c.Device, 64), p.topics.Device)
	}
	if len(ref.errs) > 0 {
		return nil, ref
	}
	if p.key != nil && !p.verify(name, c, wantDevice, now, ref) {
		return nil, ref
	}
	req := &request{name: name, fleet: fleet, cmd: c}
	p.args(req, ref)
	if len(ref.errs) > 0 {
		return nil, ref
	}
	return req, nil
}

// route splits a command topic into its name; ok is false for a topic of
// another device or anything else.
func (p *parser) route(topic string) (name string, fleet, ok bool) {
	own, fl := p.topics.Cmd(""), p.topics.FleetCmd("")
	switch {
	case strings.HasPrefix(topic, own):
		name = topic[len(own):]
	case strings.HasPrefix(topic, fl):
		name, fleet = topic[len(fl):], true
	default:
		return "", false, false
	}
	return name, fleet, name != "" && !strings.Contains(name, "/")
}

func (p *parser) verify(name string, c Command, device string, now time.Time, ref *refusal) bool {
	if c.Sig == "" {
		ref.add(ErrCodeUnsigned, "this device accepts only signed commands")
		return false
	}
	if c.Device != device {
		ref.add(ErrCodeWrongDevice, "a signed command must name the device %q", device)
		return false
	}
	if len(c.Nonce) < minNonceLen || len(c.Nonce) > maxNonceLen || strings.ContainsFunc(c.Nonce, notPrintable) {
		ref.add(ErrCodeMalformed, "nonce must be %d to %d printable characters", minNonceLen, maxNonceLen)
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(c.Sig)
	if err != nil || !ed25519.Verify(p.key, SigningBytes(name, c), sig) {
		ref.add(ErrCodeBadSignature, "signature does not verify with the configured command key")
		return false
	}
	ts := time.Unix(c.TS, 0)
	if d := now.Sub(ts); d > p.maxAge || d < -p.maxAge {
		ref.add(ErrCodeStale, "timestamp is %s away from the device clock (limit %s)", d.Round(time.Second), p.maxAge)
		return false
	}
	if p.nonces == nil {
		p.nonces = map[string]time.Time{}
	}
	if _, seen := p.nonces[c.Nonce]; seen {
		ref.add(ErrCodeReplay, "nonce already used")
		return false
	}
	if len(p.nonces) >= maxNonces {
		for n, until := range p.nonces {
			if now.After(until) {
				delete(p.nonces, n)
			}
		}
		if len(p.nonces) >= maxNonces {
			ref.add(ErrCodeBusy, "too many recent commands; retry later")
			return false
		}
	}
	// A nonce is kept as long as its timestamp is acceptable, so a replay
	// after forgetting it is stale anyway.
	p.nonces[c.Nonce] = ts.Add(p.maxAge)
	return true
}

func (p *parser) args(req *request, ref *refusal) {
	raw := req.cmd.Args
	empty := len(raw) == 0 || string(raw) == "null" || string(bytes.TrimSpace(raw)) == "{}"
	switch req.name {
	case CmdHealth, CmdKeyframe, CmdConfigGet:
		if !empty {
			ref.add(ErrCodeInvalid, "%s takes no arguments", req.name)
		}
	case CmdReboot:
		req.reboot.DelayS = 5
		if !empty {
			if err := decodeStrict(raw, &req.reboot); err != nil {
				ref.add(ErrCodeInvalid, "args: %v", err)
				return
			}
		}
		if d := req.reboot.DelayS; d < 0 || d > maxRebootDelayS {
			ref.add(ErrCodeInvalid, "args.delay_s must be between 0 and %d, got %d", maxRebootDelayS, d)
		}
	case CmdDayNight:
		if err := decodeStrict(raw, &req.mode); err != nil || empty {
			ref.add(ErrCodeInvalid, "args must be {\"mode\": \"auto\" | \"day\" | \"night\"}")
			return
		}
		if m := req.mode.Mode; m != "auto" && m != "day" && m != "night" {
			ref.add(ErrCodeInvalid, "args.mode must be auto, day or night, got %q", truncate(m, 32))
		}
	case CmdConfigSet:
		if err := decodeStrict(raw, &req.config); err != nil || empty {
			ref.add(ErrCodeInvalid, "args must be {\"yaml\": \"<the whole configuration file>\"}")
			return
		}
		if req.config.YAML == "" {
			ref.add(ErrCodeInvalid, "args.yaml is empty")
		}
	}
}

// decodeStrict decodes exactly one JSON object with known fields only.
func decodeStrict(data []byte, v any) error {
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return errors.New("expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func notPrintable(r rune) bool { return !unicode.IsPrint(r) || r == unicode.ReplacementChar }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func secondsDuration(s int) time.Duration { return time.Duration(s) * time.Second }

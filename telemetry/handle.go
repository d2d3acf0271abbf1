package telemetry

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/config"
)

// ErrorTopic receives error replies to commands whose reply_to could not
// be read (malformed or oversized payloads): <prefix>/v1/<device>/error.
func (t Topics) ErrorTopic() string { return t.base() + "/error" }

// handle runs one command on the telemetry goroutine.
func (t *Telemetry) handle(ctx context.Context, m mqtt.Message) {
	req, ref := t.parser.parse(m.Topic(), m.Payload(), t.clk.Now())
	if ref != nil {
		t.log.Warn("MQTT command refused", "topic", truncate(m.Topic(), 200), "id", ref.id, "errors", ref.errs)
		to := ref.replyTo
		if to == "" {
			to = t.topics.ErrorTopic()
		}
		t.reply(to, Reply{ID: ref.id, Cmd: ref.name, Errors: ref.errs})
		return
	}
	c := req.cmd
	t.log.Info("MQTT command", "cmd", req.name, "id", c.ID, "fleet", req.fleet)
	rep := Reply{ID: c.ID, Cmd: req.name, OK: true}
	switch req.name {
	case CmdHealth:
		rep.Result = t.healthJSON()
		if req.fleet {
			t.fleetReply(ctx, c.ReplyTo, rep)
			return
		}
	case CmdKeyframe:
		t.opts.Actions.Keyframe()
	case CmdReboot:
		if err := t.opts.Actions.RebootAvailable(); err != nil {
			rep.OK, rep.Errors = false, []ReplyError{{Code: ErrCodeUnavailable, Message: err.Error()}}
			break
		}
		reason := fmt.Sprintf("reboot requested by command %s", c.ID)
		t.log.Warn("reboot requested", "id", c.ID, "delay_s", req.reboot.DelayS)
		t.Event(EventRebootRequested, map[string]any{"id": c.ID, "delay_s": req.reboot.DelayS})
		t.lastRebootReq = reason
		t.saveState(stateFile{Clean: false, Reason: reason})
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			tm := t.clk.NewTimer(secondsDuration(req.reboot.DelayS))
			defer tm.Stop()
			select {
			case <-ctx.Done():
				return
			case <-tm.C():
			}
			if err := t.opts.Actions.Reboot(reason); err != nil {
				t.log.Error("reboot failed", "err", err)
			}
		}()
		rep.Result, _ = json.Marshal(map[string]any{"delay_s": req.reboot.DelayS})
	case CmdDayNight:
		if err := t.opts.Actions.DayNight(req.mode.Mode); err != nil {
			rep.OK, rep.Errors = false, []ReplyError{{Code: ErrCodeUnavailable, Message: err.Error()}}
			break
		}
		rep.Result, _ = json.Marshal(map[string]string{"mode": req.mode.Mode})
	case CmdConfigGet:
		y, err := t.opts.Actions.ConfigGet()
		if err != nil {
			rep.OK, rep.Errors = false, []ReplyError{{Code: ErrCodeUnavailable, Message: err.Error()}}
			break
		}
		rep.Result, _ = json.Marshal(map[string]string{"yaml": string(y)})
	case CmdConfigSet:
		problems, err := t.opts.Actions.ConfigSet([]byte(req.config.YAML))
		switch {
		case len(problems) > 0:
			rep.OK = false
			for _, p := range problems {
				rep.Errors = append(rep.Errors, ReplyError{Code: ErrCodeInvalid, Message: p})
			}
		case err != nil:
			rep.OK, rep.Errors = false, []ReplyError{{Code: ErrCodeUnavailable, Message: err.Error()}}
		default:
			t.Event(EventConfigChanged, map[string]any{"id": c.ID, "config_hash": t.opts.ConfigHash()})
			// The agent applies it by starting its pipeline again a second
			// from now; viewers and this MQTT session reconnect.
			rep.Result, _ = json.Marshal(map[string]any{"persisted": true, "applying": true})
		}
	}
	t.reply(c.ReplyTo, rep)
}

func (t *Telemetry) reply(topic string, r Reply) {
	r.Schema, r.Device = SchemaReply, t.topics.Device
	b, err := json.Marshal(r)
	if err != nil {
		t.log.Error("reply not encodable", "err", err)
		return
	}
	t.publish(topic, 1, false, b)
}

// fleetReply sends a fleet-wide answer after a random delay below
// FleetJitter; at most maxFleetPending wait at once.
func (t *Telemetry) fleetReply(ctx context.Context, topic string, r Reply) {
	if t.fleetBusy.Add(1) > maxFleetPending {
		t.fleetBusy.Add(-1)
		t.log.Warn("fleet health request dropped: too many pending")
		return
	}
	d := t.jitter(FleetJitter)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		defer t.fleetBusy.Add(-1)
		tm := t.clk.NewTimer(d)
		defer tm.Stop()
		select {
		case <-ctx.Done():
			return
		case <-tm.C():
		}
		t.reply(topic, r)
	}()
}

// stateFile remembers across restarts why the agent last stopped.
type stateFile struct {
	Clean  bool   `json:"clean"`
	Reason string `json:"reason"`
}

func (t *Telemetry) loadState() string {
	if t.stateDir == "" {
		return "unknown"
	}
	b, err := os.ReadFile(filepath.Join(t.stateDir, "state.json"))
	if err != nil {
		return "first start"
	}
	var s stateFile
	if json.Unmarshal(b, &s) != nil || s.Reason == "" {
		return "unknown"
	}
	return s.Reason
}

func (t *Telemetry) saveState(s stateFile) {
	if t.stateDir == "" {
		return
	}
	b, _ := json.Marshal(s)
	if err := config.WriteFileAtomic(filepath.Join(t.stateDir, "state.json"), b, 0o600); err != nil {
		t.log.Warn("cannot save telemetry state", "err", err)
	}
}

// The event sequence survives restarts when there is a store directory,
// so a controller sees one increasing sequence per device.
func (t *Telemetry) loadSeq() uint64 {
	if t.stateDir == "" {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(t.stateDir, "seq"))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n
}

func (t *Telemetry) saveSeq() {
	if t.stateDir == "" {
		return
	}
	if err := config.WriteFileAtomic(filepath.Join(t.stateDir, "seq"), []byte(strconv.FormatUint(t.seq, 10)), 0o600); err != nil {
		t.log.Warn("cannot save event sequence", "err", err)
	}
}

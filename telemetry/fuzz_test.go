package telemetry

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"
)

// FuzzParseCommand: no input panics, and whatever is accepted satisfies
// every documented rule. Seeds are the payloads of the bad-command table.
func FuzzParseCommand(f *testing.F) {
	rt := ReplyPrefix("camagent") + "ctl/x"
	for _, s := range []string{
		`{"id":`, `[1,2]`, `{"id":"1","reply_to":"` + rt + `","x":1}`,
		`{"id":"1","reply_to":"camagent/v1/cam-x/status"}`,
		`{"id":"1","reply_to":"` + rt + `","device":"cam-other"}`,
		`{"id":"1","reply_to":"` + rt + `","args":{"delay_s":-1}}`,
		`{"id":"1","reply_to":"` + rt + `","args":{"delay_s":10}}`,
		`{"id":"1","reply_to":"` + rt + `","args":{"yaml":"a: b"}}`,
		`{"id":"1","reply_to":"` + rt + `","ts":1,"nonce":"0123456789abcdef","sig":"AAAA"}`,
		`{"id":"1","reply_to":"` + rt + `"} trailing`, "\x00", "",
	} {
		for _, name := range append(commands, "x", "") {
			f.Add("camagent/v1/cam-1/cmd/"+name, []byte(s))
		}
		f.Add("camagent/v1/fleet/cmd/health", []byte(s))
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		for _, key := range []ed25519.PublicKey{nil, pub} {
			p := parser{topics: Topics{"camagent", "cam-1"}, maxPayload: 4096, key: key, maxAge: time.Minute}
			req, ref := p.parse(topic, payload, now)
			if (req == nil) == (ref == nil) {
				t.Fatalf("parse returned req=%v ref=%v", req, ref)
			}
			if ref != nil {
				if len(ref.errs) == 0 {
					t.Fatal("refusal without an error")
				}
				if ref.replyTo != "" && !strings.HasPrefix(ref.replyTo, rt[:len(ReplyPrefix("camagent"))]) {
					t.Fatalf("error reply to %q outside the reply tree", ref.replyTo)
				}
				continue
			}
			if key != nil {
				t.Fatalf("accepted without a valid signature: %q", payload)
			}
			if len(payload) > 4096 || !strings.HasPrefix(req.cmd.ReplyTo, ReplyPrefix("camagent")) || req.cmd.ID == "" {
				t.Fatalf("accepted an invalid command: %+v", req)
			}
			if req.fleet && req.name != CmdHealth {
				t.Fatalf("accepted fleet-wide %s", req.name)
			}
			if req.cmd.Device != "" && req.cmd.Device != "cam-1" && !(req.fleet && req.cmd.Device == FleetID) {
				t.Fatalf("accepted a command for device %q", req.cmd.Device)
			}
		}
	})
}

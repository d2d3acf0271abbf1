package onvif

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"camagent/auth"
)

// FuzzEnvelope feeds arbitrary bytes to the envelope parser and the
// WS-Security checks. It must never panic, must answer every refusal with a
// Fault, and a parsed tree must respect the bounds. Seeds: every golden
// request (the Imaging and event ones included) with a token, plus the hostile shapes.
func FuzzEnvelope(f *testing.F) {
	forEachGolden(func(i int, c goldenCase, _ func(*Config)) {
		f.Add([]byte(envelope12(newToken("admin", i).header(), c.body)))
		f.Add([]byte(envelope11("", c.body)))
	})
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`))
	f.Add([]byte(envelope12(`<wsse:Security xmlns:wsse="`+nsWSSE+`"><wsse:UsernameToken><wsse:Username>a</wsse:Username></wsse:UsernameToken></wsse:Security>`, "<tds:GetHostname/>")))
	s := newTestServer(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := parseEnvelope(bytes.NewReader(data))
		if err != nil {
			var fl *Fault
			if !errors.As(err, &fl) {
				t.Fatalf("non-fault error %v", err)
			}
			return
		}
		if depth(env.body) > maxDepth {
			t.Fatalf("tree deeper than %d", maxDepth)
		}
		if env.security != nil {
			if _, err := s.verifyToken(env.security); err == nil && len(data) > 0 {
				// A fuzzer finding a valid digest for a test password would
				// be a SHA-1 preimage; accept only the seeded ones.
				if !bytes.Contains(data, []byte("nonce-")) && !bytes.Contains(data, []byte("bm9uY2")) {
					t.Fatalf("token accepted from fuzzed input")
				}
			}
		}
	})
}

func depth(n *node) int {
	d := 0
	for _, k := range n.kids {
		d = max(d, depth(k))
	}
	return d + 1
}

// adminOps are the operations FuzzAdminOps drives.
var adminOps = []string{"CreateUsers", "DeleteUsers", "SetUser", "SetScopes", "AddScopes", "RemoveScopes",
	"SetDiscoveryMode", "SetSystemDateAndTime", "SystemReboot", "SetSystemFactoryDefault",
	"SetVideoEncoderConfiguration", "GetVideoEncoderConfigurationOptions"}

// FuzzAdminOps feeds request bodies to the administration handlers as an
// administrator. Seeds: the Admin golden requests. A refusal must be a
// Fault and must not have called the Admin; a success must render, and
// the accounts must keep an administrator and the configuration's rules.
func FuzzAdminOps(f *testing.F) {
	for _, c := range adminGoldenCases {
		f.Add([]byte(envelope12("", c.body)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := parseEnvelope(bytes.NewReader(data))
		if err != nil || !containsString(adminOps, env.op.Local) {
			return
		}
		s, fa := newAdminServer(t)
		op, ok := s.ops[env.op]
		if !ok {
			return
		}
		c := &call{s: s.Server, env: env, arg: env.body, base: "http://192.0.2.10:8080", host: "192.0.2.10",
			acct: auth.Account{Name: "admin", Role: auth.RoleAdministrator}, path: DevicePath, ctx: context.Background()}
		resp, err := op.handle(c)
		if err != nil {
			var fl *Fault
			if !errors.As(err, &fl) {
				t.Fatalf("non-fault error %v", err)
			}
			if got := fa.callList(); got != "" {
				t.Fatalf("fault %v after admin calls %s", fl, got)
			}
			return
		}
		if _, err := render(soap12, resp); err != nil {
			t.Fatalf("response does not render: %v", err)
		}
		accts := s.users.Load().accounts()
		if !hasAdministrator(accts) || len(accts) > maxUsers {
			t.Fatalf("%d accounts, administrator %v", len(accts), hasAdministrator(accts))
		}
		for _, a := range accts {
			if checkUserName(a.Name) != nil || checkPassword(userReq{password: a.Password, hasPassword: true}, "Password") != nil {
				t.Fatalf("account %q breaks the rules", a.Name)
			}
		}
		if v := s.video(); v.FPS < 1 || v.FPS > 30 || v.BitrateKbps < 256 || v.BitrateKbps > 8000 || v.GOP < 1 || v.GOP > 120 {
			t.Fatalf("video out of options: %+v", v)
		}
	})
}

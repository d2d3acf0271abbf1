package onvif

import (
	"crypto/rand"
	"encoding/hex"

	"camagent/auth"
)

// users keeps the clear-text passwords PasswordDigest verification needs.
// A table is never modified once built: the Admin operations replace it
// whole (Server.users is an atomic pointer).
// The formatting methods redact them, and nothing here logs them.
type users struct {
	byName map[string]auth.Account
	order  []string // for GetUsers, in configuration order
	dummy  string   // password checked for unknown users so they cost the same
}

func newUsers(accts []auth.Account) *users {
	u := &users{byName: make(map[string]auth.Account, len(accts))}
	for _, a := range accts {
		if _, dup := u.byName[a.Name]; !dup {
			u.order = append(u.order, a.Name)
		}
		u.byName[a.Name] = a
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	u.dummy = hex.EncodeToString(b[:])
	return u
}

func (u *users) String() string   { return "onvif users (redacted)" }
func (u *users) GoString() string { return u.String() }

// verify checks a UsernameToken's digest; the work is the same for unknown
// users. It returns the account without its password.
func (u *users) verify(t *usernameToken) (auth.Account, bool) {
	a, known := u.byName[t.user]
	pw := u.dummy
	if known {
		pw = a.Password
	}
	ok := t.matches(pw)
	if !known || !ok {
		return auth.Account{}, false
	}
	a.Password = ""
	return a, true
}

// list returns the accounts without passwords.
func (u *users) list() []auth.Account {
	out := make([]auth.Account, 0, len(u.order))
	for _, n := range u.order {
		a := u.byName[n]
		a.Password = ""
		out = append(out, a)
	}
	return out
}

// accounts returns a copy of the accounts with their passwords, in order,
// for building a replacement list (admin_users.go). Never log it.
func (u *users) accounts() []auth.Account {
	out := make([]auth.Account, 0, len(u.order))
	for _, n := range u.order {
		out = append(out, u.byName[n])
	}
	return out
}

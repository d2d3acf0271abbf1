package onvif

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"camagent/auth"
)

// Account limits: the agent's configuration rules (config/validate.go),
// advertised in the device service capabilities.
const (
	maxUsers       = 32
	maxUserNameLen = 32  // characters
	minPasswordLen = 8   // characters
	maxPasswordLen = 128 // characters
)

// userReq is one tds:User of CreateUsers or SetUser. The password is
// never logged nor put in a fault.
type userReq struct {
	name, password string
	hasPassword    bool
	level          string
}

func parseUserReqs(arg *node) []userReq {
	var out []userReq
	for _, k := range arg.kids {
		if k.name.Local != "User" {
			continue
		}
		pw := k.child("*", "Password")
		r := userReq{name: k.child("*", "Username").value(), level: k.child("*", "UserLevel").value(), hasPassword: pw != nil}
		if pw != nil {
			r.password = string(pw.text) // passwords are not trimmed
		}
		out = append(out, r)
	}
	return out
}

func checkUserName(n string) *Fault {
	switch {
	case n == "":
		return faultProhibited("UsernameTooShort", "The username is too short")
	case utf8.RuneCountInString(n) > maxUserNameLen:
		return faultProhibited("UsernameTooLong", "The username is too long")
	case !utf8.ValidString(n) || strings.ContainsFunc(n, func(r rune) bool { return r == ':' || r == '"' || unicode.IsControl(r) }):
		return faultBadValue("The username contains a character that is not allowed")
	}
	return nil
}

// checkPassword: weak is the command's subcode for a too weak password
// (CreateUsers: Password, SetUser: PasswordTooWeak).
func checkPassword(r userReq, weak string) *Fault {
	n := utf8.RuneCountInString(r.password)
	switch {
	case !r.hasPassword || n < minPasswordLen:
		return faultProhibited(weak, "Too weak password")
	case n > maxPasswordLen:
		return faultProhibited("PasswordTooLong", "The password is too long")
	}
	return nil
}

func parseUserLevel(s string) (auth.Role, *Fault) {
	switch s {
	case "Administrator":
		return auth.RoleAdministrator, nil
	case "Operator":
		return auth.RoleOperator, nil
	case "User":
		return auth.RoleUser, nil
	case "Anonymous":
		return 0, faultProhibited("AnonymousNotAllowed", "User level anonymous is not allowed")
	}
	return 0, faultBadValue("Unsupported user level")
}

func hasAdministrator(accts []auth.Account) bool {
	for _, a := range accts {
		if a.Role == auth.RoleAdministrator {
			return true
		}
	}
	return false
}

// applyUsers hands the new list to the Admin and, once it is saved,
// replaces the table requests are verified against. The caller holds
// state.admin.
func (c *call) applyUsers(op string, next []auth.Account) error {
	if err := c.s.cfg.Admin.SetUsers(append([]auth.Account(nil), next...)); err != nil {
		return adminErr(op, err)
	}
	c.s.users.Store(newUsers(next))
	c.s.log.Info("onvif: users changed", "op", op, "by", c.acct, "users", len(next))
	return nil
}

// createUsers adds users, all or none (Core "Create users").
func createUsers(c *call) (any, error) {
	reqs := parseUserReqs(c.arg)
	if len(reqs) == 0 {
		return nil, faultInvalidArgs()
	}
	c.s.state.admin.Lock()
	defer c.s.state.admin.Unlock()
	cur := c.s.users.Load().accounts()
	taken := make(map[string]bool, len(cur)+len(reqs))
	for _, a := range cur {
		taken[a.Name] = true
	}
	next := cur
	for _, r := range reqs {
		if f := checkUserName(r.name); f != nil {
			return nil, f
		}
		if taken[r.name] {
			return nil, faultProhibited("UsernameClash", "Username already exists")
		}
		taken[r.name] = true
		role, f := parseUserLevel(r.level)
		if f != nil {
			return nil, f
		}
		if f := checkPassword(r, "Password"); f != nil {
			return nil, f
		}
		next = append(next, auth.Account{Name: r.name, Password: r.password, Role: role})
	}
	if len(next) > maxUsers {
		return nil, faultActionSub("TooManyUsers", "Maximum number of supported users exceeded")
	}
	if err := c.applyUsers("CreateUsers", next); err != nil {
		return nil, err
	}
	return empty("tds:CreateUsersResponse"), nil
}

// deleteUsers removes users, all or none. The caller's own account and
// the last administrator cannot be deleted (ter:FixedUser), so the device
// stays manageable.
func deleteUsers(c *call) (any, error) {
	var names []string
	for _, k := range c.arg.kids {
		if k.name.Local == "Username" {
			names = append(names, k.value())
		}
	}
	if len(names) == 0 {
		return nil, faultInvalidArgs()
	}
	c.s.state.admin.Lock()
	defer c.s.state.admin.Unlock()
	cur := c.s.users.Load().accounts()
	gone := map[string]bool{}
	for _, n := range names {
		if gone[n] {
			return nil, faultBadValue("A username appears more than once")
		}
		known := false
		for _, a := range cur {
			known = known || a.Name == n
		}
		if !known {
			return nil, faultInvalidArgVal("UsernameMissing", "Username not recognized")
		}
		if n == c.acct.Name {
			return nil, faultInvalidArgVal("FixedUser", "Username may not be deleted")
		}
		gone[n] = true
	}
	var next []auth.Account
	for _, a := range cur {
		if !gone[a.Name] {
			next = append(next, a)
		}
	}
	if !hasAdministrator(next) {
		return nil, faultInvalidArgVal("FixedUser", "Username may not be deleted")
	}
	if err := c.applyUsers("DeleteUsers", next); err != nil {
		return nil, err
	}
	return empty("tds:DeleteUsersResponse"), nil
}

// setUser changes passwords and levels, all or none. Core: an omitted
// password means clearing it, which the device cannot accept
// (ter:PasswordTooWeak); demoting the last administrator is ter:FixedUser.
func setUser(c *call) (any, error) {
	reqs := parseUserReqs(c.arg)
	if len(reqs) == 0 {
		return nil, faultInvalidArgs()
	}
	c.s.state.admin.Lock()
	defer c.s.state.admin.Unlock()
	next := c.s.users.Load().accounts()
	seen := map[string]bool{}
	for _, r := range reqs {
		if seen[r.name] {
			return nil, faultBadValue("A username appears more than once")
		}
		seen[r.name] = true
		i := -1
		for j, a := range next {
			if a.Name == r.name {
				i = j
			}
		}
		if i < 0 {
			return nil, faultInvalidArgVal("UsernameMissing", "Username not recognized")
		}
		role, f := parseUserLevel(r.level)
		if f != nil {
			return nil, f
		}
		if f := checkPassword(r, "PasswordTooWeak"); f != nil {
			return nil, f
		}
		next[i].Password, next[i].Role = r.password, role
	}
	if !hasAdministrator(next) {
		return nil, faultInvalidArgVal("FixedUser", "Password or User level may not be changed")
	}
	if err := c.applyUsers("SetUser", next); err != nil {
		return nil, err
	}
	return empty("tds:SetUserResponse"), nil
}

package auth

import (
	"fmt"
	"log/slog"
	"strings"
)

// Role is an ONVIF user level. Roles are ordered: a higher role may do
// everything a lower one may, so callers check with r >= RoleOperator.
type Role int

// The ONVIF user levels, lowest first. The zero value is RoleAnonymous, the
// level of an unauthenticated client; no account may have it and Verify never
// returns it.
const (
	RoleAnonymous Role = iota
	RoleUser
	RoleOperator
	RoleAdministrator
)

var roleNames = [...]string{
	RoleAnonymous:     "anonymous",
	RoleUser:          "user",
	RoleOperator:      "operator",
	RoleAdministrator: "administrator",
}

// String returns the lower-case name ("anonymous", "user", "operator",
// "administrator"), or "role(N)" for a value outside the range.
func (r Role) String() string {
	if r >= 0 && int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// ParseRole parses a role name as written by String, ignoring ASCII case.
// The empty string is an error: defaults belong to the config layer.
func ParseRole(s string) (Role, error) {
	for r, name := range roleNames {
		if strings.EqualFold(s, name) {
			return Role(r), nil
		}
	}
	return RoleAnonymous, fmt.Errorf("auth: unknown role %q (want anonymous, user, operator or administrator)", truncate(s, 32))
}

// Account is a user known to the device. Password is the clear text; Digest
// authentication needs a password-equivalent secret, so NewDigest reduces it
// to per-algorithm HA1 values and does not keep it. Accounts returned by
// Verify have an empty Password.
//
// The formatting methods redact Password, so an Account can be logged.
type Account struct {
	Name     string
	Password string
	Role     Role
}

// String formats the account without its password.
func (a Account) String() string { return a.Name + " (" + a.Role.String() + ")" }

// GoString formats the account for %#v without its password.
func (a Account) GoString() string {
	pw := `""`
	if a.Password != "" {
		pw = `"***"`
	}
	return fmt.Sprintf("auth.Account{Name:%q, Password:%s, Role:%s}", a.Name, pw, a.Role)
}

// LogValue logs the account's name and role, never its password.
func (a Account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", a.Name), slog.String("role", a.Role.String()))
}

// truncate shortens attacker-controlled text before it goes into an error.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

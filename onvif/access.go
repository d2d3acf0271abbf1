package onvif

import "camagent/auth"

// AccessClass is an ONVIF Core access class: what an operation can read or
// change, which the access policy maps to the user levels allowed to call it.
type AccessClass int

// The ONVIF Core access classes.
const (
	PreAuth AccessClass = iota // no authentication: GetSystemDateAndTime, GetServices, ...
	ReadSystem
	ReadSystemSensitive
	ReadSystemSecret
	WriteSystem
	Unrecoverable
	ReadMedia
	Actuate
)

var classNames = [...]string{
	PreAuth: "PRE_AUTH", ReadSystem: "READ_SYSTEM", ReadSystemSensitive: "READ_SYSTEM_SENSITIVE",
	ReadSystemSecret: "READ_SYSTEM_SECRET", WriteSystem: "WRITE_SYSTEM", Unrecoverable: "UNRECOVERABLE",
	ReadMedia: "READ_MEDIA", Actuate: "ACTUATE",
}

func (c AccessClass) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "UNKNOWN"
}

// Allowed is the ONVIF Core default access policy: which user level may
// call operations of class c.
func Allowed(r auth.Role, c AccessClass) bool {
	switch c {
	case PreAuth:
		return true
	case ReadSystem, ReadMedia:
		return r >= auth.RoleUser
	case ReadSystemSensitive, Actuate:
		return r >= auth.RoleOperator
	case ReadSystemSecret, WriteSystem, Unrecoverable:
		return r >= auth.RoleAdministrator
	}
	return false
}

package app

import (
	"crypto/rand"
	"fmt"

	"camagent/auth"
	"camagent/config"
)

// devUser is created when the configuration has no users and anonymous
// viewing is off, so a newcomer can watch at once without a shipped default.
const devUser = "admin"

// accounts maps configured users to auth accounts, generating a one-off
// development account when there are none. generated is its password ("" if none).
func accounts(cfg *config.Config) (accts []auth.Account, generated string, err error) {
	for _, u := range cfg.Users {
		role, err := auth.ParseRole(u.Role)
		if err != nil {
			return nil, "", fmt.Errorf("user %q: %w", u.Name, err)
		}
		accts = append(accts, auth.Account{Name: u.Name, Password: u.Password.Reveal(), Role: role})
	}
	if len(accts) > 0 || cfg.RTSP.Anonymous {
		return accts, "", nil
	}
	generated = randomPassword()
	return []auth.Account{{Name: devUser, Password: generated, Role: auth.RoleAdministrator}}, generated, nil
}

// randomPassword returns 20 characters from an alphabet without look-alikes
// (about 100 bits), easy to paste and to read aloud.
func randomPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		b[i] = alphabet[randIndex(len(alphabet))]
	}
	return string(b)
}

func randIndex(n int) int {
	var buf [1]byte
	for {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		// Rejection sampling keeps the distribution uniform.
		if int(buf[0]) < 256-256%n {
			return int(buf[0]) % n
		}
	}
}

//go:build !linux

package main

import (
	"errors"
	"log/slog"
)

func rebootHook(*slog.Logger) func(reason string) error {
	return func(string) error { return errors.New("reboot is only supported on Linux") }
}

//go:build linux

package main

import (
	"log/slog"

	"golang.org/x/sys/unix"
)

// rebootHook restarts the machine: for the MQTT reboot command and the
// factory reset on a camera board, where the agent runs as root. The
// file systems are synced first; the data partition is the one that matters.
func rebootHook(log *slog.Logger) func(reason string) error {
	return func(reason string) error {
		log.Warn("rebooting the device", "reason", reason)
		unix.Sync()
		return unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	}
}

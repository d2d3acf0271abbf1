//go:build !linux

package capture

import "testing"

// cpuTimer: thread CPU time is only measured on Linux.
func cpuTimer(*testing.B) func() { return func() {} }

//go:build !linux

package device

import "errors"

// GPIO is Linux-only; elsewhere the board has none and its features are off.
type GPIO struct{}

// NewGPIO reports ErrNoGPIO off Linux.
func NewGPIO(consumer string) (*GPIO, error) { return nil, ErrNoGPIO }

func (g *GPIO) Output(ref LineRef, initial bool) (Output, error) { return nil, ErrNoGPIO }
func (g *GPIO) Input(ref LineRef) (Input, error)                 { return nil, ErrNoGPIO }

// OpenWatchdog fails off Linux.
func OpenWatchdog(path string) (WatchdogDevice, error) {
	return nil, errors.New("watchdog: /dev/watchdog is Linux-only")
}

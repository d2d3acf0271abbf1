//go:build !linux

package capture

import "fmt"

func openCtrlDevice(V4L2Config) (ctrlDevice, error) {
	return nil, fmt.Errorf("%w: V4L2 needs Linux", ErrNoDevice)
}

//go:build linux

package capture

import "testing"

// TestV4L2ControlIoctlNumbers pins VIDIOC_G_CTRL and VIDIOC_S_CTRL to the
// C headers' values (the same on every architecture: 8-byte struct).
func TestV4L2ControlIoctlNumbers(t *testing.T) {
	for name, v := range map[string][2]uintptr{"G_CTRL": {vidiocGCtrl, 0xc008561b}, "S_CTRL": {vidiocSCtrl, 0xc008561c}} {
		if v[0] != v[1] {
			t.Errorf("VIDIOC_%s = %#x, C headers say %#x", name, v[0], v[1])
		}
	}
}

package media

import "testing"

func TestNewLentFrame(t *testing.T) {
	buf := make([]byte, 64*48*3/2)
	released := 0
	f, err := NewLentFrame(I420, 60, 48, 64, buf, func() { released++ })
	if err != nil {
		t.Fatal(err)
	}
	if f.Stride != [3]int{64, 32, 32} || &f.Planes[1][0] != &buf[64*48] || &f.Planes[2][0] != &buf[64*48+32*24] {
		t.Errorf("I420 planes: strides %v", f.Stride)
	}
	f.Release()
	f.Release()
	if released != 2 {
		t.Errorf("released %d times, want every Release handed back", released)
	}
	n, err := NewLentFrame(NV12, 64, 48, 64, buf, nil)
	if err != nil || n.Stride != [3]int{64, 64, 0} || &n.Planes[1][0] != &buf[64*48] || len(n.Planes[2]) != 0 {
		t.Errorf("NV12: %v %v", err, n.Stride)
	}
	for _, bad := range []struct {
		f       PixelFormat
		w, h, s int
		n       int
	}{
		{NV12, 64, 48, 32, len(buf)},      // stride below the width
		{NV12, 64, 48, 64, 64*48 + 10},    // no room for chroma
		{I420, 64, 48, 64, 64*48*3/2 - 1}, // one byte short
		{PixelFormat(9), 64, 48, 64, len(buf)},
	} {
		if _, err := NewLentFrame(bad.f, bad.w, bad.h, bad.s, buf[:bad.n], nil); err == nil {
			t.Errorf("%v %dx%d stride %d in %d bytes: accepted", bad.f, bad.w, bad.h, bad.s, bad.n)
		}
	}
}

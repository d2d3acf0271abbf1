package app

import (
	"math"
	"sync/atomic"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// Day/night in luma mode needs the scene's brightness, not the picture's
// detail: every 16th pixel of every 16th row, once a second, is plenty and
// costs about 1/256 of a frame's reads.
const (
	lumaStep  = 16
	lumaEvery = time.Second
)

// lumaMeter estimates the mean luma (0..255) of the raw pictures.
type lumaMeter struct {
	clk   clock.Clock
	next  time.Time
	value atomic.Uint64 // float64 bits; NaN until the first sample
	sink  func(float64) // the day/night switch, or nil
}

func newLumaMeter(clk clock.Clock, sink func(float64)) *lumaMeter {
	m := &lumaMeter{clk: clk, sink: sink}
	m.value.Store(math.Float64bits(math.NaN()))
	return m
}

// Observe samples f at most every lumaEvery; it never retains f. Only
// the encoder goroutine calls it.
func (m *lumaMeter) Observe(f *media.Frame) {
	now := m.clk.Now()
	if now.Before(m.next) || len(f.Planes[0]) < f.Height*f.Stride[0] || f.Width <= 0 || f.Height <= 0 {
		return
	}
	m.next = now.Add(lumaEvery)
	var sum, n int
	y0 := f.Planes[0]
	for y := lumaStep / 2; y < f.Height; y += lumaStep {
		row := y0[y*f.Stride[0]:]
		for x := lumaStep / 2; x < f.Width; x += lumaStep {
			sum += int(row[x])
			n++
		}
	}
	if n == 0 {
		return
	}
	v := float64(sum) / float64(n)
	m.value.Store(math.Float64bits(v))
	if m.sink != nil {
		m.sink(v)
	}
}

// Value is the last mean luma, ok false before the first sample.
func (m *lumaMeter) Value() (float64, bool) {
	v := math.Float64frombits(m.value.Load())
	return v, !math.IsNaN(v)
}

package app

import (
	"sync/atomic"
	"time"

	"camagent/internal/clock"
	"camagent/media"
)

// Motion detection on luma: the picture is cut into a motionCols×motionRows
// grid, each cell's mean luma is estimated from every motionStep-th pixel of
// every motionStep-th row, and a cell "moved" when its mean changed by more
// than the sensitivity's threshold since the previous sample. Motion starts
// after motionOnSamples consecutive moving samples and ends after
// motionHold without one (hysteresis, so a flickering light does not toggle
// the alarm every frame). Samples are taken at most every motionEvery, so
// the encoder goroutine pays a few thousand byte reads ten times a second.
const (
	motionCols      = 16
	motionRows      = 12
	motionStep      = 4
	motionEvery     = 100 * time.Millisecond
	motionOnSamples = 2
	motionHold      = 2 * time.Second
)

// motionDetector is fed by the encoder stage's observer; publish is called
// on every state change (from the encoder goroutine, must not block).
type motionDetector struct {
	clk       clock.Clock
	threshold int // luma levels a cell mean must move
	minCells  int // cells that must move in one sample
	off       bool
	publish   func(bool)

	next       time.Time
	prev, cur  [motionCols * motionRows]int
	have       bool
	streak     int
	active     bool
	lastMotion time.Time
	lastFrame  atomic.Int64 // unix nanoseconds of the newest frame, for signal loss
}

// newMotionDetector maps sensitivity 1..100 to a cell threshold of 42..2
// luma levels and 3..1 moving cells; 0 only tracks the last frame's time.
func newMotionDetector(clk clock.Clock, sensitivity int, publish func(bool)) *motionDetector {
	if sensitivity <= 0 {
		return &motionDetector{clk: clk, off: true, publish: publish}
	}
	sensitivity = min(max(sensitivity, 1), 100)
	cells := 1
	if sensitivity < 34 {
		cells = 3
	} else if sensitivity < 67 {
		cells = 2
	}
	return &motionDetector{clk: clk, threshold: 2 + (100-sensitivity)*40/99, minCells: cells, publish: publish}
}

// Observe samples f at most every motionEvery; it never retains f.
func (m *motionDetector) Observe(f *media.Frame) {
	now := m.clk.Now()
	m.lastFrame.Store(now.UnixNano())
	if m.off || now.Before(m.next) || f.Width < motionCols || f.Height < motionRows {
		return
	}
	m.next = now.Add(motionEvery)
	var sum, n [motionCols * motionRows]int
	y0 := f.Planes[0]
	for y := 0; y < f.Height; y += motionStep {
		row := y0[y*f.Stride[0]:]
		r := y * motionRows / f.Height * motionCols
		for x := 0; x < f.Width; x += motionStep {
			c := r + x*motionCols/f.Width
			sum[c] += int(row[x])
			n[c]++
		}
	}
	m.prev = m.cur
	moved := 0
	for i := range m.cur {
		if n[i] > 0 {
			m.cur[i] = sum[i] / n[i]
		}
		if d := m.cur[i] - m.prev[i]; m.have && (d > m.threshold || -d > m.threshold) {
			moved++
		}
	}
	m.have = true
	if moved >= m.minCells {
		m.streak++
		if m.streak >= motionOnSamples {
			m.lastMotion = now
			if !m.active {
				m.active = true
				m.publish(true)
			}
		}
		return
	}
	m.streak = 0
	if m.active && now.Sub(m.lastMotion) >= motionHold {
		m.active = false
		m.publish(false)
	}
}

package capture

import (
	"sync/atomic"
	"time"
)

// SourceStats is a snapshot of a source's counters. Frames counts pictures
// handed downstream; Dropped counts pictures the source produced a sequence
// number for but could not deliver (no free buffer, or a full queue).
type SourceStats struct {
	Frames, Dropped uint64
	Width, Height   int
	FPS             int
	Format          string
}

// counters is shared by the sources; atomics because Stats is read by other
// goroutines (telemetry, HTTP status) while Run writes.
type counters struct {
	frames  atomic.Uint64
	dropped atomic.Uint64
}

// ptsFor is seq/fps seconds, split so that neither exact rounding nor
// overflow depends on how long the source has been running.
func ptsFor(seq uint64, fps int) time.Duration {
	f := uint64(fps)
	return time.Duration(seq/f)*time.Second + time.Duration((seq%f)*uint64(time.Second)/f)
}

// interval is the ticker period for fps; the truncation error only affects
// pacing (< 1ns per tick), not the timestamps, which come from ptsFor.
func interval(fps int) time.Duration { return time.Second / time.Duration(fps) }

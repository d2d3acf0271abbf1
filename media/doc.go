// Package media owns the value types that flow through the video pipeline:
// raw frames (Frame, FramePool, FrameQueue) and encoded access units
// (AccessUnit, AUPool). It holds no behaviour beyond ownership and bounded
// hand-off, so every stage can import it; media itself imports nothing of ours.
//
// Ownership rule: a stage that receives a *Frame or *AccessUnit must call
// Release exactly once when done with it. Buffers then return to their pool,
// which keeps the steady-state pipeline free of allocations.
package media

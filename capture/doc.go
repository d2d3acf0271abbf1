// Package capture owns the picture sources of the agent: the built-in test
// pattern, an H.264 file played in a loop, and later V4L2 cameras.
//
// Raw sources (TestPattern) hand media.Frame values to a media.FrameQueue for
// the encoder; encoded sources (File) hand media.AccessUnit values straight to
// an AUSink, bypassing the encoder. Every source is paced by an injected
// clock.Clock so tests drive it with clock.Fake, and none of them ever blocks
// on a slow consumer: when there is no room, the picture is dropped and
// counted in SourceStats.
//
// Dependencies: capture is imported by app/ and cmd/. It must not import net
// or any of stream/, encode/, telemetry/, so that a source can be tested and
// replaced without the network side; imports_test.go checks the direct
// imports.
package capture

// Package encode owns H.264 encoding of raw frames: the Encoder interface
// (software OpenH264 now, the V4L2 memory-to-memory hardware encoder later),
// the encoding Stage that moves frames from a bounded queue to a publisher,
// forced keyframes, and the bitstream hygiene every encoder's output gets
// (parameter-set ids normalised, SPS and PPS before every IDR).
//
// Imported by app/ and cmd/. It must not import net, stream/, onvif/ or
// telemetry/: encoded units leave through the Publisher interface.
package encode

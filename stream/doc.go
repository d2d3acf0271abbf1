// Package stream owns the distribution of encoded video: the fan-out Hub
// that hands access units to bounded subscribers, and the RTSP server that
// serves them to viewers with Digest authentication.
//
// Imported by app/ and cmd/. It must not import capture/ or encode/: it sees
// only media.AccessUnit values and a KeyframeRequester.
package stream

// Package telemetry owns the agent's MQTT side: the connection (broker
// failover, TLS, jittered backoff, persistent session with a bounded file
// store), the versioned topic contract of docs/mqtt.md (retained status
// with birth and last will, periodic and on-demand health, sequenced QoS 1
// events, commands with correlated replies), command validation (size,
// JSON, device, Ed25519 signatures with replay refusal) and the embedded
// loopback broker used when no broker is configured.
//
// It knows nothing of capture, encode or stream: the composition root
// (app) hands it a Stats function returning the neutral Pipeline snapshot
// and an Actions implementation for the commands that act on the agent.
// Who may import it: app (to run it) and cmd/camctl (for the message types
// and topic helpers). It imports config (to read its section) and
// internal/clock only.
//
// Publishing never blocks the caller: Event is a non-blocking enqueue into
// a bounded queue whose overflow is counted and reported in health.
package telemetry

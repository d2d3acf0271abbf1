// Command camctl is the controller-side CLI for camagent's MQTT interface
// (docs/mqtt.md): poll health from one device or the fleet, watch live
// health and events, and send commands. It imports telemetry for the
// message types and topic names only, never app or the video packages.
package main

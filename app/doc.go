// Package app is the composition root: it turns a validated configuration
// into running components (source, encoder stage, hub, RTSP server, ONVIF
// server, MQTT telemetry), runs them under one context and stops them together. Only
// cmd/ imports app; app imports every domain package and is imported by
// none. It hands telemetry a neutral stats snapshot and the command
// actions, so telemetry never imports the video packages; likewise ONVIF
// gets the video parameters, the accounts, the Digest verifier and a
// keyframe requester as plain values and small interfaces. The encoder
// stage's raw-frame observer feeds snapshot.go (JPEG copies for
// /onvif/snapshot) and motion.go (MotionAlarm, SignalLoss events);
// discovery.go runs WS-Discovery once the ONVIF server listens.
package app

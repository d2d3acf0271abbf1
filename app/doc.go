// Package app is the composition root: it turns a validated configuration
// into running components (source, encoder stage, hub, RTSP server), runs
// them under one context and stops them together. Only cmd/ imports app;
// app imports every domain package and is imported by none.
package app

// Package config owns the agent's typed YAML configuration: the schema
// (Config and its parts), the documented defaults (Default), strict decoding
// that reports every problem with its YAML path and line (Load, Parse),
// semantic checks (Validate), canonical encoding (Marshal, Hash) and atomic
// persistence (Save, WriteFileAtomic).
//
// Who may import it: cmd/ and app/ load, check and save the configuration;
// domain packages (capture, encode, stream, auth) may import it only to read
// the values they are handed and must never load or mutate it themselves.
// config imports nothing of ours except camagent/internal/..., so it can sit
// at the bottom of the dependency graph.
//
// Semantics worth knowing:
//   - A key left out (or set to null) keeps its default; a key written
//     explicitly keeps its value, even zero, and is then validated. So
//     "keyframe_min_interval: 0" disables rate limiting while
//     "max_readers: 0" is reported instead of silently becoming 64.
//   - Lists given in the file replace the default list; they never merge.
//   - Passwords are Secret values: fmt, slog, encoding/json and yaml.Marshal
//     all print "***". Only Marshal (and so Save and Hash) writes the real
//     value, because persisting it is the one legitimate use.
package config

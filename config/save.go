package config

import "fmt"

// Save validates cfg and writes it atomically to path as canonical YAML
// (comments in an existing file are not kept). A new file gets mode 0600
// because it holds passwords. Refusing to save an invalid config keeps a
// bad API call from leaving the device unable to start.
func Save(path string, cfg *Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("config: save %s: %w", path, err)
	}
	data, err := Marshal(cfg)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, data, 0o600)
}

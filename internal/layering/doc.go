// Package layering holds no code: its test enforces which of our packages
// may import which, so the architecture in README.md cannot rot silently.
package layering

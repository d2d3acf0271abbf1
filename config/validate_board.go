package config

// board reports the device package's own findings under "board.", so they
// carry the YAML line like every other problem.
func (v *validator) board(b Board) {
	for _, p := range b.WithDefaults().Problems() {
		v.bad("board."+p.Path, "%s", p.Message)
	}
}

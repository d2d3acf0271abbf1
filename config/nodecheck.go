package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// standardTags are the only explicit tags accepted; they cannot change how
// a value is read, unlike !!binary or application tags.
var standardTags = map[string]bool{
	"!!str": true, "!!int": true, "!!bool": true, "!!float": true,
	"!!null": true, "!!map": true, "!!seq": true,
}

// checkNodes rejects anchors and aliases anywhere in the tree, before any
// decoding, so an alias bomb is never expanded. Nothing in the schema needs
// them and they make a hand-edited file hard to read.
func checkNodes(root *yaml.Node, ps *problems) {
	w := nodeChecker{ps: ps}
	w.walk(root)
}

// nodeChecker keeps the path as a segment stack and joins it only when
// reporting: the parser allows nesting 10000 deep, and building every
// ancestor's path string eagerly would be quadratic in memory.
type nodeChecker struct {
	ps       *problems
	segs     []string
	reported map[string]bool // "&name" and "*name": one report each, however often used
}

// once reports whether key is seen for the first time.
func (w *nodeChecker) once(key string) bool {
	if w.reported[key] {
		return false
	}
	if w.reported == nil {
		w.reported = make(map[string]bool)
	}
	w.reported[key] = true
	return true
}

func (w *nodeChecker) walk(n *yaml.Node) {
	switch {
	case n.Kind == yaml.AliasNode:
		if w.once("*" + n.Value) {
			w.ps.addf(w.path(), n.Line, "YAML aliases (*%s) are not allowed", n.Value)
		}
		return
	case n.Anchor != "" && w.once("&"+n.Anchor):
		w.ps.addf(w.path(), n.Line, "YAML anchors (&%s) are not allowed", n.Anchor)
	case n.Style&yaml.TaggedStyle != 0 && !standardTags[n.ShortTag()]:
		w.ps.addf(w.path(), n.Line, "YAML tag %s is not allowed", quote(n.Tag))
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			w.walk(k)
			w.segs = append(w.segs, "."+k.Value)
			w.walk(n.Content[i+1])
			w.segs = w.segs[:len(w.segs)-1]
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			w.segs = append(w.segs, "["+strconv.Itoa(i)+"]")
			w.walk(c)
			w.segs = w.segs[:len(w.segs)-1]
		}
	}
}

// path joins the segments, keeping only the tail of absurdly long paths.
func (w *nodeChecker) path() string {
	const maxLen = 200
	var b strings.Builder
	for _, s := range w.segs {
		b.WriteString(s)
	}
	p := strings.TrimPrefix(b.String(), ".")
	if len(p) > maxLen {
		p = "..." + p[len(p)-maxLen:]
		p = strings.ToValidUTF8(p, "")
	}
	return p
}

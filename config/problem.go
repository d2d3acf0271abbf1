package config

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	Path    string // YAML path such as "users[1].password"; empty for document-level problems
	Line    int    // 1-based line in the source file; 0 when unknown
	Message string // never contains a secret value
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Path)
	if p.Line > 0 {
		if p.Path != "" {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "(line %d)", p.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError carries every problem found, so an operator can fix a
// file in one edit instead of one round trip per mistake.
type ValidationError struct {
	File     string // name given to Parse or Load; empty for configs built in code
	Problems []Problem
}

// Error lists one problem per line as "path (line N): message"; the line
// part is left out when the line is unknown.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// maxProblems bounds the report so a hostile or garbage file cannot make
// us build megabytes of messages.
const maxProblems = 100

// problems accumulates Problems with the cap applied.
type problems struct {
	list      []Problem
	truncated bool
}

func (ps *problems) add(p Problem) {
	if len(ps.list) >= maxProblems {
		ps.truncated = true
		return
	}
	ps.list = append(ps.list, p)
}

func (ps *problems) addf(path string, line int, format string, args ...any) {
	ps.add(Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when there is nothing to report. Problems are ordered by
// line so the report reads top to bottom; unknown lines go last.
func (ps *problems) err(file string) error {
	if len(ps.list) == 0 {
		return nil
	}
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b Problem) int {
		return cmp.Compare(sortLine(a.Line), sortLine(b.Line))
	})
	if ps.truncated {
		list = append(list, Problem{Message: fmt.Sprintf("too many problems; only the first %d are shown", maxProblems)})
	}
	return &ValidationError{File: file, Problems: list}
}

func sortLine(l int) int {
	if l <= 0 {
		return int(^uint(0) >> 1)
	}
	return l
}

// FormatProblems writes err for "camagent config check": one problem per
// line as "FILE:LINE: path: message", the form editors and CI annotate.
// Errors that are not a *ValidationError (a missing file, an oversized
// file) become a single "FILE: message" line when the file is known.
func FormatProblems(err error, w io.Writer) error {
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		_, werr := fmt.Fprintln(w, err)
		return werr
	}
	for _, p := range ve.Problems {
		var parts []string
		loc := ve.File
		switch {
		case p.Line > 0 && loc != "":
			loc = fmt.Sprintf("%s:%d", loc, p.Line)
		case p.Line > 0:
			loc = fmt.Sprintf("line %d", p.Line)
		}
		if loc != "" {
			parts = append(parts, loc)
		}
		if p.Path != "" {
			parts = append(parts, p.Path)
		}
		parts = append(parts, p.Message)
		if _, werr := fmt.Fprintln(w, strings.Join(parts, ": ")); werr != nil {
			return werr
		}
	}
	return nil
}

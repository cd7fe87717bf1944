package configs

import "strings"

// Source is where an agent was loaded from and the line of every field path
// in it, so that problems found after decoding (in templates, JSONPath,
// conditions) can still be reported with a line.
type Source struct {
	File  string
	lines map[string]int
}

func newSource(file string) *Source {
	return &Source{File: file, lines: make(map[string]int)}
}

func (s *Source) record(path string, line int) {
	if line > 0 {
		s.lines[path] = line
	}
}

// Line returns the line of path, or of its nearest enclosing path that has
// one; 0 when nothing is known.
func (s *Source) Line(path string) int {
	if s == nil {
		return 0
	}
	for {
		if l, ok := s.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			return s.lines[""]
		}
		path = path[:i]
	}
}

// Problem builds a problem located at path in this source.
func (s *Source) Problem(path, reason string) Problem {
	p := Problem{Path: path, Reason: reason}
	if s != nil {
		p.File = s.File
		p.Line = s.Line(path)
	}
	return p
}

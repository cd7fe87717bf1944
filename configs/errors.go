package configs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every error that reports problems in
// an agent file, so callers can tell a bad file from an unreadable one.
var ErrInvalid = errors.New("invalid agent configuration")

// Problem is one thing wrong with an agent file.
type Problem struct {
	File   string
	Line   int // 0 when the format gives none
	Path   string
	Reason string
	// UnsetEnv names the environment variable a ${VAR} reference needs
	// when that is the whole problem: the variable is unset (or empty)
	// and has no default. See Problems.SplitUnset.
	UnsetEnv string
}

// String formats the problem as file:line: path: reason.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// Problems is every problem found in one or more files; it is the error
// Load returns for an invalid file.
type Problems []Problem

// Error lists the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (ps Problems) Is(target error) bool { return target == ErrInvalid }

// Sort orders problems by file and line, keeping the order of discovery for
// problems on the same line.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}

// Err returns ps as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	ps.Sort()
	return ps
}

// SplitUnset separates the problems of unset environment variables
// (UnsetEnv) from the others. An agent whose only problems are unset
// variables is whole, with their ${VAR} references left as written; each
// service and integration lists them (Unset), and the executor and the
// MCP manager refuse to send a request that needs one. Commands that send
// nothing can run it without the secrets.
func (ps Problems) SplitUnset() (unset, others Problems) {
	for _, p := range ps {
		if p.UnsetEnv != "" {
			unset = append(unset, p)
		} else {
			others = append(others, p)
		}
	}
	return unset, others
}

// AllowUnset returns err without its problems of unset environment
// variables (SplitUnset): nil when those were all. An error that is not
// a Problems error is returned as it is.
func AllowUnset(err error) error {
	var ps Problems
	if !errors.As(err, &ps) {
		return err
	}
	_, others := ps.SplitUnset()
	return others.Err()
}

// AsProblems returns the problems carried by err: those of a Problems error,
// or err itself as a single problem without position.
func AsProblems(err error) Problems {
	if err == nil {
		return nil
	}
	var ps Problems
	if errors.As(err, &ps) {
		return ps
	}
	return Problems{{Reason: err.Error()}}
}

package expr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Path is a compiled JSONPath of the subset the service definitions use:
// $, .key, ['key'], [n], [-n] (from the end), [*] (every item of a list) and
// any nesting of them. It is translated once into a gjson path, so a lookup
// is a single scan of the document.
type Path struct {
	src  string
	gj   string
	list bool // has [*]: the result is a flat list
}

// ParsePath compiles a JSONPath.
func ParsePath(src string) (*Path, error) {
	s := strings.TrimSpace(src)
	if !strings.HasPrefix(s, "$") {
		return nil, errors.New("a JSONPath starts with $, like $.data.id")
	}
	segs, err := pathSegments(s[1:])
	if err != nil {
		return nil, err
	}
	return &Path{src: src, gj: translate(segs), list: hasWildcard(segs)}, nil
}

type segKind uint8

const (
	segKey segKind = iota
	segIndex
	segFromEnd // [-n]: n counts from 1
	segAll
)

type segment struct {
	kind segKind
	key  string
	n    int
}

func pathSegments(s string) ([]segment, error) {
	var segs []segment
	for i := 0; i < len(s); {
		switch s[i] {
		case '.':
			i++
			if i < len(s) && s[i] == '.' {
				return nil, errors.New("recursive descent (..) is not supported")
			}
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			key := s[i:j]
			switch {
			case key == "":
				return nil, fmt.Errorf("empty key at %d", i)
			case key == "*":
				segs = append(segs, segment{kind: segAll})
			case strings.ContainsAny(key, " \t\n'\"()=<>!&|"):
				return nil, fmt.Errorf("key %q needs brackets: ['%s']", key, key)
			default:
				segs = append(segs, segment{kind: segKey, key: key})
			}
			i = j
		case '[':
			seg, n, err := bracket(s[i:])
			if err != nil {
				return nil, err
			}
			segs = append(segs, seg)
			i += n
		default:
			return nil, fmt.Errorf("unexpected %q at %d: use .key or [n]", s[i], i+1)
		}
	}
	return segs, nil
}

// bracket parses one [...] at the start of s.
func bracket(s string) (segment, int, error) {
	if len(s) > 1 && (s[1] == '\'' || s[1] == '"') {
		key, n, err := unquote(s[1:])
		if err != nil {
			return segment{}, 0, err
		}
		if !strings.HasPrefix(s[1+n:], "]") {
			return segment{}, 0, errors.New("expected ] after quoted key")
		}
		if key == "" {
			return segment{}, 0, errors.New("empty key")
		}
		return segment{kind: segKey, key: key}, n + 2, nil
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return segment{}, 0, errors.New("unclosed [")
	}
	inner := strings.TrimSpace(s[1:end])
	switch {
	case inner == "*":
		return segment{kind: segAll}, end + 1, nil
	case strings.HasPrefix(inner, "?"):
		return segment{}, 0, errors.New("filter expressions [?(...)] are not supported")
	case strings.ContainsAny(inner, ":,"):
		return segment{}, 0, fmt.Errorf("slices and unions [%s] are not supported", inner)
	}
	n, err := strconv.Atoi(inner)
	if err != nil || len(inner) > 9 {
		return segment{}, 0, fmt.Errorf("bad index [%s]: want [n], [-n], [*] or ['key']", inner)
	}
	if n < 0 {
		return segment{kind: segFromEnd, n: -n}, end + 1, nil
	}
	return segment{kind: segIndex, n: n}, end + 1, nil
}

// translate writes the gjson path. A [*] followed by more steps is gjson's
// "#." (apply the rest to each item); a trailing [*] is the list itself.
// Each [*] nests the result one level, so all but one are flattened.
func translate(segs []segment) string {
	var parts []string
	lists := 0
	for i, seg := range segs {
		switch seg.kind {
		case segKey:
			parts = append(parts, gjson.Escape(seg.key))
		case segIndex:
			parts = append(parts, strconv.Itoa(seg.n))
		case segFromEnd:
			parts = append(parts, "@reverse", strconv.Itoa(seg.n-1))
		case segAll:
			lists++
			if !allTrailing(segs[i+1:]) {
				parts = append(parts, "#")
			}
		}
	}
	p := strings.Join(parts, ".")
	if p == "" {
		p = "@this"
	}
	for range max(lists-1, 0) {
		p += "|@flatten"
	}
	return p
}

func allTrailing(rest []segment) bool {
	for _, s := range rest {
		if s.kind != segAll {
			return false
		}
	}
	return true
}

func hasWildcard(segs []segment) bool {
	for _, s := range segs {
		if s.kind == segAll {
			return true
		}
	}
	return false
}

// String returns the source JSONPath.
func (p *Path) String() string { return p.src }

// Get evaluates the path on a JSON document. A path that matches nothing,
// including a [*] over an empty list, is Missing.
func (p *Path) Get(doc string) Value {
	r := gjson.Get(doc, p.gj)
	if p.list {
		if !r.IsArray() || len(r.Raw) < 2 || isEmptyArray(r.Raw) {
			return Value{}
		}
	}
	return FromJSON(r)
}

func isEmptyArray(raw string) bool {
	return strings.TrimSpace(raw[1:len(raw)-1]) == ""
}

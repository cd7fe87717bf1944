package expr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Scope resolves the variables of a template or condition. Implementations
// decide precedence (mapped response variables over collected fields over
// system variables); Lookup returns a Missing value for an unknown name.
type Scope interface {
	Lookup(name string) Value
	// Language is "es" or "en"; it names months and days and joins lists.
	Language() string
	// Location is the agent's time zone, used to read dates without one.
	Location() *time.Location
}

// Template is a compiled text with {{name|filter(...)}} placeholders.
type Template struct {
	src   string
	parts []part
}

type part struct {
	lit string
	ph  *Placeholder // nil for a literal part
}

// Placeholder is one {{...}} of a template.
type Placeholder struct {
	Name    string
	filters []filter
}

// Typed reports whether the placeholder ends in a number, integer or boolean
// filter, so that alone in a JSON string it renders as that JSON type.
func (p *Placeholder) Typed() bool {
	if len(p.filters) == 0 {
		return false
	}
	switch p.filters[len(p.filters)-1].kind {
	case fNumber, fInteger, fBoolean:
		return true
	}
	return false
}

// Eval looks the variable up and applies the filters.
func (p *Placeholder) Eval(s Scope) (Value, error) { return p.eval(s, p.filters) }

func (p *Placeholder) eval(s Scope, filters []filter) (Value, error) {
	v := s.Lookup(p.Name)
	for i := range filters {
		var err error
		if v, err = filters[i].apply(v, s); err != nil {
			return Value{}, fmt.Errorf("{{%s}}: %w", p.Name, err)
		}
	}
	return v, nil
}

// appendText appends the placeholder's text. A last filter that produces
// text (format, upper, lower, digits) writes straight into dst.
func (p *Placeholder) appendText(dst []byte, s Scope) ([]byte, error) {
	filters, last := p.filters, (*filter)(nil)
	if n := len(filters); n > 0 && filters[n-1].writesText() {
		filters, last = filters[:n-1], &filters[n-1]
	}
	v, err := p.eval(s, filters)
	if err != nil {
		return dst, err
	}
	if last == nil {
		return v.AppendText(dst, s.Language()), nil
	}
	if dst, err = last.appendText(dst, v, s); err != nil {
		return dst, fmt.Errorf("{{%s}}: %w", p.Name, err)
	}
	return dst, nil
}

// Parse compiles a template. Errors name the column of the problem.
func Parse(src string) (*Template, error) {
	t := &Template{src: src}
	rest, col := src, 1
	for rest != "" {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.parts = append(t.parts, part{lit: rest})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: rest[:i]})
		}
		col += utf8.RuneCountInString(rest[:i])
		end := strings.Index(rest[i:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("column %d: unclosed {{", col)
		}
		inner := rest[i+2 : i+end]
		ph, err := parsePlaceholder(inner)
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", col, err)
		}
		t.parts = append(t.parts, part{ph: ph})
		col += utf8.RuneCountInString(rest[i : i+end+2])
		rest = rest[i+end+2:]
	}
	return t, nil
}

// String returns the source text.
func (t *Template) String() string { return t.src }

// Vars returns the variable names used, in order of first use.
func (t *Template) Vars() []string {
	var names []string
	seen := map[string]bool{}
	for _, p := range t.parts {
		if p.ph != nil && !seen[p.ph.Name] {
			seen[p.ph.Name] = true
			names = append(names, p.ph.Name)
		}
	}
	return names
}

// Single returns the placeholder when the template is exactly one
// placeholder and nothing else, or nil.
func (t *Template) Single() *Placeholder {
	if len(t.parts) == 1 {
		return t.parts[0].ph
	}
	return nil
}

// IsLiteral reports whether the template has no placeholders.
func (t *Template) IsLiteral() bool {
	for _, p := range t.parts {
		if p.ph != nil {
			return false
		}
	}
	return true
}

// Render returns the text of the template.
func (t *Template) Render(s Scope) (string, error) {
	if len(t.parts) == 1 && t.parts[0].ph == nil {
		return t.parts[0].lit, nil
	}
	b, err := t.AppendText(make([]byte, 0, len(t.src)+32), s, nil)
	return string(b), err
}

// RenderLenient renders text for the caller's ears: a placeholder whose
// filter cannot apply (an API date in an unexpected form) shows its value
// unformatted rather than failing the whole message.
func (t *Template) RenderLenient(s Scope) string {
	dst := make([]byte, 0, len(t.src)+32)
	for _, p := range t.parts {
		if p.ph == nil {
			dst = append(dst, p.lit...)
			continue
		}
		start := len(dst)
		var err error
		if dst, err = p.ph.appendText(dst, s); err != nil {
			dst = s.Lookup(p.ph.Name).AppendText(dst[:start], s.Language())
		}
	}
	return string(dst)
}

// AppendText appends the rendered text to dst. When escape is not nil it is
// applied to the text of every placeholder (literal text is kept as is), for
// example to path-escape values in a URL.
func (t *Template) AppendText(dst []byte, s Scope, escape func(dst []byte, s string) []byte) ([]byte, error) {
	for _, p := range t.parts {
		if p.ph == nil {
			dst = append(dst, p.lit...)
			continue
		}
		start := len(dst)
		var err error
		if dst, err = p.ph.appendText(dst, s); err != nil {
			return dst[:start], err
		}
		if escape != nil {
			text := string(dst[start:])
			dst = escape(dst[:start], text)
		}
	}
	return dst, nil
}

// AppendJSON appends the template as a JSON value: a string, or, when it is a
// single typed placeholder (see Placeholder.Typed), a number, a boolean or
// null. Caller text is always escaped as string data.
func (t *Template) AppendJSON(dst []byte, s Scope) ([]byte, error) {
	if ph := t.Single(); ph != nil && ph.Typed() {
		v, err := ph.Eval(s)
		if err != nil {
			return dst, err
		}
		switch v.Kind {
		case Number:
			return append(dst, v.Str...), nil
		case Bool:
			return strconv.AppendBool(dst, v.Bool), nil
		}
		return append(dst, "null"...), nil
	}
	dst = append(dst, '"')
	for _, p := range t.parts {
		if p.ph == nil {
			dst = appendJSONContent(dst, p.lit)
			continue
		}
		start := len(dst)
		var err error
		if dst, err = p.ph.appendText(dst, s); err != nil {
			return dst[:start], err
		}
		if !jsonSafe(dst[start:]) { // rare: quotes, control characters, bad UTF-8
			text := string(dst[start:])
			dst = appendJSONContent(dst[:start], text)
		}
	}
	return append(dst, '"'), nil
}

var errEmptyName = errors.New("empty placeholder: write {{name}}")

func parsePlaceholder(inner string) (*Placeholder, error) {
	segs, err := splitFilters(inner)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(segs[0])
	if name == "" {
		return nil, errEmptyName
	}
	if !isVarName(name) {
		return nil, fmt.Errorf("%q is not a variable name", name)
	}
	ph := &Placeholder{Name: name}
	for _, seg := range segs[1:] {
		f, err := parseFilter(strings.TrimSpace(seg))
		if err != nil {
			return nil, err
		}
		ph.filters = append(ph.filters, f)
	}
	return ph, nil
}

// splitFilters splits at | outside quotes.
func splitFilters(s string) ([]string, error) {
	var segs []string
	start := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
		case c == '\'' || c == '"':
			quote = c
		case c == '|':
			segs = append(segs, s[start:i])
			start = i + 1
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quoted argument")
	}
	return append(segs, s[start:]), nil
}

// isVarName accepts letters, digits, _, . and - with a letter or _ first.
func isVarName(s string) bool { return s != "" && identLen(s) == len(s) }

func isLetter(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127 && !isSpace(r)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x85, 0xA0, '\u2028', '\u2029', '\u3000':
		return true
	}
	return false
}

package expr

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/voiceagent/voiceagent/internal/fieldpath"
)

// Body is a compiled bodyTemplate: a JSON value whose strings may hold
// placeholders. It renders as a JSON document (POST, PUT, PATCH) or as query
// parameters (GET, DELETE). Object keys keep the order of the template.
type Body struct {
	root bodyNode
	uses []VarUse
}

// VarUse is one variable used at one place in a body, like "cita.fecha".
type VarUse struct {
	Name string
	Path string
}

type nodeKind uint8

const (
	nodeLiteral nodeKind = iota // pre-encoded JSON with no placeholder
	nodeText                    // a string with placeholders
	nodeObject
	nodeArray
)

type bodyNode struct {
	kind  nodeKind
	lit   []byte    // nodeLiteral: the JSON encoding
	text  string    // nodeLiteral: the query form of a scalar
	tmpl  *Template // nodeText
	keys  []string  // nodeObject
	items []bodyNode
}

// BodyMember is one key of an ordered object handed to CompileBody.
type BodyMember struct {
	Key   string
	Value any
}

// PathError is a problem at one place inside a compiled structure, such as
// "cita.fecha" in a bodyTemplate.
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *PathError) Unwrap() error { return e.Err }

// NumberLiteral is a JSON number kept as written in the template.
type NumberLiteral string

// CompileBody compiles a decoded bodyTemplate. v is nil, bool, string,
// NumberLiteral, []any, or []BodyMember for an object. Every bad
// placeholder is reported as a PathError relative to the body.
func CompileBody(v any) (*Body, []*PathError) {
	c := &bodyCompiler{}
	b := &Body{root: c.compile(v, "")}
	b.uses = c.uses
	return b, c.errs
}

type bodyCompiler struct {
	uses []VarUse
	errs []*PathError
}

func (c *bodyCompiler) compile(v any, path string) bodyNode {
	switch v := v.(type) {
	case nil:
		return bodyNode{lit: []byte("null")}
	case bool:
		return bodyNode{lit: strconv.AppendBool(nil, v), text: strconv.FormatBool(v)}
	case string:
		t, err := Parse(v)
		if err != nil {
			c.errs = append(c.errs, &PathError{Path: path, Err: err})
			return bodyNode{lit: []byte("null")}
		}
		if t.IsLiteral() {
			return bodyNode{lit: AppendJSONString(nil, v), text: v}
		}
		for _, name := range t.Vars() {
			c.uses = append(c.uses, VarUse{Name: name, Path: path})
		}
		return bodyNode{kind: nodeText, tmpl: t}
	case []any:
		n := bodyNode{kind: nodeArray}
		for i, item := range v {
			n.items = append(n.items, c.compile(item, fieldpath.Index(path, i)))
		}
		return n
	case []BodyMember:
		n := bodyNode{kind: nodeObject}
		for _, m := range v {
			n.keys = append(n.keys, m.Key)
			n.items = append(n.items, c.compile(m.Value, fieldpath.Join(path, m.Key)))
		}
		return n
	case NumberLiteral:
		if _, err := strconv.ParseFloat(string(v), 64); err != nil {
			c.errs = append(c.errs, &PathError{Path: path, Err: fmt.Errorf("bad number %q", string(v))})
			return bodyNode{lit: []byte("null")}
		}
		return bodyNode{lit: []byte(v), text: string(v)}
	}
	c.errs = append(c.errs, &PathError{Path: path, Err: fmt.Errorf("unsupported value of type %T", v)})
	return bodyNode{lit: []byte("null")}
}

// Vars returns the variables the body uses, in order of first use.
func (b *Body) Vars() []string {
	var names []string
	seen := map[string]bool{}
	for _, u := range b.uses {
		if !seen[u.Name] {
			seen[u.Name] = true
			names = append(names, u.Name)
		}
	}
	return names
}

// Uses returns every use of a variable with its place in the body.
func (b *Body) Uses() []VarUse { return b.uses }

// AppendJSON appends the body as a JSON document.
func (b *Body) AppendJSON(dst []byte, s Scope) ([]byte, error) {
	return b.root.appendJSON(dst, s)
}

func (n *bodyNode) appendJSON(dst []byte, s Scope) ([]byte, error) {
	var err error
	switch n.kind {
	case nodeLiteral:
		return append(dst, n.lit...), nil
	case nodeText:
		return n.tmpl.AppendJSON(dst, s)
	case nodeObject:
		dst = append(dst, '{')
		for i := range n.items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, n.keys[i])
			dst = append(dst, ':')
			if dst, err = n.items[i].appendJSON(dst, s); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	default: // nodeArray
		dst = append(dst, '[')
		for i := range n.items {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = n.items[i].appendJSON(dst, s); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
}

// AppendQuery appends the body as URL query parameters, keys in template
// order: nested keys flattened as a.b=, list items repeated as a=1&a=2.
// Values that are missing (an optional field not given) or null are left
// out. dst may already hold parameters; a & is added between them.
func (b *Body) AppendQuery(dst []byte, s Scope) ([]byte, error) {
	return b.root.appendQuery(dst, "", s)
}

func (n *bodyNode) appendQuery(dst []byte, key string, s Scope) ([]byte, error) {
	var err error
	switch n.kind {
	case nodeLiteral:
		if string(n.lit) == "null" {
			return dst, nil
		}
		return appendParam(dst, key, n.text), nil
	case nodeText:
		var v Value
		if ph := n.tmpl.Single(); ph != nil {
			if v, err = ph.Eval(s); err != nil {
				return dst, err
			}
			if v.Kind == Missing || v.Kind == Null {
				return dst, nil
			}
			return appendParam(dst, key, v.Text(s.Language())), nil
		}
		text, err := n.tmpl.Render(s)
		if err != nil {
			return dst, err
		}
		return appendParam(dst, key, text), nil
	case nodeObject:
		for i := range n.items {
			if dst, err = n.items[i].appendQuery(dst, queryKey(key, n.keys[i]), s); err != nil {
				return dst, err
			}
		}
	default: // nodeArray
		for i := range n.items {
			if dst, err = n.items[i].appendQuery(dst, key, s); err != nil {
				return dst, err
			}
		}
	}
	return dst, nil
}

// queryKey flattens nested keys as a.b.
func queryKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func appendParam(dst []byte, key, value string) []byte {
	if len(dst) > 0 && dst[len(dst)-1] != '?' && dst[len(dst)-1] != '&' {
		dst = append(dst, '&')
	}
	dst = append(dst, url.QueryEscape(key)...)
	dst = append(dst, '=')
	return append(dst, url.QueryEscape(value)...)
}

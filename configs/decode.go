package configs

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/internal/fieldpath"
	"github.com/voiceagent/voiceagent/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the work of decoding one file, so that a small file of
// nested aliases cannot expand into an enormous tree.
const maxNodes = 200_000

// maxDepth bounds nesting; no agent needs more.
const maxDepth = 64

// decoder turns a YAML node tree into the schema structs. Unlike a plain
// strict decoder it does not stop at the first problem: it records every one,
// with its line, and the line of every path it visits.
type decoder struct {
	src      *Source
	problems Problems
	nodes    int
	// open are the nodes being decoded, outermost first: an alias to one of
	// them would nest the value in itself forever.
	open []*yaml.Node
}

func (d *decoder) problem(line int, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.src.File, Line: line, Path: path, Reason: fmt.Sprintf(format, args...)})
}

var (
	typePairs    = reflect.TypeFor[Pairs]()
	typeDuration = reflect.TypeFor[Duration]()
	typeFields   = reflect.TypeFor[[]Field]()
)

// decode stores n into v, which must be settable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n, ok := d.enter(n, path)
	if !ok {
		return
	}
	defer d.leave()
	d.decodeNode(n, v, path)
}

// decodeNode is decode for a node already entered.
func (d *decoder) decodeNode(n *yaml.Node, v reflect.Value, path string) {
	d.src.record(path, n.Line)
	if isNull(n) {
		return // an explicit null leaves the zero value: the default
	}
	switch v.Type() {
	case typePairs:
		d.decodePairs(n, v, path)
		return
	case typeDuration:
		d.decodeDuration(n, v, path)
		return
	case typeFields:
		d.decodeFields(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decodeNode(n, elem.Elem(), path)
		v.Set(elem)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.problem(n.Line, path, "expected a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fieldpath.Index(path, i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.problem(n.Line, path, "expected a string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		i, err := strconv.Atoi(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
			d.problem(n.Line, path, "expected a whole number, got %s", describe(n))
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.problem(n.Line, path, "expected true or false, got %s", describe(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case reflect.Interface:
		if x := d.valueOf(n, path); x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		// Unreachable for the schema types; a new field type must be added above.
		d.problem(n.Line, path, "cannot decode into %s", v.Type())
	}
}

// enter resolves n and marks it open while its contents are decoded; it
// refuses an alias to an enclosing value and nesting beyond maxDepth.
func (d *decoder) enter(n *yaml.Node, path string) (*yaml.Node, bool) {
	n, ok := d.resolve(n, path)
	if !ok {
		return nil, false
	}
	if slices.Contains(d.open, n) {
		d.problem(n.Line, path, "an alias refers to a value that contains it")
		return nil, false
	}
	if len(d.open) >= maxDepth {
		d.problem(n.Line, path, "nested more than %d levels deep", maxDepth)
		return nil, false
	}
	d.open = append(d.open, n)
	return n, true
}

func (d *decoder) leave() { d.open = d.open[:len(d.open)-1] }

// resolve follows aliases and charges the node budget.
func (d *decoder) resolve(n *yaml.Node, path string) (*yaml.Node, bool) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.nodes++
	if d.nodes == maxNodes {
		d.problem(n.Line, path, "file too complex: more than %d values after expanding aliases", maxNodes)
	}
	return n, d.nodes < maxNodes
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// entries returns the key/value pairs of a mapping with merge keys (<<)
// expanded; keys written in the mapping itself win over merged ones.
func (d *decoder) entries(n *yaml.Node, path string) [][2]*yaml.Node {
	var own, merged [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag != "!!merge" {
			own = append(own, [2]*yaml.Node{k, v})
			continue
		}
		v, ok := d.resolve(v, path)
		if !ok {
			return nil
		}
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for _, src := range sources {
			src, ok := d.enter(src, path)
			if !ok {
				return nil
			}
			if src.Kind != yaml.MappingNode {
				d.problem(k.Line, path, "<< merges a mapping, got %s", describe(src))
			} else {
				merged = append(merged, d.entries(src, path)...)
			}
			d.leave()
		}
	}
	if len(merged) == 0 {
		return own
	}
	keys := make(map[string]bool, len(own)+len(merged))
	for _, e := range own {
		keys[e[0].Value] = true
	}
	for _, m := range merged {
		if _, ok := d.resolve(m[0], path); !ok {
			return own // out of budget, reported
		}
		if !keys[m[0].Value] {
			keys[m[0].Value] = true
			own = append(own, m)
		}
	}
	return own
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(n.Line, path, "expected a mapping, got %s", describe(n))
		return
	}
	fields := schemaFields(v.Type())
	seen := make(map[string]int)
	for _, e := range d.entries(n, path) {
		k, val := e[0], e[1]
		key := k.Value
		sub := join(path, key)
		if first, dup := seen[key]; dup {
			d.problem(k.Line, sub, "duplicate key (first at line %d)", first)
			continue
		}
		seen[key] = k.Line
		idx, ok := fields[key]
		if !ok {
			d.problem(k.Line, sub, "unknown field %q%s", key, suggest.DidYouMean(key, fieldNames(v.Type())))
			continue
		}
		d.src.record(sub, k.Line)
		d.decode(val, v.Field(idx), sub)
		d.src.record(sub, k.Line) // the key's line, not its value's
	}
}

func (d *decoder) decodePairs(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(n.Line, path, "expected a mapping of names to strings, got %s", kindName(n)) // never echo: headers hold credentials
		return
	}
	var pairs Pairs
	seen := make(map[string]int)
	for _, e := range d.entries(n, path) {
		k, val := e[0], e[1]
		sub := join(path, k.Value)
		d.src.record(sub, k.Line)
		if first, dup := seen[k.Value]; dup {
			d.problem(k.Line, sub, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		val, ok := d.resolve(val, sub)
		if !ok {
			return
		}
		if val.Kind != yaml.ScalarNode || isNull(val) {
			// Never echo the value: these maps hold credentials.
			d.problem(val.Line, sub, "expected a string, got %s", kindName(val))
			continue
		}
		pairs = append(pairs, Pair{Key: k.Value, Value: val.Value})
	}
	v.Set(reflect.ValueOf(pairs))
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode {
		if secs, err := strconv.ParseFloat(n.Value, 64); err == nil && n.Tag != "!!str" {
			v.SetInt(int64(secs * float64(time.Second)))
			return
		}
		if dur, err := time.ParseDuration(n.Value); err == nil {
			v.SetInt(int64(dur))
			return
		}
	}
	d.problem(n.Line, path, "expected a duration like \"10s\" or \"500ms\", got %s", describe(n))
}

// decodeFields accepts, besides field objects, the source document's
// shorthand of a bare name: requiredFields: ["nombre", "email"].
func (d *decoder) decodeFields(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.problem(n.Line, path, "expected a list, got %s", describe(n))
		return
	}
	fields := make([]Field, len(n.Content))
	for i, item := range n.Content {
		sub := fieldpath.Index(path, i)
		item, ok := d.resolve(item, sub)
		if !ok {
			return
		}
		if item.Kind == yaml.ScalarNode && !isNull(item) {
			d.src.record(sub, item.Line)
			fields[i] = Field{Name: item.Value}
			continue
		}
		d.decode(item, reflect.ValueOf(&fields[i]).Elem(), sub)
	}
	v.Set(reflect.ValueOf(fields))
}

// value converts free-form data (a bodyTemplate) keeping the order of keys.
func (d *decoder) value(n *yaml.Node, path string) any {
	n, ok := d.enter(n, path)
	if !ok {
		return nil
	}
	defer d.leave()
	return d.valueOf(n, path)
}

// valueOf is value for a node already entered.
func (d *decoder) valueOf(n *yaml.Node, path string) any {
	d.src.record(path, n.Line)
	switch n.Kind {
	case yaml.MappingNode:
		obj := Object{}
		seen := make(map[string]int)
		for _, e := range d.entries(n, path) {
			sub := join(path, e[0].Value)
			if first, dup := seen[e[0].Value]; dup {
				d.problem(e[0].Line, sub, "duplicate key (first at line %d)", first)
				continue
			}
			seen[e[0].Value] = e[0].Line
			obj = append(obj, Member{Key: e[0].Value, Value: d.value(e[1], sub)})
			d.src.record(sub, e[0].Line)
		}
		return obj
	case yaml.SequenceNode:
		list := make([]any, len(n.Content))
		for i, item := range n.Content {
			list[i] = d.value(item, fieldpath.Index(path, i))
		}
		return list
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		return n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
	case "!!int", "!!float":
		if isJSONNumber(n.Value) {
			return Number(n.Value)
		}
		if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !isInfOrNaN(f) {
			return Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
		d.problem(n.Line, path, "number %s cannot be written as JSON", n.Value)
		return nil
	}
	return n.Value
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func isJSONNumber(s string) bool { return jsonNumber.MatchString(s) }

func isInfOrNaN(f float64) bool { return f != f || f > 1e308 || f < -1e308 }

// schemaFields maps yaml tags to struct field indexes.
func schemaFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" && tag != "-" {
			m[tag] = i
		}
	}
	return m
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" && tag != "-" {
			names = append(names, tag)
		}
	}
	return names
}

// join appends a mapping key to a field path.
func join(path, key string) string { return fieldpath.Join(path, key) }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean"
	case "!!int", "!!float":
		return "a number"
	}
	return "a string"
}

// describe names the kind of a node and, for a short scalar, its text.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		return kindName(n) + " " + strconv.Quote(v)
	}
	return kindName(n)
}

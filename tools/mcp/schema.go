package mcp

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/tidwall/gjson"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/internal/suggest"
)

// maxNesting bounds how deep object properties are flattened into dotted
// field names.
const maxNesting = 3

// service makes a tool of an MCP integration a service the dialog can
// collect fields for and confirm, like any other: its name is the intent,
// its description the reference, its input schema's properties the fields
// (required ones required, the rest optional), nested objects flattened as
// "address.city". A schema it cannot express (arrays, unions, references)
// is an error, and the tool is skipped. Notes say what was left out of a
// tool that is kept.
func service(in *configs.Integration, t *sdk.Tool, lang string) (_ configs.Service, notes []string, _ error) {
	raw, err := json.Marshal(t.InputSchema)
	if err != nil {
		return configs.Service{}, nil, fmt.Errorf("input schema: %w", err)
	}
	var fields []configs.Field
	if err := schemaFields(gjson.ParseBytes(raw), "", true, 0, lang, &fields); err != nil {
		return configs.Service{}, nil, err
	}
	for i := range fields {
		if f := &fields[i]; f.Pattern != "" {
			if _, err := regexp.Compile(f.Pattern); err != nil {
				notes = append(notes, fmt.Sprintf("field %s: its pattern is not one Go can check, so the server alone checks it (%v)", f.Name, err))
				f.Pattern = ""
			}
		}
	}
	reference := t.Description
	if reference == "" {
		reference = t.Title
	}
	s := configs.Service{
		Intent:             t.Name,
		Reference:          reference,
		RequiredFields:     fields,
		Timeout:            in.Timeout,
		ResponseMapping:    in.ResponseMapping,
		ResponseMessage:    in.ResponseMessage,
		ResponseConditions: in.ResponseConditions,
		Integration:        in.Name,
		Path:               "integrations." + in.Name + ".tools." + t.Name,
		MCP:                &configs.MCPTool{Name: t.Name},
	}
	if t.Title != "" {
		s.Examples = []string{t.Title}
	}
	if matchAny(in.Confirm, t.Name) {
		s.Confirmation = &configs.Confirm{Required: true}
	}
	for i := range in.Overrides {
		if o := &in.Overrides[i]; o.Intent == t.Name {
			return s, notes, override(&s, o)
		}
	}
	return s, notes, nil
}

// override applies what the agent file says about a tool over what its
// server says. Problems in it are reported under the override's path.
func override(s *configs.Service, o *configs.Service) error {
	s.Path = o.Path
	if o.Reference != "" {
		s.Reference = o.Reference
	}
	if len(o.Examples) > 0 {
		s.Examples = o.Examples
	}
	if o.Enabled != nil {
		s.Enabled = o.Enabled
	}
	if o.Confirmation != nil {
		s.Confirmation = o.Confirmation
	}
	if o.Timeout != 0 {
		s.Timeout = o.Timeout
	}
	if len(o.ResponseMapping) > 0 {
		s.ResponseMapping = o.ResponseMapping
	}
	if o.ResponseMessage != "" {
		s.ResponseMessage = o.ResponseMessage
	}
	if len(o.ResponseConditions) > 0 {
		s.ResponseConditions = o.ResponseConditions
	}
	for i, of := range o.RequiredFields {
		j := slices.IndexFunc(s.RequiredFields, func(f configs.Field) bool { return f.Name == of.Name })
		if j < 0 {
			names := make([]string, len(s.RequiredFields))
			for k, f := range s.RequiredFields {
				names[k] = f.Name
			}
			return fmt.Errorf("%s.requiredFields[%d]: the tool has no field %q%s (its fields: %s)",
				o.Path, i, of.Name, suggest.DidYouMean(of.Name, names), strings.Join(names, ", "))
		}
		f := &s.RequiredFields[j]
		if of.Type != "" {
			f.Type = of.Type
		}
		if of.Description != "" {
			f.Description = of.Description
		}
		if of.PromptHint != "" {
			f.PromptHint = of.PromptHint
		}
		if len(of.Enum) > 0 {
			for _, e := range of.Enum {
				if len(f.Enum) > 0 && !slices.Contains(f.Enum, e) {
					return fmt.Errorf("%s.requiredFields[%d].enum: the tool does not accept %q (it accepts %s)", o.Path, i, e, strings.Join(f.Enum, ", "))
				}
			}
			f.Enum = of.Enum
		}
		if of.Pattern != "" {
			f.Pattern = of.Pattern
		}
		if of.PII != nil {
			f.PII = of.PII
		}
	}
	return nil
}

// schemaFields appends the fields of an object schema's properties: the
// required ones in the order of its "required" list (servers often list
// properties alphabetically, but write "required" in the order that makes
// sense to ask), then the optional ones as listed.
func schemaFields(obj gjson.Result, prefix string, required bool, depth int, lang string, out *[]configs.Field) error {
	if t := schemaType(obj); t != "object" && t != "" {
		return fmt.Errorf("input schema is a %s, not an object", t)
	}
	props := obj.Get("properties")
	mandatory := map[string]bool{}
	for _, r := range obj.Get("required").Array() {
		key := r.String()
		if mandatory[key] || !props.Get(gjson.Escape(key)).Exists() {
			continue
		}
		mandatory[key] = true
		if err := property(props.Get(gjson.Escape(key)), prefix+key, required, depth, lang, out); err != nil {
			return err
		}
	}
	var err error
	props.ForEach(func(key, prop gjson.Result) bool {
		if !mandatory[key.String()] {
			err = property(prop, prefix+key.String(), false, depth, lang, out)
		}
		return err == nil
	})
	return err
}

func property(prop gjson.Result, name string, required bool, depth int, lang string, out *[]configs.Field) error {
	if i := strings.LastIndexByte(name, '.'); !fieldName(name[i+1:]) {
		return fmt.Errorf("property %q: a field cannot have that name (empty, or with dots, spaces or braces)", name)
	}
	for _, union := range []string{"anyOf", "oneOf", "allOf", "$ref"} {
		if prop.Get(union).Exists() {
			return fmt.Errorf("property %s uses %s, which fields cannot express", name, union)
		}
	}
	f := configs.Field{Name: name, Optional: !required, Description: prop.Get("description").String()}
	if f.Description == "" {
		f.Description = prop.Get("title").String()
	}
	switch t := schemaType(prop); t {
	case "string", "":
		f.Type = configs.TypeString
		switch prop.Get("format").String() {
		case "date":
			f.Type = configs.TypeDate
		case "date-time":
			f.Type = configs.TypeDateTime
		case "time":
			f.Type = configs.TypeTime
		case "email":
			f.Type = configs.TypeEmail
		}
		f.Pattern = prop.Get("pattern").String()
		for _, e := range prop.Get("enum").Array() {
			f.Enum = append(f.Enum, e.String())
		}
		if t == "" && len(f.Enum) == 0 && !prop.Get("properties").Exists() {
			return fmt.Errorf("property %s has no type", name)
		}
		if t == "" && prop.Get("properties").Exists() {
			return nestedObject(prop, name, required, depth, lang, out)
		}
	case "number":
		f.Type = configs.TypeNumber
	case "integer":
		f.Type = configs.TypeInteger
	case "boolean":
		f.Type = configs.TypeBoolean
	case "object":
		return nestedObject(prop, name, required, depth, lang, out)
	default:
		return fmt.Errorf("property %s is of type %s, which fields cannot express", name, t)
	}
	f.PromptHint = promptFor(f, lang)
	*out = append(*out, f)
	return nil
}

func nestedObject(prop gjson.Result, name string, required bool, depth int, lang string, out *[]configs.Field) error {
	if depth+1 >= maxNesting {
		return fmt.Errorf("property %s nests objects more than %d deep", name, maxNesting)
	}
	return schemaFields(prop, name+".", required, depth+1, lang, out)
}

// schemaType is a schema's type; a nullable ["string", "null"] is its
// non-null type, and a list of several types is "union".
func schemaType(s gjson.Result) string {
	t := s.Get("type")
	if !t.IsArray() {
		return t.String()
	}
	var types []string
	for _, x := range t.Array() {
		if x.String() != "null" {
			types = append(types, x.String())
		}
	}
	if len(types) == 1 {
		return types[0]
	}
	return "union"
}

// promptFor asks for a field. A short description that names a thing
// makes the question ("First number" → "What is the first number?"); a
// description that is an instruction or a long explanation does not, and
// the field's name is asked for instead ("resourceType" → "What is the
// resource type?"). Servers describe their tools in English; an agent in
// another language sets its prompts with overrides.
func promptFor(f configs.Field, lang string) string {
	what := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(f.Description), ".?:"))
	if rest, ok := cutPrefixFold(what, "whether "); ok && f.Type == configs.TypeBoolean && lang != "es" {
		return "Do you want " + rest + "?" // "Whether to include an image"
	}
	if !namesAThing(what) {
		what = nameWords(f.Name)
	}
	for _, article := range []string{"the ", "a ", "an "} {
		if rest, ok := cutPrefixFold(what, article); ok {
			what = rest
		}
	}
	if lang == "es" {
		return "¿" + upperFirst(what) + "?"
	}
	if f.Type == configs.TypeBoolean {
		return upperFirst(what) + ": yes or no?"
	}
	return "What is the " + lowerFirst(what) + "?"
}

// namesAThing reports whether a description reads as the name of a value:
// a few words, one phrase, not an instruction or a question.
func namesAThing(desc string) bool {
	words := strings.Fields(desc)
	if len(words) == 0 || len(words) > 8 || strings.ContainsAny(desc, ";?!()'\"") || strings.Contains(desc, ". ") {
		return false
	}
	switch strings.ToLower(words[0]) {
	case "choose", "select", "pick", "enter", "provide", "specify", "set", "use", "return", "returns", "simulate", "if",
		"how", "what", "which", "when", "where", "who", "why", "whether", "optional", "required", "must", "should":
		return false
	}
	return true
}

// nameWords spells a field's name as words: "resourceType", "resource_type"
// and "contact.email" are "resource type" and "contact email".
func nameWords(name string) string {
	var b strings.Builder
	prev := rune(0)
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == '.':
			r = ' '
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			b.WriteByte(' ')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
		prev = r
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func upperFirst(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return string(unicode.ToUpper(r[0])) + string(r[1:])
}

// lowerFirst lowers the first letter unless it starts an acronym ("ID").
func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) == 0 || len(r) > 1 && unicode.IsUpper(r[1]) {
		return s
	}
	return string(unicode.ToLower(r[0])) + string(r[1:])
}

// matchAny reports whether a tool name matches one of the globs.
func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// selected applies an integration's include and exclude globs.
func selected(in *configs.Integration, name string) bool {
	if len(in.Include) > 0 && !matchAny(in.Include, name) {
		return false
	}
	return !matchAny(in.Exclude, name)
}

// fieldName reports whether a property name can be a field name (nested
// ones are joined with dots, and templates use them between braces).
func fieldName(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".{} \t\n\r")
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

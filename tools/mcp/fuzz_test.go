package mcp

import (
	"encoding/json"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/voiceagent/voiceagent/configs"
)

// FuzzSchema maps arbitrary input schemas from a server: never a panic,
// and every field it makes has a name, a known type and a prompt.
func FuzzSchema(f *testing.F) {
	f.Add(`{"type": "object", "properties": {"a": {"type": "number", "description": "First number"}}, "required": ["a"]}`)
	f.Add(`{"type": "object", "properties": {"c": {"type": "object", "properties": {"e": {"type": "string", "format": "email"}}, "required": ["e"]}}}`)
	f.Add(`{"type": "object", "properties": {"z": {"enum": ["x", "y"]}, "n": {"type": ["string", "null"]}}, "required": ["z", "z", "q"]}`)
	f.Add(`{"type": "object", "properties": {"t": {"type": "array"}}}`)
	f.Add(`{"properties": {"a.b": {"type": "string"}, "": {"type": "integer"}}}`)
	plain := &configs.Integration{Name: "x", Confirm: []string{"*"}}
	overridden := &configs.Integration{Name: "x", Overrides: []configs.Service{{Intent: "t",
		RequiredFields: []configs.Field{{Name: "a", PromptHint: "A?", Enum: []string{"x"}}}}}}
	f.Fuzz(func(t *testing.T, schema string) {
		if !json.Valid([]byte(schema)) {
			return
		}
		for _, c := range []struct {
			in   *configs.Integration
			lang string
		}{{plain, "en"}, {plain, "es"}, {overridden, "en"}} {
			in, lang := c.in, c.lang
			svc, _, err := service(in, &sdk.Tool{Name: "t", InputSchema: json.RawMessage(schema)}, lang)
			if err != nil {
				continue
			}
			for _, fl := range svc.RequiredFields {
				if fl.Name == "" || strings.Trim(fl.Name, ".") != fl.Name || strings.Contains(fl.Name, "..") || fl.PromptHint == "" || !validType(fl.Type) {
					t.Fatalf("field %+v from %s", fl, schema)
				}
			}
		}
	})
}

func validType(t string) bool {
	for _, ft := range configs.FieldTypes {
		if t == ft {
			return true
		}
	}
	return false
}

package tools

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/voiceagent/voiceagent/configs"
)

// MethodMCP is the Method of a request to an MCP tool.
const MethodMCP = "MCP"

// toolRequest renders the call of an MCP tool: the collected fields as its
// typed arguments, dotted names nested ("address.city"). A value that is
// not of its field's type is an error, never sent as something else.
func (s *Service) toolRequest(in Input) (*Request, error) {
	args, err := arguments(s.RequiredFields, in.Fields)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRender, err)
	}
	body, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("%w: arguments: %v", ErrRender, err)
	}
	return &Request{Method: MethodMCP, URL: s.ToolURL(), Body: body, svc: s}, nil
}

// ToolURL names an MCP tool as its requests show it: mcp://INTEGRATION/TOOL.
func (s *Service) ToolURL() string { return "mcp://" + s.Integration + "/" + s.MCP.Name }

// arguments nests dotted names and types numbers, integers and booleans
// as JSON numbers and booleans.
func arguments(fields []configs.Field, values map[string]string) (map[string]any, error) {
	args := map[string]any{}
	for _, f := range fields {
		v, ok := values[f.Name]
		if !ok {
			continue
		}
		parts := strings.Split(f.Name, ".")
		obj := args
		for _, p := range parts[:len(parts)-1] {
			next, ok := obj[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				obj[p] = next
			}
			obj = next
		}
		typedValue, err := typed(f.Type, v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		obj[parts[len(parts)-1]] = typedValue
	}
	return args, nil
}

// typed converts a collected value (the dialog normalises numbers to
// decimal text and booleans to true/false) to its JSON type.
func typed(t, v string) (any, error) {
	switch t {
	case configs.TypeNumber:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%q is not a number", v)
		}
		return f, nil
	case configs.TypeInteger:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, fmt.Errorf("%q is not an integer", v)
		}
		return int64(f), nil
	case configs.TypeBoolean:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", v)
		}
		return b, nil
	}
	return v, nil
}

// ToolResult is what an MCP tool answered.
type ToolResult struct {
	Text       string // its first text content
	Structured []byte // its structuredContent as JSON, or nil
	IsError    bool
}

// Response is the answer as a response, as tools call shows it and a
// transcript records it: status 200, or 500 for an error, and the body in
// the shape of MCP's CallToolResult (content, structuredContent, isError).
func (r ToolResult) Response() Response {
	var w toolWire
	if r.Text != "" {
		w.Content = []toolContent{{Type: "text", Text: r.Text}}
	}
	w.Structured = json.RawMessage(r.Structured)
	w.IsError = r.IsError
	body, _ := json.Marshal(w) // Structured is valid JSON: it came from a marshal or ToolResultOf
	status := 200
	if r.IsError {
		status = 500
	}
	return Response{Status: status, Body: body}
}

type toolWire struct {
	Content    []toolContent   `json:"content"`
	Structured json.RawMessage `json:"structuredContent,omitempty"`
	IsError    bool            `json:"isError,omitempty"`
}

type toolContent struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
}

// ToolResultOf reads a response (a stub, a recording) as a tool's answer.
// A body in the shape of a CallToolResult (with a content list) is read as
// one; another JSON object is structured content; anything else is text.
// A status of 400 or more is an error.
func ToolResultOf(resp Response) ToolResult {
	r := ToolResult{IsError: resp.Status >= 400}
	body := strings.TrimSpace(string(resp.Body))
	if !strings.HasPrefix(body, "{") || !json.Valid(resp.Body) {
		r.Text = string(resp.Body)
		return r
	}
	var w toolWire
	if c := gjson.Get(body, "content"); !c.IsArray() || json.Unmarshal(resp.Body, &w) != nil {
		r.Structured = resp.Body
		return r
	}
	for _, c := range w.Content {
		if c.Type == "text" {
			r.Text = c.Text
			break
		}
	}
	if len(w.Structured) > 0 && string(w.Structured) != "null" {
		r.Structured = w.Structured
	}
	r.IsError = r.IsError || w.IsError
	return r
}

// RespondTool picks the message for an MCP tool's answer: an error, or an
// answer larger than the executor would read from an HTTP service
// (DefaultMaxResponseBytes), gives the fallback; else the integration's responseConditions and
// responseMessage read its structured content, and without them the caller
// hears the tool's text.
func (s *Service) RespondTool(in Input, r ToolResult) Outcome {
	if r.IsError {
		return s.Failure(in, ErrToolError)
	}
	if len(r.Text) > DefaultMaxResponseBytes || len(r.Structured) > DefaultMaxResponseBytes {
		return s.Failure(in, fmt.Errorf("%w: the tool answered more than %d bytes", ErrTooLarge, DefaultMaxResponseBytes))
	}
	out := s.Respond(in, Response{Status: 200, Body: r.Structured})
	if out.Condition < 0 && s.message == nil && r.Text != "" {
		out.Message = r.Text // nothing of its own to say: the tool's words
	}
	return out
}

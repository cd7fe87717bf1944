package tools

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/voiceagent/voiceagent/configs"
)

// mcpService compiles an MCP integration with one tool, as tools/mcp
// lists it, and with the integration's reading of structured content.
func mcpService(t *testing.T, reading string) *Service {
	t.Helper()
	a, err := configs.Parse("test.yaml", []byte(`name: test
language: en
fallbackMessage: FALLBACK
integrations:
  - name: shop
    type: mcp
    command: [shop-server]
`+reading))
	if err != nil {
		t.Fatal(err)
	}
	a.Integrations[0].Tools = []configs.Service{{Intent: "order", Integration: "shop", MCP: &configs.MCPTool{Name: "order"},
		Timeout:         a.Integrations[0].Timeout,
		ResponseMapping: a.Integrations[0].ResponseMapping, ResponseMessage: a.Integrations[0].ResponseMessage,
		ResponseConditions: a.Integrations[0].ResponseConditions,
		RequiredFields: []configs.Field{
			{Name: "item", Type: configs.TypeString}, {Name: "qty", Type: configs.TypeInteger},
			{Name: "price", Type: configs.TypeNumber}, {Name: "gift", Type: configs.TypeBoolean, Optional: true},
			{Name: "ship.city", Type: configs.TypeString}, {Name: "ship.day", Type: configs.TypeDate},
		}}}
	cat, err := Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	return cat.Service("order")
}

func TestToolRequestHasTypedArguments(t *testing.T) {
	svc := mcpService(t, "")
	in := Input{Fields: map[string]string{"item": "07", "qty": "3", "price": "9.50", "gift": "false", "ship.city": "Lugo", "ship.day": "2026-12-01"}}
	req, err := svc.NewRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"gift":false,"item":"07","price":9.5,"qty":3,"ship":{"city":"Lugo","day":"2026-12-01"}}`
	if req.Method != MethodMCP || req.URL != "mcp://shop/order" || string(req.Body) != want {
		t.Errorf("request %s %s %s\nwant body %s", req.Method, req.URL, req.Body, want)
	}
	for field, bad := range map[string]string{"qty": "2.5", "price": "cheap", "gift": "yes please"} {
		wrong := Input{Fields: maps.Clone(in.Fields)}
		wrong.Fields[field] = bad
		if _, err := svc.NewRequest(wrong); !errors.Is(err, ErrRender) || !strings.Contains(err.Error(), "field "+field) {
			t.Errorf("%s=%q: %v", field, bad, err)
		}
	}
	delete(in.Fields, "qty")
	if _, err := svc.NewRequest(in); !errors.Is(err, ErrMissingFields) {
		t.Errorf("missing qty: %v", err)
	}
	if res := (&Executor{}).Execute(t.Context(), svc, in); !errors.Is(res.Err, ErrNotHTTP) || res.Message != "FALLBACK" {
		t.Errorf("the HTTP executor with an MCP tool: %v %q", res.Err, res.Message)
	}
}

func TestRespondTool(t *testing.T) {
	structured := []byte(`{"order": {"id": "A-7", "total": 28.5}}`)
	reading := `    responseMapping: {id: "$.order.id", total: "$.order.total"}
    responseConditions:
      - {condition: "total > 100", message: "Order {{id}} needs approval."}
`
	tests := []struct {
		name, reading string
		answer        ToolResult
		want          string
		err           error
	}{
		{"the tool's text", "", ToolResult{Text: "Order A-7 placed.", Structured: structured}, "Order A-7 placed.", nil},
		{"no text, no reading", "", ToolResult{Structured: structured}, "Done, your request has been completed.", nil},
		{"an error", "", ToolResult{Text: "out of stock", IsError: true}, "FALLBACK", ErrToolError},
		{"too large", "", ToolResult{Text: strings.Repeat("x", DefaultMaxResponseBytes+1)}, "FALLBACK", ErrTooLarge},
		{"a condition that holds", reading, ToolResult{Text: "ok", Structured: []byte(`{"order": {"id": "B-1", "total": 300}}`)}, "Order B-1 needs approval.", nil},
		{"no condition holds: the text", reading, ToolResult{Text: "Order A-7 placed.", Structured: structured}, "Order A-7 placed.", nil},
		{"the integration's message", reading + `    responseMessage: "Order {{id}}, {{total}} euros."` + "\n",
			ToolResult{Text: "ignored", Structured: structured}, "Order A-7, 28.5 euros.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := mcpService(t, tt.reading)
			got := svc.RespondTool(Input{}, tt.answer)
			if got.Message != tt.want || !errors.Is(got.Err, tt.err) {
				t.Errorf("got %q (%v), want %q (%v)", got.Message, got.Err, tt.want, tt.err)
			}
			// What tools call shows and a transcript records replays to the same reply.
			again := svc.RespondTool(Input{}, ToolResultOf(tt.answer.Response()))
			if again.Message != got.Message {
				t.Errorf("replayed from its response: %q, want %q", again.Message, got.Message)
			}
		})
	}
}

func TestToolResultOfStubs(t *testing.T) {
	tests := []struct {
		name string
		resp Response
		want ToolResult
	}{
		{"text", Response{Status: 200, Body: []byte("Order placed.")}, ToolResult{Text: "Order placed."}},
		{"a JSON list is text", Response{Status: 200, Body: []byte(`[1, 2]`)}, ToolResult{Text: "[1, 2]"}},
		{"structured", Response{Status: 200, Body: []byte(`{"id": 7}`)}, ToolResult{Structured: []byte(`{"id": 7}`)}},
		{"an error status", Response{Status: 500, Body: []byte("no stock")}, ToolResult{Text: "no stock", IsError: true}},
		{"a CallToolResult", Response{Status: 200, Body: []byte(`{"content": [{"type": "image"}, {"type": "text", "text": "hi"}], "structuredContent": {"a": 1}}`)},
			ToolResult{Text: "hi", Structured: []byte(`{"a": 1}`)}},
		{"a CallToolResult with isError", Response{Status: 200, Body: []byte(`{"content": [], "isError": true}`)}, ToolResult{IsError: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ToolResultOf(tt.resp)
			if got.Text != tt.want.Text || string(got.Structured) != string(tt.want.Structured) || got.IsError != tt.want.IsError {
				t.Errorf("got %+v (structured %s), want %+v (structured %s)", got, got.Structured, tt.want, tt.want.Structured)
			}
		})
	}
}

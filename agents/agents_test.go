package agents

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/tools/mcp"
)

// newServer is a garden centre's MCP server; cancels counts cancel_order calls.
func newServer(cancels *atomic.Int32) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "garden", Version: "1"}, nil)
	s.AddTool(&sdk.Tool{Name: "plant_care", Description: "Care instructions for a plant",
		InputSchema: json.RawMessage(`{"type": "object", "properties": {"plant": {"type": "string", "description": "the plant"}}, "required": ["plant"]}`)},
		func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			var args struct{ Plant string }
			json.Unmarshal(req.Params.Arguments, &args)
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "Water the " + args.Plant + " weekly."}}}, nil
		})
	s.AddTool(&sdk.Tool{Name: "cancel_order", Description: "Cancel an order",
		InputSchema: json.RawMessage(`{"type": "object", "properties": {"order": {"type": "integer", "description": "the order number"}}, "required": ["order"]}`)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			cancels.Add(1)
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "Order cancelled."}}}, nil
		})
	return s
}

func agentFile(api string) string {
	return `name: garden
language: en
fallbackMessage: FALLBACK
services:
  - intent: opening_hours
    reference: opening hours of the shop
    examples: [when are you open]
    method: GET
    endpoint: ` + api + `/hours
    requiredFields: []
    responseMapping: {hours: "$.hours"}
    responseMessage: "We are open {{hours}}."
integrations:
  - name: garden
    type: mcp
    command: [unused]
    confirm: ["cancel_*"]
`
}

func newSet(t *testing.T, server *sdk.Server) (*Set, *session.Agent) {
	t.Helper()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"hours": "from 9 to 6"}`))
	}))
	t.Cleanup(api.Close)
	cfg, err := configs.Parse("garden.yaml", []byte(agentFile(api.URL)))
	if err != nil {
		t.Fatal(err)
	}
	set := New(Options{Logger: slog.New(slog.DiscardHandler), MCP: mcp.Options{Dial: func(*configs.Integration) sdk.Transport {
		client, transport := sdk.NewInMemoryTransports()
		if _, err := server.Connect(context.Background(), transport, nil); err != nil {
			t.Errorf("server: %v", err)
		}
		return client
	}}})
	t.Cleanup(func() { set.Close() })
	a, err := set.Add(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return set, a
}

// say plays caller lines and returns what the agent said last.
func say(t *testing.T, s *session.Session, lines ...string) string {
	t.Helper()
	var turn session.Turn
	for _, line := range lines {
		turn = s.Handle(context.Background(), dialog.Utterance{At: time.Now(), Text: line})
	}
	return turn.Said()
}

func TestToolsAreServicesOfTheAgent(t *testing.T) {
	var cancels atomic.Int32
	set, a := newSet(t, newServer(&cancels))
	var intents []string
	for _, svc := range a.Catalog.Services() {
		intents = append(intents, svc.Intent)
	}
	if strings.Join(intents, ",") != "opening_hours,cancel_order,plant_care" {
		t.Fatalf("services %v", intents)
	}
	s := session.New(a, set.Executor(), "c1", "")
	s.Start(context.Background(), time.Now())
	if got := say(t, s, "when are you open?"); !strings.Contains(got, "We are open from 9 to 6.") {
		t.Errorf("HTTP service: %q", got)
	}
	if got := say(t, s, "I need care instructions for a plant", "ficus"); !strings.Contains(got, "Water the ficus weekly.") {
		t.Errorf("MCP tool: %q", got)
	}
	// The confirm glob: nothing runs before a yes.
	got := say(t, s, "cancel an order", "order 7")
	if cancels.Load() != 0 || !strings.Contains(got, "7") {
		t.Fatalf("before the yes: %d cancellations, the agent said %q (want a read-back)", cancels.Load(), got)
	}
	if got := say(t, s, "yes"); cancels.Load() != 1 || !strings.Contains(got, "Order cancelled.") {
		t.Errorf("after the yes: %d cancellations, %q", cancels.Load(), got)
	}
}

func TestCallsKeepTheToolsTheyStartedWith(t *testing.T) {
	var cancels atomic.Int32
	server := newServer(&cancels)
	set, before := newSet(t, server)
	s := session.New(before, set.Executor(), "c1", "")
	s.Start(context.Background(), time.Now())
	say(t, s, "I need care instructions for a plant")

	server.AddTool(&sdk.Tool{Name: "book_workshop", Description: "Book a gardening workshop",
		InputSchema: json.RawMessage(`{"type": "object", "properties": {"day": {"type": "string", "format": "date"}}, "required": ["day"]}`)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) { return nil, nil })
	deadline := time.Now().Add(10 * time.Second)
	for set.Agent("garden").Catalog.Service("book_workshop") == nil {
		if time.Now().After(deadline) {
			t.Fatal("the new tool never joined the agent")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if before.Catalog.Service("book_workshop") != nil {
		t.Error("the call in progress saw the new tool")
	}
	if got := say(t, s, "roses"); !strings.Contains(got, "Water the roses weekly.") {
		t.Errorf("the call in progress, after the change: %q", got)
	}
}

func TestAnAgentNameIsLoadedOnce(t *testing.T) {
	var cancels atomic.Int32
	set, a := newSet(t, newServer(&cancels))
	if _, err := set.Add(context.Background(), a.Catalog.Agent); err == nil || !strings.Contains(err.Error(), `"garden" is already loaded`) {
		t.Errorf("second add: %v", err)
	}
	if st := set.Status(); len(st) != 1 || !st[0].MCP[0].Connected || st[0].MCP[0].Tools != 2 {
		t.Errorf("status %+v", st)
	}
}

// A server announces a change while the agent is still connecting to its
// other servers (one is down and being retried): the rebuild it triggers
// must find the agent's manager in place.
func TestChangeWhileConnecting(t *testing.T) {
	var cancels atomic.Int32
	server := newServer(&cancels)
	cfg, err := configs.Parse("garden.yaml", []byte(`name: garden
language: en
integrations:
  - name: garden
    type: mcp
    command: [unused]
  - name: down
    type: mcp
    command: [unused]
`))
	if err != nil {
		t.Fatal(err)
	}
	set := New(Options{Logger: slog.New(slog.DiscardHandler), MCP: mcp.Options{Attempts: 3, Dial: func(in *configs.Integration) sdk.Transport {
		if in.Name == "down" {
			return &sdk.CommandTransport{Command: exec.Command("/nonexistent/mcp-server")}
		}
		client, transport := sdk.NewInMemoryTransports()
		if _, err := server.Connect(context.Background(), transport, nil); err != nil {
			t.Errorf("server: %v", err)
		}
		time.AfterFunc(100*time.Millisecond, func() {
			server.AddTool(&sdk.Tool{Name: "new_tool", Description: "A new tool", InputSchema: json.RawMessage(`{"type": "object"}`)},
				func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) { return nil, nil })
		})
		return client
	}}})
	defer set.Close()
	a, err := set.Add(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Catalog.Service("new_tool") == nil {
		t.Error("the tool announced while connecting is missing")
	}
}

// An override whose template names a field the server's tool does not
// have (renamed on the server, say) leaves that tool out; the agent loads
// with the rest.
func TestAToolThatDoesNotCompileIsLeftOut(t *testing.T) {
	var cancels atomic.Int32
	server := newServer(&cancels)
	cfg, err := configs.Parse("garden.yaml", []byte(agentFile("http://127.0.0.1:1")+`    overrides:
      - intent: cancel_order
        confirmation: {required: true, message: "Cancel order {{order_number}}?"}
`))
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	var mu sync.Mutex
	set := New(Options{Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil)), MCP: mcp.Options{Dial: func(*configs.Integration) sdk.Transport {
		client, transport := sdk.NewInMemoryTransports()
		server.Connect(context.Background(), transport, nil)
		return client
	}}})
	defer set.Close()
	a, err := set.Add(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Catalog.Service("cancel_order") != nil || a.Catalog.Service("plant_care") == nil || a.Catalog.Service("opening_hours") == nil {
		t.Errorf("services: cancel_order should be left out, the others kept")
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), `garden.yaml:20: integrations[0].overrides[0].confirmation.message: unknown variable {{order_number}}`) {
		t.Errorf("logs:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/tools"
)

const stdioServerEnv = "VOICEAGENT_TEST_MCP_STDIO"

func TestMain(m *testing.M) {
	switch os.Getenv(stdioServerEnv) {
	case "1":
		// Re-executed by a test as an MCP server over stdio.
		if err := newServer(&calls{}).Run(context.Background(), &sdk.StdioTransport{}); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	case "stubborn":
		// A server that writes its pid and stays up after its input closes
		// (as servers with open timers do), ignoring nothing but SIGTERM.
		os.WriteFile(os.Getenv("PID_FILE"), []byte(strconv.Itoa(os.Getpid())), 0o644)
		newServer(&calls{}).Run(context.Background(), &sdk.StdioTransport{})
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// calls records the arguments the server received.
type calls struct {
	mu   sync.Mutex
	args []string
}

func (c *calls) add(raw json.RawMessage) {
	c.mu.Lock()
	c.args = append(c.args, string(raw))
	c.mu.Unlock()
}

func (c *calls) last() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.args) == 0 {
		return ""
	}
	return c.args[len(c.args)-1]
}

func text(s string) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: s}}}
}

// newServer is a restaurant's MCP server.
func newServer(rec *calls) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "restaurant", Version: "1"}, nil)
	s.AddTool(&sdk.Tool{Name: "book_table", Title: "Book a table", Description: "Book a table at the restaurant",
		InputSchema: json.RawMessage(`{"type": "object",
			"properties": {
				"name": {"type": "string", "description": "Name for the booking"},
				"day": {"type": "string", "format": "date", "description": "Day of the booking"},
				"people": {"type": "integer", "description": "Number of people"},
				"terrace": {"type": "boolean", "description": "Whether to sit on the terrace"},
				"contact": {"type": "object", "properties": {
					"email": {"type": "string", "format": "email", "description": "Email for the confirmation"},
					"note": {"type": ["string", "null"]}}, "required": ["email"]},
				"zone": {"type": "string", "enum": ["inside", "garden"]}},
			"required": ["name", "day", "people", "contact"]}`)},
		func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			rec.add(req.Params.Arguments)
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "Booked."}},
				StructuredContent: map[string]any{"booking": map[string]any{"id": "T-9", "table": 12}}}, nil
		})
	s.AddTool(&sdk.Tool{Name: "tag_menu", Description: "Tag the menu",
		InputSchema: json.RawMessage(`{"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}`)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) { return text("tagged"), nil })
	s.AddTool(&sdk.Tool{Name: "delete_booking", Description: "Delete a booking",
		InputSchema: json.RawMessage(`{"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}`)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: "no such booking"}}}, nil
		})
	s.AddTool(&sdk.Tool{Name: "slow_quote", Description: "Quote a large event",
		InputSchema: json.RawMessage(`{"type": "object", "properties": {}}`)},
		func(ctx context.Context, _ *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			<-ctx.Done()
			return text("too late"), nil
		})
	return s
}

const agentFile = `name: restaurant
language: en
fallbackMessage: FALLBACK
integrations:
  - name: booking
    type: mcp
    command: [unused]
    confirm: ["delete_*"]
    exclude: [slow_*]
`

func loadAgent(t testing.TB, file string) *configs.Agent {
	t.Helper()
	a, err := configs.Parse("a.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// inMemory dials the server in process.
func inMemory(t testing.TB, s *sdk.Server) func(*configs.Integration) sdk.Transport {
	return func(*configs.Integration) sdk.Transport {
		client, server := sdk.NewInMemoryTransports()
		ss, err := s.Connect(context.Background(), server, nil)
		if err != nil {
			t.Errorf("server connect: %v", err)
		}
		t.Cleanup(func() { ss.Close() })
		return client
	}
}

// compile builds the services of the manager's tools.
func compile(t testing.TB, a *configs.Agent, m *Manager) *tools.Catalog {
	t.Helper()
	resolved := *a
	resolved.Integrations = slices.Clone(a.Integrations)
	for _, svc := range m.Services() {
		for i := range resolved.Integrations {
			if resolved.Integrations[i].Name == svc.Integration {
				resolved.Integrations[i].Tools = append(resolved.Integrations[i].Tools, svc)
			}
		}
	}
	cat, err := tools.Compile(&resolved)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestToolsBecomeServices(t *testing.T) {
	a := loadAgent(t, agentFile)
	m := Start(context.Background(), a, Options{Dial: inMemory(t, newServer(&calls{}))})
	defer m.Close()
	var names []string
	for _, s := range m.Services() {
		names = append(names, s.Intent)
	}
	if strings.Join(names, ",") != "book_table,delete_booking" {
		t.Fatalf("services %v: want book_table and delete_booking (tag_menu has an array, slow_* is excluded)", names)
	}
	book := m.Services()[0]
	type f struct {
		name, typ string
		optional  bool
	}
	// Required properties in the schema's "required" order (a required object
	// brings its own fields along), then the optional ones by name.
	want := []f{{"name", "string", false}, {"day", "date", false}, {"people", "integer", false},
		{"contact.email", "email", false}, {"contact.note", "string", true}, {"terrace", "boolean", true}, {"zone", "string", true}}
	var got []f
	for _, fl := range book.RequiredFields {
		got = append(got, f{fl.Name, fl.Type, fl.Optional})
	}
	if !slices.Equal(got, want) {
		t.Errorf("fields\n got %v\nwant %v", got, want)
	}
	if book.RequiredFields[0].PromptHint != "What is the name for the booking?" || !slices.Equal(book.RequiredFields[6].Enum, []string{"inside", "garden"}) {
		t.Errorf("prompt %q, enum %v", book.RequiredFields[0].PromptHint, book.RequiredFields[6].Enum)
	}
	if book.Reference != "Book a table at the restaurant" || book.NeedsConfirmation() || !m.Services()[1].NeedsConfirmation() {
		t.Errorf("reference %q; confirmations %v %v", book.Reference, book.NeedsConfirmation(), m.Services()[1].NeedsConfirmation())
	}
	if st := m.Status(); len(st) != 1 || !st[0].Connected || st[0].Tools != 2 {
		t.Errorf("status %+v", st)
	}
}

func TestExecute(t *testing.T) {
	rec := &calls{}
	a := loadAgent(t, agentFile)
	m := Start(context.Background(), a, Options{Dial: inMemory(t, newServer(rec))})
	defer m.Close()
	cat := compile(t, a, m)
	in := tools.Input{Fields: map[string]string{"name": "Ana", "day": "2024-01-15", "people": "4", "terrace": "true", "contact.email": "ana@x.com"}}
	res := m.Execute(context.Background(), cat.Service("book_table"), in)
	if res.Failed() || res.Message != "Booked." {
		t.Fatalf("outcome %q %v", res.Message, res.Err)
	}
	var args map[string]any
	json.Unmarshal([]byte(rec.last()), &args)
	want := `{"contact":{"email":"ana@x.com"},"day":"2024-01-15","name":"Ana","people":4,"terrace":true}`
	if got, _ := json.Marshal(args); string(got) != want {
		t.Errorf("arguments %s, want %s", got, want)
	}
	if res.Request.URL != "mcp://booking/book_table" || !strings.Contains(string(res.Response.Body), `"T-9"`) {
		t.Errorf("request %+v response %s", res.Request, res.Response.Body)
	}
	failed := m.Execute(context.Background(), cat.Service("delete_booking"), tools.Input{Fields: map[string]string{"id": "9"}})
	if !errors.Is(failed.Err, tools.ErrToolError) || failed.Message != "FALLBACK" {
		t.Errorf("isError: %v %q", failed.Err, failed.Message)
	}
}

func TestStructuredContentThroughTheIntegrationsMapping(t *testing.T) {
	a := loadAgent(t, agentFile+`    responseMapping: {table: "$.booking.table", id: "$.booking.id"}
    responseConditions:
      - {condition: "table > 10", message: "Booking {{id}}: a table by the window, number {{table}}."}
`)
	m := Start(context.Background(), a, Options{Dial: inMemory(t, newServer(&calls{}))})
	defer m.Close()
	res := m.Execute(context.Background(), compile(t, a, m).Service("book_table"),
		tools.Input{Fields: map[string]string{"name": "Ana", "day": "2024-01-15", "people": "4", "contact.email": "a@x.com"}})
	if res.Message != "Booking T-9: a table by the window, number 12." {
		t.Errorf("message %q (%v)", res.Message, res.Err)
	}
}

func TestTimeoutGivesTheFallback(t *testing.T) {
	a := loadAgent(t, strings.Replace(agentFile, "    exclude: [slow_*]\n", "    timeout: 200ms\n", 1))
	m := Start(context.Background(), a, Options{Dial: inMemory(t, newServer(&calls{}))})
	defer m.Close()
	start := time.Now()
	res := m.Execute(context.Background(), compile(t, a, m).Service("slow_quote"), tools.Input{})
	if !errors.Is(res.Err, tools.ErrTransport) || res.Message != "FALLBACK" {
		t.Errorf("got %q %v, want the fallback", res.Message, res.Err)
	}
	t.Logf("timeout 200ms, fallback after %v", time.Since(start))
}

func TestToolListChanged(t *testing.T) {
	server := newServer(&calls{})
	changed := make(chan struct{}, 4)
	a := loadAgent(t, agentFile)
	m := Start(context.Background(), a, Options{Dial: inMemory(t, server), OnChange: func() { changed <- struct{}{} }})
	defer m.Close()
	server.AddTool(&sdk.Tool{Name: "order_wine", Description: "Order a bottle of wine",
		InputSchema: json.RawMessage(`{"type": "object", "properties": {"wine": {"type": "string"}}, "required": ["wine"]}`)},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) { return text("ok"), nil })
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no change after the server added a tool")
	}
	if got := len(m.Services()); got != 3 {
		t.Errorf("%d services after the change, want 3", got)
	}
}

func TestServerDownThenUp(t *testing.T) {
	server := newServer(&calls{})
	var up atomic.Bool
	changed := make(chan struct{}, 4)
	a := loadAgent(t, agentFile)
	dial := inMemory(t, server)
	m := Start(context.Background(), a, Options{Attempts: 1, Reconnect: 20 * time.Millisecond, OnChange: func() { changed <- struct{}{} },
		Dial: func(in *configs.Integration) sdk.Transport {
			if !up.Load() {
				return &sdk.CommandTransport{Command: exec.Command("/nonexistent/mcp-server")}
			}
			return dial(in)
		}})
	defer m.Close()
	if st := m.Status(); st[0].Connected || st[0].Err == "" || len(m.Services()) != 0 {
		t.Fatalf("a server that is down: %+v", st)
	}
	up.Store(true)
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("the server came up, but its tools did not")
	}
	if st := m.Status(); !st[0].Connected || st[0].Tools != 2 {
		t.Errorf("after reconnecting: %+v", st)
	}
}

func TestRealTransports(t *testing.T) {
	rec := &calls{}
	server := newServer(rec)
	var auth []string
	var mu sync.Mutex
	withAuth := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			auth = append(auth, r.Header.Get("Authorization"))
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	}
	streamable := httptest.NewServer(withAuth(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return server }, nil)))
	defer streamable.Close()
	sse := httptest.NewServer(withAuth(sdk.NewSSEHandler(func(*http.Request) *sdk.Server { return server }, nil)))
	defer sse.Close()
	t.Setenv(stdioServerEnv, "1")
	t.Setenv("MCP_TOKEN", "tok-secret")
	self, _ := os.Executable()
	for _, tt := range []struct{ name, integration string }{
		{"stdio", `command: ["` + self + `", "-test.run=^$"]`},
		{"streamable HTTP", `url: "` + streamable.URL + `"` + "\n    transport: streamable\n    headers: {Authorization: \"Bearer ${MCP_TOKEN}\"}"},
		{"SSE", `url: "` + sse.URL + `"` + "\n    transport: sse\n    headers: {Authorization: \"Bearer ${MCP_TOKEN}\"}"},
		{"SSE found by trying", `url: "` + sse.URL + `"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := loadAgent(t, strings.Replace(agentFile, "command: [unused]", tt.integration, 1))
			m := Start(context.Background(), a, Options{ConnectTimeout: 20 * time.Second})
			defer m.Close()
			if st := m.Status(); !st[0].Connected {
				t.Fatalf("not connected: %+v", st)
			}
			res := m.Execute(context.Background(), compile(t, a, m).Service("book_table"),
				tools.Input{Fields: map[string]string{"name": "Ana", "day": "2024-01-15", "people": "2", "contact.email": "a@x.com"}})
			if res.Message != "Booked." {
				t.Errorf("message %q (%v)", res.Message, res.Err)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(auth, "Bearer tok-secret") {
		t.Errorf("the integration's headers were not sent: %q", auth)
	}
}

// TestHTTPServersRefusedByAddress: a server's name that resolves to the
// metadata address is refused before anything is sent, over both HTTP
// transports; one that resolves to loopback connects.
func TestHTTPServersRefusedByAddress(t *testing.T) {
	var hits atomic.Int32
	server := newServer(&calls{})
	count := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); h.ServeHTTP(w, r) })
	}
	streamable := httptest.NewServer(count(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return server }, nil)))
	defer streamable.Close()
	sse := httptest.NewServer(count(sdk.NewSSEHandler(func(*http.Request) *sdk.Server { return server }, nil)))
	defer sse.Close()
	resolve := func(addr string) func(context.Context, string, string) ([]netip.Addr, error) {
		return func(context.Context, string, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr(addr)}, nil
		}
	}
	// The servers refuse Host headers other than localhost's (DNS
	// rebinding), so the name that resolves to loopback is localhost.
	for _, tt := range []struct {
		name, url, host, transport, resolves string
		connected                            bool
	}{
		{"streamable, metadata", streamable.URL, "mcp.test", "streamable", "169.254.169.254", false},
		{"SSE, link-local", sse.URL, "mcp.test", "sse", "169.254.1.1", false},
		{"either, metadata", streamable.URL, "mcp.test", "", "169.254.169.254", false},
		{"streamable, loopback", streamable.URL, "localhost", "streamable", "127.0.0.1", true},
		{"SSE, loopback", sse.URL, "localhost", "sse", "127.0.0.1", true},
		{"streamable, literal loopback", streamable.URL, "127.0.0.1", "streamable", "169.254.169.254", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(tt.url)
			in := "url: http://" + tt.host + ":" + u.Port() + u.Path
			if tt.transport != "" {
				in += "\n    transport: " + tt.transport
			}
			a := loadAgent(t, strings.Replace(agentFile, "command: [unused]", in, 1))
			before := hits.Load()
			m := Start(context.Background(), a, Options{Attempts: 1, Dialer: &tools.Dialer{LookupNetIP: resolve(tt.resolves)}})
			defer m.Close()
			st := m.Status()[0]
			if st.Connected != tt.connected {
				t.Fatalf("connected %v, want %v: %+v", st.Connected, tt.connected, st)
			}
			if !tt.connected {
				if !strings.Contains(st.Err, tt.resolves+" is a ") || !strings.Contains(st.Err, "services may not reach link-local or cloud metadata addresses") {
					t.Errorf("unclear error: %s", st.Err)
				}
				if hits.Load() != before {
					t.Errorf("%d requests reached the server", hits.Load()-before)
				}
			}
		})
	}
}

// TestUnsetVariablesAreNotConnected: an integration loaded despite an
// unset variable in its url, command or headers is not connected to (nor
// started), and says which variable it needs.
func TestUnsetVariablesAreNotConnected(t *testing.T) {
	for _, tt := range []struct{ name, integration, want string }{
		{"url", `url: "http://127.0.0.1:1/mcp?key=${MCP_KEY_UNSET_X}"`, "MCP_KEY_UNSET_X"},
		{"command", `command: ["${MCP_BIN_UNSET_X}", "stdio"]`, "MCP_BIN_UNSET_X"},
		{"headers", "url: http://127.0.0.1:1/mcp\n    headers: {Authorization: \"Bearer ${MCP_TOKEN_UNSET_X}\"}", "MCP_TOKEN_UNSET_X"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := configs.Parse("a.yaml", []byte(strings.Replace(agentFile, "command: [unused]", tt.integration, 1)))
			if err = configs.AllowUnset(err); err != nil {
				t.Fatal(err)
			}
			var dials atomic.Int32
			m := Start(context.Background(), a, Options{Dial: func(*configs.Integration) sdk.Transport {
				dials.Add(1)
				return &sdk.CommandTransport{Command: exec.Command("/nonexistent/mcp-server")}
			}})
			defer m.Close()
			st := m.Status()[0]
			want := "unset environment variable: " + tt.want + " (connecting needs it; nothing was sent or started)"
			if st.Connected || st.Err != want || dials.Load() != 0 {
				t.Errorf("status %+v, %d dials; want the error %q", st, dials.Load(), want)
			}
		})
	}
}

func TestConnectionLostThenBack(t *testing.T) {
	server := newServer(&calls{})
	sessions := make(chan *sdk.ServerSession, 4)
	a := loadAgent(t, agentFile)
	m := Start(context.Background(), a, Options{Dial: func(*configs.Integration) sdk.Transport {
		client, transport := sdk.NewInMemoryTransports()
		ss, err := server.Connect(context.Background(), transport, nil)
		if err != nil {
			t.Errorf("server connect: %v", err)
		}
		sessions <- ss
		return client
	}})
	defer m.Close()
	cat := compile(t, a, m)
	(<-sessions).Close() // the server drops the connection
	waitFor(t, func() bool { return !m.Status()[0].Connected })
	if st := m.Status()[0]; st.Err != "connection lost" || st.Tools != 2 {
		t.Errorf("after losing the server: %+v (its tools stay listed)", st)
	}
	in := tools.Input{Fields: map[string]string{"name": "Ana", "day": "2024-01-15", "people": "2", "contact.email": "a@x.com"}}
	waitFor(t, func() bool { return m.Status()[0].Connected })
	if res := m.Execute(context.Background(), cat.Service("book_table"), in); res.Message != "Booked." {
		t.Errorf("after reconnecting: %q (%v)", res.Message, res.Err)
	}
	<-sessions
}

func TestCallEndsToolCallCanceled(t *testing.T) {
	server := newServer(&calls{})
	canceled := make(chan struct{})
	server.AddTool(&sdk.Tool{Name: "wait_forever", Description: "Wait", InputSchema: json.RawMessage(`{"type": "object"}`)},
		func(ctx context.Context, _ *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			<-ctx.Done()
			close(canceled)
			return text("canceled"), nil
		})
	a := loadAgent(t, strings.Replace(agentFile, "    exclude: [slow_*]\n", "    timeout: 2m\n", 1))
	m := Start(context.Background(), a, Options{Dial: inMemory(t, server)})
	defer m.Close()
	ctx, hangUp := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, hangUp)
	res := m.Execute(ctx, compile(t, a, m).Service("wait_forever"), tools.Input{})
	if !res.Failed() {
		t.Errorf("a canceled call answered %q", res.Message)
	}
	select {
	case <-canceled:
	case <-time.After(10 * time.Second):
		t.Fatal("the server never heard that the call ended")
	}
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
	}
}

func TestOverrides(t *testing.T) {
	a := loadAgent(t, `name: restaurante
language: es
fallbackMessage: FALLBACK
integrations:
  - name: booking
    type: mcp
    command: [unused]
    exclude: [slow_*]
    overrides:
      - intent: book_table
        reference: reservar una mesa en el restaurante
        examples: [quiero reservar mesa]
        requiredFields:
          - {name: name, promptHint: "¿A nombre de quién?", pii: true}
          - {name: contact.email, promptHint: "¿Tu correo?"}
          - {name: zone, enum: [garden]}
        confirmation: {required: true, message: "¿Reservo para {{people}} a nombre de {{name}}?"}
        responseMapping: {table: "$.booking.table"}
        responseMessage: "Mesa {{table}} reservada."
        timeout: 3s
      - intent: delete_booking
        requiredFields: [{name: booking_id}]
  - name: booking2
    type: mcp
    command: [unused]
    include: [book_table]
    overrides:
      - intent: book_table
        requiredFields: [{name: zone, enum: [inside, terrace]}]
`)
	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	m := Start(context.Background(), a, Options{Dial: inMemory(t, newServer(&calls{})), Logger: logger})
	defer m.Close()
	mu.Lock()
	for _, want := range []string{`the tool has no field \"booking_id\" (its fields: id)`, `the tool does not accept \"terrace\" (it accepts inside, garden)`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
	mu.Unlock()
	services := m.Services()
	if len(services) != 1 {
		t.Fatalf("%d services, want book_table only (delete_booking's override names a field it lacks; booking2's book_table an enum value it lacks)", len(services))
	}
	book := services[0]
	if book.Reference != "reservar una mesa en el restaurante" || !slices.Equal(book.Examples, []string{"quiero reservar mesa"}) ||
		book.Path != "integrations[0].overrides[0]" || book.Timeout.Std() != 3*time.Second {
		t.Errorf("service %+v", book)
	}
	hints := map[string]string{}
	for _, f := range book.RequiredFields {
		hints[f.Name] = f.PromptHint
	}
	if hints["name"] != "¿A nombre de quién?" || hints["contact.email"] != "¿Tu correo?" || hints["day"] != "¿Day of the booking?" {
		t.Errorf("prompts %v", hints)
	}
	pii := map[string]bool{}
	for _, f := range book.RequiredFields {
		pii[f.Name] = f.IsPII()
	}
	if !pii["name"] || !pii["contact.email"] || pii["day"] || pii["zone"] {
		t.Errorf("pii %v: want name (the override's pii: true) and contact.email (format: email)", pii)
	}
	cat := compile(t, a, m)
	svc := cat.Service("book_table")
	res := m.Execute(context.Background(), svc, tools.Input{Fields: map[string]string{"name": "Ana", "day": "2024-01-15", "people": "4", "contact.email": "a@x.com"}})
	if res.Message != "Mesa 12 reservada." {
		t.Errorf("message %q (%v)", res.Message, res.Err)
	}
	if !svc.NeedsConfirmation() || svc.Confirmation.Message != "¿Reservo para {{people}} a nombre de {{name}}?" {
		t.Errorf("confirmation %+v", svc.Confirmation)
	}
}

func TestOverrideWithAnUnknownFieldIsReportedAtItsLine(t *testing.T) {
	a := loadAgent(t, agentFile+`    overrides:
      - intent: book_table
        responseMessage: "Booked for {{nmae}}."
`)
	m := Start(context.Background(), a, Options{Dial: inMemory(t, newServer(&calls{}))})
	defer m.Close()
	resolved := *a
	resolved.Integrations = slices.Clone(a.Integrations)
	resolved.Integrations[0].Tools = m.Services()
	_, err := tools.Compile(&resolved)
	if err == nil || !strings.Contains(err.Error(), `a.yaml:12: integrations[0].overrides[0].responseMessage: unknown variable {{nmae}}`) ||
		!strings.Contains(err.Error(), `did you mean "name"`) {
		t.Errorf("got %v", err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestPromptFor(t *testing.T) {
	tests := []struct {
		name, typ, desc, lang, want string
	}{
		{"a", "number", "First number", "en", "What is the first number?"},
		{"message", "string", "Message to echo", "en", "What is the message to echo?"},
		{"resourceId", "number", "ID of the text resource to fetch", "en", "What is the ID of the text resource to fetch?"},
		{"resourceType", "string", "", "en", "What is the resource type?"},
		{"location", "string", "Choose city", "en", "What is the location?"},
		{"topic", "string", "The research topic to investigate", "en", "What is the research topic to investigate?"},
		{"outputType", "string", "How the resulting gzipped file should be returned. 'resourceLink' returns a link", "en", "What is the output type?"},
		{"includeImage", "boolean", "Whether to include an example image", "en", "Do you want to include an example image?"},
		{"ambiguous", "boolean", "Simulate an ambiguous query that requires clarification", "en", "Ambiguous: yes or no?"},
		{"contact.email", "email", "", "en", "What is the contact email?"},
		{"day", "date", "Day of the booking.", "es", "¿Day of the booking?"},
		{"dia_cita", "date", "", "es", "¿Dia cita?"},
		{"x", "string", ".", "en", "What is the x?"},
	}
	for _, tt := range tests {
		if got := promptFor(configs.Field{Name: tt.name, Type: tt.typ, Description: tt.desc}, tt.lang); got != tt.want {
			t.Errorf("%s %q (%s): %q, want %q", tt.name, tt.desc, tt.lang, got, tt.want)
		}
	}
}

// TestRefusedCallLogsNoArguments: a server that refuses a call with an
// error quoting its arguments has the call fail, and the log names the
// error's code, not its message.
func TestRefusedCallLogsNoArguments(t *testing.T) {
	s := sdk.NewServer(&sdk.Implementation{Name: "refuser", Version: "1"}, nil)
	s.AddTool(&sdk.Tool{Name: "subscribe", Description: "Subscribe to the newsletter",
		InputSchema: json.RawMessage(`{"type": "object", "properties": {"email": {"type": "string", "format": "email"}}, "required": ["email"]}`)},
		func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "no such subscriber: " + string(req.Params.Arguments)}
		})
	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := loadAgent(t, agentFile)
	m := Start(context.Background(), a, Options{Dial: inMemory(t, s), Logger: logger})
	defer m.Close()
	res := m.Execute(context.Background(), compile(t, a, m).Service("subscribe"),
		tools.Input{Fields: map[string]string{"email": "ana.secret@example.com"}})
	if !errors.Is(res.Err, tools.ErrTransport) || res.Message != "FALLBACK" {
		t.Errorf("got %q %v, want the fallback", res.Message, res.Err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "JSON-RPC error -32602") || strings.Contains(logs.String(), "ana.secret") {
		t.Errorf("log:\n%s", logs.String())
	}
}

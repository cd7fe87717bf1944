package mcp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/voiceagent/voiceagent/configs"
)

// A stdio server started through a wrapper (sh -c, as npx or uv run do)
// that does not exit when its input closes: Close stops it anyway.
func TestCloseStopsWhatTheCommandStarted(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	self, _ := os.Executable()
	t.Setenv(stdioServerEnv, "stubborn")
	t.Setenv("PID_FILE", pidFile)
	a := loadAgent(t, strings.Replace(agentFile, "command: [unused]", `command: ["sh", "-c", "'`+self+`' -test.run=^$; true"]`, 1))
	m := Start(context.Background(), a, Options{ConnectTimeout: 20 * time.Second})
	if st := m.Status(); !st[0].Connected {
		t.Fatalf("not connected: %+v", st)
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(raw))
	start := time.Now()
	m.Close()
	t.Logf("Close took %v", time.Since(start).Round(time.Millisecond))
	waitFor(t, func() bool { return syscall.Kill(pid, 0) != nil })
}

// Two tools/list_changed in a row, the first listing slow to answer: the
// agent ends with the newest list, not whichever answer came last.
func TestRefreshesKeepTheNewestList(t *testing.T) {
	server := newServer(&calls{})
	var lists atomic.Int32
	server.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
		return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
			if method == "tools/list" && lists.Add(1) == 2 {
				res, err := next(ctx, method, req) // the list as it is now...
				time.Sleep(300 * time.Millisecond) // ...delivered late
				return res, err
			}
			return next(ctx, method, req)
		}
	})
	a := loadAgent(t, agentFile)
	m := Start(context.Background(), a, Options{Dial: inMemory(t, server)})
	defer m.Close()
	tool := func(name string) {
		server.AddTool(&sdk.Tool{Name: name, Description: name, InputSchema: json.RawMessage(`{"type": "object"}`)},
			func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) { return text("ok"), nil })
	}
	tool("order_wine")
	time.Sleep(50 * time.Millisecond)
	tool("order_cake")
	waitFor(t, func() bool { return len(m.Services()) == 4 && lists.Load() >= 3 })
	time.Sleep(500 * time.Millisecond) // the late answer arrives; it must not win
	if got := len(m.Services()); got != 4 {
		t.Errorf("%d services, want 4 (book_table, delete_booking, order_wine, order_cake)", got)
	}
}

// The MCP URL redirects to another host: the integration's credentials
// are not sent there; an ${ENV} value in the URL is not shown.
func TestCredentialsStayWithTheServer(t *testing.T) {
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"))
		http.Error(w, "no", http.StatusNotFound)
	}))
	defer other.Close()
	elsewhere := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) // another host
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere+"/mcp", http.StatusTemporaryRedirect)
	}))
	defer redirecting.Close()
	t.Setenv("MCP_TOKEN", "tok-secret")
	t.Setenv("MCP_KEY", "key-secret-77")
	a := loadAgent(t, strings.Replace(agentFile, "command: [unused]",
		`url: "`+redirecting.URL+`/mcp?key=${MCP_KEY}"`+"\n    headers: {Authorization: \"Bearer ${MCP_TOKEN}\"}", 1))
	m := Start(context.Background(), a, Options{Attempts: 1, ConnectTimeout: 3 * time.Second})
	defer m.Close()
	if v, _ := leaked.Load().(string); v != "" {
		t.Errorf("the other host received Authorization %q", v)
	}
	if st := m.Status()[0]; st.Connected || !strings.Contains(st.Err, "streamable HTTP: ") || !strings.Contains(st.Err, "; SSE: ") {
		t.Errorf("status %+v: want why each transport failed", st)
	}

	// Errors of the HTTP client quote the URL.
	redirecting.Close()
	down := loadAgent(t, strings.Replace(agentFile, "command: [unused]", `url: "`+redirecting.URL+`/mcp?key=${MCP_KEY}"`, 1))
	m2 := Start(context.Background(), down, Options{Attempts: 1, ConnectTimeout: 3 * time.Second})
	defer m2.Close()
	if st := m2.Status()[0]; strings.Contains(st.Err, "key-secret-77") || !strings.Contains(st.Err, "key=[redacted]") {
		t.Errorf("status %+v: want the failure, with the key redacted", st)
	}
}

// A pattern Go's regexp cannot check (a lookahead) is dropped with a note;
// the tool stays.
func TestPatternGoCannotCheck(t *testing.T) {
	in := &configs.Integration{Name: "x"}
	svc, notes, err := service(in, &sdk.Tool{Name: "t", InputSchema: json.RawMessage(
		`{"type": "object", "properties": {"pin": {"type": "string", "pattern": "^(?=.*\\d).{4}$"}}, "required": ["pin"]}`)}, "en")
	if err != nil || svc.RequiredFields[0].Pattern != "" || len(notes) != 1 || !strings.Contains(notes[0], "field pin") {
		t.Errorf("fields %+v, notes %q, err %v", svc.RequiredFields, notes, err)
	}
}

// An SSE server asks the agent something (a ping) and never answers the
// post that carries the agent's reply, as the reference server does for a
// session it has already dropped: Close still returns.
func TestCloseWithAnUnansweredPost(t *testing.T) {
	server := newServer(&calls{})
	var connected atomic.Bool
	held, release := make(chan struct{}, 1), make(chan struct{})
	sse := httptest.NewServer(sdk.NewSSEHandler(func(*http.Request) *sdk.Server { return server }, nil))
	handler := sse.Config.Handler
	sse.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && connected.Load() {
			select {
			case held <- struct{}{}:
			default:
			}
			io.Copy(io.Discard, r.Body)
			select { // never answered
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		handler.ServeHTTP(w, r)
	})
	defer sse.Close()
	defer close(release)
	a := loadAgent(t, strings.Replace(agentFile, "command: [unused]", `url: "`+sse.URL+`"`+"\n    transport: sse", 1))
	m := Start(context.Background(), a, Options{ConnectTimeout: 20 * time.Second})
	if st := m.Status(); !st[0].Connected {
		t.Fatalf("not connected: %+v", st)
	}
	connected.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for ss := range server.Sessions() {
		go ss.Ping(ctx, nil)
	}
	select {
	case <-held:
	case <-time.After(20 * time.Second):
		t.Fatal("the agent did not answer the server's ping")
	}
	closed := make(chan struct{})
	go func() {
		m.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(30 * time.Second): // a hang, not a timing
		t.Fatal("Close did not return while the agent's answer was unanswered")
	}
}

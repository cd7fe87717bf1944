// Package mcp runs the tools of MCP servers as services: it connects to
// each MCP integration of an agent (stdio, streamable HTTP or SSE), lists
// its tools as services the dialog can fill and confirm, keeps the list
// current when the server announces changes, and calls the tools.
//
// A server that is down does not stop the agent: its tools are missing,
// the failure is logged and reported by Status, and the manager keeps
// trying to connect in the background.
package mcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/tools"
)

// Options configure a Manager; the zero value means the defaults.
type Options struct {
	// ConnectTimeout bounds each connection attempt (default 10s).
	ConnectTimeout time.Duration
	// Attempts is how many times Connect tries each server (default 3), with
	// a growing wait between attempts.
	Attempts int
	// Reconnect is how long a server that is down waits between background
	// attempts (default 30s).
	Reconnect time.Duration
	// Logger receives connection events; nil means slog.Default().
	Logger *slog.Logger
	// OnChange is called, from a goroutine of the manager, after the tools
	// of an integration changed (listed after a reconnect, or announced by
	// notifications/tools/list_changed). It must not block for long.
	OnChange func()
	// Dial builds the transport of an integration; nil means from its
	// configuration (command, or url and transport). Tests use it for
	// in-memory servers.
	Dial func(in *configs.Integration) sdk.Transport
	// Dialer connects to servers reached over HTTP, refusing link-local
	// and cloud metadata addresses; nil means a zero tools.Dialer. Tests
	// give one a fake resolver.
	Dialer *tools.Dialer
}

// Manager holds the MCP connections of one agent. Its methods are safe for
// concurrent use.
type Manager struct {
	opts   Options
	lang   string
	http   *http.Transport // for servers reached over HTTP
	conns  []*conn
	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed against spawn
	closed bool
	wg     sync.WaitGroup
}

type conn struct {
	m  *Manager
	in *configs.Integration

	mu       sync.Mutex
	session  *sdk.ClientSession
	end      func() // ends the session's context and its process group
	services []configs.Service
	err      error
	// notes counts tools/list_changed notifications; listed is the count
	// the current services reflect. refreshing is set while one goroutine
	// lists again (one at a time, so an older list never lands last).
	notes, listed int
	refreshing    bool
}

// Status is the state of one MCP integration.
type Status struct {
	Integration string
	Connected   bool
	Tools       int
	Err         string // why it is not connected
}

// New returns a manager for the MCP integrations of the agent, not yet
// connected.
func New(a *configs.Agent, opts Options) *Manager {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.Reconnect <= 0 {
		opts.Reconnect = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	m := &Manager{opts: opts, lang: a.Language, http: tools.NewTransport(opts.Dialer)}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	for i := range a.Integrations {
		if in := &a.Integrations[i]; in.Type == configs.IntegrationMCP {
			m.conns = append(m.conns, &conn{m: m, in: in})
		}
	}
	return m
}

// Start is New and Connect.
func Start(ctx context.Context, a *configs.Agent, opts Options) *Manager {
	m := New(a, opts)
	m.Connect(ctx)
	return m
}

// Connect connects to every server and lists its tools. It returns when
// each has connected or used its attempts; servers that are down keep
// being retried in the background until Close.
func (m *Manager) Connect(ctx context.Context) {
	var initial sync.WaitGroup
	for _, c := range m.conns {
		if err := c.unset(); err != nil { // no attempt can succeed
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			m.opts.Logger.Warn("mcp server not connected", "integration", c.in.Name, "reason", err)
			continue
		}
		initial.Add(1)
		go func() {
			defer initial.Done()
			if !c.connect(ctx, m.opts.Attempts) {
				m.spawn(func() { c.reconnect(m.opts.Reconnect) })
			}
		}()
	}
	initial.Wait()
}

// spawn runs f in a goroutine that Close waits for; after Close it does
// nothing.
func (m *Manager) spawn(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// Close ends every connection and background attempt, and waits for them.
// It is safe to call more than once.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	var errs []error
	for _, c := range m.conns {
		c.mu.Lock()
		s, end := c.session, c.end
		c.session, c.end = nil, nil
		c.mu.Unlock()
		if s != nil {
			errs = append(errs, closeSession(s, end))
		}
	}
	m.wg.Wait()
	m.http.CloseIdleConnections()
	return errors.Join(errs...)
}

// Services returns the services of every connected integration's tools.
func (m *Manager) Services() []configs.Service {
	var out []configs.Service
	for _, c := range m.conns {
		c.mu.Lock()
		out = append(out, c.services...)
		c.mu.Unlock()
	}
	return out
}

// Status reports every MCP integration.
func (m *Manager) Status() []Status {
	var out []Status
	for _, c := range m.conns {
		c.mu.Lock()
		st := Status{Integration: c.in.Name, Connected: c.session != nil, Tools: len(c.services)}
		if c.err != nil {
			st.Err = c.err.Error()
		}
		c.mu.Unlock()
		out = append(out, st)
	}
	return out
}

func (m *Manager) conn(integration string) *conn {
	for _, c := range m.conns {
		if c.in.Name == integration {
			return c
		}
	}
	return nil
}

// redacted is err with the integration's ${ENV} values hidden: errors of
// the HTTP client quote the URL.
func (c *conn) redacted(err error) error {
	return errors.New(c.in.Redact(err.Error()))
}

// unset is the error of an integration whose url, command or headers
// still hold the ${VAR} of an unset environment variable
// (configs.Integration.Unset), or nil.
func (c *conn) unset() error {
	if len(c.in.Unset) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (connecting needs it; nothing was sent or started)", tools.ErrUnsetEnv, strings.Join(c.in.Unset, ", "))
}

// connect tries to connect and list the tools, up to attempts times, with
// 0.5s, 1s, 2s… between tries.
func (c *conn) connect(ctx context.Context, attempts int) bool {
	log := c.m.opts.Logger.With("integration", c.in.Name)
	wait := 500 * time.Millisecond
	for n := 1; ; n++ {
		err := c.dial(ctx)
		if err == nil {
			log.Info("mcp server connected", "tools", len(c.Services()))
			return true
		}
		err = c.redacted(err)
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		log.Warn("mcp server unavailable", "attempt", n, "reason", err)
		if n >= attempts {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-c.m.ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// reconnect keeps trying a server that is down, first after wait, then
// every Reconnect, until it answers or the manager closes; its tools then
// appear.
func (c *conn) reconnect(wait time.Duration) {
	for {
		select {
		case <-c.m.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = c.m.opts.Reconnect
		if c.connect(c.m.ctx, 1) {
			c.changed()
			return
		}
	}
}

func (c *conn) Services() []configs.Service {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.services
}

// dial opens a session and lists the tools. The session lives in its own
// context, ended by Close or a reconnect: some transports (SSE) tie their
// stream to the context they connect with. The timeout and the caller's ctx
// bound only the connecting.
func (c *conn) dial(ctx context.Context) error {
	if err := c.unset(); err != nil {
		return err
	}
	sessionCtx, cancel := context.WithCancel(c.m.ctx)
	timer := time.AfterFunc(c.m.opts.ConnectTimeout, cancel)
	stop := context.AfterFunc(ctx, cancel)
	defer func() {
		timer.Stop()
		stop()
	}()
	client := sdk.NewClient(&sdk.Implementation{Name: "voiceagent", Version: "1"}, &sdk.ClientOptions{
		Logger: slog.New(slog.DiscardHandler),
		ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) {
			c.mu.Lock()
			c.notes++
			c.mu.Unlock()
			c.refresh()
		},
	})
	c.mu.Lock()
	notes := c.notes
	c.mu.Unlock()
	var (
		session *sdk.ClientSession
		errs    []string
		end     = cancel
	)
	for _, t := range c.transports(sessionCtx) {
		var err error
		if session, err = client.Connect(sessionCtx, t.transport, nil); err == nil {
			end = func() { cancel(); t.stop() }
			break
		}
		t.stop()
		errs = append(errs, t.name+": "+err.Error())
	}
	if session == nil {
		cancel()
		return fmt.Errorf("connect: %s", strings.Join(errs, "; "))
	}
	services, err := c.list(sessionCtx, session)
	if err != nil {
		session.Close()
		end()
		return err
	}
	if !timer.Stop() {
		session.Close()
		end()
		return fmt.Errorf("connect: timed out after %s", c.m.opts.ConnectTimeout)
	}
	c.mu.Lock()
	if c.m.ctx.Err() != nil { // Close ran meanwhile: it cannot see this session
		c.mu.Unlock()
		closeSession(session, end)
		return errors.New("closed")
	}
	old, oldEnd := c.session, c.end
	c.session, c.end, c.services, c.err, c.listed = session, end, services, nil, notes
	c.mu.Unlock()
	if old != nil {
		closeSession(old, oldEnd)
	}
	c.m.spawn(func() {
		session.Wait()
		c.lost(session)
	})
	c.refresh() // a change announced while listing
	return nil
}

// closeGrace is how long a session may take to close politely before its
// connection is cut.
const closeGrace = 2 * time.Second

// closeSession closes a session, then ends what it started. A session
// whose transport does not let go (an SSE stream the server keeps open)
// has its context cancelled after closeGrace, which ends the stream, so
// Close never hangs on a server.
func closeSession(s *sdk.ClientSession, end func()) error {
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(closeGrace):
		end()
		err = <-done
	}
	end()
	return err
}

// lost notices a session that ended without the manager ending it (the
// server exited or dropped the connection): its tools stay listed, so a
// caller who asks for one hears the fallback, and the manager reconnects.
func (c *conn) lost(s *sdk.ClientSession) {
	c.mu.Lock()
	if c.session != s {
		c.mu.Unlock()
		return // replaced, or closed by the manager
	}
	c.end()
	c.session, c.end = nil, nil
	c.err = errors.New("connection lost")
	c.mu.Unlock()
	c.m.opts.Logger.Warn("mcp server connection lost", "integration", c.in.Name)
	c.reconnect(500 * time.Millisecond)
}

// transport is one way to reach a server; stop ends what it started (the
// process group of a command).
type transport struct {
	name      string
	transport sdk.Transport
	stop      func()
}

// transports are the ways to reach the server, tried in order. Requests
// over HTTP end with the session's context.
func (c *conn) transports(session context.Context) []transport {
	if c.m.opts.Dial != nil {
		return []transport{{"dial", c.m.opts.Dial(c.in), func() {}}}
	}
	if len(c.in.Command) > 0 {
		cmd := exec.Command(c.in.Command[0], c.in.Command[1:]...)
		// Stderr stays nil (/dev/null), so no goroutine copies it and Wait
		// does not hang on a grandchild that holds it.
		inOwnGroup(cmd)
		// A server that does not exit when its input closes is sent SIGTERM
		// after a second, not the SDK's five.
		return []transport{{"stdio", &sdk.CommandTransport{Command: cmd, TerminateDuration: time.Second}, func() { stopGroup(cmd) }}}
	}
	base, _ := url.Parse(c.in.URL) // validated at load
	client := &http.Client{
		Transport: headers{session: session, pairs: c.in.Headers, scheme: base.Scheme, host: base.Host, next: c.m.http},
		// A redirect would carry the headers' credentials elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	streamable := transport{"streamable HTTP", &sdk.StreamableClientTransport{Endpoint: c.in.URL, HTTPClient: client}, func() {}}
	sse := transport{"SSE", &sdk.SSEClientTransport{Endpoint: c.in.URL, HTTPClient: client}, func() {}}
	switch c.in.Transport {
	case configs.TransportStreamable:
		return []transport{streamable}
	case configs.TransportSSE:
		return []transport{sse}
	}
	return []transport{streamable, sse}
}

// headers adds an integration's headers to the requests for its server's
// own scheme and host (an SSE server names where to post; if it names
// another host, the credentials do not go there), and ends every request
// when its session ends. The SDK posts its answers to a server's requests
// with a context that is never done; a server that never answers such a
// post (the reference server does not, for a session it has dropped)
// would otherwise hold the session's Close for good.
type headers struct {
	session      context.Context
	pairs        configs.Pairs
	scheme, host string
	next         http.RoundTripper
}

func (h headers) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(h.session, cancel)
	end := func() {
		stop()
		cancel()
	}
	r = r.Clone(ctx) // a RoundTripper must not change the request it was given
	if len(h.pairs) > 0 && r.URL.Scheme == h.scheme && r.URL.Host == h.host {
		for _, p := range h.pairs {
			r.Header.Set(p.Key, p.Value)
		}
	}
	resp, err := h.next.RoundTrip(r)
	if err != nil {
		end()
		return nil, err
	}
	resp.Body = &endingBody{ReadCloser: resp.Body, end: end}
	return resp, nil
}

// endingBody releases its request's context once the body is closed.
type endingBody struct {
	io.ReadCloser
	end func()
}

func (b *endingBody) Close() error {
	err := b.ReadCloser.Close()
	b.end()
	return err
}

// list fetches the tools and maps those selected to services; a tool the
// schema mapping cannot express is skipped and logged.
func (c *conn) list(ctx context.Context, s *sdk.ClientSession) ([]configs.Service, error) {
	var out []configs.Service
	for t, err := range s.Tools(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("list tools: %w", err)
		}
		if !selected(c.in, t.Name) {
			continue
		}
		svc, notes, err := service(c.in, t, c.m.lang)
		for _, note := range notes {
			c.m.opts.Logger.Warn("mcp tool: "+note, "integration", c.in.Name, "tool", t.Name)
		}
		if err != nil {
			c.m.opts.Logger.Warn("mcp tool skipped", "integration", c.in.Name, "tool", t.Name, "reason", err)
			continue
		}
		out = append(out, svc)
	}
	for _, o := range c.in.Overrides {
		if !slices.ContainsFunc(out, func(s configs.Service) bool { return s.Intent == o.Intent }) {
			c.m.opts.Logger.Warn("mcp override of a tool that is not listed (the server lacks it, include/exclude leave it out, or it was skipped)", "integration", c.in.Name, "tool", o.Intent)
		}
	}
	return out, nil
}

// refresh lists the tools again while announced changes are unlisted, one
// goroutine at a time per connection; a list is kept only if its session
// is still the current one.
func (c *conn) refresh() {
	c.mu.Lock()
	if c.refreshing || c.session == nil || c.listed >= c.notes {
		c.mu.Unlock()
		return
	}
	c.refreshing = true
	c.mu.Unlock()
	c.m.spawn(func() {
		defer func() {
			c.mu.Lock()
			c.refreshing = false
			c.mu.Unlock()
		}()
		for {
			c.mu.Lock()
			s, want := c.session, c.notes
			if s == nil || c.listed >= want {
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			ctx, cancel := context.WithTimeout(c.m.ctx, c.m.opts.ConnectTimeout)
			services, err := c.list(ctx, s)
			cancel()
			if err != nil {
				c.m.opts.Logger.Warn("mcp tools not refreshed", "integration", c.in.Name, "reason", c.redacted(err))
				return
			}
			c.mu.Lock()
			current := c.session == s
			if current {
				c.services, c.listed = services, want
			}
			c.mu.Unlock()
			if current {
				c.m.opts.Logger.Info("mcp tools changed", "integration", c.in.Name, "tools", len(services))
				c.changed()
			}
		}
	})
}

func (c *conn) changed() {
	if c.m.opts.OnChange != nil {
		c.m.opts.OnChange()
	}
}

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
	"os/exec"
	"slices"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/voiceagent/voiceagent/configs"
)

// Options configure a Manager; the zero value means the defaults.
type Options struct {
	// ConnectTimeout bounds each connection attempt (default 10s).
	ConnectTimeout time.Duration
	// Attempts is how many times Start tries each server (default 3), with
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
}

// Manager holds the MCP connections of one agent. Its methods are safe for
// concurrent use.
type Manager struct {
	opts   Options
	lang   string
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
	end      context.CancelFunc // ends the session's context
	services []configs.Service
	err      error
}

// Status is the state of one MCP integration.
type Status struct {
	Integration string
	Connected   bool
	Tools       int
	Err         string // why it is not connected
}

// Start connects to every MCP integration of the agent and lists its
// tools. It returns when each has connected or used its attempts; servers
// that are down keep being retried in the background until Close.
func Start(ctx context.Context, a *configs.Agent, opts Options) *Manager {
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
	m := &Manager{opts: opts, lang: a.Language}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	for i := range a.Integrations {
		if in := &a.Integrations[i]; in.Type == configs.IntegrationMCP {
			m.conns = append(m.conns, &conn{m: m, in: in})
		}
	}
	var initial sync.WaitGroup
	for _, c := range m.conns {
		initial.Add(1)
		go func() {
			defer initial.Done()
			if !c.connect(ctx, opts.Attempts) {
				m.spawn(func() { c.reconnect(opts.Reconnect) })
			}
		}()
	}
	initial.Wait()
	return m
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
			errs = append(errs, s.Close())
			end()
		}
	}
	m.wg.Wait()
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
	sessionCtx, end := context.WithCancel(c.m.ctx)
	timer := time.AfterFunc(c.m.opts.ConnectTimeout, end)
	stop := context.AfterFunc(ctx, end)
	defer func() {
		timer.Stop()
		stop()
	}()
	client := sdk.NewClient(&sdk.Implementation{Name: "voiceagent", Version: "1"}, &sdk.ClientOptions{
		Logger: slog.New(slog.DiscardHandler),
		ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) {
			c.m.spawn(c.refresh) // not on the connection's reading goroutine
		},
	})
	var session *sdk.ClientSession
	var err error
	for _, t := range c.transports() {
		if session, err = client.Connect(sessionCtx, t, nil); err == nil {
			break
		}
	}
	if err != nil {
		end()
		return fmt.Errorf("connect: %w", err)
	}
	services, err := c.list(sessionCtx, session)
	if err != nil {
		session.Close()
		end()
		return err
	}
	if !timer.Stop() || sessionCtx.Err() != nil {
		session.Close()
		end()
		return fmt.Errorf("connect: timed out after %s", c.m.opts.ConnectTimeout)
	}
	c.mu.Lock()
	old, oldEnd := c.session, c.end
	c.session, c.end, c.services, c.err = session, end, services, nil
	c.mu.Unlock()
	if old != nil {
		old.Close()
		oldEnd()
	}
	c.m.spawn(func() {
		session.Wait()
		c.lost(session)
	})
	return nil
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

// transports are the ways to reach the server, tried in order.
func (c *conn) transports() []sdk.Transport {
	if c.m.opts.Dial != nil {
		return []sdk.Transport{c.m.opts.Dial(c.in)}
	}
	if len(c.in.Command) > 0 {
		cmd := exec.Command(c.in.Command[0], c.in.Command[1:]...)
		cmd.Stderr = io.Discard
		// A server that does not exit when its input closes is sent SIGTERM
		// after a second, not the SDK's five.
		return []sdk.Transport{&sdk.CommandTransport{Command: cmd, TerminateDuration: time.Second}}
	}
	client := &http.Client{Transport: headers{c.in.Headers}}
	streamable := &sdk.StreamableClientTransport{Endpoint: c.in.URL, HTTPClient: client}
	sse := &sdk.SSEClientTransport{Endpoint: c.in.URL, HTTPClient: client}
	switch c.in.Transport {
	case configs.TransportStreamable:
		return []sdk.Transport{streamable}
	case configs.TransportSSE:
		return []sdk.Transport{sse}
	}
	return []sdk.Transport{streamable, sse}
}

// headers adds an integration's headers to every request.
type headers struct{ pairs configs.Pairs }

func (h headers) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for _, p := range h.pairs {
		r.Header.Set(p.Key, p.Value)
	}
	return http.DefaultTransport.RoundTrip(r)
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
		svc, err := service(c.in, t, c.m.lang)
		if err != nil {
			c.m.opts.Logger.Warn("mcp tool skipped", "integration", c.in.Name, "tool", t.Name, "reason", err)
			continue
		}
		out = append(out, svc)
	}
	for _, o := range c.in.Overrides {
		if !slices.ContainsFunc(out, func(s configs.Service) bool { return s.Intent == o.Intent }) {
			c.m.opts.Logger.Warn("mcp override of a tool the server does not offer (or include/exclude leave out)", "integration", c.in.Name, "tool", o.Intent)
		}
	}
	return out, nil
}

// refresh lists the tools again after the server announced a change.
func (c *conn) refresh() {
	c.mu.Lock()
	s := c.session
	c.mu.Unlock()
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.m.ctx, c.m.opts.ConnectTimeout)
	defer cancel()
	services, err := c.list(ctx, s)
	if err != nil {
		c.m.opts.Logger.Warn("mcp tools not refreshed", "integration", c.in.Name, "reason", err)
		return
	}
	c.mu.Lock()
	c.services = services
	c.mu.Unlock()
	c.m.opts.Logger.Info("mcp tools changed", "integration", c.in.Name, "tools", len(services))
	c.changed()
}

func (c *conn) changed() {
	if c.m.opts.OnChange != nil {
		c.m.opts.OnChange()
	}
}

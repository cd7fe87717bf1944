// Package agents holds the agents a process serves, ready for calls: each
// agent's services compiled, its dialog built, its MCP servers connected
// and their tools merged in as services. When a server's tools change the
// agent is rebuilt and swapped in whole; calls in progress keep the agent
// they started with.
package agents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/tools/mcp"
)

// Options configure a Set; the zero value is usable.
type Options struct {
	// HTTP runs HTTP services; nil means a default executor.
	HTTP *tools.Executor
	// MCP configures connections to MCP servers (OnChange is the Set's).
	MCP mcp.Options
	// Logger receives agent events; nil means slog.Default().
	Logger *slog.Logger
}

// Set is a group of agents. Its methods are safe for concurrent use.
type Set struct {
	opts    Options
	mu      sync.Mutex
	entries []*entry
}

type entry struct {
	set     *Set
	cfg     *configs.Agent
	mcp     *mcp.Manager
	current atomic.Pointer[session.Agent]
	build   sync.Mutex // one rebuild at a time
}

// New returns an empty set.
func New(opts Options) *Set {
	if opts.HTTP == nil {
		opts.HTTP = &tools.Executor{Logger: opts.Logger}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MCP.Logger == nil {
		opts.MCP.Logger = opts.Logger
	}
	return &Set{opts: opts}
}

// Add makes a loaded agent ready: connects its MCP servers (waiting for
// their first attempts), merges their tools and builds it. A server that is
// down leaves its tools out; they join when it comes up.
func (s *Set) Add(ctx context.Context, cfg *configs.Agent) (*session.Agent, error) {
	if other := s.entry(cfg.Name); other != nil {
		return nil, fmt.Errorf("%s: an agent named %q is already loaded from %s", cfg.Source.File, cfg.Name, other.cfg.Source.File)
	}
	e := &entry{set: s, cfg: cfg}
	opts := s.opts.MCP
	opts.OnChange = func() {
		if err := e.rebuild(); err != nil {
			s.opts.Logger.Error("agent not rebuilt after its MCP tools changed", "agent", cfg.Name, "reason", err)
		}
	}
	// The manager exists before it connects: a change it announces while
	// connecting rebuilds the agent like any other.
	e.mcp = mcp.New(cfg, opts)
	e.mcp.Connect(ctx)
	if err := e.rebuild(); err != nil {
		e.mcp.Close()
		return nil, err
	}
	s.mu.Lock()
	s.entries = append(s.entries, e)
	s.mu.Unlock()
	return e.current.Load(), nil
}

// rebuild merges the MCP tools into a copy of the agent and swaps it in.
// A tool that does not compile with the agent (an override's template
// naming a field the server no longer has, say) is left out and logged;
// the agent and its other tools stay.
func (e *entry) rebuild() error {
	e.build.Lock()
	defer e.build.Unlock()
	log := e.set.opts.Logger.With("agent", e.cfg.Name)
	taken := map[string]bool{}
	for _, svc := range e.cfg.AllServices() {
		taken[svc.Intent] = true
	}
	var tools []configs.Service
	for _, tool := range e.mcp.Services() {
		if taken[tool.Intent] {
			log.Warn("mcp tool skipped: another service has its name", "integration", tool.Integration, "tool", tool.Intent)
			continue
		}
		taken[tool.Intent] = true
		tools = append(tools, tool)
	}
	a, err := session.NewAgent(withTools(e.cfg, tools))
	if err != nil && len(tools) > 0 {
		// Find the tools at fault, one build each; build once more without them.
		tools = slices.DeleteFunc(tools, func(tool configs.Service) bool {
			_, err := session.NewAgent(withTools(e.cfg, []configs.Service{tool}))
			if err != nil {
				log.Warn("mcp tool skipped", "integration", tool.Integration, "tool", tool.Intent, "reason", err)
			}
			return err != nil
		})
		a, err = session.NewAgent(withTools(e.cfg, tools))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", e.cfg.Name, err)
	}
	e.current.Store(a)
	return nil
}

// withTools is a copy of cfg with MCP tools added to their integrations.
func withTools(cfg *configs.Agent, tools []configs.Service) *configs.Agent {
	resolved := *cfg
	resolved.Integrations = append([]configs.Integration(nil), cfg.Integrations...)
	for _, tool := range tools {
		for i := range resolved.Integrations {
			if in := &resolved.Integrations[i]; in.Name == tool.Integration {
				in.Tools = append(slices.Clip(in.Tools), tool)
			}
		}
	}
	return &resolved
}

// Agents returns the current agents, in the order they were added.
func (s *Set) Agents() []*session.Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session.Agent, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.current.Load()
	}
	return out
}

// Agent returns the current agent with a name, or nil.
func (s *Set) Agent(name string) *session.Agent {
	if e := s.entry(name); e != nil {
		return e.current.Load()
	}
	return nil
}

func (s *Set) entry(name string) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.cfg.Name == name {
			return e
		}
	}
	return nil
}

// Executor runs any agent's services: HTTP services with the HTTP executor,
// MCP tools through their agent's connections.
func (s *Set) Executor() session.Executor { return executor{s} }

type executor struct{ s *Set }

func (x executor) Execute(ctx context.Context, svc *tools.Service, in tools.Input) *tools.Result {
	if svc.MCP == nil {
		return x.s.opts.HTTP.Execute(ctx, svc, in)
	}
	e := x.s.entry(svc.Agent().Name)
	if e == nil {
		return &tools.Result{Outcome: svc.Failure(in, mcp.ErrUnavailable)}
	}
	return e.mcp.Execute(ctx, svc, in)
}

// Status is the state of an agent's MCP servers.
type Status struct {
	Agent string
	MCP   []mcp.Status
}

// Status reports every agent's MCP servers.
func (s *Set) Status() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, len(s.entries))
	for i, e := range s.entries {
		out[i] = Status{Agent: e.cfg.Name, MCP: e.mcp.Status()}
	}
	return out
}

// Close disconnects every MCP server and waits for background work. It is
// safe to call more than once.
func (s *Set) Close() error {
	s.mu.Lock()
	entries := s.entries
	s.mu.Unlock()
	var errs []error
	for _, e := range entries {
		errs = append(errs, e.mcp.Close())
	}
	return errors.Join(errs...)
}

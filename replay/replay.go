// Package replay runs transcripts against agents as regression tests: each
// caller turn goes through the real dialog engine and the services' real
// request rendering and response mapping, answered by stubs instead of the
// network, on a virtual clock; each turn's expectations are checked.
package replay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/tools/mcp"
	"github.com/voiceagent/voiceagent/transcript"
)

// Runner runs transcripts. Its zero value replays offline, each transcript
// against the agent it names. An agent with MCP integrations connects to
// their servers to list its tools, even offline (the calls are stubbed);
// a server that is down stops its transcripts from running. Environment
// variables the agent's file uses (${VAR}) may be unset: a request that
// would be sent with one fails its turn, naming the variable. Close the
// Runner when done.
type Runner struct {
	// Config, when set, is the agent every transcript runs against.
	Config string
	// Live sends requests that have no stub to the real services, HTTP ones
	// with Executor (nil means a default one); without it they fail the turn.
	Live     bool
	Executor *tools.Executor
	// MCP configures the connections to MCP servers.
	MCP mcp.Options
	// Understander, when set, reads every caller turn with a language
	// model (replay --llm); otherwise turns are read by the rules, with
	// the model's readings recorded in the transcript (model:) if any.
	Understander session.Understander

	agents map[string]*loaded // by path
}

type loaded struct {
	agent *session.Agent
	set   *agents.Set
	err   error
}

// Close disconnects from the MCP servers of the agents that were loaded.
func (r *Runner) Close() error {
	var errs []error
	for _, l := range r.agents {
		errs = append(errs, l.set.Close())
	}
	r.agents = nil
	return errors.Join(errs...)
}

// ErrSetup is matched by errors that stop a transcript from running at all:
// a malformed transcript or an agent that does not load.
var ErrSetup = errors.New("cannot run transcript")

// Result is one transcript's run.
type Result struct {
	File   string       `json:"file"`
	Passed bool         `json:"passed"`
	Turns  []TurnResult `json:"turns"`
	// Err is set when the transcript could not run; Turns is then empty.
	Err error `json:"-"`
}

// TurnResult is what one turn did, and what it failed to do.
type TurnResult struct {
	Line     int               `json:"-"`
	Caller   string            `json:"caller,omitempty"`
	DTMF     string            `json:"dtmf,omitempty"`
	Wait     string            `json:"wait,omitempty"`
	Agent    string            `json:"agent"`
	State    string            `json:"state"`
	Intent   string            `json:"intent,omitempty"`
	Slots    map[string]string `json:"slots,omitempty"`
	Asks     *string           `json:"asks"`
	Requests []RequestResult   `json:"requests"`
	Failures []string          `json:"failures"`
	// Unchecked says why the turn was not checked: a redacted
	// transcript's turn that lost what it would be checked against, or
	// that could not be played (its input, or an earlier turn's, was
	// withheld). It is not a failure.
	Unchecked string `json:"unchecked,omitempty"`
}

// RequestResult is a request made during a turn.
type RequestResult struct {
	Intent string `json:"intent"`
	Method string `json:"method"`
	URL    string `json:"url"`
	Body   any    `json:"body,omitempty"`
}

// Files expands paths (files and folders, searched recursively for .yaml,
// .yml and .json files) into transcript files, in name order.
func Files(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && configs.IsAgentFile(path) {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// RunFile loads and runs one transcript file.
func (r *Runner) RunFile(ctx context.Context, path string) Result {
	t, err := transcript.Load(path)
	if err != nil {
		return Result{File: path, Err: fmt.Errorf("%w: %w", ErrSetup, err)}
	}
	return r.Run(ctx, t)
}

// Run runs a transcript.
func (r *Runner) Run(ctx context.Context, t *transcript.Transcript) Result {
	res := Result{File: t.File}
	l, err := r.agent(ctx, t)
	if err != nil {
		res.Err = fmt.Errorf("%w: %w", ErrSetup, err)
		return res
	}
	agent := l.agent
	now, err := startTime(t, agent)
	if err != nil {
		res.Err = fmt.Errorf("%w: %s: %w", ErrSetup, t.File, err)
		return res
	}
	exec := &stubs{stubs: t.Stubs}
	if r.Live {
		exec.live = l.set.Executor()
	}
	callID := t.CallID
	if callID == "" {
		callID = "replay-" + strings.TrimSuffix(filepath.Base(t.File), filepath.Ext(t.File))
	}
	s := session.New(agent, exec, callID, t.From)
	if r.Understander != nil {
		s.UseModel(session.Model{Understander: r.Understander})
	}
	s.Start(ctx, now)
	res.Passed = true
	withheld := 0 // the first turn whose input a redacted transcript withholds, counted from 1
	for i, turn := range t.Turns {
		if t.Redacted && withheld == 0 && turn.Withheld() {
			withheld = i + 1
		}
		if withheld > 0 {
			res.Turns = append(res.Turns, unplayed(turn, i+1, withheld))
			continue
		}
		exec.begin(turn.Requests)
		played := play(ctx, s, turn, &now, r.Understander == nil)
		tr := describe(turn, &played)
		tr.Failures = append(tr.Failures, exec.failures...)
		if len(turn.Redacted) > 0 {
			tr.Unchecked = "what it recorded was redacted (" + strings.Join(turn.Redacted, ", ") + ")"
		} else {
			tr.Failures = append(tr.Failures, check(turn, tr)...)
		}
		if played.State.Phase == dialog.PhaseEnded && i+1 < len(t.Turns) {
			tr.Failures = append(tr.Failures, fmt.Sprintf("the call ended, but %d more turns follow", len(t.Turns)-i-1))
		}
		res.Turns = append(res.Turns, tr)
		if len(tr.Failures) > 0 {
			res.Passed = false
		}
		if played.State.Phase == dialog.PhaseEnded {
			break
		}
	}
	return res
}

// unplayed is the result of turn n of a redacted transcript, not played:
// its input, or that of turn withheld before it, was withheld, so the call
// cannot go on as it went.
func unplayed(turn transcript.Turn, n, withheld int) TurnResult {
	tr := TurnResult{Line: turn.Line, Caller: turn.Caller, DTMF: turn.DTMF, Requests: []RequestResult{}, Failures: []string{}}
	if turn.Wait > 0 {
		tr.Wait = time.Duration(turn.Wait).String()
	}
	switch {
	case n > withheld:
		tr.Unchecked = fmt.Sprintf("it follows turn %d, whose input was redacted", withheld)
	case turn.DTMF != "":
		tr.Unchecked = "the caller's keys were redacted"
	default:
		tr.Unchecked = "the caller's words were redacted"
	}
	return tr
}

// play feeds one turn to the session, with the model's recorded reading
// when asked to. A wait delivers every no-input timeout that falls within
// it, in order, and moves the clock on.
func play(ctx context.Context, s *session.Session, turn transcript.Turn, now *time.Time, recorded bool) session.Turn {
	switch {
	case turn.Caller != "":
		u := dialog.Utterance{At: *now, Text: turn.Caller}
		if recorded {
			u.Reading = session.FromTranscript(turn.Model)
		}
		return s.Handle(ctx, u)
	case turn.DTMF != "":
		return s.Handle(ctx, dialog.DTMF{At: *now, Digits: turn.DTMF})
	}
	end := now.Add(time.Duration(turn.Wait))
	*now = end
	return s.Wait(ctx, end)
}

// agent loads (once) the agent a transcript runs against: --config, or the
// transcript's agent: relative to its folder, or an embedded example by
// name.
func (r *Runner) agent(ctx context.Context, t *transcript.Transcript) (*loaded, error) {
	path := r.Config
	if path == "" {
		if t.Agent == "" {
			return nil, fmt.Errorf("%s: the transcript names no agent: add agent: or pass --config", t.File)
		}
		path = t.Agent
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(t.File), path)
		}
	}
	if l, ok := r.agents[path]; ok {
		return l, l.err // an agent that did not load is not tried again
	}
	cfg, err := loadAgent(path, t.Agent)
	if err != nil {
		return nil, err
	}
	if r.agents == nil {
		r.agents = map[string]*loaded{}
	}
	l := r.connect(ctx, path, cfg)
	r.agents[path] = l
	return l, l.err
}

// connect makes an agent ready: its MCP servers connected, their tools
// listed. A server that is down is an error: its tools would be missing.
func (r *Runner) connect(ctx context.Context, path string, cfg *configs.Agent) *loaded {
	exec := r.Executor
	if exec == nil {
		exec = &tools.Executor{}
	}
	set := agents.New(agents.Options{HTTP: exec, MCP: r.MCP, Logger: r.MCP.Logger})
	l := &loaded{set: set}
	if l.agent, l.err = set.Add(ctx, cfg); l.err != nil {
		return l
	}
	for _, st := range set.Status()[0].MCP {
		if !st.Connected {
			l.err = fmt.Errorf("%s: integration %s: the MCP server is unavailable (%s); its tools cannot be listed", path, st.Integration, st.Err)
			return l
		}
	}
	return l
}

// loadAgent loads the agent at path, or the embedded example of that
// name. An environment variable its file uses may be unset: every request
// of a replay is stubbed, and one that would be sent with an unset
// variable fails instead (tools.ErrUnsetEnv).
func loadAgent(path, name string) (*configs.Agent, error) {
	if _, err := os.Stat(path); err != nil && !strings.ContainsAny(name, `/\.`) {
		examples, eerr := configs.LoadExamples()
		for _, a := range examples {
			if a.Name == name {
				return a, configs.AllowUnset(eerr)
			}
		}
	}
	a, err := configs.Load(path)
	return a, configs.AllowUnset(err)
}

func startTime(t *transcript.Transcript, a *session.Agent) (time.Time, error) {
	if t.Now == "" {
		return time.Now().In(a.Catalog.Location), nil
	}
	now, err := time.Parse(time.RFC3339, t.Now)
	if err != nil {
		return time.Time{}, err
	}
	return now.In(a.Catalog.Location), nil
}

// Package session runs one conversation end to end without audio: it feeds
// events to a dialog.Call, runs the services the dialog asks for through an
// Executor, hands their answers back, and records the call as a transcript.
// Chat, replay and the voice runtime all drive calls through it.
package session

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/transcript"
)

// Executor runs a service. *tools.Executor sends real requests; replay
// answers from stubs. It must not return nil and must honour ctx.
type Executor interface {
	Execute(ctx context.Context, s *tools.Service, in tools.Input) *tools.Result
}

// Agent is an agent ready for calls: its compiled services and its dialog
// engine.
type Agent struct {
	Catalog *tools.Catalog
	Engine  *dialog.Engine
}

// Session is one call. It is not safe for concurrent use.
type Session struct {
	agent  *Agent
	exec   Executor
	call   *dialog.Call
	callID string
	from   string
	rec    transcript.Transcript
	last   time.Time // of the last event

	model   Model
	history []dialog.Exchange // the last exchanges, for the model

	priv *privacy // the caller's personal data
}

// New starts a session; send it Start.
func New(a *Agent, exec Executor, callID, from string) *Session {
	return &Session{
		agent: a, exec: exec, callID: callID, from: from,
		call: a.Engine.NewCall(callID, from),
		rec:  transcript.Transcript{From: from, CallID: callID},
		priv: newPrivacy(a, from),
	}
}

// Turn is what one event led to.
type Turn struct {
	Actions []dialog.Action
	// Results are the services run during the turn, in order.
	Results []*tools.Result
	State   dialog.State
}

// Said is everything the agent said in the turn, joined by spaces.
func (t *Turn) Said() string {
	var parts []string
	for _, a := range t.Actions {
		if s := dialog.Text(a); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// Ended reports whether the agent hung up or transferred the call.
func (t *Turn) Ended() bool {
	for _, a := range t.Actions {
		switch a.(type) {
		case dialog.End, dialog.Transfer:
			return true
		}
	}
	return false
}

// Start greets the caller: Handle of dialog.Start.
func (s *Session) Start(ctx context.Context, at time.Time) Turn {
	return s.Handle(ctx, dialog.Start{At: at})
}

// Handle feeds one event to the call, runs every service the dialog asks
// for and feeds back their results. A dialog.Start greets the caller.
func (s *Session) Handle(ctx context.Context, ev dialog.Event) Turn {
	return s.HandleWith(ctx, ev, s.exec)
}

// HandleWith is Handle with the turn's services run by exec instead of
// the session's executor: a caller that must know of each service as it
// starts (the call layer, to say a filler when one is slow) passes its
// own, wrapping the session's (Executor).
func (s *Session) HandleWith(ctx context.Context, ev dialog.Event, exec Executor) Turn {
	if st, ok := ev.(dialog.Start); ok {
		return s.start(ctx, st, exec)
	}
	return s.handle(ctx, ev, exec)
}

func (s *Session) start(ctx context.Context, st dialog.Start, exec Executor) Turn {
	if s.rec.Now == "" {
		s.rec.Now = st.At.Format(time.RFC3339)
	}
	t := s.handle(ctx, st, exec)
	s.rec.Turns, s.priv.turns = nil, nil // the greeting is not a caller turn
	s.remember(dialog.Exchange{Agent: t.Said()})
	return t
}

func (s *Session) handle(ctx context.Context, ev dialog.Event, exec Executor) Turn {
	var t Turn
	if u, ok := ev.(dialog.Utterance); ok {
		ev = s.understand(ctx, u)
	}
	var before dialog.State
	watch := s.priv.watches(ev)
	if watch {
		before = s.call.State()
	}
	pending := s.call.Step(ev)
	s.priv.private = watch && s.priv.gave(ev, before, s.call.State(), pending)
	at := dialog.At(ev)
	for len(pending) > 0 {
		a := pending[0]
		pending = pending[1:]
		t.Actions = append(t.Actions, a)
		ex, ok := a.(dialog.Execute)
		if !ok {
			continue
		}
		res := s.run(ctx, exec, at, ex)
		t.Results = append(t.Results, res)
		at = at.Add(res.Duration)
		pending = append(pending, s.call.Step(dialog.Result{At: at, Intent: ex.Intent, Message: res.Message, Failed: res.Failed()})...)
	}
	t.State = s.call.State()
	s.priv.saw(ev, t.State, t.Actions)
	s.record(ev, &t)
	s.last = dialog.At(ev)
	return t
}

func (s *Session) run(ctx context.Context, exec Executor, at time.Time, ex dialog.Execute) *tools.Result {
	svc := s.agent.Catalog.Service(ex.Intent)
	return exec.Execute(ctx, svc, tools.Input{
		Fields:       maps.Clone(ex.Fields),
		CallID:       s.callID,
		CallerNumber: s.from,
		Now:          at,
	})
}

// Wait delivers every no-input timeout due by until, in order, as one turn.
func (s *Session) Wait(ctx context.Context, until time.Time) Turn {
	var merged Turn
	for d := s.Deadline(); !d.IsZero() && !d.After(until); d = s.Deadline() {
		t := s.Handle(ctx, dialog.Timeout{At: d})
		merged.Actions = append(merged.Actions, t.Actions...)
		merged.Results = append(merged.Results, t.Results...)
	}
	merged.State = s.State()
	return merged
}

// Deadline is when the call's no-input timer should fire (zero: none).
func (s *Session) Deadline() time.Time { return s.call.Deadline() }

// State returns the call's state.
func (s *Session) State() dialog.State { return s.call.State() }

// record appends the turn to the transcript of the call.
func (s *Session) record(ev dialog.Event, t *Turn) {
	var rt transcript.Turn
	switch ev := ev.(type) {
	case dialog.Utterance:
		rt.Caller = ev.Text
		rt.Model = toTranscript(ev.Reading)
		s.remember(dialog.Exchange{Caller: ev.Text, Agent: t.Said()})
	case dialog.DTMF:
		rt.DTMF = ev.Digits
		s.remember(dialog.Exchange{Caller: "(keys " + ev.Digits + ")", Agent: t.Said()})
	case dialog.Timeout:
		if len(t.Actions) == 0 {
			return // not yet silent for long enough: nothing happened
		}
		rt.Wait = transcript.Duration(ev.At.Sub(s.last))
		s.remember(dialog.Exchange{Caller: "(silence)", Agent: t.Said()})
	default:
		return
	}
	rt.Agent = t.Said()
	i := 0
	for _, a := range t.Actions {
		if ex, ok := a.(dialog.Execute); ok {
			rt.Requests = append(rt.Requests, Record(ex.Intent, t.Results[i]))
			i++
		}
	}
	s.rec.Turns = append(s.rec.Turns, rt)
	s.priv.turns = append(s.priv.turns, s.priv.private)
}

// Transcript returns the call so far as a replayable transcript.
func (s *Session) Transcript() *transcript.Transcript {
	t := s.rec
	t.Turns = append([]transcript.Turn(nil), s.rec.Turns...)
	return &t
}

// Record describes a service run for a transcript: the request and the
// response that answered it.
func Record(intent string, r *tools.Result) transcript.Request {
	req := transcript.Request{Intent: intent}
	if r.Request != nil {
		req.Method, req.URL = r.Request.Method, r.Request.RedactedURL() // no secrets in a transcript file
		if len(r.Request.Body) > 0 {
			req.Body = decode(r.Request.Body)
		}
	}
	if r.Response != nil {
		req.Response = &transcript.Response{Status: r.Response.Status}
		if len(r.Response.Body) > 0 {
			req.Response.Body = decode(r.Response.Body)
		}
	}
	return req
}

// decode returns JSON data, or the text of a body that is not JSON.
func decode(b []byte) any {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	return v
}

// NewAgent compiles a loaded agent's services and builds its dialog engine,
// reporting the problems of both as configs.Problems.
func NewAgent(a *configs.Agent) (*Agent, error) {
	cat, err := tools.Compile(a)
	problems := configs.AsProblems(err)
	eng, err := dialog.New(a)
	problems = append(problems, configs.AsProblems(err)...)
	if len(problems) > 0 {
		return nil, problems.Err()
	}
	return &Agent{Catalog: cat, Engine: eng}, nil
}

// Package calls is the call layer: it owns a call, whatever carries it.
//
// For each call a transport brings to the voice runtime, the Layer opens
// a session for the agent asked for (or the default), with its services
// (or the executor given for it: demo stubs), the language model and the
// speech providers of the agent's language (Open, a telephony.Opener).
// While the call runs it is the runtime's telephony.Session: it times the
// model and the services, so that the runtime can tell its own share of
// the reply delay; it chooses what a caller hears while a slow service
// runs (the service's waitMessage, else the agent's working phrase); and
// it reports what happens in the call on one stream of events (Event):
// turns heard and said, fields collected, services run, the state after
// each turn, the end. The registry of live and recent calls behind the
// /v1/calls API and the recordings written when calls end read that
// stream, and so can any other reader (Observe): the browser page next.
//
// The layer knows no carrier and no audio: transports and the runtime
// (telephony) know nothing of it but the interfaces it implements.
package calls

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/telephony"
)

// Options configure a Layer. The zero value of each field but Agents
// means its default.
type Options struct {
	// Agents are the agents calls are opened for; required.
	Agents *agents.Set
	// DefaultAgent answers the calls that name no agent; "" means the
	// first of Agents.
	DefaultAgent string
	// Executors run the services of the agents they are named after,
	// instead of the set's executor: the demo stubs that answer the
	// embedded examples.
	Executors map[string]session.Executor
	// Model is the language model of every call; its zero value means the
	// rules alone. Its Understander is timed as the services are.
	Model session.Model
	// STT recognises callers, by language; a call in a language without
	// one reaches the agent with keys only.
	STT map[string]speech.STT
	// TTS speaks for every agent; nil means callers hear nothing.
	TTS speech.TTS
	// ByName makes transcripts name their agent by its name, not its
	// file: for the embedded examples, which every binary holds.
	ByName bool
	// Record is a folder where each finished call's transcript is
	// written; "" means none is.
	Record string
	// RedactTranscripts masks the caller's personal data in the
	// transcripts the layer keeps (the registry's, and the recordings):
	// session.Session.Redacted.
	RedactTranscripts bool
	// Keep is how many finished calls the registry keeps (default 200).
	Keep int
	// Retention is how long finished calls are kept — their records,
	// transcripts and recordings — once Expire runs; zero means
	// DefaultRetention.
	Retention time.Duration
	// Store keeps every call's record and state, the execution ledger and
	// the calls' recent events where every instance of the server reads
	// them (calls/redisstore); nil means this process's memory
	// (MemoryStore): calls then go on over a new connection only to this
	// instance, and the calls API shows its calls alone.
	Store Store
	// Instance names this instance of the server in the store and the
	// calls API; "" means the host name and the process id.
	Instance string
	// Metrics, when not nil, gets the services' metrics
	// (voiceagent_service_duration_seconds, voiceagent_service_errors_total).
	Metrics prometheus.Registerer
	Logger  *slog.Logger
}

// Layer opens calls and keeps track of them. It is safe for concurrent
// use.
type Layer struct {
	agents       *agents.Set
	defaultAgent string
	execs        map[string]session.Executor
	model        session.Model
	stt          map[string]speech.STT
	tts          speech.TTS
	byName       bool
	redact       bool
	log          *slog.Logger
	services     *serviceMetrics
	calls        *registry
	hub          *hub
	record       string
	retention    time.Duration
	keep         *keeper
	shared       bool // the store is shared with other instances
	instance     string
	metrics      *persistMetrics

	mu        sync.RWMutex
	observers []func(Event)
}

// New returns a Layer for the agents of o.
func New(o Options) (*Layer, error) {
	if o.Agents == nil || len(o.Agents.Agents()) == 0 {
		return nil, fmt.Errorf("calls: no agents")
	}
	l := &Layer{agents: o.Agents, defaultAgent: o.DefaultAgent, execs: o.Executors, model: o.Model,
		stt: o.STT, tts: o.TTS, byName: o.ByName, redact: o.RedactTranscripts, log: o.Logger, record: o.Record,
		retention: o.Retention}
	if l.retention <= 0 {
		l.retention = DefaultRetention
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.defaultAgent == "" {
		l.defaultAgent = o.Agents.Agents()[0].Catalog.Agent.Name
	} else if o.Agents.Agent(l.defaultAgent) == nil {
		return nil, fmt.Errorf("%w %q; loaded: %s", ErrNoAgent, l.defaultAgent, strings.Join(names(o.Agents), ", "))
	}
	var err error
	if l.services, err = newServiceMetrics(o.Metrics); err != nil {
		return nil, err
	}
	if l.metrics, err = newPersistMetrics(o.Metrics); err != nil {
		return nil, err
	}
	l.instance = o.Instance
	if l.instance == "" {
		host, _ := os.Hostname()
		l.instance = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	store := o.Store
	l.shared = store != nil
	if store == nil {
		store = NewMemoryStore()
	}
	l.keep = newKeeper(store, l.instance, l.log, l.metrics)
	keep := o.Keep
	if keep <= 0 {
		keep = 200
	}
	l.calls = newRegistry(keep)
	l.hub = newHub(keep)
	if l.shared {
		l.hub.sink = func(call string, id int64, data []byte) {
			select {
			case l.keep.events <- storedEvent{call, StoredEvent{ID: id, Data: data}}:
			default: // the store is far behind: a watcher elsewhere misses it
			}
		}
	}
	l.observers = []func(Event){l.calls.observe, l.hub.observe}
	if o.Record != "" {
		l.observers = append(l.observers, recorder{dir: o.Record, log: l.log}.observe)
	}
	return l, nil
}

func names(set *agents.Set) []string {
	var out []string
	for _, ag := range set.Agents() {
		out = append(out, ag.Catalog.Agent.Name)
	}
	return out
}

// DefaultAgent is the agent of the calls that name none.
func (l *Layer) DefaultAgent() string { return l.defaultAgent }

// Answers says whether the agent name answers calls, and in which
// language; "" is the default agent.
func (l *Layer) Answers(name string) (lang string, ok bool) {
	if name == "" {
		name = l.defaultAgent
	}
	ag := l.agents.Agent(name)
	if ag == nil {
		return "", false
	}
	return ag.Catalog.Agent.Language, true
}

// Observe adds f to the readers of the event stream. f is called for
// every event of every call, synchronously and in order for each call,
// from the goroutine the call's work runs on: it must be quick and safe
// for concurrent use, and must not keep the event's Transcript to change
// it.
func (l *Layer) Observe(f func(Event)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.observers = append(l.observers, f)
}

func (l *Layer) emit(ev Event) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, f := range l.observers {
		f(ev)
	}
}

// Open starts a call's conversation: the agent it asks for (or the
// default), its services, the model and the speech providers of its
// language.
func (l *Layer) Open(ctx context.Context, info telephony.CallInfo) (*telephony.Conversation, error) {
	name := info.Agent
	if name == "" {
		name = l.defaultAgent
	}
	ag := l.agents.Agent(name)
	if ag == nil {
		return nil, fmt.Errorf("%w %q", ErrNoAgent, name)
	}
	exec, ok := l.execs[name]
	if !ok {
		exec = l.agents.Executor()
	}
	cfg := ag.Catalog.Agent
	c := &call{l: l, id: info.ID, info: info, agent: ag, exec: exec, ref: l.ref(cfg), started: time.Now()}
	if info.Resume {
		if err := l.resume(ctx, c); err != nil {
			return nil, err
		}
		info.From = c.info.From
	} else {
		c.sess = session.New(ag, exec, info.ID, info.From)
	}
	if l.model.Understander != nil || l.model.Phraser != nil {
		m := l.model
		if m.Understander != nil {
			c.model = &timed{u: m.Understander}
			m.Understander = c.model
		}
		c.sess.UseModel(m)
	}
	shown := info
	shown.From = configs.Mask(info.From) // personal, and a phone field may take it
	c.shownFrom = shown.From
	c.freeze()
	c.emit(Opened{Info: shown, Agent: cfg.Name, Ref: c.ref, Started: c.started, Handovers: c.handovers, Instance: l.instance,
		firstEvent: c.epoch * epochEvents})
	c.save("", "", true) // before the first turn: a call lost in its greeting goes on too
	return &telephony.Conversation{Session: c, Agent: cfg, Location: ag.Catalog.Location, STT: l.stt[cfg.Language], TTS: l.tts}, nil
}

// ref is how a transcript names an agent: by the absolute path of its
// file, so that a transcript saved anywhere finds it, or, with ByName, by
// its name.
func (l *Layer) ref(a *configs.Agent) string {
	if l.byName || a.Source == nil {
		return a.Name
	}
	if abs, err := filepath.Abs(a.Source.File); err == nil {
		return abs
	}
	return a.Source.File
}

// Warmer synthesises a sentence ahead of the calls that say it:
// *telephony.Runtime.
type Warmer interface {
	Warm(ctx context.Context, agent, lang string, tts speech.TTS, text string) error
}

// Warm has w synthesise each agent's greeting, so that calls start
// speaking at once. A greeting that cannot be synthesised is logged and
// left to the first call.
func (l *Layer) Warm(ctx context.Context, w Warmer) {
	if l.tts == nil {
		return
	}
	for _, ag := range l.agents.Agents() {
		cfg := ag.Catalog.Agent
		sess := session.New(ag, &session.Stubs{}, "warm-up", "")
		t := sess.Start(ctx, time.Now())
		for _, act := range t.Actions {
			if say, ok := act.(dialog.Say); ok && say.Kind == dialog.Greeting {
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				if err := w.Warm(wctx, cfg.Name, cfg.Language, l.tts, say.Text); err != nil {
					l.log.Warn("could not synthesise the greeting ahead", "agent", cfg.Name, "err", err)
				}
				cancel()
			}
		}
	}
}

var _ telephony.Opener = (*Layer)(nil)

// Instance is this instance's name in the store and the calls API.
func (l *Layer) Instance() string { return l.instance }

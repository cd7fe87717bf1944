package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/llm"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/twiliovoice"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/transcript"
)

// serveFlags are serve's settings; each has an environment variable.
type serveFlags struct {
	config, addr, agent, publicURL, record string
	debugAddr                              string
	maxCalls                               int
	drain                                  time.Duration
	live                                   bool
	model                                  llmFlags
	speech                                 speechFlags
}

const serveHelp = `serve answers phone calls (Twilio Media Streams) with the agents, and
serves the calls API and metrics on one address:

  POST /twilio/voice   the voice webhook of a Twilio number (?agent=NAME picks
                       the agent; without it the default agent answers)
  GET  /twilio/stream  the Media Stream the webhook connects the call to
  POST /twilio/after   where the call goes when the stream ends (transfers)
  GET  /v1/calls, /v1/calls/{id}, /v1/calls/{id}/transcript
  GET  /healthz, /readyz, /metrics

With no --config it runs the embedded example agents, whose services are
answered by demo stubs (--live calls them for real).

Environment (flags override it; keys are read only from the environment):
  VOICEAGENT_ADDR        --addr        listen address (default :8080)
  VOICEAGENT_DEBUG_ADDR  --debug-addr  serve Go's profiler (/debug/pprof/) on this address;
                                       keep it private (default: off)
  GOGC                                 the garbage collector's target (default 50 for serve)
  VOICEAGENT_PUBLIC_URL  --public-url  the address Twilio reaches, e.g. https://abc.ngrok.app
                                       (default: each request's Host)
  VOICEAGENT_MAX_CALLS   --max-calls   concurrent calls; beyond, 503 (default 1000)
  VOICEAGENT_RECORD      --record      write every finished call's transcript to this folder
  TWILIO_AUTH_TOKEN                    check X-Twilio-Signature on every Twilio request
  VOICEAGENT_STT         --stt         speech-to-text: openai, deepgram or off
                                       (default: deepgram if DEEPGRAM_API_KEY is set, else
                                       openai if OPENAI_API_KEY is set, else off)
  VOICEAGENT_STT_MODEL   --stt-model   whisper-1, gpt-4o-mini-transcribe, nova-3...
  DEEPGRAM_API_KEY, DEEPGRAM_URL       Deepgram's key and endpoint (default the public one)
  VOICEAGENT_TTS         --tts         text-to-speech: openai, espeak or off
                                       (default: openai if OPENAI_API_KEY is set, else espeak-ng
                                       when installed)
  VOICEAGENT_TTS_MODEL   --tts-model   gpt-4o-mini-tts, tts-1...
  VOICEAGENT_TTS_VOICE   --tts-voice   alloy, nova...
  VOICEAGENT_LLM         --llm         language model: openai or off
  OPENAI_API_KEY, OPENAI_BASE_URL      the OpenAI-compatible server (OpenAI, Azure, Ollama, vLLM)
  VOICEAGENT_LLM_MODEL   --llm-model
  VOICEAGENT_LLM_BUDGET  --llm-budget
  OPENAI_API_TYPE, OPENAI_API_VERSION  azure, and its API version`

func (a *app) serveCmd() *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve [--config FILE] [--addr :8080]",
		Short: "Answer phone calls with the agents",
		Long:  serveHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if os.Getenv("GOGC") == "" {
				// Calls hold many small buffers that live a turn or less: a
				// heap allowed to grow half its live size, not all of it, costs
				// a third less memory at 1,000 calls for the same CPU
				// (BENCHMARKS.md).
				debug.SetGCPercent(50)
			}
			srv, err := a.newServer(ctx, f, os.Getenv)
			if err != nil {
				return err
			}
			defer srv.close()
			ln, err := net.Listen("tcp", srv.addr)
			if err != nil {
				return usageErr("%v", err)
			}
			srv.printReport(ln.Addr().String())
			return srv.serve(ctx, ln)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.config, "config", "c", "", "agent file (default: the embedded example agents)")
	fs.StringVar(&f.addr, "addr", "", "listen address (env VOICEAGENT_ADDR; default :8080)")
	fs.StringVar(&f.debugAddr, "debug-addr", "", "serve Go's profiler (/debug/pprof/) on this private address (env VOICEAGENT_DEBUG_ADDR)")
	fs.StringVar(&f.agent, "agent", "", "the agent that answers calls that do not name one (default: the first loaded)")
	fs.StringVar(&f.publicURL, "public-url", "", "the server's address as Twilio reaches it (env VOICEAGENT_PUBLIC_URL)")
	fs.StringVar(&f.record, "record", "", "write each finished call's transcript to this folder (env VOICEAGENT_RECORD)")
	fs.IntVar(&f.maxCalls, "max-calls", 0, "concurrent calls before answering 503 (env VOICEAGENT_MAX_CALLS; default 1000)")
	fs.DurationVar(&f.drain, "drain", 30*time.Second, "on SIGTERM, how long calls in progress may go on before they are ended")
	fs.BoolVar(&f.live, "live", false, "call the real services even for the embedded examples")
	fs.StringVar(&f.speech.stt, "stt", "", "speech-to-text: openai, deepgram or off (env VOICEAGENT_STT)")
	fs.StringVar(&f.speech.tts, "tts", "", "text-to-speech: openai, espeak or off (env VOICEAGENT_TTS)")
	fs.StringVar(&f.speech.sttModel, "stt-model", "", "speech-to-text model (env VOICEAGENT_STT_MODEL)")
	fs.StringVar(&f.speech.ttsModel, "tts-model", "", "text-to-speech model (env VOICEAGENT_TTS_MODEL)")
	fs.StringVar(&f.speech.voice, "tts-voice", "", "text-to-speech voice (env VOICEAGENT_TTS_VOICE)")
	f.model.add(fs, true)
	return cmd
}

// server is serve's process: agents, providers, the Twilio transport, the
// calls API and metrics.
type server struct {
	a            *app
	addr         string
	debugAddr    string // the profiler's, or ""
	set          *agents.Set
	defaultAgent string
	embedded     bool
	execs        map[string]session.Executor // by agent, when not the set's own (demo stubs)
	live         bool
	record       string
	model        *llm.Model
	modelConf    llm.Config
	voices       *voices
	twilio       *twiliovoice.Transport
	rt           *telephony.Runtime
	reg          *prometheus.Registry
	services     *serviceMetrics
	calls        *registry
	drain        time.Duration
	authSet      bool
	log          *slog.Logger
}

func env(flag, name string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	return getenv(name)
}

// newServer loads the agents, resolves the providers and builds the
// transport; nothing listens yet.
func (a *app) newServer(ctx context.Context, f *serveFlags, getenv func(string) string) (*server, error) {
	var paths []string
	if f.config != "" {
		paths = []string{f.config}
	}
	s := &server{a: a, embedded: f.config == "", live: f.live, drain: f.drain, log: a.log, calls: newRegistry(200)}
	s.addr = env(f.addr, "VOICEAGENT_ADDR", getenv)
	if s.addr == "" {
		s.addr = ":8080"
	}
	s.debugAddr = env(f.debugAddr, "VOICEAGENT_DEBUG_ADDR", getenv)
	s.record = env(f.record, "VOICEAGENT_RECORD", getenv)
	if s.record != "" {
		if err := os.MkdirAll(s.record, 0o755); err != nil {
			return nil, usageErr("--record: %v", err)
		}
	}
	maxCalls := f.maxCalls
	if maxCalls == 0 {
		if v := getenv("VOICEAGENT_MAX_CALLS"); v != "" {
			if _, err := fmt.Sscan(v, &maxCalls); err != nil || maxCalls <= 0 {
				return nil, usageErr("VOICEAGENT_MAX_CALLS %q: want a positive number", v)
			}
		}
	}
	var err error
	if s.voices, err = speechProviders(&f.speech, getenv); err != nil {
		return nil, err
	}
	s.reg = prometheus.NewRegistry()
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	llmMetrics, err := llm.NewMetrics(s.reg)
	if err != nil {
		return nil, err
	}
	c, err := f.model.config()
	if err != nil {
		return nil, err
	}
	s.modelConf = c
	if c.Enabled() {
		if s.model, err = llm.New(c, llm.Options{Logger: a.log, Observe: llmMetrics.Observe}); err != nil {
			return nil, usageErr("%v", err)
		}
	}
	tm, err := telephony.NewMetrics(s.reg)
	if err != nil {
		return nil, err
	}
	if s.services, err = newServiceMetrics(s.reg); err != nil {
		return nil, err
	}
	if s.set, err = a.connect(ctx, paths); err != nil {
		return nil, err
	}
	all := s.set.Agents()
	if err := s.prepare(all); err != nil {
		s.set.Close()
		return nil, err
	}
	s.defaultAgent = f.agent
	if s.defaultAgent == "" {
		s.defaultAgent = all[0].Catalog.Agent.Name
	} else if s.set.Agent(s.defaultAgent) == nil {
		s.set.Close()
		return nil, usageErr("--agent %q: no such agent; loaded: %s", f.agent, strings.Join(agentNames(all), ", "))
	}
	s.rt = telephony.NewRuntime(telephony.Options{Logger: a.log, Metrics: tm, Opener: s})
	token := getenv("TWILIO_AUTH_TOKEN")
	s.authSet = token != ""
	s.twilio = twiliovoice.New(s.rt, twiliovoice.Config{
		AuthToken: token, PublicURL: env(f.publicURL, "VOICEAGENT_PUBLIC_URL", getenv), MaxCalls: maxCalls, Logger: a.log,
	})
	s.warm(ctx)
	return s, nil
}

// prepare does once what every call of an agent needs: the demo stubs
// that answer the embedded examples, and a recogniser for its language.
func (s *server) prepare(all []*session.Agent) error {
	s.execs = map[string]session.Executor{}
	for _, ag := range all {
		cfg := ag.Catalog.Agent
		if s.embedded && !s.live {
			exec, _, err := chatExecutor(ag, true, "", false, s.set.Executor())
			if err != nil {
				return err
			}
			s.execs[cfg.Name] = exec
		}
		if err := s.voices.recogniser(cfg.Language); err != nil {
			return err
		}
	}
	return nil
}

func agentNames(all []*session.Agent) []string {
	var names []string
	for _, ag := range all {
		names = append(names, ag.Catalog.Agent.Name)
	}
	return names
}

// warm synthesises each agent's greeting, so calls start speaking at once.
func (s *server) warm(ctx context.Context) {
	if s.voices.tts == nil {
		return
	}
	for _, ag := range s.set.Agents() {
		cfg := ag.Catalog.Agent
		sess := session.New(ag, &session.Stubs{}, "warm-up", "")
		t := sess.Start(ctx, time.Now())
		for _, act := range t.Actions {
			if say, ok := act.(dialog.Say); ok && say.Kind == dialog.Greeting {
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				if err := s.rt.Warm(wctx, cfg.Name, cfg.Language, s.voices.tts, say.Text); err != nil {
					s.log.Warn("could not synthesise the greeting ahead", "agent", cfg.Name, "err", err)
				}
				cancel()
			}
		}
	}
}

func (s *server) close() { s.set.Close() }

// printReport says what runs and what is missing.
func (s *server) printReport(addr string) {
	w := s.a.stdout
	fmt.Fprintf(w, "voiceagent serve: listening on %s\n", addr)
	for _, ag := range s.set.Agents() {
		cfg := ag.Catalog.Agent
		note := ""
		if cfg.Name == s.defaultAgent {
			note = ", default"
		}
		fmt.Fprintf(w, "Agent %s (%s%s): %d services\n", cfg.Name, cfg.Language, note, len(ag.Catalog.Services()))
	}
	if s.embedded && !s.live {
		fmt.Fprintln(w, "Services: answered by demo stubs (--live calls them for real)")
	}
	fmt.Fprintln(w, modelNote(s.modelConf))
	for _, line := range s.voices.report() {
		fmt.Fprintln(w, line)
	}
	if s.authSet {
		fmt.Fprintln(w, "Twilio: requests must carry a valid X-Twilio-Signature")
	} else {
		fmt.Fprintln(w, "Twilio: signatures not checked (set TWILIO_AUTH_TOKEN)")
	}
	fmt.Fprintln(w, "Voice webhook: POST https://<public address>/twilio/voice[?agent=NAME]")
}

// handler is every route of the server.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	s.twilio.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /v1/calls", s.listCalls)
	mux.HandleFunc("GET /v1/calls/{id}", s.getCall)
	mux.HandleFunc("GET /v1/calls/{id}/transcript", s.getTranscript)
	return mux
}

// serve answers until ctx is done, then stops taking calls, lets those in
// progress finish (up to --drain) and returns.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	if s.debugAddr != "" {
		dl, err := net.Listen("tcp", s.debugAddr)
		if err != nil {
			return usageErr("--debug-addr: %v", err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		ds := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		defer ds.Close()
		go func() { _ = ds.Serve(dl) }()
		s.log.Info("profiler listening", "addr", dl.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "calls", s.twilio.Active())
	dctx, cancel := context.WithTimeout(context.Background(), s.drain)
	defer cancel()
	s.twilio.Drain(dctx)
	sctx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *server) ready(w http.ResponseWriter, _ *http.Request) {
	var down []string
	for _, st := range s.set.Status() {
		for _, m := range st.MCP {
			if !m.Connected {
				down = append(down, st.Agent+"/"+m.Integration)
			}
		}
	}
	if len(down) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "MCP servers down: %s\n", strings.Join(down, ", "))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// Open starts a call's conversation: the agent it asks for (or the
// default), its services (demo stubs for the embedded examples), the model
// and the speech providers for its language.
func (s *server) Open(_ context.Context, info telephony.CallInfo) (*telephony.Conversation, error) {
	name := info.Agent
	if name == "" {
		name = s.defaultAgent
	}
	ag := s.set.Agent(name)
	if ag == nil {
		return nil, fmt.Errorf("no agent %q", name)
	}
	exec, ok := s.execs[name]
	if !ok {
		exec = s.set.Executor()
	}
	cfg := ag.Catalog.Agent
	pc := &phoneCall{srv: s, agent: ag, exec: exec}
	pc.sess = session.New(ag, pc, info.ID, info.From)
	if s.model != nil {
		pc.sess.UseModel(session.Model{Understander: pc, Phraser: s.model})
	}
	ref := cfg.Name
	if !s.embedded && cfg.Source != nil {
		ref = cfg.Source.File
		if abs, err := filepath.Abs(ref); err == nil {
			ref = abs // a transcript saved anywhere finds its agent
		}
	}
	pc.rec = s.calls.add(info, cfg.Name, ref)
	return &telephony.Conversation{Session: pc, Agent: cfg, Location: ag.Catalog.Location, STT: s.voices.stts[cfg.Language], TTS: s.voices.tts}, nil
}

// phoneCall adapts a session to the voice runtime: it times the services
// and the model (the runtime's own share of the delay is the rest), says
// which filler a slow service gets, and keeps the calls API up to date.
type phoneCall struct {
	srv      *server
	agent    *session.Agent
	exec     session.Executor
	sess     *session.Session
	last     session.Turn
	running  func(string)
	external time.Duration
	rec      *callRecord
}

func (p *phoneCall) Execute(ctx context.Context, svc *tools.Service, in tools.Input) *tools.Result {
	if p.running != nil {
		p.running(p.waitMessage(svc))
	}
	start := time.Now()
	res := p.exec.Execute(ctx, svc, in)
	d := time.Since(start)
	p.external += d
	p.srv.services.observe(p.agent.Catalog.Agent.Name, svc.Intent, d, res.Failed())
	return res
}

func (p *phoneCall) waitMessage(svc *tools.Service) string {
	if svc.WaitMessage != "" {
		return svc.WaitMessage
	}
	return p.agent.Engine.Phrase("working")
}

func (p *phoneCall) Understand(ctx context.Context, q *dialog.Query) (*dialog.Reading, error) {
	start := time.Now()
	defer func() { p.external += time.Since(start) }()
	return p.srv.model.Understand(ctx, q)
}

func (p *phoneCall) Handle(ctx context.Context, ev dialog.Event, running func(string)) telephony.Reply {
	p.running, p.external = running, 0
	if st, ok := ev.(dialog.Start); ok {
		p.last = p.sess.Start(ctx, st.At)
	} else {
		p.last = p.sess.Handle(ctx, ev)
	}
	p.running = nil
	p.rec.update(p.sess)
	return telephony.Reply{Actions: p.last.Actions, External: p.external}
}

func (p *phoneCall) Speak(ctx context.Context, r *telephony.Reply, say func(string)) {
	t := session.Turn{Actions: r.Actions}
	p.sess.Speak(ctx, &t, say)
}

func (p *phoneCall) Spoken(said, heard string, interrupted bool) {
	if interrupted {
		p.sess.Heard(heard)
	}
}

func (p *phoneCall) Deadline() time.Time { return p.sess.Deadline() }

func (p *phoneCall) Close(string) {
	p.rec.finish(p.sess)
	if p.srv.record == "" {
		return
	}
	t := p.rec.transcript()
	data, err := transcript.Marshal(t)
	if err == nil {
		name := p.rec.v.Started.UTC().Format("20060102T150405Z") + "-" + p.rec.v.ID + ".yaml"
		err = os.WriteFile(filepath.Join(p.srv.record, name), data, 0o600)
	}
	if err != nil {
		p.srv.log.Warn("could not record the call", "call", p.rec.v.ID, "err", err)
	}
}

// serviceMetrics are the services' latency and failures.
type serviceMetrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

func newServiceMetrics(reg prometheus.Registerer) (*serviceMetrics, error) {
	m := &serviceMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "voiceagent_service_duration_seconds", Help: "Time a service (HTTP or MCP) took to answer.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2, 5, 10},
		}, []string{"agent", "intent"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiceagent_service_errors_total", Help: "Service calls that failed (the caller heard the fallback message).",
		}, []string{"agent", "intent"}),
	}
	for _, c := range []prometheus.Collector{m.duration, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *serviceMetrics) observe(agent, intent string, d time.Duration, failed bool) {
	m.duration.WithLabelValues(agent, intent).Observe(d.Seconds())
	if failed {
		m.errors.WithLabelValues(agent, intent).Inc()
	}
}

// registry keeps the calls in progress and the last finished ones.
type registry struct {
	mu     sync.Mutex
	live   map[string]*callRecord
	recent []*callRecord // oldest first
	keep   int
}

func newRegistry(keep int) *registry {
	return &registry{live: map[string]*callRecord{}, keep: keep}
}

// callRecord is a call as the API shows it, kept up to date.
type callRecord struct {
	reg *registry
	ref string // the agent, as a transcript names it

	mu    sync.Mutex
	v     callView // ID and Started never change
	trans *transcript.Transcript
}

func (r *registry) add(info telephony.CallInfo, agent, ref string) *callRecord {
	c := &callRecord{reg: r, ref: ref, v: callView{ID: info.ID, Agent: agent, From: info.From, Transport: info.Transport,
		ProviderID: info.Provider, Started: time.Now(), Live: true}}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live[c.v.ID] = c
	return c
}

func (c *callRecord) update(s *session.Session) {
	t := s.Transcript()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.v.State, c.trans, c.v.Turns = s.State(), t, len(t.Turns)
}

func (c *callRecord) finish(s *session.Session) {
	c.update(s)
	now := time.Now()
	c.mu.Lock()
	c.v.Ended, c.v.Live = &now, false
	c.mu.Unlock()
	r := c.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.live, c.v.ID)
	r.recent = append(r.recent, c)
	if len(r.recent) > r.keep {
		r.recent = slices.Delete(r.recent, 0, len(r.recent)-r.keep)
	}
}

// transcript is the call as a replayable transcript.
func (c *callRecord) transcript() *transcript.Transcript {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trans == nil {
		return &transcript.Transcript{Agent: c.ref, CallID: c.v.ID, From: c.v.From}
	}
	t := *c.trans
	t.Agent = c.ref
	return &t
}

func (r *registry) get(id string) *callRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.live[id]; ok {
		return c
	}
	for _, c := range r.recent {
		if c.v.ID == id {
			return c
		}
	}
	return nil
}

// callView is a call in the API.
type callView struct {
	ID         string       `json:"id"`
	Agent      string       `json:"agent"`
	From       string       `json:"from,omitempty"`
	Transport  string       `json:"transport"`
	ProviderID string       `json:"providerId,omitempty"`
	Started    time.Time    `json:"started"`
	Ended      *time.Time   `json:"ended,omitempty"`
	Live       bool         `json:"live"`
	State      dialog.State `json:"state"`
	Turns      int          `json:"turns"`
	Transcript any          `json:"transcript,omitempty"`
}

func (c *callRecord) view(withTranscript bool) callView {
	c.mu.Lock()
	v := c.v
	c.mu.Unlock()
	if withTranscript {
		v.Transcript = c.transcript()
	}
	return v
}

func (s *server) listCalls(w http.ResponseWriter, _ *http.Request) {
	r := s.calls
	r.mu.Lock()
	var all []*callRecord
	for _, c := range r.live {
		all = append(all, c)
	}
	all = append(all, r.recent...)
	r.mu.Unlock()
	views := make([]callView, 0, len(all))
	for _, c := range all {
		views = append(views, c.view(false))
	}
	slices.SortFunc(views, func(a, b callView) int { return b.Started.Compare(a.Started) })
	w.Header().Set("Content-Type", "application/json")
	_ = writeJSON(w, map[string]any{"calls": views})
}

func (s *server) getCall(w http.ResponseWriter, r *http.Request) {
	c := s.calls.get(r.PathValue("id"))
	if c == nil {
		http.Error(w, "no such call", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = writeJSON(w, c.view(true))
}

// getTranscript answers the call as a transcript file: YAML, or JSON when
// asked with Accept: application/json.
func (s *server) getTranscript(w http.ResponseWriter, r *http.Request) {
	c := s.calls.get(r.PathValue("id"))
	if c == nil {
		http.Error(w, "no such call", http.StatusNotFound)
		return
	}
	t := c.transcript()
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json")
		_ = writeJSON(w, t)
		return
	}
	data, err := transcript.Marshal(t)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(data)
}

var _ telephony.Opener = (*server)(nil)

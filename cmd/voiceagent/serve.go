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
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/calls"
	"github.com/voiceagent/voiceagent/calls/redisstore"
	"github.com/voiceagent/voiceagent/internal/procs"
	"github.com/voiceagent/voiceagent/internal/signed"
	"github.com/voiceagent/voiceagent/internal/sockio"
	"github.com/voiceagent/voiceagent/llm"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/twiliovoice"
	"github.com/voiceagent/voiceagent/telephony/webrtc"
	"github.com/voiceagent/voiceagent/web"
)

// serveFlags are serve's settings; each has an environment variable.
type serveFlags struct {
	configs, iceServers            []string
	addr, agent, publicURL, record string
	debugAddr, retention, instance string
	maxCalls                       int
	drain                          time.Duration
	live, metricsPublic, redact    bool
	model                          llmFlags
	speech                         speechFlags
	webrtc                         webrtcFlags
}

// webrtcFlags are the browser transport's settings.
type webrtcFlags struct {
	on, explicit           bool // explicit: --webrtc was given, and overrides VOICEAGENT_WEBRTC
	port                   int
	ips, publicIP, origins string
	offersPerMinute        int
	requireToken           bool // every offer needs an embed token
}

const serveHelp = `serve answers phone calls (Twilio Media Streams) with the agents, and
serves the calls API and metrics on one address:

  POST /twilio/voice   the voice webhook of a Twilio number (?agent=NAME picks
                       the agent; without it the default agent answers)
  GET  /twilio/stream  the Media Stream the webhook connects the call to
  POST /twilio/after   where the call goes when the stream ends (a transfer, a
                       hang-up, or a new stream when the call goes on)
  POST /webrtc/offer   with --webrtc, a browser's call: {"agent", "sdp"} (an offer
                       with its candidates) answered with {"call", "sdp", "token"};
                       {"resume": call, "token": the call's} goes on with a call
                       whose connection was lost
  GET  /webrtc/config  with --webrtc, the STUN/TURN servers a page should use
  GET  /v1/calls, /v1/calls/{id}, /v1/calls/{id}/transcript
  DELETE /v1/calls/{id} a finished call's record, transcript and recording
  GET  /healthz, /readyz, /metrics

The calls API and /metrics need an API key (Authorization: Bearer KEY);
with no key configured they answer only on loopback.

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
  VOICEAGENT_RETENTION   --retention   how long finished calls, transcripts and recordings are
                                       kept (default 168h, 7 days)
  VOICEAGENT_API_KEY                   keys for the calls API and /metrics, separated by commas
                                       (several while rotating); 16 characters or more
                         --metrics-public  /metrics without a key
  VOICEAGENT_REDACT_TRANSCRIPTS=1      mask callers' personal data in the transcripts kept
                         --redact-transcripts  (the calls API's and --record's)
  VOICEAGENT_WEBRTC      --webrtc      take browser calls (WebRTC, PCMU) at the page / (default
                                       true; --webrtc=false or VOICEAGENT_WEBRTC=0 turns them off)
  VOICEAGENT_WEBRTC_UDP_PORT --webrtc-udp-port the one UDP port of every browser call's media
                                       (default: one the system picks, logged at start)
  VOICEAGENT_WEBRTC_IPS  --webrtc-ips  local IPv4 addresses for media, separated by commas
                                       (default: all but loopback)
  VOICEAGENT_WEBRTC_PUBLIC_IP  --webrtc-public-ip  the address browsers reach behind a 1:1
                                       NAT (a cloud instance's public IP)
  VOICEAGENT_WEBRTC_ORIGINS  --webrtc-origins  pages of other origins that may call,
                                       separated by commas, or * (default: same origin only)
  VOICEAGENT_WEBRTC_REQUIRE_TOKEN  --webrtc-require-token  every browser call needs an embed
                                       token (POST /v1/web/tokens), the page at / included
  VOICEAGENT_WEBRTC_OFFERS_PER_MINUTE  --webrtc-offers-per-minute  per remote address
                                       (default 10)
                         --ice-server  a STUN or TURN server handed to pages, repeatable:
                                       stun:HOST:PORT or turn:HOST:PORT,USER,PASSWORD
  TWILIO_AUTH_TOKEN                    check X-Twilio-Signature on every Twilio request
  VOICEAGENT_SECRET                    signs the per-call stream tokens (default: derived from
                                       TWILIO_AUTH_TOKEN, else random per process; set it when
                                       several instances share a number without a Twilio token)
  REDIS_URL                            share calls with the other instances through Redis
                                       (redis://[:PASSWORD@]HOST:6379/DB; rediss:// for TLS): the
                                       calls API shows every instance's calls, and a call whose
                                       instance dies or drains goes on on another (default: off,
                                       calls kept in this process's memory)
  VOICEAGENT_REDIS_PREFIX              the prefix of its keys, for deployments sharing one Redis
                                       (default voiceagent:)
  VOICEAGENT_INSTANCE    --instance    this instance's name in the calls API (default host-pid)
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
		Use:   "serve [--config FILE]... [--addr :8080]",
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
			if os.Getenv("GOMAXPROCS") == "" {
				// As many Ps as the load needs: one while the server uses
				// under half a core, saving the hand-offs between idle Ps
				// (BENCHMARKS.md); all of them above.
				go procs.Run(ctx, a.log)
			}
			if cmd.Flags().Changed("max-calls") && f.maxCalls <= 0 {
				return usageErr("--max-calls %d: want a positive number", f.maxCalls)
			}
			f.webrtc.explicit = cmd.Flags().Changed("webrtc")
			if f.drain < 0 {
				return usageErr("--drain %v: want a duration of zero or more", f.drain)
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
	fs.StringArrayVarP(&f.configs, "config", "c", nil, "agent file or directory, repeatable (default: the embedded example agents)")
	fs.StringVar(&f.addr, "addr", "", "listen address (env VOICEAGENT_ADDR; default :8080)")
	fs.StringVar(&f.debugAddr, "debug-addr", "", "serve Go's profiler (/debug/pprof/) on this private address (env VOICEAGENT_DEBUG_ADDR)")
	fs.StringVar(&f.agent, "agent", "", "the agent that answers calls that do not name one (default: the first loaded)")
	fs.StringVar(&f.publicURL, "public-url", "", "the server's address as Twilio reaches it (env VOICEAGENT_PUBLIC_URL)")
	fs.StringVar(&f.instance, "instance", "", "this instance's name in the calls API and the shared store (env VOICEAGENT_INSTANCE; default host-pid)")
	fs.StringVar(&f.record, "record", "", "write each finished call's transcript to this folder (env VOICEAGENT_RECORD)")
	fs.BoolVar(&f.redact, "redact-transcripts", false, "mask callers' personal data in the transcripts kept (env VOICEAGENT_REDACT_TRANSCRIPTS)")
	fs.IntVar(&f.maxCalls, "max-calls", 0, "concurrent calls before answering 503 (env VOICEAGENT_MAX_CALLS; default 1000)")
	fs.StringVar(&f.retention, "retention", "", "how long finished calls, transcripts and recordings are kept (env VOICEAGENT_RETENTION; default 168h)")
	fs.BoolVar(&f.metricsPublic, "metrics-public", false, "serve /metrics without the API key")
	fs.StringArrayVar(&f.iceServers, "ice-server", nil, "a STUN or TURN server for browser callers, repeatable: stun:HOST:PORT or turn:HOST:PORT,USER,PASSWORD")
	fs.DurationVar(&f.drain, "drain", 30*time.Second, "on SIGTERM, how long calls in progress may go on before they are ended")
	fs.BoolVar(&f.live, "live", false, "call the real services even for the embedded examples")
	fs.StringVar(&f.speech.stt, "stt", "", "speech-to-text: openai, deepgram or off (env VOICEAGENT_STT)")
	fs.StringVar(&f.speech.tts, "tts", "", "text-to-speech: openai, espeak or off (env VOICEAGENT_TTS)")
	fs.StringVar(&f.speech.sttModel, "stt-model", "", "speech-to-text model (env VOICEAGENT_STT_MODEL)")
	fs.StringVar(&f.speech.ttsModel, "tts-model", "", "text-to-speech model (env VOICEAGENT_TTS_MODEL)")
	fs.StringVar(&f.speech.voice, "tts-voice", "", "text-to-speech voice (env VOICEAGENT_TTS_VOICE)")
	fs.BoolVar(&f.webrtc.on, "webrtc", true, "take browser calls over WebRTC (env VOICEAGENT_WEBRTC; --webrtc=false turns them off)")
	fs.IntVar(&f.webrtc.port, "webrtc-udp-port", 0, "the UDP port of browser calls' media (env VOICEAGENT_WEBRTC_UDP_PORT; default: any)")
	fs.StringVar(&f.webrtc.ips, "webrtc-ips", "", "local IPv4 addresses for browser media, comma-separated (env VOICEAGENT_WEBRTC_IPS)")
	fs.StringVar(&f.webrtc.publicIP, "webrtc-public-ip", "", "the public IP browsers reach behind a 1:1 NAT (env VOICEAGENT_WEBRTC_PUBLIC_IP)")
	fs.StringVar(&f.webrtc.origins, "webrtc-origins", "", "other origins whose pages may call, comma-separated, or * (env VOICEAGENT_WEBRTC_ORIGINS)")
	fs.BoolVar(&f.webrtc.requireToken, "webrtc-require-token", false, "every browser call needs an embed token minted with the API key, the page's too (env VOICEAGENT_WEBRTC_REQUIRE_TOKEN)")
	fs.IntVar(&f.webrtc.offersPerMinute, "webrtc-offers-per-minute", 0, "browser calls one address may place a minute (env VOICEAGENT_WEBRTC_OFFERS_PER_MINUTE; default 10)")
	f.model.add(fs, true)
	return cmd
}

// server is serve's process: the wiring of agents, providers, the model,
// the call layer, the voice runtime and the transports (Twilio's, and
// the browser's with --webrtc), and the HTTP server they share.
type server struct {
	a             *app
	addr          string
	debugAddr     string // the profiler's, or ""
	set           *agents.Set
	embedded      bool
	live          bool
	modelConf     llm.Config
	voices        *voices
	calls         *calls.Layer
	store         *redisstore.Store // shared with other instances; nil without REDIS_URL
	twilio        *twiliovoice.Transport
	webrtc        *webrtc.Transport // nil without --webrtc
	reg           *prometheus.Registry
	drain         time.Duration
	authSet       bool
	guard         guard
	key           signed.Key  // signs the browser's tokens
	iceServers    []iceServer // handed to the page
	requireToken  bool        // browser calls need an embed token
	webrtcOff     string      // why browser calls are off although asked for
	metricsPublic bool
	timeouts      timeouts
	log           *slog.Logger
}

// timeouts bound what a client may hold of the server.
type timeouts struct {
	header, read, write, idle time.Duration
}

// defaultTimeouts: Twilio's requests are small and quick; websockets set
// their own deadlines once upgraded.
var defaultTimeouts = timeouts{header: 5 * time.Second, read: 10 * time.Second, write: 30 * time.Second, idle: 60 * time.Second}

func env(flag, name string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	return getenv(name)
}

// newServer loads the agents, resolves the providers and wires the call
// layer, the runtime and the transport; nothing listens yet.
func (a *app) newServer(ctx context.Context, f *serveFlags, getenv func(string) string) (*server, error) {
	paths := f.configs
	s := &server{a: a, embedded: len(paths) == 0, live: f.live, drain: f.drain, log: a.log, metricsPublic: f.metricsPublic,
		timeouts: defaultTimeouts}
	s.addr = env(f.addr, "VOICEAGENT_ADDR", getenv)
	if s.addr == "" {
		s.addr = ":8080"
	}
	s.debugAddr = env(f.debugAddr, "VOICEAGENT_DEBUG_ADDR", getenv)
	record := env(f.record, "VOICEAGENT_RECORD", getenv)
	if record != "" {
		if err := os.MkdirAll(record, 0o700); err != nil {
			return nil, usageErr("--record: %v", err)
		}
	}
	retention := calls.DefaultRetention
	if v := env(f.retention, "VOICEAGENT_RETENTION", getenv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, usageErr("--retention %q: want a positive duration, such as 168h", v)
		}
		retention = d
	}
	var err error
	if s.guard, err = parseKeys(getenv("VOICEAGENT_API_KEY")); err != nil {
		return nil, err
	}
	if u := getenv("REDIS_URL"); u != "" {
		if getenv("VOICEAGENT_SECRET") == "" && getenv("TWILIO_AUTH_TOKEN") == "" {
			return nil, usageErr("REDIS_URL shares calls between instances, whose tokens must be signed alike: set VOICEAGENT_SECRET, the same on every instance")
		}
		prefix := getenv("VOICEAGENT_REDIS_PREFIX")
		if prefix == "" {
			prefix = "voiceagent:"
		}
		if s.store, err = redisstore.Open(u, prefix); err != nil {
			return nil, usageErr("REDIS_URL: %v", err)
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := s.store.Ping(pctx); err != nil {
			// Calls can be taken without it: they go on from memory, and
			// their saves catch up when Redis answers.
			a.log.Warn("Redis does not answer; calls are kept in memory until it does", "err", err)
		}
		cancel()
	}
	for _, v := range f.iceServers {
		ice, err := parseICEServer(v)
		if err != nil {
			return nil, err
		}
		s.iceServers = append(s.iceServers, ice)
	}
	maxCalls := f.maxCalls
	if maxCalls == 0 {
		if v := getenv("VOICEAGENT_MAX_CALLS"); v != "" {
			if _, err := fmt.Sscan(v, &maxCalls); err != nil || maxCalls <= 0 {
				return nil, usageErr("VOICEAGENT_MAX_CALLS %q: want a positive number", v)
			}
		}
	}
	if maxCalls == 0 {
		maxCalls = 1000 // phone and browser calls together
	}
	redact := f.redact
	if v := getenv("VOICEAGENT_REDACT_TRANSCRIPTS"); !redact && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, usageErr("VOICEAGENT_REDACT_TRANSCRIPTS %q: want true or false", v)
		}
		redact = b
	}
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
	var model session.Model
	if c.Enabled() {
		m, err := llm.New(c, llm.Options{Logger: a.log, Observe: llmMetrics.Observe, HTTPClient: sockio.Client()})
		if err != nil {
			return nil, usageErr("%v", err)
		}
		model = session.Model{Understander: m, Phraser: m}
	}
	tm, err := telephony.NewMetrics(s.reg)
	if err != nil {
		return nil, err
	}
	if s.set, err = a.connect(ctx, paths); err != nil {
		return nil, err
	}
	execs, err := s.prepare(s.set.Agents())
	if err != nil {
		s.set.Close()
		return nil, err
	}
	opts := calls.Options{
		Agents: s.set, DefaultAgent: f.agent, Executors: execs, Model: model, STT: s.voices.stts, TTS: s.voices.tts,
		ByName: s.embedded, Record: record, Retention: retention, RedactTranscripts: redact, Metrics: s.reg, Logger: a.log,
		Instance: env(f.instance, "VOICEAGENT_INSTANCE", getenv),
	}
	if s.store != nil {
		opts.Store = s.store
	}
	s.calls, err = calls.New(opts)
	if errors.Is(err, calls.ErrNoAgent) {
		err = usageErr("--agent %q: no such agent; loaded: %s", f.agent, strings.Join(agentNames(s.set.Agents()), ", "))
	}
	if err != nil {
		s.set.Close()
		return nil, err
	}
	rt := telephony.NewRuntime(telephony.Options{Logger: a.log, Metrics: tm, Opener: s.calls})
	token := getenv("TWILIO_AUTH_TOKEN")
	secret := getenv("VOICEAGENT_SECRET")
	if secret == "" {
		secret = token
	}
	s.key = signed.NewKey(secret)
	s.authSet = token != ""
	s.twilio = twiliovoice.New(rt, twiliovoice.Config{
		AuthToken: token, PublicURL: env(f.publicURL, "VOICEAGENT_PUBLIC_URL", getenv), MaxCalls: maxCalls, Logger: a.log,
		Agents: s.calls.Answers, Secret: getenv("VOICEAGENT_SECRET"), Continuer: s.calls,
		Others: func() int { // --max-calls bounds phone and browser calls together
			if s.webrtc == nil {
				return 0
			}
			return s.webrtc.Active()
		},
	})
	if s.webrtc, err = s.webrtcTransport(rt, &f.webrtc, maxCalls, getenv); err != nil {
		s.set.Close()
		return nil, err
	}
	s.calls.Warm(ctx, rt)
	return s, nil
}

// webrtcTransport opens the browser transport unless it is turned off.
func (s *server) webrtcTransport(rt telephony.Answerer, f *webrtcFlags, maxCalls int, getenv func(string) string) (*webrtc.Transport, error) {
	on := f.on
	if v := getenv("VOICEAGENT_WEBRTC"); !f.explicit && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, usageErr("VOICEAGENT_WEBRTC %q: want true or false", v)
		}
		on = b
	}
	if !on {
		return nil, nil
	}
	number := func(flag int, name string) (int, error) {
		if flag != 0 {
			return flag, nil
		}
		v := getenv(name)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, usageErr("%s %q: want a number of zero or more", name, v)
		}
		return n, nil
	}
	list := func(flag, name string) []string {
		var out []string
		for _, v := range strings.Split(env(flag, name, getenv), ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	cfg := webrtc.Config{Agents: s.calls.Answers, MaxCalls: maxCalls, Others: s.twilio.Active, Logger: s.log, Admit: s.admitOffer,
		CallToken: func(call, _ string) string { return s.callToken(call) },
		IPs:       list(f.ips, "VOICEAGENT_WEBRTC_IPS"), Origins: list(f.origins, "VOICEAGENT_WEBRTC_ORIGINS"),
		PublicIP: env(f.publicIP, "VOICEAGENT_WEBRTC_PUBLIC_IP", getenv)}
	var err error
	if cfg.UDPPort, err = number(f.port, "VOICEAGENT_WEBRTC_UDP_PORT"); err != nil {
		return nil, err
	}
	if cfg.UDPPort > 65535 {
		return nil, usageErr("--webrtc-udp-port %d: not a port", cfg.UDPPort)
	}
	if cfg.OffersPerMinute, err = number(f.offersPerMinute, "VOICEAGENT_WEBRTC_OFFERS_PER_MINUTE"); err != nil {
		return nil, err
	}
	s.requireToken = f.requireToken
	if v := getenv("VOICEAGENT_WEBRTC_REQUIRE_TOKEN"); !f.requireToken && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, usageErr("VOICEAGENT_WEBRTC_REQUIRE_TOKEN %q: want true or false", v)
		}
		s.requireToken = b
	}
	for _, ice := range s.iceServers {
		cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{URLs: ice.URLs, Username: ice.Username, Credential: ice.Credential})
	}
	t, err := webrtc.New(resumeAnswerer{rt}, cfg)
	if errors.Is(err, webrtc.ErrNoAddress) && len(cfg.IPs) == 0 {
		// A machine off every network still serves phone calls and the
		// page; browsers could not reach its media anyway.
		s.webrtcOff = "no IPv4 address but loopback to take their media on; --webrtc-ips 127.0.0.1 takes a browser on this machine"
		return nil, nil
	}
	if err != nil {
		return nil, usageErr("--webrtc: %v", err)
	}
	return t, nil
}

// prepare does once what every call of an agent needs: the demo stubs
// that answer the embedded examples, and a recogniser for its language.
func (s *server) prepare(all []*session.Agent) (map[string]session.Executor, error) {
	execs := map[string]session.Executor{}
	for _, ag := range all {
		cfg := ag.Catalog.Agent
		if s.embedded && !s.live {
			exec, _, err := chatExecutor(ag, true, "", false, s.set.Executor())
			if err != nil {
				return nil, err
			}
			execs[cfg.Name] = exec
		}
		if err := s.voices.recogniser(cfg.Language); err != nil {
			return nil, err
		}
	}
	return execs, nil
}

func agentNames(all []*session.Agent) []string {
	var names []string
	for _, ag := range all {
		names = append(names, ag.Catalog.Agent.Name)
	}
	return names
}

func (s *server) close() {
	if s.webrtc != nil {
		_ = s.webrtc.Close()
	}
	s.set.Close()
	if s.store != nil {
		_ = s.store.Close()
	}
}

// printReport says what runs and what is missing.
func (s *server) printReport(addr string) {
	w := s.a.stdout
	fmt.Fprintf(w, "voiceagent serve: listening on %s\n", addr)
	for _, ag := range s.set.Agents() {
		cfg := ag.Catalog.Agent
		note := ""
		if cfg.Name == s.calls.DefaultAgent() {
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
	if s.store != nil {
		fmt.Fprintf(w, "Calls: shared through Redis (%s) as instance %s; a call whose instance is lost goes on on another\n",
			s.store.Addr(), s.calls.Instance())
	}
	if s.authSet {
		fmt.Fprintln(w, "Twilio: requests must carry a valid X-Twilio-Signature")
	} else {
		fmt.Fprintln(w, "Twilio: signatures not checked (set TWILIO_AUTH_TOKEN)")
	}
	switch {
	case len(s.guard.keys) > 0:
		fmt.Fprintf(w, "Calls API: needs Authorization: Bearer <key> (%d key(s) in VOICEAGENT_API_KEY)\n", len(s.guard.keys))
	default:
		fmt.Fprintln(w, "Calls API: no VOICEAGENT_API_KEY set, so /v1/calls answers only on loopback")
	}
	if s.metricsPublic {
		fmt.Fprintln(w, "Metrics: /metrics is public (--metrics-public)")
	}
	fmt.Fprintln(w, "Voice webhook: POST https://<public address>/twilio/voice[?agent=NAME]")
	if s.webrtc != nil {
		fmt.Fprintf(w, "Browser calls: media on UDP %s\n", strings.Join(s.webrtc.MediaAddrs(), ", "))
		fmt.Fprintf(w, "\nOpen %s in a browser and talk to the agents.\n", pageURL(addr))
	} else {
		if s.webrtcOff != "" {
			fmt.Fprintf(w, "Browser calls: off: %s\n", s.webrtcOff)
		} else {
			fmt.Fprintln(w, "Browser calls: off (--webrtc=false); the page at / can still be opened")
		}
	}
}

// pageURL is where a browser on this machine finds the page, given the
// address serve listens on.
func pageURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && (ip.IsUnspecified() || ip.IsLoopback()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// handler is every route of the server.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	s.twilio.Register(mux)
	if s.webrtc != nil {
		s.webrtc.Register(mux)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.ready)
	var metrics http.Handler = promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	if !s.metricsPublic {
		metrics = s.guard.wrap(metrics)
	}
	mux.Handle("GET /metrics", metrics)
	api := http.NewServeMux()
	s.calls.Register(api)
	keyed := s.guard.wrap(api)
	mux.Handle("/v1/", keyed)
	// A browser call's page follows its own call with the token it got.
	mux.Handle("GET /v1/calls/{id}/events", s.callAccess(keyed, api))
	mux.Handle("GET /v1/calls/{id}/transcript", s.callAccess(keyed, api))
	mux.HandleFunc("GET /v1/web/config", s.webConfig)
	web.Register(mux) // the page at /, embed.js, /static/
	mux.Handle("POST /v1/web/tokens", s.guard.wrap(http.HandlerFunc(s.mintEmbed)))
	return mux
}

// serve answers until ctx is done, then stops taking calls, lets those in
// progress finish (up to --drain) and returns.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	to := s.timeouts
	hs := &http.Server{Handler: s.handler(), ReadHeaderTimeout: to.header, ReadTimeout: to.read, WriteTimeout: to.write,
		IdleTimeout: to.idle, MaxHeaderBytes: 64 << 10}
	go s.calls.Run(ctx)
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
	s.log.Info("shutting down", "calls", s.active())
	dctx, cancel := context.WithTimeout(context.Background(), s.drain)
	defer cancel()
	var drained sync.WaitGroup
	if s.webrtc != nil {
		drained.Go(func() {
			if s.store != nil {
				s.webrtc.HandOver(dctx) // each page reconnects, to another instance
			} else {
				s.webrtc.Drain(dctx)
			}
		})
	}
	if s.store != nil {
		// Another instance takes the calls over: they are handed over at
		// their next quiet moment, not waited out.
		s.twilio.HandOver(dctx)
	} else {
		s.twilio.Drain(dctx)
	}
	drained.Wait()
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

// active is the number of calls in progress, over every transport.
func (s *server) active() int {
	n := s.twilio.Active()
	if s.webrtc != nil {
		n += s.webrtc.Active()
	}
	return n
}

func (s *server) ready(w http.ResponseWriter, _ *http.Request) {
	if s.twilio.Draining() || s.webrtc != nil && s.webrtc.Draining() {
		http.Error(w, "draining: not taking new calls", http.StatusServiceUnavailable)
		return
	}
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
	if up, pending := s.calls.Health(); !up {
		// Still ready: calls are taken and go on from memory; they cannot
		// be handed over until the saves catch up.
		fmt.Fprintf(w, "ready; Redis does not answer: %d calls' saves wait for it\n", pending)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
)

// options are voiceload's flags.
type options struct {
	calls      int
	transport  string // twilio or webrtc
	stt        string // the recogniser of the serve voiceload starts: openai or deepgram
	sttSet     bool   // --stt was given
	ramp, hold time.Duration
	url        string // a server already running
	voiceagent string // else, the binary to start
	agent      string
	authToken  string
	llm        bool
	delays     delays
	json       bool
	every      time.Duration // between progress lines
	cpuProfile string
	agentSet   bool // --agent was given
	chaos      chaosOptions
}

func run(args []string) int {
	o := &options{}
	root := &cobra.Command{
		Use:   "voiceload [--calls N] [--voiceagent BIN | --url URL] [--chaos]",
		Short: "Put a voiceagent server under load with simulated Twilio or browser calls",
		Long: `voiceload makes --calls simultaneous phone calls to voiceagent serve, as Twilio
would: each rings the voice webhook, opens the media stream and, in real time,
says a Spanish booking at Clínica Central line by line, waiting for the agent's
answer to each. Calls start over --ramp, are held for --hold, then hang up.
With --transport webrtc the calls are a browser's instead: each offers to
POST /webrtc/offer (a pion peer, PCMU over UDP) and says the same lines.

With --voiceagent BIN it starts "BIN serve" on loopback itself, and the fake
speech-to-text, text-to-speech and language model ("voiceload fakes") in a
process of their own. The server recognises the callers' speech as --stt says:
openai (one transcription request per utterance) or deepgram (Deepgram's live
streaming websocket, answered by a fake Deepgram in the fakes' process that
recognises the lines as they stream; the callers' audio goes to it as 8 kHz
μ-law). With --url it loads a server you started; point that server's
OPENAI_BASE_URL (and DEEPGRAM_URL) at "voiceload fakes" (see the README).
The report keeps apart the CPU of the server, of the load generator (the
callers) and of the fakes (every fake provider, Deepgram's included).

With --chaos it checks that calls survive the loss of a server: it starts the
fakes (with a booking API), two serve instances (a and b, one secret, sharing
the Redis of --redis, whose database it empties first) running an agent of its
own, and HAProxy in front of them (--lb-config), and calls through HAProxy.
Each caller books an appointment, answering the questions the agent asks, then
hangs up and calls again, until the hold ends; meanwhile an instance is killed
(SIGKILL) at random moments (--chaos-every, --seed) and started again on its
port after --chaos-down. The report: calls started, completed and failed (why),
bookings made, bookings with fields lost and calls booked twice (both should be
0), hand-overs and the silence callers heard in them, kills, and the cost:
the servers' CPU per second of call and Redis commands per call.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unexpected argument %q", args[0])}
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.agentSet = cmd.Flags().Changed("agent")
			o.sttSet = cmd.Flags().Changed("stt")
			for _, name := range []string{"redis", "chaos-every", "chaos-down", "chaos-drain", "seed", "lb-config", "haproxy"} {
				if cmd.Flags().Changed(name) {
					o.chaos.onlyFlagsSet = append(o.chaos.onlyFlagsSet, name)
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if o.cpuProfile != "" {
				f, err := os.Create(o.cpuProfile)
				if err != nil {
					return usageError{err}
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			return load(ctx, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fs := root.Flags()
	fs.IntVarP(&o.calls, "calls", "n", 100, "simultaneous calls")
	fs.StringVar(&o.transport, "transport", "twilio", "how the calls come: twilio (media streams) or webrtc (browser calls)")
	fs.StringVar(&o.stt, "stt", "openai", "with --voiceagent: the server's speech-to-text, answered by the fakes: openai (a transcription per utterance) or deepgram (Deepgram's live streaming)")
	fs.DurationVar(&o.ramp, "ramp", 0, "how long starting the calls takes (default: 50 calls a second)")
	fs.DurationVar(&o.hold, "hold", 30*time.Second, "how long all the calls are held once started; the report covers this window")
	fs.StringVar(&o.url, "url", "", "a running voiceagent serve, such as http://127.0.0.1:8080")
	fs.StringVar(&o.voiceagent, "voiceagent", "", "the voiceagent binary to start on loopback (default: voiceagent on PATH)")
	fs.StringVar(&o.agent, "agent", "clinica-central", "the agent that answers")
	fs.StringVar(&o.authToken, "auth-token", "", "sign Twilio's requests with this token (with --voiceagent: a made-up one)")
	fs.BoolVar(&o.llm, "llm", true, "with --voiceagent: the server asks the (fake) language model every turn")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.DurationVar(&o.every, "progress", 2*time.Second, "between progress lines on stderr (0: none)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write the load generator's own CPU profile to this file")
	fs.BoolVar(&o.chaos.on, "chaos", false, "kill servers under the calls: two serve instances behind HAProxy, sharing Redis; each caller books, hangs up and calls again")
	fs.StringVar(&o.chaos.redis, "redis", "", "with --chaos: the Redis the instances share, redis://HOST:PORT[/DB]; its database (default 9) is emptied (FLUSHDB) at start, only if empty or voiceload's (default $REDIS_URL, else redis://127.0.0.1:6379)")
	fs.DurationVar(&o.chaos.every, "chaos-every", 15*time.Second, "with --chaos: the mean time between kills (exponential gaps)")
	fs.DurationVar(&o.chaos.down, "chaos-down", time.Second, "with --chaos: how long a killed instance stays down before it starts again on its port")
	fs.DurationVar(&o.chaos.drain, "chaos-drain", 2*time.Minute, "with --chaos: how long the calls under way at the end of the hold may take to end")
	fs.Uint64Var(&o.chaos.seed, "seed", 1, "with --chaos: seeds the moments of the kills and which instance dies")
	fs.StringVar(&o.chaos.lbConfig, "lb-config", "deploy/haproxy.cfg", "with --chaos: HAProxy's configuration (VOICEAGENT_LB_BIND, VOICEAGENT_BACKEND_1 and _2 from the environment)")
	fs.StringVar(&o.chaos.haproxy, "haproxy", "haproxy", "with --chaos: the HAProxy binary")
	addDelays(fs, &o.delays)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(fakesCmd())
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "voiceload:", err)
		var u usageError
		if errors.As(err, &u) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError is a problem with the command line.
type usageError struct{ error }

// lockedWriter serialises writes: progress lines, and the fakes' own
// errors, which exec copies from another goroutine.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// load runs the whole measurement and prints the report.
func load(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	stderr = &lockedWriter{w: stderr}
	if o.calls < 1 {
		return usageError{errors.New("--calls must be at least 1")}
	}
	switch o.transport {
	case "":
		o.transport = "twilio"
	case "twilio", "webrtc":
	default:
		return usageError{fmt.Errorf("--transport %q: twilio or webrtc", o.transport)}
	}
	if o.stt == "" {
		o.stt = "openai"
	}
	if err := checkSTT(o.stt); err != nil {
		return err
	}
	switch {
	case o.url != "" && o.sttSet:
		return usageError{errors.New("--stt picks the recogniser of the serve voiceload starts; a server of your own (--url) uses its own (see voiceload fakes --stt)")}
	case o.chaos.on && o.stt != "openai":
		return usageError{errors.New("--chaos runs with --stt openai")}
	}
	if err := validateChaos(o); err != nil {
		return err
	}
	if o.ramp == 0 {
		o.ramp = time.Duration(o.calls) * time.Second / 50
	}
	if o.chaos.on {
		return chaosLoad(ctx, o, stdout, stderr)
	}
	clips, err := loadScript()
	if err != nil {
		return err
	}
	tg := &target{base: o.url, agent: o.agent, authToken: o.authToken, apiKey: firstKey(os.Getenv("VOICEAGENT_API_KEY")), http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}}
	var procs *processes
	if o.url == "" {
		if procs, err = startProcesses(o, stderr); err != nil {
			return err
		}
		defer procs.stop()
		tg.base, tg.authToken = procs.serverURL, procs.authToken
	}
	if err := waitReady(ctx, tg); err != nil {
		return err
	}
	r, err := measure(ctx, o, tg, clips, procs, stderr)
	if err != nil {
		return err
	}
	if procs != nil {
		r.Fakes = procs.stop()
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	r.print(stdout)
	return nil
}

// waitReady waits for the server's /readyz.
func waitReady(ctx context.Context, tg *target) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tg.base+"/readyz", nil)
		resp, err := tg.http.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the server at %s is not ready: %w", tg.base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// measure ramps the calls up, holds them, hangs them up and reports.
func measure(ctx context.Context, o *options, tg *target, clips []clip, procs *processes, stderr io.Writer) (*report, error) {
	idle, err := fetchMetrics(ctx, tg)
	if err != nil {
		return nil, err
	}
	t := newTally()
	// The Twilio callers' clocks, each stepping its share of the calls
	// every 20 ms, 2 ms apart: Twilio's calls do not all send at the same
	// instant. Browser callers pace themselves.
	webrtc := o.transport == "webrtc"
	clocks := make([]*twiliotest.Clock, 10)
	if webrtc {
		clocks = nil
	}
	for i := range clocks {
		clocks[i] = twiliotest.NewClock()
		time.Sleep(audio.FrameDuration / time.Duration(len(clocks)))
	}
	defer func() {
		for _, k := range clocks {
			k.Stop()
		}
	}()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	hangUp := sync.OnceFunc(func() { // every call, and wait for them
		close(stop)
		wg.Wait()
	})
	defer hangUp()
	start := time.Now()
	progressDone, progressEnded := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(progressEnded)
		progress(ctx, o, t, tg, start, stderr, progressDone)
	}()
	defer func() {
		close(progressDone)
		<-progressEnded
	}()

	// Ramp: call i starts at i/calls of the ramp.
	for i := range o.calls {
		if !sleep(ctx, time.Until(start.Add(o.ramp*time.Duration(i)/time.Duration(o.calls)))) {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if webrtc {
				callWebRTC(ctx, stop, tg, clips, i, t)
				return
			}
			call(ctx, stop, tg, clocks[i%len(clocks)], clips, i, t)
		}()
	}
	// Every call up (or failed), and past its greeting.
	for deadline := time.Now().Add(30 * time.Second); t.up.Load()+t.failed.Load() < int64(o.calls) && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(50 * time.Millisecond)
	}
	if t.failed.Load() == int64(o.calls) {
		hangUp()
		return nil, fmt.Errorf("every call failed: %v", t.failures)
	}
	sleep(ctx, 3*time.Second)

	// Hold.
	from, err := fetchMetrics(ctx, tg)
	if err != nil {
		return nil, err
	}
	cpu0, at0 := procs.cpu(), time.Now()
	t.holding.Store(true)
	sleep(ctx, o.hold)
	t.holding.Store(false)
	held := t.up.Load()
	to, err := fetchMetrics(ctx, tg)
	cpu1, at1 := procs.cpu(), time.Now()
	hangUp()
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	end, err := fetchMetrics(ctx, tg)
	if err != nil {
		return nil, err
	}
	r := newReport(o, tg, t, held, idle, from, to, end, at1.Sub(at0))
	r.LoadCores = (cpu1.self - cpu0.self).Seconds() / at1.Sub(at0).Seconds()
	for _, k := range clocks {
		s := k.Stats()
		r.CallerFrames += s.Frames
		r.CallerLate += s.Late
		r.CallerMaxLateMs = max(r.CallerMaxLateMs, ms(s.MaxLate))
	}
	if webrtc {
		t.mu.Lock()
		r.CallerFrames, r.CallerLate, r.CallerMaxLateMs = t.ticks, t.lateTicks, ms(t.maxLate)
		t.mu.Unlock()
	}
	if procs != nil {
		r.FakesCores = (cpu1.fakes - cpu0.fakes).Seconds() / at1.Sub(at0).Seconds()
		r.STT = o.stt
	}
	return r, nil
}

// progress prints a line every o.every until done.
func progress(ctx context.Context, o *options, t *tally, tg *target, start time.Time, w io.Writer, done <-chan struct{}) {
	if o.every <= 0 {
		return
	}
	tick := time.NewTicker(o.every)
	defer tick.Stop()
	var last scrape
	var lastAt time.Time
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		line := fmt.Sprintf("voiceload: %4.0fs  calls up %d/%d  failed %d  turns %d  unanswered %d",
			time.Since(start).Seconds(), t.up.Load(), o.calls, t.failed.Load(), t.turns.Load(), t.unanswered.Load())
		if m, err := fetchMetrics(ctx, tg); err == nil {
			now := time.Now()
			if last != nil {
				cores := (m.value("process_cpu_seconds_total") - last.value("process_cpu_seconds_total")) / now.Sub(lastAt).Seconds()
				line += fmt.Sprintf("  server %.2f cores %.0f MB", cores, m.value("process_resident_memory_bytes")/1e6)
			}
			line += fmt.Sprintf("  late frames %.0f", m.value("voiceagent_late_frames_total"))
			last, lastAt = m, now
		}
		fmt.Fprintln(w, line)
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
)

// chaosOptions are --chaos's flags.
type chaosOptions struct {
	on           bool
	redis        string        // "" means $REDIS_URL, else redis://127.0.0.1:6379
	every, down  time.Duration // between kills (mean), and how long a killed instance stays down
	seed         uint64
	lbConfig     string
	haproxy      string
	drain        time.Duration // after the hold, for the calls under way to end
	onlyFlagsSet []string      // chaos flags given without --chaos
}

// Timings of the chaos callers.
const (
	maxTurns    = 30 // lines one call may say before it gives up
	playedKept  = 3 * time.Second
	callTimeout = 20 * time.Second // for the webhook and the first stream
)

// errCallOver is a call that ended under the caller; the Phone's Outcome
// says how.
var errCallOver = errors.New("the call ended")

// validateChaos checks --chaos's flags and finds the programs it needs.
func validateChaos(o *options) error {
	c := &o.chaos
	if !c.on {
		if len(c.onlyFlagsSet) > 0 {
			return usageError{fmt.Errorf("--%s needs --chaos", c.onlyFlagsSet[0])}
		}
		return nil
	}
	switch {
	case o.url != "":
		return usageError{errors.New("--chaos starts its own servers: give --voiceagent BIN, not --url")}
	case o.transport != "twilio":
		return usageError{errors.New("--chaos makes Twilio calls: no --transport webrtc")}
	case o.agentSet:
		return usageError{errors.New("--chaos runs its own agent (" + chaosAgent + "): no --agent")}
	case c.every <= 0:
		return usageError{errors.New("--chaos-every must be positive")}
	case c.down < 0:
		return usageError{errors.New("--chaos-down must not be negative")}
	case c.drain <= 0:
		return usageError{errors.New("--chaos-drain must be positive")}
	}
	if c.redis == "" {
		c.redis = os.Getenv("REDIS_URL")
	}
	if c.redis == "" {
		c.redis = "redis://127.0.0.1:6379"
	}
	if _, err := parseRedisURL(c.redis); err != nil {
		return usageError{fmt.Errorf("--redis: %w", err)}
	}
	if o.voiceagent == "" {
		bin, err := exec.LookPath("voiceagent")
		if err != nil {
			return usageError{fmt.Errorf("--chaos needs --voiceagent BIN (go build -o BIN ./cmd/voiceagent): %w", err)}
		}
		o.voiceagent = bin
	}
	bin, err := exec.LookPath(c.haproxy)
	if err != nil && c.haproxy == "haproxy" {
		// Debian puts it in /usr/sbin, which only root's PATH has.
		bin, err = exec.LookPath("/usr/sbin/haproxy")
	}
	if err != nil {
		return usageError{fmt.Errorf("--chaos needs HAProxy (apt-get install haproxy, or --haproxy BIN): %w", err)}
	}
	c.haproxy = bin
	if _, err := os.Stat(c.lbConfig); err != nil {
		return usageError{fmt.Errorf("--lb-config: %w (run from the repository's root, or give the file)", err)}
	}
	return nil
}

// chaosRun is one --chaos run: its cluster and what its calls saw.
type chaosRun struct {
	o      *options
	cl     *cluster
	clips  []clip
	http   *http.Client
	start  time.Time
	stderr io.Writer

	next                                atomic.Int64 // the last call's number
	up, started, completed, failed      atomic.Int64
	turns, unanswered, unknown, invalid atomic.Int64
	kills, restarts                     atomic.Int64
	handOvers                           atomic.Int64
	mu                                  sync.Mutex
	calls                               []*chaosCall
	failures                            map[string]int
	silences                            []time.Duration
	steps                               [3][]time.Duration // of each heard hand-over: drop to action answered, to stream open, to first audio
	unheardHandOvers                    int
	restartErr                          error
	callTime                            time.Duration
}

// chaosCall is one call's record, for the bookings' check.
type chaosCall struct {
	from       string
	start, end time.Time
	completed  bool
	want       map[string]string // the body its booking must have
}

// chaosLoad runs --chaos: the cluster, the callers and the kills, then the
// report.
func chaosLoad(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	rt, err := parseRedisURL(o.chaos.redis)
	if err != nil {
		return usageError{err}
	}
	rc, err := dialRedis(ctx, rt)
	if err != nil {
		return fmt.Errorf("Redis at %s: %w (start one, or give --redis)", rt.redacted(), err)
	}
	defer rc.Close()
	removed, err := rc.claimDB()
	if err != nil {
		return fmt.Errorf("Redis at %s: %w", rt.redacted(), err)
	}
	fmt.Fprintf(stderr, "voiceload: Redis %s: database %d emptied for this run (FLUSHDB; it held %d keys of an earlier run)\n", rt.redacted(), rt.db, removed)
	clips, err := loadScript()
	if err != nil {
		return err
	}
	cl, err := startCluster(ctx, o, rt.url(), stderr)
	if err != nil {
		return err
	}
	defer cl.stop()
	ch := &chaosRun{o: o, cl: cl, clips: clips, stderr: stderr, failures: map[string]int{},
		http: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	r, err := ch.run(ctx, rc, rt)
	if err != nil {
		return err
	}
	r.Redis = rt.redacted()
	r.Logs = cl.dir
	r.Fakes = cl.stop()
	if o.json {
		return writeJSON(stdout, r)
	}
	r.print(stdout)
	return nil
}

// run makes the calls and the kills, and gathers the report.
func (ch *chaosRun) run(ctx context.Context, rc *redisConn, rt redisTarget) (*chaosReport, error) {
	o := ch.o
	clocks := make([]*twiliotest.Clock, 10)
	for i := range clocks {
		clocks[i] = twiliotest.NewClock()
		time.Sleep(audio.FrameDuration / time.Duration(len(clocks)))
	}
	defer func() {
		for _, k := range clocks {
			k.Stop()
		}
	}()
	// Redis's commands: the database's, with MONITOR; else the server's
	// (INFO, others' included).
	var redis0 map[string]int64
	mon, err := startMonitor(ctx, rt)
	if err != nil {
		fmt.Fprintf(ch.stderr, "voiceload: Redis MONITOR: %v; counting all the server's commands instead (INFO)\n", err)
		if redis0, err = rc.commandStats(); err != nil {
			return nil, fmt.Errorf("Redis INFO: %w", err)
		}
	}
	ch.cl.count()
	ch.start = time.Now()
	callCtx, cancelCalls := context.WithCancel(ctx)
	defer cancelCalls()
	noMore := make(chan struct{}) // the hold is over: no new calls
	var wg sync.WaitGroup
	stopChaos, chaosDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(chaosDone)
		ch.monkey(stopChaos)
	}()
	progressDone := make(chan struct{})
	var progressWG sync.WaitGroup
	progressWG.Add(1)
	go func() {
		defer progressWG.Done()
		ch.progress(ctx, progressDone)
	}()

	for i := range o.calls {
		if !sleep(ctx, time.Until(ch.start.Add(o.ramp*time.Duration(i)/time.Duration(o.calls)))) {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch.caller(callCtx, noMore, clocks[i%len(clocks)])
		}()
	}
	sleep(ctx, time.Until(ch.start.Add(o.ramp+o.hold)))
	close(noMore)
	close(stopChaos)
	<-chaosDone
	ended := make(chan struct{})
	go func() { wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(o.chaos.drain):
		cancelCalls()
		<-ended
	case <-ctx.Done():
		cancelCalls()
		<-ended
	}
	end := time.Now()
	close(progressDone)
	progressWG.Wait()
	cpu := ch.cl.cpu()
	counted := fmt.Sprintf("MONITOR, database %d", rt.db)
	var cmds map[string]int64
	if mon != nil {
		cmds = mon.stop()
	} else {
		redis1, err := rc.commandStats()
		if err != nil {
			return nil, fmt.Errorf("Redis INFO: %w", err)
		}
		counted, cmds = "INFO commandstats, server-wide", map[string]int64{}
		for name, n := range redis1 {
			if d := n - redis0[name]; d > 0 && name != "info" {
				cmds[name] = d
			}
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	bookings, err := fetchBookings(bctx, ch.http, ch.cl.bookingsURL)
	if err != nil {
		return nil, err
	}
	r := ch.report(end.Sub(ch.start), cpu, cmds, bookings)
	r.RedisCounted = counted
	return r, nil
}

// monkey kills an instance at random moments (their gaps exponential,
// of mean --chaos-every, seeded), keeps it down for --chaos-down and
// starts it again on its address, until stop.
func (ch *chaosRun) monkey(stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(ch.o.chaos.seed, 0x766f6963656c6f61))
	for {
		t := time.NewTimer(time.Duration(rng.ExpFloat64() * float64(ch.o.chaos.every)))
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C:
		}
		i := rng.IntN(len(ch.cl.inst))
		in := ch.cl.inst[i]
		if err := in.kill(); err != nil {
			fmt.Fprintf(ch.stderr, "voiceload: %4.0fs  could not kill serve %s: %v\n", time.Since(ch.start).Seconds(), in.name, err)
			continue
		}
		ch.kills.Add(1)
		fmt.Fprintf(ch.stderr, "voiceload: %4.0fs  SIGKILL serve %s (%s), %d calls up\n", time.Since(ch.start).Seconds(), in.name, in.addr, ch.up.Load())
		time.Sleep(ch.o.chaos.down)
		at := time.Now()
		if err := in.restart(); err != nil {
			ch.mu.Lock()
			ch.restartErr = err
			ch.mu.Unlock()
			fmt.Fprintf(ch.stderr, "voiceload: %4.0fs  serve %s did not start again, no more kills: %v\n", time.Since(ch.start).Seconds(), in.name, err)
			return
		}
		ch.restarts.Add(1)
		started := time.Since(at)
		ch.cl.waitUp(i) // one instance down at a time: the next kill once HAProxy sends to this one again
		fmt.Fprintf(ch.stderr, "voiceload: %4.0fs  serve %s listening again (%.1fs to start, %.1fs to be up in HAProxy)\n",
			time.Since(ch.start).Seconds(), in.name, started.Seconds(), time.Since(at).Seconds())
	}
}

// progress prints a line every --progress until done.
func (ch *chaosRun) progress(ctx context.Context, done <-chan struct{}) {
	if ch.o.every <= 0 {
		return
	}
	tick := time.NewTicker(ch.o.every)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		fmt.Fprintf(ch.stderr, "voiceload: %4.0fs  calls up %d  started %d  completed %d  failed %d  hand-overs %d  kills %d\n",
			time.Since(ch.start).Seconds(), ch.up.Load(), ch.started.Load(), ch.completed.Load(), ch.failed.Load(), ch.handOvers.Load(), ch.kills.Load())
	}
}

// caller makes calls one after another, each a booking, until noMore.
func (ch *chaosRun) caller(ctx context.Context, noMore <-chan struct{}, clock *twiliotest.Clock) {
	for !isClosed(noMore) && ctx.Err() == nil {
		ch.call(ctx, clock, int(ch.next.Add(1)))
		sleep(ctx, thinkMin)
	}
}

// call is one booking: ring, say the script answering the agent's
// questions (after a hand-over, the one it asks again), hear the booking
// made, hang up.
func (ch *chaosRun) call(ctx context.Context, clock *twiliotest.Clock, n int) {
	sid := fmt.Sprintf("CA%032x", n)
	rec := &chaosCall{from: fmt.Sprintf("+3460%07d", n), start: time.Now()}
	rec.want = expectedBooking(ch.clips, rec.from, rec.start)
	ch.started.Add(1)
	ch.mu.Lock()
	ch.calls = append(ch.calls, rec)
	ch.mu.Unlock()

	rctx, cancel := context.WithTimeout(ctx, callTimeout)
	p, err := twiliotest.Ring(rctx, twiliotest.PhoneConfig{
		VoiceURL: ch.cl.lbURL + "/twilio/voice?agent=" + chaosAgent, AuthToken: ch.cl.authToken,
		CallSid: sid, AccountSid: "AC" + sid[2:], From: rec.from, To: "+34910000000",
		Header: http.Header{"X-Forwarded-Proto": {"http"}}, HTTP: ch.http,
		Stream: twiliotest.Config{KeepPlayed: playedKept, MaxEntries: 64, Clock: clock},
	})
	cancel()
	if err != nil {
		ch.ended(rec, nil, failureReason("webhook", err))
		return
	}
	ch.up.Add(1)
	err = ch.converse(ctx, p)
	ch.up.Add(-1)
	hungUp := p.Hangup()
	reason := ""
	switch {
	case err == nil && hungUp == nil:
		rec.completed = true
	case err == nil || errors.Is(err, errCallOver):
		reason = overReason(p.Outcome())
	case ctx.Err() != nil:
		reason = "cut off at the end of the run (--chaos-drain)"
	default:
		reason = failureReason("call", err)
	}
	ch.ended(rec, p, reason)
}

// overReason says why a call the caller had not finished ended.
func overReason(o twiliotest.Outcome) string {
	switch o.End {
	case twiliotest.EndFailed:
		return failureReason("after a dropped stream", o.Err)
	case twiliotest.EndDial:
		return "transferred to " + o.Number
	case twiliotest.EndHangup:
		if len(o.Said) > 0 {
			return "the server hung up, saying " + strings.Join(o.Said, " ")
		}
		return "the server hung up before the booking was done"
	}
	return "the call ended: " + string(o.End)
}

// ended records a call's end.
func (ch *chaosRun) ended(rec *chaosCall, p *twiliotest.Phone, reason string) {
	end := time.Now()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	rec.end = end
	ch.callTime += end.Sub(rec.start)
	if rec.completed {
		ch.completed.Add(1)
	} else {
		ch.failed.Add(1)
		ch.failures[reason]++
	}
	if p == nil {
		return
	}
	for _, h := range p.HandOvers() {
		ch.handOvers.Add(1)
		if h.FirstAudio.IsZero() {
			ch.unheardHandOvers++
			continue
		}
		ch.silences = append(ch.silences, h.Silence())
		if !h.Answered.IsZero() {
			ch.steps[0] = append(ch.steps[0], h.Answered.Sub(h.Dropped))
			ch.steps[1] = append(ch.steps[1], h.Opened.Sub(h.Answered))
			ch.steps[2] = append(ch.steps[2], h.FirstAudio.Sub(h.Opened))
		}
	}
	if s := p.Stream(); s != nil {
		ch.invalid.Add(s.Stats().Errors)
	}
}

// converse says the script, each line answering the question the agent
// asked, told by its tone: the greeting is answered with the first line,
// a field's question with its line, the read-back with "sí confirmo"; the
// booking's announcement ends it. When a stream ends under it, it takes
// the next one and listens to the apology and the question asked again.
// A question it cannot tell gets the line it was on (the next after an
// answer, the same after a hand-over or no answer).
func (ch *chaosRun) converse(ctx context.Context, p *twiliotest.Phone) error {
	c := p.Stream()
	if c == nil {
		return errCallOver
	}
	cur := 0            // the line the caller is on
	var since time.Time // the last frame of the line whose answer is awaited; zero: any audio
	for turn := 0; turn < maxTurns; turn++ {
		q, known, heard, err := ch.listen(ctx, c, since)
		if err == nil {
			if heard && !since.IsZero() {
				cur++ // answered
			}
			switch {
			case known && q.line < 0:
				return nil // booked
			case known:
				cur = q.line
			case heard:
				ch.unknown.Add(1)
			}
			if cur >= len(ch.clips) {
				return nil // "sí confirmo" answered, not with the booking: the bookings tell
			}
			if !sleep(ctx, thinkMin) {
				return ctx.Err()
			}
			u := c.Say(ch.clips[cur].PCM)
			if err = u.Wait(ctx); err == nil {
				since = u.LastFrame()
				continue
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, twiliotest.ErrClosed) {
			return err
		}
		// The stream ended: a hand-over, or the end of the call.
		if c, err = p.Next(ctx, c); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return errCallOver
		}
		since = time.Time{}
	}
	return fmt.Errorf("no booking after %d turns", maxTurns)
}

// listen waits up to 10 s for the agent's audio after since, then for
// it to end, and tells which question it asked. The error is ctx's, or
// twiliotest.ErrClosed when the stream ends.
func (ch *chaosRun) listen(ctx context.Context, c *twiliotest.Client, since time.Time) (q question, known, heard bool, err error) {
	wctx, cancel := context.WithTimeout(ctx, answerWait)
	_, err = c.WaitEntry(wctx, func(e twiliotest.Entry) bool { return e.Kind == twiliotest.KindMedia && e.At.After(since) })
	cancel()
	switch {
	case err == nil:
		heard = true
		if !since.IsZero() {
			ch.turns.Add(1)
		}
	case ctx.Err() != nil:
		return q, false, false, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		ch.unanswered.Add(1)
	default:
		return q, false, false, err
	}
	if err := c.WaitQuiet(ctx, quietAfter); err != nil {
		return q, false, false, err
	}
	if heard {
		q, known = heardQuestion(c.Played())
	}
	return q, known, heard, nil
}

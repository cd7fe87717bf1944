package calls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/tools"
)

// How the layer saves calls to its Store.
const (
	// saveWait bounds a save made while the store is healthy: a turn's
	// answer waits for it, so that what the caller hears next is never
	// ahead of what another instance would take over.
	saveWait = 500 * time.Millisecond
	// retryEvery is how often saves that failed are tried again.
	retryEvery = 500 * time.Millisecond
	// liveTTL is how long the record of a call in progress is kept
	// after its last save: a call whose instance died and which no
	// connection takes over is forgotten then.
	liveTTL = 2 * time.Hour
	// endedAlone is how long a MemoryStore keeps a finished call.
	endedAlone = 10 * time.Minute
	// eventsTTL bounds a call's events in a shared store.
	eventsTTL = time.Hour
	// epochEvents spaces a call's event ids by hand-over: those of the
	// connection that took the call over come after all before.
	epochEvents = 1_000_000
)

// ErrOutcomeUnknown is the failure of a service the ledger says was sent
// by a connection that was lost before its answer came: it is not sent
// again, and the caller is told it cannot be known whether it went
// through.
var ErrOutcomeUnknown = errors.New("the service was sent before the connection was lost and its outcome is unknown")

// errRepeated is the failure of a service whose failed run the ledger
// holds, told again instead of sent again.
var errRepeated = errors.New("the service failed when it was sent before the connection was lost")

// keeper saves calls to the store: at once, while the store answers;
// when it does not, the latest record of each call is kept and tried
// again until it does. It counts what it does for /metrics and
// readiness.
type keeper struct {
	store    Store
	log      interface{ Warn(string, ...any) }
	metrics  *persistMetrics
	instance string

	mu      sync.Mutex
	pending map[string]pendingSave // by call
	down    bool
	wake    chan struct{}

	events chan storedEvent // for the shared store, written by one goroutine
}

type pendingSave struct {
	rec *Record
	ttl time.Duration
}

type storedEvent struct {
	call string
	ev   StoredEvent
}

func newKeeper(store Store, instance string, log interface{ Warn(string, ...any) }, m *persistMetrics) *keeper {
	return &keeper{store: store, instance: instance, log: log, metrics: m, pending: map[string]pendingSave{},
		wake: make(chan struct{}, 1), events: make(chan storedEvent, 4096)}
}

// save writes rec, waiting for the store at most saveWait while it is
// healthy; otherwise (or when that fails) it queues rec for retry.
func (k *keeper) save(rec *Record, ttl time.Duration) {
	k.mu.Lock()
	down := k.down
	if down {
		k.pending[rec.View.ID] = pendingSave{rec, ttl}
		k.metrics.setPending(len(k.pending))
		k.mu.Unlock()
		return
	}
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), saveWait)
	start := time.Now()
	err := k.store.Save(ctx, rec, ttl)
	cancel()
	k.metrics.saved(time.Since(start), err)
	switch {
	case err == nil, errors.Is(err, ErrStale):
		if errors.Is(err, ErrStale) {
			// Another connection took the call over: this one's news is
			// old. Nothing to retry.
			k.log.Warn("a later record of the call is saved; this instance's is dropped", "call", rec.View.ID)
		}
	default:
		k.fail(err)
		k.mu.Lock()
		k.pending[rec.View.ID] = pendingSave{rec, ttl}
		k.metrics.setPending(len(k.pending))
		k.mu.Unlock()
		k.poke()
	}
}

func (k *keeper) fail(err error) {
	k.mu.Lock()
	was := k.down
	k.down = true
	k.mu.Unlock()
	k.metrics.setUp(false)
	if !was {
		k.log.Warn("the call store cannot be reached; calls go on from memory and their saves are retried", "err", err)
	}
}

func (k *keeper) poke() {
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// health says whether the store answered last, and how many calls' saves
// wait for it.
func (k *keeper) health() (up bool, pending int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !k.down, len(k.pending)
}

// run retries failed saves and writes events until ctx is done.
func (k *keeper) run(ctx context.Context) {
	t := time.NewTicker(retryEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-k.events:
			k.append(ctx, e)
			continue
		case <-t.C:
		case <-k.wake:
		}
		k.retry(ctx)
	}
}

func (k *keeper) append(ctx context.Context, e storedEvent) {
	if up, _ := k.health(); !up {
		return // events are for watching a call; they are not caught up
	}
	actx, cancel := context.WithTimeout(ctx, saveWait)
	defer cancel()
	if err := k.store.Append(actx, e.call, e.ev.ID, e.ev.Data, eventsTTL); err != nil && !errors.Is(err, context.Canceled) {
		k.fail(err)
	}
}

// retry writes the queued saves; the first that fails leaves the rest
// for the next time.
func (k *keeper) retry(ctx context.Context) {
	k.mu.Lock()
	if len(k.pending) == 0 {
		k.mu.Unlock()
		return
	}
	batch := make([]pendingSave, 0, len(k.pending))
	for _, p := range k.pending {
		batch = append(batch, p)
	}
	k.mu.Unlock()
	for _, p := range batch {
		if err := k.resave(ctx, p); err != nil {
			k.fail(err)
			return
		}
	}
	k.mu.Lock()
	caught := len(k.pending) == 0
	if caught && k.down {
		k.down = false
		k.log.Warn("the call store answers again; every save has caught up")
	}
	k.mu.Unlock()
	if caught {
		k.metrics.setUp(true)
	}
}

// flush writes what is queued for the call now, if the store answers:
// a call being handed over must be saved before its connection ends.
func (k *keeper) flush(id string) {
	k.mu.Lock()
	p, ok := k.pending[id]
	k.mu.Unlock()
	if ok {
		_ = k.resave(context.Background(), p) // still queued if it fails
	}
}

// resave writes a queued save and, once it is stored (or a later record
// is), takes it off the queue unless a newer save of the call replaced it.
func (k *keeper) resave(ctx context.Context, p pendingSave) error {
	sctx, cancel := context.WithTimeout(ctx, saveWait)
	err := k.store.Save(sctx, p.rec, p.ttl)
	cancel()
	if err != nil && !errors.Is(err, ErrStale) {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if cur, ok := k.pending[p.rec.View.ID]; ok && cur.rec == p.rec {
		delete(k.pending, p.rec.View.ID)
	}
	k.metrics.setPending(len(k.pending))
	return nil
}

// record is the call as the store keeps it now; with the session's
// snapshot while the call goes on.
func (c *call) record(outcome, transfer string, live bool) (*Record, error) {
	c.version++
	v := View{ID: c.id, Agent: c.agent.Catalog.Agent.Name, From: c.shownFrom, Transport: c.info.Transport,
		ProviderID: c.info.Provider, Started: c.started, Live: live, State: c.sess.MaskState(c.sess.State()),
		Instance: c.l.instance, Handovers: c.handovers}
	tr := c.transcript()
	v.Turns = len(tr.Turns)
	rec := &Record{View: v, Epoch: c.epoch, Version: c.version}
	var err error
	if c.l.shared {
		// Other instances show it; alone, the registry does, and the
		// store holds only what a new connection needs.
		if rec.Transcript, err = json.Marshal(tr); err != nil {
			return nil, err
		}
	}
	switch {
	case live:
		rec.View.Outcome = outcome // handed over, or lost: waiting to go on
		snap, err := c.sess.Snapshot()
		if err != nil {
			return nil, err
		}
		if rec.Snapshot, err = json.Marshal(snap); err != nil {
			return nil, err
		}
	default:
		now := time.Now()
		rec.View.Ended, rec.View.Outcome = &now, outcome
		rec.Outcome, rec.Transfer = outcome, transfer
	}
	return rec, nil
}

// save saves the call as it stands: still going on, or (outcome not
// "") over.
func (c *call) save(outcome, transfer string, live bool) {
	rec, err := c.record(outcome, transfer, live)
	if err != nil {
		c.l.log.Warn("could not save the call", "call", c.id, "err", err)
		return
	}
	ttl := liveTTL
	switch {
	case live:
	case c.l.shared:
		ttl = c.l.retention
	default:
		// Alone, the registry keeps the finished calls the API shows; the
		// store need only answer the carrier's question after the end
		// (a transfer), not hold every call of the retention in memory.
		ttl = endedAlone
	}
	c.l.keep.save(rec, ttl)
}

// Ending makes the call's end known to every instance before its line
// ends (telephony.Ender): when the carrier asks what to do next, the
// answer is the hang-up or the transfer, not a hand-over.
func (c *call) Ending(outcome, transfer string) {
	c.transfer = transfer
	c.save(outcome, transfer, false)
}

// agentOf is the agent of the saved call id, which a new connection
// takes over: an error when there is no such call, or named is not ""
// and not its agent (nothing is taken over then).
func (l *Layer) agentOf(ctx context.Context, id, named string) (string, error) {
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rec, err := l.keep.store.Load(lctx, id)
	if err != nil {
		return "", fmt.Errorf("taking the call over: %w", err)
	}
	if named != "" && named != rec.View.Agent {
		return "", fmt.Errorf("taking the call over: %w %q: the call is %q's", ErrNoAgent, named, rec.View.Agent)
	}
	return rec.View.Agent, nil
}

// resume opens a call that goes on over a new connection: it takes the
// call over in the store (no other connection's saves count from now)
// and restores its session.
func (l *Layer) resume(ctx context.Context, c *call) error {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rec, err := l.keep.store.Claim(cctx, c.id, l.instance)
	if err != nil {
		return fmt.Errorf("taking the call over: %w", err)
	}
	if len(rec.Snapshot) == 0 {
		return fmt.Errorf("taking the call over: %w: no saved state", ErrEnded)
	}
	var snap session.Snapshot
	if err := json.Unmarshal(rec.Snapshot, &snap); err != nil {
		return fmt.Errorf("taking the call over: %w", err)
	}
	sess, err := session.Resume(c.agent, c.exec, &snap)
	if err != nil {
		return fmt.Errorf("taking the call over: %w", err)
	}
	c.sess, c.epoch, c.version, c.handovers = sess, rec.Epoch, rec.Version, rec.View.Handovers
	c.started = rec.View.Started
	c.info.From = snap.Transcript.From
	l.metrics.handedOver()
	return nil
}

// Continue says how a call goes on after its connection on transport
// ended, whichever instance it ran on (telephony.Continuer): over a new
// connection when it is still in progress, transferred, or not at all.
func (l *Layer) Continue(ctx context.Context, transport, provider string) (telephony.Continuation, error) {
	store := l.keep.store
	id, err := store.Lookup(ctx, transport, provider)
	if err != nil {
		return telephony.Continuation{}, err
	}
	rec, err := store.Load(ctx, id)
	if err != nil {
		return telephony.Continuation{}, err
	}
	if rec.Ended() || len(rec.Snapshot) == 0 {
		return telephony.Continuation{Transfer: rec.Transfer}, nil
	}
	var snap session.Snapshot
	if err := json.Unmarshal(rec.Snapshot, &snap); err != nil {
		return telephony.Continuation{}, err
	}
	info := telephony.CallInfo{ID: id, Agent: rec.View.Agent, From: snap.Transcript.From, Transport: transport,
		Provider: provider, Resume: true}
	return telephony.Continuation{Call: &info}, nil
}

// ledgered runs svc once per confirmation across connections: the
// execution ledger says whether this run (the call, the turn that
// confirmed it, the service, its values) was sent before, by this
// connection or one that was lost.
func (w *turnWork) ledgered(ctx context.Context, svc *tools.Service, in tools.Input) *tools.Result {
	c := w.c
	key := LedgerKey(c.id, c.sess.State().Turn, svc.Intent, in.Fields)
	in.IdempotencyKey = key
	bctx, cancel := context.WithTimeout(ctx, saveWait)
	prev, err := c.l.keep.store.Begin(bctx, c.id, key, c.l.instance, c.l.retention)
	cancel()
	switch {
	case err != nil:
		// Without the ledger the service is sent anyway: the call must go
		// on; a duplicate needs this outage and a lost connection at once.
		c.l.keep.fail(err)
		c.l.metrics.ledger("unrecorded")
	case prev != nil && prev.Done:
		c.l.metrics.ledger("repeated")
		res := &tools.Result{Outcome: tools.Outcome{Message: prev.Message, Condition: -1}}
		if prev.Failed {
			res.Err = errRepeated
		}
		return res
	case prev != nil:
		c.l.metrics.ledger("unknown")
		c.l.log.Warn("a service was sent before the connection was lost and its outcome is unknown; not sent again",
			"call", c.id, "intent", svc.Intent, "sent_by", prev.Owner)
		return &tools.Result{Outcome: tools.Outcome{Message: c.agent.Engine.Phrase("outcomeUnknown"), Condition: -1, Err: ErrOutcomeUnknown}}
	default:
		c.l.metrics.ledger("sent")
	}
	res := c.exec.Execute(ctx, svc, in)
	if err == nil {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveWait)
		e := &Entry{Owner: c.l.instance, Started: time.Now().Add(-res.Duration), Done: true, Failed: res.Failed(), Message: res.Message}
		if err := c.l.keep.store.Finish(fctx, c.id, key, e, c.l.retention); err != nil {
			c.l.keep.fail(err)
		}
		cancel()
	}
	return res
}

// persistMetrics count hand-overs, the ledger's answers and the store's
// health. A nil *persistMetrics records nothing.
type persistMetrics struct {
	handovers prometheus.Counter
	ledgerRun *prometheus.CounterVec
	up        prometheus.Gauge
	pending   prometheus.Gauge
	saves     prometheus.Histogram
	failures  prometheus.Counter
}

func newPersistMetrics(reg prometheus.Registerer) (*persistMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &persistMetrics{
		handovers: prometheus.NewCounter(prometheus.CounterOpts{Name: "voiceagent_handovers_total",
			Help: "Calls this instance took over from a lost or handed-over connection."}),
		ledgerRun: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "voiceagent_ledger_runs_total",
			Help: "Services by what the execution ledger said: sent, repeated (its answer told again), unknown (sent before a lost connection, not sent again), unrecorded (the store was down)."},
			[]string{"result"}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "voiceagent_store_up",
			Help: "1 while the call store (Redis) answers; 0 while saves wait for it."}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "voiceagent_store_pending_saves",
			Help: "Calls whose latest state waits to be saved."}),
		saves: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "voiceagent_store_save_seconds",
			Help: "Time to save a call's state after a turn.", Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .05, .25}}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "voiceagent_store_save_failures_total",
			Help: "Saves that failed and were queued to be tried again."}),
	}
	m.up.Set(1)
	for _, c := range []prometheus.Collector{m.handovers, m.ledgerRun, m.up, m.pending, m.saves, m.failures} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *persistMetrics) handedOver() {
	if m != nil {
		m.handovers.Inc()
	}
}

func (m *persistMetrics) ledger(result string) {
	if m != nil {
		m.ledgerRun.WithLabelValues(result).Inc()
	}
}

func (m *persistMetrics) setUp(up bool) {
	if m == nil {
		return
	}
	if up {
		m.up.Set(1)
	} else {
		m.up.Set(0)
	}
}

func (m *persistMetrics) setPending(n int) {
	if m != nil {
		m.pending.Set(float64(n))
	}
}

func (m *persistMetrics) saved(d time.Duration, err error) {
	if m == nil {
		return
	}
	if err != nil && !errors.Is(err, ErrStale) {
		m.failures.Inc()
		return
	}
	m.saves.Observe(d.Seconds())
}

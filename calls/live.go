package calls

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/transcript"
)

// Turned: the agent is now listening, thinking or speaking (the voice
// runtime's turn, as a caller sees it).
type Turned struct {
	State string
}

// Hearing: the caller's words so far in a turn, as recognised, before the
// turn ends. Words already given as personal values are masked; while the
// agent asks for a personal field the words are withheld (Private).
type Hearing struct {
	Words   string
	Private bool
}

// TurnTimed: the agent's answer to a turn started playing; where the time
// from the caller's last word went.
type TurnTimed struct {
	telephony.TurnTiming
}

// Saying: the agent starts saying a sentence of an answer (the browser
// page speaks it itself when the server has no text-to-speech).
type Saying struct {
	Text string
}

func (Saying) what()    {}
func (Turned) what()    {}
func (Hearing) what()   {}
func (TurnTimed) what() {}

// liveView is what the call's live events need of the session, frozen
// after each turn, for the runtime's goroutines to read.
type liveView struct {
	mask    func(string) string
	private bool
}

// Turn, Hearing and Timed make a call a telephony.Watcher.
func (c *call) Turn(state string) { c.emit(Turned{State: state}) }

func (c *call) Hearing(words string) {
	lv := c.live.Load()
	if lv == nil || lv.private {
		c.emit(Hearing{Words: transcript.Withheld, Private: true})
		return
	}
	c.emit(Hearing{Words: lv.mask(words)})
}

func (c *call) Timed(t telephony.TurnTiming) { c.emit(TurnTimed{TurnTiming: t}) }

// freeze keeps what the live events need of the session as it stands.
func (c *call) freeze() {
	c.live.Store(&liveView{mask: c.sess.Masker(), private: c.sess.AskingPrivate()})
}

var _ telephony.Watcher = (*call)(nil)

// wire is an event as the events stream sends it: its kind, and its data
// as JSON.
func wire(ev Event) (string, any) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	switch w := ev.What.(type) {
	case Opened:
		return "opened", map[string]any{"agent": w.Agent, "transport": w.Info.Transport, "from": w.Info.From,
			"resumed": w.Info.Resume, "handovers": w.Handovers, "instance": w.Instance}
	case Heard:
		return "heard", map[string]any{"text": w.Text, "keys": w.Keys, "silence": w.Silence, "private": w.Private}
	case Hearing:
		return "hearing", map[string]any{"words": w.Words, "private": w.Private}
	case ServiceStarted:
		return "service_started", map[string]any{"intent": w.Intent, "waitMessage": w.WaitMessage}
	case ServiceFinished:
		return "service_finished", map[string]any{"intent": w.Intent, "ms": ms(w.Took), "failed": w.Failed}
	case FieldSet:
		return "field", map[string]any{"name": w.Name, "value": w.Value, "was": w.Was}
	case StateChanged:
		return "state", map[string]any{"state": w.State}
	case Said:
		return "said", map[string]any{"text": w.Text, "heard": w.Heard, "interrupted": w.Interrupted}
	case Turned:
		return "turn", map[string]any{"state": w.State}
	case Saying:
		return "saying", map[string]any{"text": w.Text}
	case TurnTimed:
		t := w.TurnTiming
		return "timing", map[string]any{"replyMs": ms(t.ReplyDelay), "endpointingMs": ms(t.Endpointing), "sttMs": ms(t.STT),
			"externalMs": ms(t.External), "ttsMs": ms(t.TTS), "orchestratorMs": ms(t.Orchestrator())}
	case Ended:
		return "ended", map[string]any{"outcome": w.Outcome, "state": w.State}
	}
	return "", nil
}

// sseEvent is an event encoded for the stream.
type sseEvent struct {
	id   int64
	data []byte
}

// hub keeps each call's last events, encoded, for the readers of its
// stream: a reader who subscribes as the call opens (the browser page)
// or comes back with Last-Event-ID misses nothing of the current turn,
// and one who comes late starts from the recent past (the call's whole
// state is GET /v1/calls/{id}). The last finished calls' events are kept
// too.
type hub struct {
	sink func(call string, id int64, data []byte) // also gets every event, when set

	mu    sync.Mutex
	calls map[string]*stream
	ended []string // finished calls kept, oldest first
	keep  int
}

type stream struct {
	last   int64 // the id of the last event
	events []sseEvent
	subs   map[chan struct{}]struct{} // woken when events come
	done   bool
}

// maxStreamEvents bounds what a call's stream keeps (a few turns' worth,
// about 10 KB): a thousand calls in progress must not hold every event
// they ever had.
const maxStreamEvents = 32

func newHub(keep int) *hub { return &hub{calls: map[string]*stream{}, keep: keep} }

func (h *hub) observe(ev Event) {
	kind, v := wire(ev)
	if kind == "" {
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.calls[ev.Call]
	if s == nil {
		s = &stream{subs: map[chan struct{}]struct{}{}}
		h.calls[ev.Call] = s
	}
	if o, ok := ev.What.(Opened); ok {
		// A call that goes on over a new connection goes on with its
		// events, whose ids keep growing.
		s.done, s.last = false, max(s.last, o.firstEvent)
	}
	if s.done {
		return
	}
	s.last++
	id := s.last
	if len(s.events) >= maxStreamEvents {
		s.events = append(s.events[:0], s.events[len(s.events)-maxStreamEvents/2:]...)
	}
	data := fmt.Appendf(nil, "id: %d\nevent: %s\ndata: %s\n\n", id, kind, body)
	s.events = append(s.events, sseEvent{id: id, data: data})
	if h.sink != nil {
		h.sink(ev.Call, id, data)
	}
	if _, ok := ev.What.(Ended); ok {
		s.done = true
		h.ended = append(h.ended, ev.Call)
		if len(h.ended) > h.keep {
			delete(h.calls, h.ended[0])
			h.ended = h.ended[1:]
		}
	}
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default: // already woken
		}
	}
}

// forget drops a call's events (DELETE, retention).
func (h *hub) forget(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.calls, id)
}

// since returns the call's events after the id last, whether the call has
// ended, and whether it is known at all.
func (h *hub) since(id string, last int64) ([]sseEvent, bool, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.calls[id]
	if s == nil {
		return nil, false, false
	}
	var out []sseEvent
	for _, e := range s.events {
		if e.id > last {
			out = append(out, e)
		}
	}
	return out, s.done, true
}

func (h *hub) subscribe(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.calls[id]
	if s == nil {
		return ch, func() {}
	}
	s.subs[ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(s.subs, ch)
	}
}

// callWait is how long the events of a call not opened yet are waited
// for.
const callWait = 10 * time.Second

// keepAlive is how often a quiet stream gets a comment, so that proxies
// keep it open.
const keepAlive = 15 * time.Second

// source is where a reader of a call's events gets them: this
// instance's hub, or, for a call running on another instance, the shared
// store.
type source interface {
	// since returns the events after last, whether the call is over, and
	// whether it is known at all.
	since(last int64) ([]sseEvent, bool, bool)
	subscribe() (<-chan struct{}, func())
}

type hubSource struct {
	h  *hub
	id string
}

func (s hubSource) since(last int64) ([]sseEvent, bool, bool) { return s.h.since(s.id, last) }
func (s hubSource) subscribe() (<-chan struct{}, func())      { return s.h.subscribe(s.id) }

// storeSource reads a call's events from the store; the call is over
// once its record says so.
type storeSource struct {
	ctx   context.Context
	store Store
	id    string
}

func (s storeSource) since(last int64) ([]sseEvent, bool, bool) {
	rec, err := s.store.Load(s.ctx, s.id)
	if err != nil {
		return nil, false, false
	}
	stored, err := s.store.Events(s.ctx, s.id, last)
	if err != nil {
		return nil, false, true
	}
	out := make([]sseEvent, len(stored))
	for i, e := range stored {
		out[i] = sseEvent{id: e.ID, data: e.Data}
	}
	return out, rec.Ended(), true
}

func (s storeSource) subscribe() (<-chan struct{}, func()) {
	ch, cancel, err := s.store.Subscribe(s.ctx, s.id)
	if err != nil {
		return nil, func() {}
	}
	return ch, cancel
}

// source finds a call's events: here, else, with a shared store, there.
func (l *Layer) source(ctx context.Context, id string) (source, bool) {
	_, done, here := l.hub.since(id, 1<<62)
	if here && (!done || !l.shared) {
		return hubSource{l.hub, id}, true
	}
	if l.shared { // elsewhere, or gone from here to go on elsewhere
		s := storeSource{ctx, l.keep.store, id}
		if _, over, ok := s.since(1 << 62); ok && (!here || !over) {
			return s, true
		}
	}
	if here {
		return hubSource{l.hub, id}, true
	}
	return nil, false
}

// events answers GET /v1/calls/{id}/events: the call's events as
// Server-Sent Events, from the start (or after Last-Event-ID), until the
// call ends or the reader goes. A call that goes on over a new connection
// keeps its stream: the reader, reconnecting with Last-Event-ID to any
// instance, gets the rest.
func (l *Layer) events(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	last, _ := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64)
	// A browser asks for its call's events as soon as it has the answer to
	// its offer, which may be before the call is connected and opened: a
	// call not known yet is waited for a little.
	src, ok := l.source(r.Context(), id)
	for wait := time.Now().Add(callWait); !ok && time.Now().Before(wait); src, ok = l.source(r.Context(), id) {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !ok {
		http.Error(w, "no such call", http.StatusNotFound)
		return
	}
	ch, unsubscribe := src.subscribe()
	defer unsubscribe()
	evs, done, _ := src.since(last) // what came while subscribing
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the server's write timeout is for requests, not streams
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		for _, e := range evs {
			if _, err := w.Write(e.data); err != nil {
				return
			}
			last = e.id
		}
		if err := rc.Flush(); err != nil || done {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return
			}
		case <-ch:
		}
		evs, done, _ = src.since(last)
	}
}

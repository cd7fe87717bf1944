package calls

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/transcript"
)

// registry keeps the calls in progress and the last finished ones, as the
// event stream tells it.
type registry struct {
	mu     sync.Mutex
	live   map[string]*record
	recent []*record // oldest first
	keep   int
}

func newRegistry(keep int) *registry {
	return &registry{live: map[string]*record{}, keep: keep}
}

// record is a call as the API shows it, kept up to date.
type record struct {
	ref string // the agent, as a transcript names it

	mu    sync.Mutex
	v     View // ID and Started never change
	trans *transcript.Transcript
}

// View is a call in the API.
type View struct {
	ID         string     `json:"id"`
	Agent      string     `json:"agent"`
	From       string     `json:"from,omitempty"`
	Transport  string     `json:"transport"`
	ProviderID string     `json:"providerId,omitempty"`
	Started    time.Time  `json:"started"`
	Ended      *time.Time `json:"ended,omitempty"`
	Live       bool       `json:"live"`
	// Outcome is how the call ended; "connection-lost" while a call whose
	// connection dropped waits to be taken over.
	Outcome string `json:"outcome,omitempty"`
	// Instance is the server instance the call runs on (or ran on last);
	// Handovers counts the times another connection took it over.
	Instance   string       `json:"instance,omitempty"`
	Handovers  int          `json:"handovers,omitempty"`
	State      dialog.State `json:"state"`
	Turns      int          `json:"turns"`
	Transcript any          `json:"transcript,omitempty"`
}

// observe follows the event stream.
func (r *registry) observe(ev Event) {
	switch w := ev.What.(type) {
	case Opened:
		c := &record{ref: w.Ref, v: View{ID: ev.Call, Agent: w.Agent, From: w.Info.From, Transport: w.Info.Transport,
			ProviderID: w.Info.Provider, Started: w.Started, Live: true, Instance: w.Instance, Handovers: w.Handovers}}
		if c.v.Started.IsZero() {
			c.v.Started = ev.At
		}
		r.mu.Lock()
		r.live[ev.Call] = c
		r.mu.Unlock()
	case StateChanged:
		if c := r.liveCall(ev.Call); c != nil {
			c.update(w.State, w.Transcript)
		}
	case Ended:
		c := r.liveCall(ev.Call)
		if c == nil {
			return
		}
		c.update(w.State, w.Transcript)
		at := ev.At
		c.mu.Lock()
		c.v.Outcome = w.Outcome
		if w.Outcome != telephony.OutcomeHandover && w.Outcome != telephony.OutcomeLost {
			c.v.Ended, c.v.Live = &at, false
		}
		c.mu.Unlock()
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.live, ev.Call)
		r.recent = append(r.recent, c)
		if len(r.recent) > r.keep {
			r.recent = slices.Delete(r.recent, 0, len(r.recent)-r.keep)
		}
	}
}

func (r *registry) liveCall(id string) *record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live[id]
}

func (c *record) update(st dialog.State, t *transcript.Transcript) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.v.State, c.trans, c.v.Turns = st, t, len(t.Turns)
}

// transcript is the call as a replayable transcript.
func (c *record) transcript() *transcript.Transcript {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trans == nil {
		return &transcript.Transcript{Agent: c.ref, CallID: c.v.ID, From: c.v.From}
	}
	t := *c.trans
	return &t
}

func (r *registry) get(id string) *record {
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

func (c *record) view(withTranscript bool) View {
	c.mu.Lock()
	v := c.v
	c.mu.Unlock()
	if withTranscript {
		v.Transcript = c.transcript()
	}
	return v
}

// Calls lists the calls in progress and the last finished ones, the most
// recent first.
func (l *Layer) Calls() []View {
	r := l.calls
	r.mu.Lock()
	var all []*record
	for _, c := range r.live {
		all = append(all, c)
	}
	all = append(all, r.recent...)
	r.mu.Unlock()
	views := make([]View, 0, len(all))
	for _, c := range all {
		views = append(views, c.view(false))
	}
	slices.SortFunc(views, func(a, b View) int { return b.Started.Compare(a.Started) })
	return views
}

// Register adds the calls API to mux: GET /v1/calls, /v1/calls/{id} and
// /v1/calls/{id}/transcript, the call's events as Server-Sent Events at
// /v1/calls/{id}/events, and DELETE /v1/calls/{id}.
func (l *Layer) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/calls", l.listCalls)
	mux.HandleFunc("GET /v1/calls/{id}", l.getCall)
	mux.HandleFunc("GET /v1/calls/{id}/transcript", l.getTranscript)
	mux.HandleFunc("GET /v1/calls/{id}/events", l.events)
	mux.HandleFunc("DELETE /v1/calls/{id}", l.deleteCall)
}

func (l *Layer) listCalls(w http.ResponseWriter, r *http.Request) {
	views := l.Calls()
	if l.shared {
		// Every instance's calls: those of the store this instance does
		// not hold, whose own views are the freshest.
		here := map[string]bool{}
		for _, v := range views {
			here[v.ID] = true
		}
		recs, err := l.keep.store.List(r.Context(), l.calls.keep)
		if err != nil {
			l.log.Warn("could not list the calls of other instances", "err", err)
			w.Header().Set("Warning", `199 - "the calls of other instances are missing: the call store cannot be reached"`)
		}
		for _, rec := range recs {
			if !here[rec.View.ID] {
				views = append(views, rec.View)
			}
		}
		slices.SortFunc(views, func(a, b View) int { return b.Started.Compare(a.Started) })
	}
	w.Header().Set("Content-Type", "application/json")
	_ = writeJSON(w, map[string]any{"calls": views})
}

// find returns the call as the API shows it, with its transcript: held
// here, else, with a shared store, by another instance.
func (l *Layer) find(ctx context.Context, id string) (View, *transcript.Transcript, bool) {
	if c := l.calls.get(id); c != nil {
		return c.view(false), c.transcript(), true
	}
	if !l.shared {
		return View{}, nil, false
	}
	rec, err := l.keep.store.Load(ctx, id)
	if err != nil {
		return View{}, nil, false
	}
	t := &transcript.Transcript{}
	if len(rec.Transcript) > 0 && json.Unmarshal(rec.Transcript, t) != nil {
		return View{}, nil, false
	}
	return rec.View, t, true
}

func (l *Layer) getCall(w http.ResponseWriter, r *http.Request) {
	v, t, ok := l.find(r.Context(), r.PathValue("id"))
	if !ok {
		http.Error(w, "no such call", http.StatusNotFound)
		return
	}
	v.Transcript = t
	w.Header().Set("Content-Type", "application/json")
	_ = writeJSON(w, v)
}

// getTranscript answers the call as a transcript file: YAML, or JSON when
// asked with Accept: application/json.
func (l *Layer) getTranscript(w http.ResponseWriter, r *http.Request) {
	_, t, ok := l.find(r.Context(), r.PathValue("id"))
	if !ok {
		http.Error(w, "no such call", http.StatusNotFound)
		return
	}
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

// writeJSON writes v indented, without escaping HTML.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

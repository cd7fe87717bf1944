package calls

import (
	"context"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/transcript"
)

// call is one call's conversation, as the voice runtime consumes it
// (telephony.Session): a session, timed and watched. The runtime calls it
// from one goroutine at a time.
type call struct {
	l       *Layer
	id      string
	info    telephony.CallInfo
	agent   *session.Agent
	exec    session.Executor // the agent's services
	sess    *session.Session
	model   *timed // the model's understanding, timed; nil without one
	ref     string
	started time.Time
	slots   map[string]string // the fields collected as of the last event
	live    atomic.Pointer[liveView]

	// Where the call stands in the store.
	shownFrom string // the caller's number, masked
	epoch     int64  // the connections that took the call over
	version   int64  // saves in this epoch
	handovers int
	transfer  string // the number the call was transferred to
}

// Handle feeds ev to the session. The turn's services run through a
// turnWork that carries wait, so each tells the runtime its wait message
// as it starts; the time spent in services and the model is the reply's
// External.
func (c *call) Handle(ctx context.Context, ev dialog.Event, wait func(string)) telephony.Reply {
	w := &turnWork{c: c, wait: wait}
	if h, ok := heard(ev); ok {
		w.heard = &h
	}
	var before time.Duration
	if c.model != nil {
		before = c.model.spent
	}
	t := c.sess.HandleWith(ctx, ev, w)
	w.tell()
	external := w.external
	if c.model != nil {
		external += c.model.spent - before
	}
	c.changed(t.State, w.fields)
	c.freeze()
	if _, hangup := ev.(dialog.Hangup); !hangup {
		c.save("", "", true)
	}
	return telephony.Reply{Actions: t.Actions, External: external}
}

// heard is the caller's turn in ev, if ev is one.
func heard(ev dialog.Event) (Heard, bool) {
	switch ev := ev.(type) {
	case dialog.Utterance:
		return Heard{Text: ev.Text}, true
	case dialog.DTMF:
		return Heard{Keys: ev.Digits}, true
	case dialog.Timeout:
		return Heard{Silence: true}, true
	}
	return Heard{}, false
}

// changed reports the fields collected or changed since the last event
// (those the dialog holds, and those of the services it ran, which it
// lets go of once they have run), and the state.
func (c *call) changed(st dialog.State, ran map[string]string) {
	now := st.Slots
	if len(ran) > 0 {
		now = maps.Clone(ran)
		maps.Copy(now, st.Slots)
	}
	for _, name := range slices.Sorted(maps.Keys(now)) {
		if v, was := now[name], c.slots[name]; v != was {
			c.emit(FieldSet{Name: name, Value: c.sess.MaskField(name, v), Was: c.sess.MaskField(name, was)})
		}
	}
	c.slots = now
	c.emit(StateChanged{State: c.sess.MaskState(st), Transcript: c.transcript()})
}

// Speak says the sentences of the answer r, as the session words them.
func (c *call) Speak(ctx context.Context, r *telephony.Reply, say func(string)) {
	t := session.Turn{Actions: r.Actions}
	c.sess.Speak(ctx, &t, func(sentence string) {
		c.emit(Saying{Text: c.live.Load().mask(sentence)}) // frozen: Handle may run meanwhile
		say(sentence)
	})
}

// Spoken: the model's history keeps what the caller heard of an answer
// they interrupted; the transcript keeps what the agent meant to say.
func (c *call) Spoken(said, heard string, interrupted bool) {
	if interrupted {
		c.sess.Heard(heard)
	}
	c.emit(Said{Text: c.sess.Mask(said), Heard: c.sess.Mask(heard), Interrupted: interrupted})
}

func (c *call) Deadline() time.Time { return c.sess.Deadline() }

// Close saves how the call ended, and its last words; a call handed over
// or lost is saved as going on, for a new connection to take over.
func (c *call) Close(outcome string) {
	goesOn := outcome == telephony.OutcomeHandover || outcome == telephony.OutcomeLost
	c.save(outcome, c.transfer, goesOn)
	if goesOn {
		c.l.keep.flush(c.id)
	}
	c.emit(Ended{Outcome: outcome, Started: c.started, State: c.sess.MaskState(c.sess.State()), Transcript: c.transcript()})
}

func (c *call) emit(w What) { c.l.emit(Event{Call: c.id, At: time.Now(), What: w}) }

// transcript is the call so far as the layer keeps it, naming its agent
// as c.ref: redacted when the layer redacts transcripts.
func (c *call) transcript() *transcript.Transcript {
	var t *transcript.Transcript
	if c.l.redact {
		t = c.sess.Redacted()
	} else {
		t = c.sess.Transcript()
	}
	t.Agent = c.ref
	return t
}

// turnWork runs one turn's services: it tells the runtime each one's
// wait message as it starts, times it, and reports it.
type turnWork struct {
	c        *call
	wait     func(string)
	external time.Duration
	fields   map[string]string // of the services run
	heard    *Heard            // the caller's turn, until told
}

// tell reports the caller's turn, once the dialog has read it (before the
// turn's first service starts, or when the turn is over): only then is
// it known whether the words gave a personal value, and so must be
// withheld.
func (w *turnWork) tell() {
	if w.heard == nil {
		return
	}
	h, s := *w.heard, w.c.sess
	w.heard = nil
	switch {
	case s.Private() && h.Text != "":
		h.Text, h.Private = transcript.Withheld, true
	case s.Private() && h.Keys != "":
		h.Keys, h.Private = transcript.Withheld, true
	default:
		h.Text, h.Keys = s.Mask(h.Text), s.Mask(h.Keys)
	}
	w.c.emit(h)
}

func (w *turnWork) Execute(ctx context.Context, svc *tools.Service, in tools.Input) *tools.Result {
	w.tell()
	c := w.c
	msg := c.waitMessage(svc)
	c.emit(ServiceStarted{Intent: svc.Intent, WaitMessage: msg})
	if w.fields == nil {
		w.fields = map[string]string{}
	}
	maps.Copy(w.fields, in.Fields)
	w.wait(msg)
	start := time.Now()
	res := w.ledgered(ctx, svc, in)
	d := time.Since(start)
	w.external += d
	c.l.services.observe(c.agent.Catalog.Agent.Name, svc.Intent, d, res.Failed())
	c.emit(ServiceFinished{Intent: svc.Intent, Took: d, Failed: res.Failed()})
	return res
}

// waitMessage is what the caller hears while svc runs, if it is slow: its
// waitMessage, else the agent's working phrase.
func (c *call) waitMessage(svc *tools.Service) string {
	if svc.WaitMessage != "" {
		return svc.WaitMessage
	}
	return c.agent.Engine.Phrase("working")
}

// timed is the model's understanding, with the time spent in it counted:
// Handle takes the difference over a turn.
type timed struct {
	u     session.Understander
	spent time.Duration
}

func (t *timed) Understand(ctx context.Context, q *dialog.Query) (*dialog.Reading, error) {
	start := time.Now()
	defer func() { t.spent += time.Since(start) }()
	return t.u.Understand(ctx, q)
}

var _ telephony.Session = (*call)(nil)

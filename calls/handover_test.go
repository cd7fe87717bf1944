package calls

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/transcript"
)

const bookingAgent = `name: clinica
language: es
services:
  - intent: pedir_cita
    reference: pedir una cita
    examples: ["quiero pedir una cita"]
    method: POST
    endpoint: https://api.clinica.example/citas
    requiredFields:
      - {name: nombre, type: string, promptHint: "¿A nombre de quién?"}
      - {name: fecha, type: date, promptHint: "¿Para qué día?"}
    confirmation: {required: true}
    bodyTemplate: {paciente: "{{nombre}}", fecha: "{{fecha}}"}
    responseMapping: {codigo: "$.id"}
    responseMessage: "Listo, tu cita es la {{codigo}}."
`

// bookings is the customer's API: it counts what it is sent, by
// Idempotency-Key, and can hold a request for ever (an instance that dies
// while its service is in flight).
type bookings struct {
	mu    sync.Mutex
	sent  []tools.Input
	hang  atomic.Bool
	block chan struct{}
}

func (b *bookings) Execute(ctx context.Context, svc *tools.Service, in tools.Input) *tools.Result {
	b.mu.Lock()
	b.sent = append(b.sent, in)
	b.mu.Unlock()
	if b.hang.Load() {
		<-b.block
	}
	return session.Answer(svc, in, transcript.Response{Status: 201, Body: map[string]any{"id": "C-9"}})
}

func (b *bookings) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.sent)
}

// dropping is a store whose saves are lost once drop is set: the instance
// died after its last turn's service, before that turn was saved.
type dropping struct {
	Store
	drop atomic.Bool
}

func (d *dropping) Save(ctx context.Context, rec *Record, ttl time.Duration) error {
	if d.drop.Load() {
		return nil
	}
	return d.Store.Save(ctx, rec, ttl)
}

// instances are two layers sharing a store, as two servers share Redis.
func instances(t testing.TB, store Store, exec session.Executor) (*Layer, *Layer) {
	t.Helper()
	a, err := configs.Parse(filepath.Join(t.TempDir(), "clinica.yaml"), []byte(bookingAgent))
	if err != nil {
		t.Fatal(err)
	}
	set := agents.New(agents.Options{})
	t.Cleanup(func() { set.Close() })
	if _, err := set.Add(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	var out [2]*Layer
	for i, name := range []string{"a", "b"} {
		l, err := New(Options{Agents: set, Executors: map[string]session.Executor{"clinica": exec}, Store: store, Instance: name})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = l
	}
	return out[0], out[1]
}

func say(s telephony.Session, text string) telephony.Reply {
	return s.Handle(context.Background(), dialog.Utterance{At: time.Now(), Text: text}, func(string) {})
}

func said(r telephony.Reply) string {
	var parts []string
	for _, a := range r.Actions {
		if t := dialog.Text(a); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

// takeOver finds the call on b as Twilio's action request would, and
// opens it there.
func takeOver(t *testing.T, b *Layer, sid string) (telephony.Session, string) {
	t.Helper()
	next, err := b.Continue(context.Background(), "twilio", sid)
	if err != nil || next.Call == nil || !next.Call.Resume {
		t.Fatalf("Continue: %+v, %v", next, err)
	}
	conv, err := b.Open(context.Background(), *next.Call)
	if err != nil {
		t.Fatal(err)
	}
	r := conv.Session.Handle(context.Background(), dialog.Resume{At: time.Now()}, func(string) {})
	return conv.Session, said(r)
}

// TestHandOver: a booking whose instance is lost after each of its turns
// goes on on the other instance with every field, and its service is
// sent once.
func TestHandOver(t *testing.T) {
	lines := []string{"quiero pedir una cita", "María López", "el lunes", "sí"}
	for cut := 1; cut < len(lines); cut++ {
		api := &bookings{}
		a, b := instances(t, NewMemoryStore(), api)
		info := telephony.CallInfo{ID: "call-1", From: "+34600111222", Transport: "twilio", Provider: "CA1"}
		conv, err := a.Open(context.Background(), info)
		if err != nil {
			t.Fatal(err)
		}
		s := conv.Session
		s.Handle(context.Background(), dialog.Start{At: time.Now()}, func(string) {})
		var pending string
		for _, line := range lines[:cut] {
			pending = said(say(s, line))
		}
		s.Close(telephony.OutcomeLost) // a's connection dropped
		r, heard := takeOver(t, b, "CA1")
		if !strings.HasPrefix(heard, "Perdona, se ha cortado un momento.") || !strings.Contains(pending, strings.TrimPrefix(heard, "Perdona, se ha cortado un momento. ")) {
			t.Errorf("cut after %d: resumed with %q after %q", cut, heard, pending)
		}
		var last string
		for _, line := range lines[cut:] {
			last = said(say(r, line))
		}
		if !strings.HasPrefix(last, "Listo, tu cita es la C-9.") || api.count() != 1 {
			t.Fatalf("cut after %d: ended with %q, %d bookings", cut, last, api.count())
		}
		got := api.sent[0]
		if got.Fields["nombre"] != "María López" || got.CallerNumber != "+34600111222" || got.IdempotencyKey == "" {
			t.Errorf("cut after %d: booked %+v", cut, got)
		}
		r.Close("caller-hangup")
		views := b.Calls()
		if len(views) != 1 || views[0].Handovers != 1 || views[0].Instance != "b" {
			t.Errorf("cut after %d: calls on b %+v", cut, views)
		}
		if next, err := a.Continue(context.Background(), "twilio", "CA1"); err != nil || next.Call != nil {
			t.Errorf("cut after %d: an ended call goes on: %+v %v", cut, next, err)
		}
	}
}

// TestExactlyOnce: a confirmed service is sent once whatever becomes of
// the instance that sent it: answered but the turn not saved, the caller
// hears the answer again without a second request; still in flight, they
// hear that it cannot be known whether it went through.
func TestExactlyOnce(t *testing.T) {
	for _, tt := range []struct {
		name  string
		hang  bool
		heard string
	}{
		{"answered, not saved", false, "Listo, tu cita es la C-9."},
		{"in flight", true, "no puedo saber si llegó a completarse"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := &bookings{block: make(chan struct{})}
			defer close(api.block)
			store := &dropping{Store: NewMemoryStore()}
			a, b := instances(t, store, api)
			conv, err := a.Open(context.Background(), telephony.CallInfo{ID: "call-2", Transport: "twilio", Provider: "CA2"})
			if err != nil {
				t.Fatal(err)
			}
			s := conv.Session
			s.Handle(context.Background(), dialog.Start{At: time.Now()}, func(string) {})
			for _, line := range []string{"quiero pedir una cita", "María López", "el lunes"} {
				say(s, line)
			}
			store.drop.Store(true) // a dies during the next turn
			api.hang.Store(tt.hang)
			done := make(chan struct{})
			go func() { // the yes, on a: its answer never reaches the caller
				defer close(done)
				say(s, "sí")
			}()
			for api.count() == 0 {
				time.Sleep(time.Millisecond)
			}
			if !tt.hang {
				<-done
			}
			store.drop.Store(false)
			r, _ := takeOver(t, b, "CA2")
			if got := said(say(r, "sí")); !strings.Contains(got, tt.heard) {
				t.Errorf("after the hand-over the yes heard %q, want %q", got, tt.heard)
			}
			if n := api.count(); n != 1 {
				t.Errorf("the booking was sent %d times", n)
			}
		})
	}
}

// BenchmarkTurnSave is what saving costs a turn in the layer: the
// session's snapshot and the transcript, encoded, and the record written
// to a MemoryStore (a Redis round trip adds BenchmarkSave in
// calls/redisstore), for a booking five turns in.
func BenchmarkTurnSave(b *testing.B) {
	api := &bookings{}
	a, _ := instances(b, NewMemoryStore(), api)
	conv, err := a.Open(context.Background(), telephony.CallInfo{ID: "call-b", From: "+34600111222", Transport: "twilio", Provider: "CAb"})
	if err != nil {
		b.Fatal(err)
	}
	s := conv.Session
	s.Handle(context.Background(), dialog.Start{At: time.Now()}, func(string) {})
	for _, line := range []string{"quiero pedir una cita", "María López", "el lunes", "no", "el martes"} {
		say(s, line)
	}
	c := s.(*call)
	b.ReportAllocs()
	for b.Loop() {
		c.save("", "", true)
	}
}

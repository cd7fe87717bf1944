package redisstore_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/calls"
	"github.com/voiceagent/voiceagent/calls/redisstore"
	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/internal/redistest"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/transcript"
)

const outageAgent = `name: clinica
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
      - {name: motivo, type: string, promptHint: "¿Cuál es el motivo?"}
    confirmation: {required: true}
`

// outage is a Redis the test can stop and start: a redis-server process
// when the tests have a real Redis (REDIS_URL), else an embedded one.
func outage(t *testing.T) (url string, stop, start func()) {
	t.Helper()
	if s := redistest.Start(t); !s.Real() {
		return s.URL, s.Stop, s.Restart
	}
	p := redistest.Process(t)
	return p.URL(), p.Stop, p.Start
}

// TestRedisOutage: Redis stops in the middle of a call. The call goes on
// from memory (each turn answered, none waiting for Redis beyond the
// first failure), the layer says the store is down and how many calls'
// saves wait; once Redis is back the saves catch up, and the stored call
// is the call as it stands, ready to be taken over.
func TestRedisOutage(t *testing.T) {
	url, stop, start := outage(t)
	store, err := redisstore.Open(url, "outage:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	a, err := configs.Parse(filepath.Join(t.TempDir(), "clinica.yaml"), []byte(outageAgent))
	if err != nil {
		t.Fatal(err)
	}
	set := agents.New(agents.Options{})
	defer set.Close()
	if _, err := set.Add(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	l, err := calls.New(calls.Options{Agents: set, Store: store, Instance: "a",
		Executors: map[string]session.Executor{"clinica": &session.Stubs{}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)

	conv, err := l.Open(ctx, telephony.CallInfo{ID: "call-1", Transport: "twilio", Provider: "CA1"})
	if err != nil {
		t.Fatal(err)
	}
	s := conv.Session
	turn := func(text string) {
		t.Helper()
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Handle(ctx, dialog.Utterance{At: time.Now(), Text: text}, func(string) {})
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("the turn %q waited for Redis", text)
		}
	}
	s.Handle(ctx, dialog.Start{At: time.Now()}, func(string) {})
	turn("quiero pedir una cita")
	if up, pending := l.Health(); !up || pending != 0 {
		t.Fatalf("before the outage: up %v, %d pending", up, pending)
	}

	stop()
	turn("María López")
	turn("el lunes")
	if up, pending := l.Health(); up || pending != 1 {
		t.Errorf("during the outage: up %v, %d pending; want down, 1", up, pending)
	}

	start()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if up, pending := l.Health(); up && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			up, pending := l.Health()
			t.Fatalf("after the outage: up %v, %d pending", up, pending)
		}
	}
	rec, err := store.Load(ctx, "call-1")
	if err != nil {
		t.Fatal(err)
	}
	var snap session.Snapshot
	if err := json.Unmarshal(rec.Snapshot, &snap); err != nil {
		t.Fatal(err)
	}
	var st dialog.State
	if err := json.Unmarshal(snap.State, &st); err != nil {
		t.Fatal(err)
	}
	if len(snap.Transcript.Turns) != 3 || st.Slots["nombre"] != "María López" || st.Slots["fecha"] == "" || st.Asking != "motivo" {
		t.Errorf("saved after the outage: %d turns, state %+v", len(snap.Transcript.Turns), st)
	}
	var tr transcript.Transcript
	if err := json.Unmarshal(rec.Transcript, &tr); err != nil || len(tr.Turns) != 3 {
		t.Errorf("the calls API's transcript: %d turns, %v", len(tr.Turns), err)
	}
}

package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/llm"
	"github.com/voiceagent/voiceagent/session"
)

// timed measures how long each turn waits for the model.
type timed struct {
	u       session.Understander
	mu      sync.Mutex
	turns   int
	longest time.Duration
	// outcomes counts how each turn's reading ended: "budget" (the
	// turn's deadline cut it), "breaker", "error", "ok".
	outcomes map[string]int
}

func (t *timed) Understand(ctx context.Context, q *dialog.Query) (*dialog.Reading, error) {
	start := time.Now()
	r, err := t.u.Understand(ctx, q)
	d := time.Since(start)
	outcome := "ok"
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		outcome = "budget"
	case errors.Is(err, llm.ErrBreakerOpen):
		outcome = "breaker"
	case err != nil:
		outcome = "error"
	}
	t.mu.Lock()
	t.turns++
	t.longest = max(t.longest, d)
	if t.outcomes == nil {
		t.outcomes = map[string]int{}
	}
	t.outcomes[outcome]++
	t.mu.Unlock()
	return r, err
}

// TestExampleTranscriptsModelDown: with a model that always fails or
// always hangs, every example transcript still passes (each turn read by
// the rules), and every turn given a hanging model is ended by its budget
// or the breaker, never left waiting. (How long a turn waited is logged,
// not asserted: a time belongs in BENCHMARKS.md, not in a unit test.)
func TestExampleTranscriptsModelDown(t *testing.T) {
	files, err := Files([]string{"../configs/transcripts"})
	if err != nil {
		t.Fatal(err)
	}
	const budget = 250 * time.Millisecond
	clinic, err := Files([]string{"../configs/transcripts/clinica"})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name     string
		reply    openaitest.Reply
		files    []string
		budget   time.Duration
		failures int // before the breaker opens; -1 never
	}{
		{"fails", openaitest.Reply{Status: 500}, files, budget, 0},
		{"hangs", openaitest.Reply{Hang: true}, files, budget, 0},
		// Every turn waits out the budget: no breaker to cut it short.
		{"hangs, no breaker", openaitest.Reply{Hang: true}, clinic, 60 * time.Millisecond, -1},
	} {
		t.Run(mode.name, func(t *testing.T) {
			srv := openaitest.New(openaitest.Always(mode.reply))
			defer srv.Close()
			budget := mode.budget
			m, err := llm.New(llm.Config{Provider: "openai", BaseURL: srv.URL, Budget: budget}, llm.Options{BreakerFailures: mode.failures})
			if err != nil {
				t.Fatal(err)
			}
			tm := &timed{u: m}
			hangs := mode.reply.Hang
			r := &Runner{Understander: tm}
			defer r.Close()
			start := time.Now()
			runAll(t, r, mode.files)
			t.Logf("%d transcripts, %d caller turns, %d model requests, outcomes %v, longest wait %s (budget %s), %s in all",
				len(mode.files), tm.turns, len(srv.Requests()), tm.outcomes, tm.longest.Round(time.Millisecond), budget, time.Since(start).Round(time.Millisecond))
			if tm.turns < 100 {
				t.Errorf("only %d turns asked the model", tm.turns)
			}
			if tm.outcomes["ok"] > 0 {
				t.Errorf("%d turns got a reading from a model that is down", tm.outcomes["ok"])
			}
			if hangs && tm.outcomes["budget"]+tm.outcomes["breaker"] != tm.turns {
				t.Errorf("a hanging model: outcomes %v; every turn must end by its budget or the breaker", tm.outcomes)
			}
			if mode.failures < 0 && tm.outcomes["budget"] != tm.turns {
				t.Errorf("no breaker: outcomes %v; every turn must end by its budget", tm.outcomes)
			}
		})
	}
}

// TestModelActsEndToEnd: a scripted model on the fake OpenAI server reads
// each caller turn through the real client; its acts are honoured (a hold
// the lexicon does not know, small talk), a yes it reads as a deny does not
// confirm, and the booking goes out on the yes both read.
func TestModelActsEndToEnd(t *testing.T) {
	acts := func(a ...string) openaitest.ToolCall {
		b, _ := json.Marshal(map[string]any{"acts": a})
		return openaitest.ToolCall{ID: "acts", Name: "caller_acts", Arguments: string(b)}
	}
	replies := map[string]openaitest.Reply{
		"quiero una cita de cardiología para el viernes a las diez": {ToolCalls: []openaitest.ToolCall{acts("inform"),
			{ID: "s", Name: "schedule_appointment", Arguments: `{"especialidad": "cardiología", "fecha": "2024-01-12", "hora": "10:00"}`}}},
		"mi esposa me está dictando cómo se escribe": {ToolCalls: []openaitest.ToolCall{acts("hold")}},
		"Juan Pérez":                                      {ToolCalls: []openaitest.ToolCall{acts("inform")}},
		"juan arroba gmail punto com":                     {ToolCalls: []openaitest.ToolCall{acts("inform")}},
		"qué lindo que atiendan domingos":                 {ToolCalls: []openaitest.ToolCall{acts("smalltalk")}, Content: ""},
		"nueve ocho siete seis cinco cuatro tres dos uno": {ToolCalls: []openaitest.ToolCall{acts("inform")}},
		"sí":                 {ToolCalls: []openaitest.ToolCall{acts("deny")}},
		"sí, sí, confírmela": {ToolCalls: []openaitest.ToolCall{acts("affirm")}},
	}
	srv := openaitest.New(func(req *openaitest.Request) openaitest.Reply {
		last := req.Messages[len(req.Messages)-1].Content
		if r, ok := replies[last]; ok {
			return r
		}
		return openaitest.Reply{Status: 500}
	})
	defer srv.Close()
	m, err := llm.New(llm.Config{Provider: "openai", BaseURL: srv.URL, APIKey: "sk-test", Budget: 2 * time.Second}, llm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "call.yaml")
	if err := os.WriteFile(path, []byte(`agent: clinica-central
now: "2024-01-10T09:00:00-05:00"
stubs:
  schedule_appointment: {status: 201, body: {response: {status: success, appointment_id: 48213, doctor: "Dra. Ana García"}}}
turns:
  - caller: "quiero una cita de cardiología para el viernes a las diez"
    expect: {intent: schedule_appointment, asks: nombre, slots: {fecha: "2024-01-12", hora: "10:00"}}
  - caller: "mi esposa me está dictando cómo se escribe"
    expect: {asks: nombre, slots: {nombre: null}, says: "tómate tu tiempo"}
  - caller: "Juan Pérez"
    expect: {asks: email, slots: {nombre: "Juan Pérez"}}
  - caller: "juan arroba gmail punto com"
    expect: {asks: telefono}
  - caller: "qué lindo que atiendan domingos"
    expect: {asks: telefono, says: "gracias por preguntar"}
  - caller: "nueve ocho siete seis cinco cuatro tres dos uno"
    expect: {state: confirming}
  - caller: "sí"
    expect: {state: confirming, no_request: true}
  - caller: "sí, sí, confírmela"
    expect: {state: listening, request: {intent: schedule_appointment, body: {paciente: {nombre_completo: "Juan Pérez"}}}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Understander: m}
	defer r.Close()
	res := r.RunFile(context.Background(), path)
	without := (&Runner{}).RunFile(context.Background(), path)
	if without.Passed {
		t.Error("the rules alone pass it too: the model's acts prove nothing")
	}
	if res.Err != nil || !res.Passed {
		var buf bytes.Buffer
		WriteText(&buf, []Result{res}, true)
		t.Fatalf("with the scripted model:\n%s", buf.String())
	}
	if n := len(srv.Requests()); n != 8 {
		t.Errorf("the model was asked %d times, want every caller turn (8), the yes included", n)
	}
}

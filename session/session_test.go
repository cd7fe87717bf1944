package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/transcript"
)

const agentFile = `name: s
language: en
fallbackMessage: "FALLBACK"
services:
  - intent: lookup
    reference: look up an order
    examples: [look up my order]
    method: GET
    endpoint: https://api.example.com/${SHOP_KEY}/orders/{{id}}
    requiredFields: [{name: id, type: string, pattern: '^\d+$'}]
    responseMapping: {status: "$.status"}
    responseMessage: "Order {{id}} is {{status}}."
`

func newAgent(t *testing.T) *Agent {
	t.Helper()
	t.Setenv("SHOP_KEY", "k-secret-1")
	a, err := configs.Parse("s.yaml", []byte(agentFile))
	if err != nil {
		t.Fatal(err)
	}
	sa, err := NewAgent(a)
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

// counting counts calls, answering like a real service would.
type counting struct{ n int }

func (c *counting) Execute(_ context.Context, s *tools.Service, in tools.Input) *tools.Result {
	c.n++
	return Answer(s, in, transcript.Response{Status: 200, Body: map[string]any{"status": "live"}})
}

func TestStubs(t *testing.T) {
	a := newAgent(t)
	svc := a.Catalog.Service("lookup")
	in := tools.Input{Fields: map[string]string{"id": "42"}}
	stubbed := &Stubs{Responses: map[string]transcript.Response{"lookup": {Body: map[string]any{"status": "shipped"}}}}
	if r := stubbed.Execute(context.Background(), svc, in); r.Message != "Order 42 is shipped." || r.Response.Status != 200 || r.Request.URL != "https://api.example.com/k-secret-1/orders/42" {
		t.Errorf("stubbed: %+v", r)
	}
	none := &Stubs{}
	if r := none.Execute(context.Background(), svc, in); !errors.Is(r.Err, ErrNoStub) || r.Message != "FALLBACK" || r.Request == nil {
		t.Errorf("no stub: %+v", r)
	}
	next := &counting{}
	if r := (&Stubs{Next: next}).Execute(context.Background(), svc, in); next.n != 1 || r.Message != "Order 42 is live." {
		t.Errorf("next: %d %+v", next.n, r)
	}
	if r := (&Stubs{Responses: map[string]transcript.Response{"lookup": {Body: "not json"}}}).Execute(context.Background(), svc, in); r.Message != "Order 42 is ." || r.Failed() {
		t.Errorf("text body: %+v", r)
	}
}

func TestSessionRunsServicesAndRecords(t *testing.T) {
	exec := &counting{}
	s := New(newAgent(t), exec, "c1", "+1555")
	now := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	if got := s.Start(ctx, now); got.Said() != "How can I help you?" {
		t.Errorf("greeting: %q", got.Said())
	}
	s.Handle(ctx, dialog.Utterance{At: now, Text: "look up my order"})
	turn := s.Handle(ctx, dialog.Utterance{At: now, Text: "it's 42"})
	if exec.n != 1 || len(turn.Results) != 1 || !strings.Contains(turn.Said(), "Order 42 is live.") || turn.State.Phase != dialog.PhaseListening {
		t.Errorf("turn: %d %q %+v", exec.n, turn.Said(), turn.State)
	}
	end := s.Handle(ctx, dialog.Utterance{At: now, Text: "bye"})
	if !end.Ended() {
		t.Errorf("bye did not end the call: %+v", end.Actions)
	}
	rec := s.Transcript()
	if url := rec.Turns[1].Requests[0].URL; url != "https://api.example.com/[redacted]/orders/42" {
		t.Errorf("recorded URL %q: a value from the environment must not reach a transcript file", url)
	}
	if len(rec.Turns) != 3 || rec.Turns[1].Requests[0].Intent != "lookup" || rec.Turns[1].Requests[0].Response.Status != 200 || rec.CallID != "c1" {
		t.Errorf("recording: %+v", rec)
	}
}

// TestHandleWith: a turn's services run through the executor it is given,
// not the session's; a Start given to it greets like Start.
func TestHandleWith(t *testing.T) {
	own, turn := &counting{}, &counting{}
	s := New(newAgent(t), own, "c1", "")
	now := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	if got := s.HandleWith(ctx, dialog.Start{At: now}, turn); got.Said() != "How can I help you?" || s.Transcript().Now == "" {
		t.Errorf("greeting: %q, transcript %+v", got.Said(), s.Transcript())
	}
	s.Handle(ctx, dialog.Utterance{At: now, Text: "look up my order"})
	if got := s.HandleWith(ctx, dialog.Utterance{At: now, Text: "it's 42"}, turn); turn.n != 1 || own.n != 0 || !strings.Contains(got.Said(), "Order 42 is live.") {
		t.Errorf("turn's executor ran %d, session's %d: %q", turn.n, own.n, got.Said())
	}
	if n := len(s.Transcript().Turns); n != 2 {
		t.Errorf("%d turns recorded; want 2 (the greeting is not one)", n)
	}
}

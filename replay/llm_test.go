package replay

import (
	"context"
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
}

func (t *timed) Understand(ctx context.Context, q *dialog.Query) (*dialog.Reading, error) {
	start := time.Now()
	r, err := t.u.Understand(ctx, q)
	d := time.Since(start)
	t.mu.Lock()
	t.turns++
	t.longest = max(t.longest, d)
	t.mu.Unlock()
	return r, err
}

// TestExampleTranscriptsModelDown: with a model that always fails or
// always hangs, every example transcript still passes (each turn read by
// the rules) and no turn waits much past the budget.
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
			r := &Runner{Understander: tm}
			defer r.Close()
			start := time.Now()
			runAll(t, r, mode.files)
			t.Logf("%d transcripts, %d caller turns, %d model requests, longest wait %s (budget %s), %s in all",
				len(mode.files), tm.turns, len(srv.Requests()), tm.longest.Round(time.Millisecond), budget, time.Since(start).Round(time.Millisecond))
			if tm.turns < 100 {
				t.Errorf("only %d turns asked the model", tm.turns)
			}
			// The budget is the contract; a generous margin keeps this
			// about keeping it, not about the machine's speed.
			if tm.longest > budget+time.Second {
				t.Errorf("a turn waited %s for a model with a budget of %s", tm.longest, budget)
			}
		})
	}
}

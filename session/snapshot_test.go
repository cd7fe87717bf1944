package session

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/transcript"
)

// TestResume: a booking cut after any turn, its session snapshotted,
// encoded, and resumed in a new session, ends exactly as the call that
// was never cut: the same transcript, redacted transcript, state and
// masks; and the resumed call first hears an apology and the pending
// question.
func TestResume(t *testing.T) {
	whole := privateSession(t, privateAgent)
	play(t, whole, 0, false)
	for cut := 1; cut <= len(booking); cut++ {
		s := privateSession(t, privateAgent)
		play(t, s, cut, false)
		pending := s.State().LastPrompt
		snap, err := s.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(snap)
		if err != nil {
			t.Fatal(err)
		}
		var back Snapshot
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		r, err := Resume(s.agent, s.exec, &back)
		if err != nil {
			t.Fatalf("cut after %d: %v", cut, err)
		}
		ctx := context.Background()
		now := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
		turn := r.Handle(ctx, dialog.Resume{At: now})
		if cut < len(booking) {
			if said := turn.Said(); !strings.HasPrefix(said, "Perdona, se ha cortado un momento.") || !strings.HasSuffix(said, pending) {
				t.Errorf("cut after %d: resumed with %q, want the apology and %q", cut, said, pending)
			}
		}
		for _, b := range booking[cut:] {
			var ev dialog.Event = dialog.Utterance{At: now, Text: b.in}
			if keys, ok := strings.CutPrefix(b.in, "keys "); ok {
				ev = dialog.DTMF{At: now, Digits: keys}
			}
			r.Handle(ctx, ev)
		}
		if got, want := marshal(t, r.Transcript()), marshal(t, whole.Transcript()); got != want {
			t.Errorf("cut after %d: transcript\n%s\nwant\n%s", cut, got, want)
		}
		if got, want := marshal(t, r.Redacted()), marshal(t, whole.Redacted()); got != want {
			t.Errorf("cut after %d: redacted transcript\n%s\nwant\n%s", cut, got, want)
		}
		if !reflect.DeepEqual(r.MaskState(r.State()), whole.MaskState(whole.State())) {
			t.Errorf("cut after %d: state %+v, want %+v", cut, r.MaskState(r.State()), whole.MaskState(whole.State()))
		}
		if got := r.Mask("María López 612345678"); got != whole.Mask("María López 612345678") {
			t.Errorf("cut after %d: masks %q", cut, got)
		}
	}
}

func marshal(t *testing.T, tr *transcript.Transcript) string {
	t.Helper()
	b, err := transcript.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestResumeRefusesBadSnapshots: a snapshot that does not fit the agent
// or itself is refused with ErrBadState, not half resumed.
func TestResumeRefusesBadSnapshots(t *testing.T) {
	s := privateSession(t, privateAgent)
	play(t, s, 3, false)
	good, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for name, spoil := range map[string]func(*Snapshot){
		"not JSON":        func(p *Snapshot) { p.State = json.RawMessage(`{`) },
		"unknown service": func(p *Snapshot) { p.State = json.RawMessage(`{"state":"collecting","intent":"nope"}`) },
		"privacy marks":   func(p *Snapshot) { p.Private = p.Private[:1] },
	} {
		p := *good
		spoil(&p)
		if _, err := Resume(s.agent, s.exec, &p); err == nil || !strings.Contains(err.Error(), "state") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

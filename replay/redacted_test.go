package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/transcript"
)

// recordRedacted makes a call to testdata/agent.yaml with the name marked
// pii, and writes it next to the agent twice: whole and redacted.
func recordRedacted(t *testing.T) (whole, redacted string) {
	t.Helper()
	data, err := os.ReadFile("testdata/agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	agent := strings.Replace(string(data), `{name: nombre, promptHint: "¿Tu nombre?"}`, `{name: nombre, pii: true, promptHint: "¿Tu nombre?"}`, 1)
	if agent == string(data) {
		t.Fatal("testdata/agent.yaml has no nombre field to mark")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(path, []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := session.NewAgent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := session.New(a, &session.Stubs{Responses: map[string]transcript.Response{"reservar": {Status: 201, Body: map[string]any{"id": "A-77"}}}},
		"call-1", "+51987654321")
	ctx := context.Background()
	now := time.Date(2024, 1, 10, 9, 0, 0, 0, time.FixedZone("-05", -5*3600))
	s.Start(ctx, now)
	for _, said := range []string{"Hola, quiero reservar una cita para el viernes", "Ana Díaz", "somos dos", "sí"} {
		s.Handle(ctx, dialog.Utterance{At: now, Text: said})
	}
	write := func(name string, tr *transcript.Transcript) string {
		tr.Agent = "agent.yaml"
		out, err := transcript.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("whole.yaml", s.Transcript()), write("redacted.yaml", s.Redacted())
}

// TestRedactedTranscripts: a redacted call replays its turns up to the
// first whose words were withheld, and reports that one and the rest as
// not checked rather than as failures; a turn whose agent text was masked
// plays but is not checked; a checked turn still fails when it differs.
func TestRedactedTranscripts(t *testing.T) {
	whole, redacted := recordRedacted(t)
	data, err := os.ReadFile(redacted)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		file      string
		edit      func(string) string
		passed    bool
		unchecked []string // why, per turn
	}{
		{"the whole call", whole, nil, true, []string{"", "", "", ""}},
		{"the redacted call", redacted, nil, true, []string{"", "the caller's words were redacted",
			"it follows turn 2, whose input was redacted", "it follows turn 2, whose input was redacted"}},
		{"a checked turn that differs", redacted, func(s string) string {
			return strings.Replace(s, "agent: ¿Tu nombre?", "agent: ¿Tu apellido?", 1)
		}, false, []string{"", "the caller's words were redacted",
			"it follows turn 2, whose input was redacted", "it follows turn 2, whose input was redacted"}},
		{"turns with what they recorded masked, not their words", redacted, func(s string) string {
			return strings.Replace(s, "  - caller: '[redacted]'\n    agent: ¿Cuántas personas?\n    redacted:\n      - caller\n",
				"  - caller: Ana Díaz\n    agent: ¿Cuántas personas?\n", 1)
		}, true, []string{"", "", "what it recorded was redacted (agent)", "what it recorded was redacted (requests)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.file
			if tt.edit != nil {
				edited := tt.edit(string(data))
				if edited == string(data) {
					t.Fatal("the edit changed nothing")
				}
				path = filepath.Join(filepath.Dir(tt.file), "edited.yaml")
				if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res := (&Runner{}).RunFile(context.Background(), path)
			var report bytes.Buffer
			WriteText(&report, []Result{res}, false)
			if res.Err != nil || res.Passed != tt.passed || len(res.Turns) != 4 {
				t.Fatalf("passed %v, %d turns, err %v; want passed %v:\n%s", res.Passed, len(res.Turns), res.Err, tt.passed, report.String())
			}
			for i, w := range tt.unchecked {
				if got := res.Turns[i].Unchecked; got != w {
					t.Errorf("turn %d: unchecked %q, want %q:\n%s", i+1, got, w, report.String())
				}
			}
		})
	}
}

// TestUncheckedInReports: the text report names the turns not checked and
// counts them; the JSON report says why, per turn.
func TestUncheckedInReports(t *testing.T) {
	_, redacted := recordRedacted(t)
	res := (&Runner{}).RunFile(context.Background(), redacted)
	var text bytes.Buffer
	WriteText(&text, []Result{res}, false)
	for _, want := range []string{"--- PASS: " + redacted + " (4 turns, 3 not checked: redacted)",
		"    turn 2 (line 9): not checked: the caller's words were redacted",
		"    turn 4 (line 17): not checked: it follows turn 2, whose input was redacted",
		"ok   1 transcripts passed; 3 turns of redacted transcripts not checked"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, []Result{res}); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Transcripts []struct {
			Passed bool
			Turns  []struct{ Unchecked string }
		}
		Failed int
	}
	if err := json.Unmarshal(js.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Failed != 0 || !out.Transcripts[0].Passed || out.Transcripts[0].Turns[1].Unchecked != "the caller's words were redacted" {
		t.Errorf("JSON report:\n%s", js.String())
	}
}

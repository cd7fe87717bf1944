package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/transcript"
)

// write puts a transcript next to testdata/agent.yaml.
func write(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	agent, err := os.ReadFile("testdata/agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "agent.yaml"), agent, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "t.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPassingTranscript(t *testing.T) {
	res := (&Runner{}).RunFile(context.Background(), "testdata/booking.yaml")
	if res.Err != nil || !res.Passed {
		var buf bytes.Buffer
		WriteText(&buf, []Result{res}, true)
		t.Fatalf("booking.yaml failed:\n%s", buf.String())
	}
	last := res.Turns[len(res.Turns)-1]
	if last.Intent != "reservar" || last.Slots["personas"] != "2" || len(last.Requests) != 1 {
		t.Errorf("last turn: %+v", last)
	}
}

// TestWrongExpectationsFailReadably: each kind of expectation, wrong, fails
// with what was expected and what happened.
func TestWrongExpectationsFailReadably(t *testing.T) {
	base, err := os.ReadFile("testdata/booking.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ from, to, want string }{
		{"asks: nombre", "asks: fecha", "asks: expected fecha, got nombre"},
		{"fecha: \"2024-01-12\"}", "fecha: \"2024-01-13\"}", `slots.fecha: expected "2024-01-13", got "2024-01-12"`},
		{"slots: {personas: 2.0}", "slots: {personas: 3}", `slots.personas: expected 3, got "2"`},
		{"state: collecting", "state: confirming", "state: expected confirming, got collecting"},
		{"intent: reservar, asks: nombre", "intent: horarios, asks: nombre", "intent: expected horarios, got reservar"},
		{"says: \"Reservado", "says: \"Cancelado", `says: expected the agent to say "Cancelado`},
		{"asks: null", "asks: nombre", "asks: expected nombre, got null"},
		{"fecha: \"2024-01-12\"}", "fecha: null}", `slots.fecha: expected null, got "2024-01-12"`},
		{"asks: personas", "asks: null", "asks: expected null, got personas"},
		{"intent: reservar, asks: nombre", "intent: null, asks: nombre", "intent: expected null, got reservar"},
		{"personas: 2}}", "personas: \"2\"}}", `request: no request matched: body.personas: expected "2", got 2`},
		{"url: \"/citas\"", "url: \"/reservas\"", "request: no request matched: url https://api.example.com/citas"},
		{"method: POST", "method: PUT", "request: no request matched: method POST"},
	}
	for _, tt := range tests {
		if !strings.Contains(string(base), tt.from) {
			t.Fatalf("testdata/booking.yaml lacks %q", tt.from)
		}
		path := write(t, strings.Replace(string(base), tt.from, tt.to, 1))
		res := (&Runner{}).RunFile(context.Background(), path)
		var buf bytes.Buffer
		WriteText(&buf, []Result{res}, false)
		out := buf.String()
		if res.Passed || !strings.Contains(out, tt.want) || !strings.Contains(out, "--- FAIL") {
			t.Errorf("%s -> %s: want a failure saying %q, got:\n%s", tt.from, tt.to, tt.want, out)
		}
	}
}

func TestMalformedTranscripts(t *testing.T) {
	tests := []struct{ body, want string }{
		{"agent: agent.yaml\nturns:\n  - caller: hola\n    expct: {state: listening}\n", "t.yaml:4: field expct not found"},
		{"agent: agent.yaml\nturns:\n  - caller: hola\n  - caller: x\n    dtmf: \"1\"\n", "t.yaml:4: turns[1]: a turn has exactly one of caller, dtmf or wait"},
		{"agent: agent.yaml\nturns:\n  - wait: soon\n", "t.yaml:3: bad duration \"soon\""},
		{"agent: agent.yaml\nnow: mañana\nturns:\n  - caller: hola\n", "now: want RFC 3339"},
		{"agent: agent.yaml\nturns: [\n", "t.yaml:2:"},
		{"agent: agent.yaml\n", "no turns"},
		{"agent: missing.yaml\nturns:\n  - caller: hola\n", "missing.yaml"},
	}
	for _, tt := range tests {
		res := (&Runner{}).RunFile(context.Background(), write(t, tt.body))
		if res.Err == nil || !errors.Is(res.Err, ErrSetup) || !strings.Contains(res.Err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.body, res.Err, tt.want)
		}
	}
}

func TestWaitUsesTheVirtualClock(t *testing.T) {
	path := write(t, `agent: agent.yaml
now: "2024-01-10T09:00:00-05:00"
turns:
  - caller: "quiero reservar una cita"
    expect: {asks: nombre}
  - wait: 20s
    expect: {asks: nombre, says: "¿Sigues ahí? ¿Tu nombre?"}
  - wait: 8s
    expect: {state: ended, says: "Gracias por llamar"}
`)
	start := time.Now()
	res := (&Runner{}).RunFile(context.Background(), path)
	if !res.Passed {
		var buf bytes.Buffer
		WriteText(&buf, []Result{res}, true)
		t.Fatalf("failed:\n%s", buf.String())
	}
	if got := strings.Count(res.Turns[1].Agent, "¿Sigues ahí?"); got != 2 {
		t.Errorf("20s of silence gave %d reprompts, want 2 (at 8s and 16s): %q", got, res.Turns[1].Agent)
	}
	t.Logf("28s of virtual silence replayed in %v", time.Since(start))
}

func TestMissingStubFailsTheTurn(t *testing.T) {
	path := write(t, `agent: agent.yaml
turns:
  - caller: "qué horarios hay para el lunes"
`)
	res := (&Runner{}).RunFile(context.Background(), path)
	if res.Passed || len(res.Turns) != 1 || !strings.Contains(strings.Join(res.Turns[0].Failures, "\n"), "no stub for horarios: add one under stubs: or replay with --live") {
		t.Errorf("want a no-stub failure: %+v", res)
	}
}

func TestLiveSendsUnstubbedRequests(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		io.WriteString(w, `{"libres": ["09:00", "11:00"]}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	agent, _ := os.ReadFile("testdata/agent.yaml")
	agent = bytes.ReplaceAll(agent, []byte("https://api.example.com"), []byte(srv.URL))
	os.WriteFile(filepath.Join(dir, "agent.yaml"), agent, 0o644)
	os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(`agent: agent.yaml
now: "2024-01-10T09:00:00-05:00"
turns:
  - caller: "qué horarios hay para el lunes"
    expect: {says: "Hay horarios a las 09:00 y 11:00.", request: {method: GET, query: {dia: "2024-01-15"}}}
`), 0o644)
	res := (&Runner{Live: true}).RunFile(context.Background(), filepath.Join(dir, "t.yaml"))
	if !res.Passed || got == nil || got.URL.Query().Get("dia") != "2024-01-15" {
		t.Errorf("live replay: %+v; server got %v", res, got)
	}
}

// TestUnsetSecretsAreNotNeeded: a transcript whose agent uses an unset
// ${SOME_TOKEN} replays, its requests stubbed; with --live, a request that
// would be sent with the token unset fails the turn, names the variable,
// and is not sent.
func TestUnsetSecretsAreNotNeeded(t *testing.T) {
	t.Setenv("SOME_TOKEN", "")
	os.Unsetenv("SOME_TOKEN")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, `{"libres": ["09:00"]}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	agent, _ := os.ReadFile("testdata/agent.yaml")
	agent = bytes.ReplaceAll(agent, []byte("https://api.example.com"), []byte(srv.URL))
	agent = bytes.ReplaceAll(agent, []byte("    endpoint: "), []byte("    headers: {Authorization: \"Bearer ${SOME_TOKEN}\"}\n    endpoint: "))
	os.WriteFile(filepath.Join(dir, "agent.yaml"), agent, 0o644)
	booking, _ := os.ReadFile("testdata/booking.yaml")
	os.WriteFile(filepath.Join(dir, "booking.yaml"), booking, 0o644)
	os.WriteFile(filepath.Join(dir, "unstubbed.yaml"), []byte(`agent: agent.yaml
now: "2024-01-10T09:00:00-05:00"
turns:
  - caller: "qué horarios hay para el lunes"
`), 0o644)
	if _, err := configs.Load(filepath.Join(dir, "agent.yaml")); err == nil || !strings.Contains(err.Error(), "environment variable SOME_TOKEN is not set") {
		t.Fatalf("the agent loads without SOME_TOKEN for commands that send: %v", err)
	}
	tests := []struct {
		file    string
		live    bool
		passed  bool
		failure string
	}{
		{"booking.yaml", false, true, ""},
		{"booking.yaml", true, true, ""},
		{"unstubbed.yaml", false, false, "no stub for horarios"},
		{"unstubbed.yaml", true, false, "horarios not sent: unset environment variable: SOME_TOKEN (the request needs it; nothing was sent)"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s live=%v", tt.file, tt.live), func(t *testing.T) {
			r := &Runner{Live: tt.live}
			defer r.Close()
			res := r.RunFile(context.Background(), filepath.Join(dir, tt.file))
			var failures []string
			for _, turn := range res.Turns {
				failures = append(failures, turn.Failures...)
			}
			if res.Err != nil || res.Passed != tt.passed || !strings.Contains(strings.Join(failures, "\n"), tt.failure) {
				t.Errorf("err %v, passed %v, failures %q; want passed %v and %q", res.Err, res.Passed, failures, tt.passed, tt.failure)
			}
		})
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests were sent", hits.Load())
	}
}

// TestRecordedCallsReplay: a call recorded by a session replays green as
// it is, and fails when the agent's words change.
func TestRecordedCallsReplay(t *testing.T) {
	a, err := configs.Load("testdata/agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	agent, err := session.NewAgent(a)
	if err != nil {
		t.Fatal(err)
	}
	stubs := &session.Stubs{Responses: map[string]transcript.Response{"reservar": {Status: 409, Body: map[string]any{"error": "full"}}}}
	s := session.New(agent, stubs, "CA-123", "+51900000000")
	now := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	s.Start(ctx, now)
	for _, text := range []string{"quiero reservar una cita", "Ana Díaz", "el 15 de enero", "tres"} {
		now = now.Add(3 * time.Second)
		s.Handle(ctx, dialog.Utterance{At: now, Text: text})
	}
	s.Handle(ctx, dialog.Timeout{At: now.Add(8 * time.Second)})
	s.Handle(ctx, dialog.Utterance{At: now.Add(9 * time.Second), Text: "sí"})
	rec := s.Transcript()
	rec.Agent = "agent.yaml"
	data, err := transcript.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"callId: CA-123", "from: \"+51900000000\"", "wait: 8s", "status: 409", "agent: Ese día está lleno."} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("recording lacks %q:\n%s", want, data)
		}
	}
	path := write(t, string(data))
	if res := (&Runner{}).RunFile(ctx, path); !res.Passed {
		var buf bytes.Buffer
		WriteText(&buf, []Result{res}, true)
		t.Fatalf("the recording does not replay:\n%s\n%s", data, buf.String())
	}
	tampered := write(t, strings.Replace(string(data), "Ese día está lleno.", "Reservado.", 1))
	if res := (&Runner{}).RunFile(ctx, tampered); res.Passed || !strings.Contains(strings.Join(res.Turns[len(res.Turns)-1].Failures, ""), `agent: recorded "Reservado."`) {
		t.Errorf("a changed recording should fail: %+v", res.Turns[len(res.Turns)-1])
	}
}

func TestJSONReport(t *testing.T) {
	results := []Result{(&Runner{}).RunFile(context.Background(), "testdata/booking.yaml"),
		(&Runner{}).RunFile(context.Background(), write(t, "agent: agent.yaml\n"))}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, results); err != nil {
		t.Fatal(err)
	}
	var report struct {
		Transcripts []struct {
			File   string `json:"file"`
			Passed bool   `json:"passed"`
			Error  string `json:"error"`
			Turns  []struct {
				Caller   string            `json:"caller"`
				Agent    string            `json:"agent"`
				State    string            `json:"state"`
				Intent   string            `json:"intent"`
				Slots    map[string]string `json:"slots"`
				Asks     *string           `json:"asks"`
				Requests []struct {
					Intent, Method, URL string
					Body                any
				} `json:"requests"`
				Failures []string `json:"failures"`
			} `json:"turns"`
		} `json:"transcripts"`
		Passed int `json:"passed"`
		Failed int `json:"failed"`
	}
	if err := json.Unmarshal(buf.Bytes(), &report); err != nil {
		t.Fatal(err)
	}
	if report.Passed != 1 || report.Failed != 1 || len(report.Transcripts) != 2 || report.Transcripts[1].Error == "" {
		t.Fatalf("report: %s", buf.String())
	}
	turn := report.Transcripts[0].Turns[3]
	if turn.State != "listening" || turn.Requests[0].Method != "POST" || turn.Asks != nil || turn.Failures == nil {
		t.Errorf("turn 4: %+v", turn)
	}
}

// TestExampleTranscripts runs the transcripts shipped with the example
// agents.
func TestExampleTranscripts(t *testing.T) {
	files, err := Files([]string{"../configs/transcripts"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no example transcripts")
	}
	runAll(t, &Runner{}, files)
}

// runAll runs every file and reports each transcript that does not pass.
func runAll(t *testing.T, r *Runner, files []string) {
	t.Helper()
	for _, f := range files {
		res := r.RunFile(context.Background(), f)
		if res.Err != nil || !res.Passed {
			var buf bytes.Buffer
			WriteText(&buf, []Result{res}, false)
			t.Errorf("%s", buf.String())
		}
	}
}

package calls

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/transcript"
)

// privateAgent books through a real HTTP service, with a name marked pii,
// an email and a phone (pii by default) and a reason that is not.
const privateAgent = `name: consultorio
language: es
services:
  - intent: pedir_cita
    reference: pedir una cita
    examples: ["quiero pedir una cita"]
    method: POST
    endpoint: %s/citas?tel={{telefono}}
    waitMessage: "Un momento, por favor."
    requiredFields:
      - {name: nombre, type: string, pii: true, promptHint: "¿A nombre de quién?"}
      - {name: email, type: email, promptHint: "¿Tu correo?"}
      - {name: telefono, type: phone, promptHint: "¿Un teléfono de contacto?"}
      - {name: motivo, type: string, promptHint: "¿Cuál es el motivo de la consulta?"}
    confirmation: {required: true}
    bodyTemplate: {paciente: "{{nombre}}", email: "{{email}}", motivo: "{{motivo}}", llamada: "{{caller_number}}"}
    responseMapping: {codigo: "$.id", para: "$.email"}
    responseMessage: "Listo, {{nombre}}: tu cita es la {{codigo}}; te escribimos a {{para}}."
`

// The scripted caller's turns; those marked private give a personal value.
var caller = []struct {
	in      string // words, or keys after "keys "
	private bool
}{
	{"quiero pedir una cita", false},
	{"María López", true},
	{"mi correo es maria punto lopez arroba gmail punto com", true},
	{"keys 612345678", true},
	{"una revisión de la rodilla", false},
	{"sí", false},
}

const from = "+34600111222"

// personal are the call's personal values in every form they may take;
// none may be shown.
var personal = []string{"María López", "María", "López", "maria.lopez", "maria punto lopez", "612345678", "600111222", from}

// mustHide fails for each personal value in text, saying where it was.
func mustHide(t *testing.T, where, text string) {
	t.Helper()
	for _, v := range personal {
		if strings.Contains(strings.ToLower(text), strings.ToLower(v)) {
			t.Errorf("%s holds %q:\n%s", where, v, text)
		}
	}
}

// syncBuffer is a log's output, written from the call's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPrivacy runs a booking through the call layer, with the services'
// real HTTP executor, and reads everything the call leaves: every log
// line at every level, the event stream, the metrics, the calls API and
// the recording. Personal values are never in the logs, the events or
// the metrics; with RedactTranscripts they are not in the transcripts
// either, which say they are redacted, and without it they are.
func TestPrivacy(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id": "C-42", "email": %q}`, body["email"])
	}))
	defer api.Close()
	for _, redact := range []bool{true, false} {
		t.Run(fmt.Sprintf("redact=%v", redact), func(t *testing.T) {
			var logs syncBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			a, err := configs.Parse(filepath.Join(t.TempDir(), "consultorio.yaml"), fmt.Appendf(nil, privateAgent, api.URL))
			if err != nil {
				t.Fatal(err)
			}
			set := agents.New(agents.Options{HTTP: &tools.Executor{Logger: log}, Logger: log})
			defer set.Close()
			if _, err := set.Add(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			dir := t.TempDir()
			l, err := New(Options{Agents: set, Logger: log, Metrics: reg, Record: dir, RedactTranscripts: redact})
			if err != nil {
				t.Fatal(err)
			}
			var evs events
			l.Observe(evs.observe)

			ctx := context.Background()
			conv, err := l.Open(ctx, telephony.CallInfo{ID: "c1", From: from, Transport: "test"})
			if err != nil {
				t.Fatal(err)
			}
			s := conv.Session
			speak := func(r telephony.Reply) string {
				var said []string
				s.Speak(ctx, &r, func(x string) { said = append(said, x) })
				text := strings.Join(said, " ")
				s.Spoken(text, text, false)
				return text
			}
			now := time.Now()
			speak(s.Handle(ctx, dialog.Start{At: now}, func(string) {}))
			var last string
			for _, turn := range caller {
				var ev dialog.Event = dialog.Utterance{At: now, Text: turn.in}
				if keys, ok := strings.CutPrefix(turn.in, "keys "); ok {
					ev = dialog.DTMF{At: now, Digits: keys}
				}
				last = speak(s.Handle(ctx, ev, func(string) {}))
			}
			s.Close("caller-hangup")
			if !strings.Contains(last, "C-42") {
				t.Fatalf("the booking was not made: the agent said %q", last)
			}

			// The logs: something, and nothing of what the caller said.
			if !strings.Contains(logs.String(), "service answered") {
				t.Errorf("the executor's log line is missing: the test reads no log:\n%s", logs.String())
			}
			mustHide(t, "the log", logs.String())
			for _, turn := range caller {
				if strings.Contains(logs.String(), turn.in) {
					t.Errorf("the log holds what the caller said, %q", turn.in)
				}
			}

			// The events: values masked, private words withheld, the rest kept.
			var shown strings.Builder
			var heard []Heard
			reason := false
			for _, ev := range evs.all {
				switch w := ev.What.(type) {
				case StateChanged:
					fmt.Fprintf(&shown, "%+v\n", w.State)
				case Ended:
					fmt.Fprintf(&shown, "%+v %v\n", w.State, w.Outcome)
				case Heard:
					heard = append(heard, w)
					fmt.Fprintf(&shown, "%+v\n", w)
				case FieldSet:
					if w.Name == "motivo" && w.Value == "una revisión de la rodilla" {
						reason = true
					}
					fmt.Fprintf(&shown, "%+v\n", w)
				default:
					fmt.Fprintf(&shown, "%+v\n", w)
				}
			}
			mustHide(t, "the events", shown.String())
			if !reason || !strings.Contains(shown.String(), "m•••@•••.com") || !strings.Contains(shown.String(), "•••• pez") {
				t.Errorf("the events lack the reason, or the masked email and name:\n%s", shown.String())
			}
			if len(heard) != len(caller) {
				t.Fatalf("heard %d turns, want %d", len(heard), len(caller))
			}
			for i, turn := range caller {
				if heard[i].Private != turn.private || turn.private && heard[i].Text+heard[i].Keys != transcript.Withheld ||
					!turn.private && heard[i].Text != turn.in {
					t.Errorf("heard turn %d as %+v; the caller said %q", i+1, heard[i], turn.in)
				}
			}

			// The metrics: no label holds a value.
			families, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var labels strings.Builder
			for _, f := range families {
				for _, m := range f.GetMetric() {
					for _, lp := range m.GetLabel() {
						fmt.Fprintf(&labels, "%s %s=%s\n", f.GetName(), lp.GetName(), lp.GetValue())
					}
				}
			}
			if !strings.Contains(labels.String(), "intent=pedir_cita") {
				t.Errorf("no service metrics: %s", labels.String())
			}
			mustHide(t, "the metrics' labels", labels.String())

			// The calls API and the recording.
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mux := http.NewServeMux()
				l.Register(mux)
				mux.ServeHTTP(w, r)
			}))
			defer srv.Close()
			get := func(path, accept string) string {
				req, _ := http.NewRequest("GET", srv.URL+path, nil)
				req.Header.Set("Accept", accept)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				data, _ := io.ReadAll(resp.Body)
				return string(data)
			}
			mustHide(t, "GET /v1/calls", get("/v1/calls", ""))
			files, _ := filepath.Glob(filepath.Join(dir, "*-c1.yaml"))
			if len(files) != 1 {
				t.Fatalf("recorded %v", files)
			}
			recorded, _ := os.ReadFile(files[0])
			kept := map[string]string{
				"GET /v1/calls/c1/transcript":      get("/v1/calls/c1/transcript", ""),
				"GET /v1/calls/c1/transcript JSON": get("/v1/calls/c1/transcript", "application/json"),
				"GET /v1/calls/c1":                 get("/v1/calls/c1", ""),
				"the recording":                    string(recorded),
			}
			for where, text := range kept {
				if !strings.Contains(text, "una revisión de la rodilla") {
					t.Errorf("%s lacks the reason, which is not personal:\n%s", where, text)
				}
				if redact {
					mustHide(t, where, text)
					if !strings.Contains(text, "redacted") {
						t.Errorf("%s does not say it is redacted:\n%s", where, text)
					}
				} else if !strings.Contains(text, "maria.lopez@gmail.com") {
					t.Errorf("%s lost the email, though transcripts are not redacted:\n%s", where, text)
				}
			}
			tr, err := transcript.Parse(files[0], recorded)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Redacted != redact || len(tr.Turns) != len(caller) {
				t.Errorf("recording: redacted %v, %d turns", tr.Redacted, len(tr.Turns))
			}
			for i, turn := range caller {
				if redact && tr.Turns[i].Withheld() != turn.private {
					t.Errorf("recorded turn %d %q: withheld %v, want %v", i+1, turn.in, tr.Turns[i].Withheld(), turn.private)
				}
			}
		})
	}
}

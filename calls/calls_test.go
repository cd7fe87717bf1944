package calls

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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

const agentFile = `name: tienda
language: es
services:
  - intent: estado_pedido
    reference: consultar el estado de un pedido
    examples: ["dónde está mi pedido", "estado de mi pedido"]
    method: GET
    endpoint: https://api.tienda.example/orders/{{pedido}}
    requiredFields:
      - name: pedido
        type: string
        pattern: '^\d{4}$'
        promptHint: "¿Cuál es el número de tu pedido?"
    responseMapping: {estado: "$.status"}
    responseMessage: "Tu pedido {{pedido}} está {{estado}}."
  - intent: devolver
    reference: devolver un producto
    examples: ["quiero devolver un producto"]
    method: POST
    endpoint: https://api.tienda.example/returns
    waitMessage: "Estoy registrando la devolución."
    requiredFields: [{name: pedido, type: string, pattern: '^\d{4}$'}]
`

// fakeExec answers every service with a status, timing itself.
type fakeExec struct {
	mu   sync.Mutex
	took time.Duration
}

func (f *fakeExec) Execute(_ context.Context, svc *tools.Service, in tools.Input) *tools.Result {
	start := time.Now()
	defer func() {
		f.mu.Lock()
		f.took += time.Since(start)
		f.mu.Unlock()
	}()
	return session.Answer(svc, in, transcript.Response{Body: map[string]any{"status": "en camino"}})
}

func newSet(t *testing.T) *agents.Set {
	t.Helper()
	a, err := configs.Parse(filepath.Join(t.TempDir(), "tienda.yaml"), []byte(agentFile))
	if err != nil {
		t.Fatal(err)
	}
	set := agents.New(agents.Options{})
	t.Cleanup(func() { set.Close() })
	if _, err := set.Add(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return set
}

// events collects a layer's stream.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) observe(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) kinds() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.all {
		out = append(out, strings.TrimPrefix(fmt.Sprintf("%T", ev.What), "calls."))
	}
	return out
}

func (e *events) of(kind string) []What {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []What
	for _, ev := range e.all {
		if strings.TrimPrefix(fmt.Sprintf("%T", ev.What), "calls.") == kind {
			out = append(out, ev.What)
		}
	}
	return out
}

func TestNew(t *testing.T) {
	set := newSet(t)
	for _, tt := range []struct {
		name    string
		o       Options
		want    string
		wantErr error
	}{
		{"the first agent by default", Options{Agents: set}, "tienda", nil},
		{"the agent asked for", Options{Agents: set, DefaultAgent: "tienda"}, "tienda", nil},
		{"an agent not loaded", Options{Agents: set, DefaultAgent: "nadie"}, "", ErrNoAgent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := New(tt.o)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v; want %v", err, tt.wantErr)
			}
			if err == nil && l.DefaultAgent() != tt.want {
				t.Errorf("default agent %q; want %q", l.DefaultAgent(), tt.want)
			}
		})
	}
	if _, err := New(Options{}); err == nil {
		t.Error("a layer without agents")
	}
}

// TestCall drives a call as the runtime would and reads the stream: what
// the caller said, the fields, the services (their wait messages, told
// the runtime too), the state, what was said and heard, the end; the
// registry and a recording follow it.
func TestCall(t *testing.T) {
	exec := &fakeExec{}
	dir := t.TempDir()
	l, err := New(Options{Agents: newSet(t), Executors: map[string]session.Executor{"tienda": exec}, Record: dir})
	if err != nil {
		t.Fatal(err)
	}
	var evs events
	l.Observe(evs.observe)
	ctx := context.Background()
	if _, err := l.Open(ctx, telephony.CallInfo{ID: "c1", Agent: "nadie"}); !errors.Is(err, ErrNoAgent) {
		t.Errorf("a call for an agent not loaded: %v", err)
	}
	conv, err := l.Open(ctx, telephony.CallInfo{ID: "c1", From: "+34600111222", Transport: "test", Provider: "CA1"})
	if err != nil {
		t.Fatal(err)
	}
	if conv.Agent.Name != "tienda" || conv.STT != nil || conv.TTS != nil {
		t.Errorf("opened %+v", conv)
	}
	s := conv.Session
	now := time.Now()
	var waits []string
	wait := func(m string) { waits = append(waits, m) }
	say := func(r *telephony.Reply) []string {
		var out []string
		s.Speak(ctx, r, func(x string) { out = append(out, x) })
		return out
	}
	greeting := s.Handle(ctx, dialog.Start{At: now}, wait)
	if got := say(&greeting); len(got) != 1 {
		t.Errorf("greeting %q", got)
	}
	s.Spoken("Hola.", "Hola.", false)
	s.Handle(ctx, dialog.Utterance{At: now, Text: "dónde está mi pedido"}, wait)
	r := s.Handle(ctx, dialog.Utterance{At: now, Text: "el 1234"}, wait)
	if got := say(&r); !slices.Contains(got, "Tu pedido 1234 está en camino.") {
		t.Errorf("answer %q", got)
	}
	if r.External < exec.took {
		t.Errorf("external %v; the service alone took %v", r.External, exec.took)
	}
	s.Spoken("Tu pedido 1234 está en camino.", "Tu pedido…", true)
	s.Handle(ctx, dialog.Utterance{At: now, Text: "quiero devolver un producto"}, wait)
	s.Close("caller-hangup")

	if want := []string{"Un momento, por favor.", "Estoy registrando la devolución."}; !slices.Equal(waits, want) {
		t.Errorf("wait messages %q; want the working phrase, then the service's own: %q", waits, want)
	}
	for _, k := range []string{"Opened", "Heard", "ServiceStarted", "ServiceFinished", "FieldSet", "StateChanged", "Said", "Ended"} {
		if !slices.Contains(evs.kinds(), k) {
			t.Errorf("no %s in the stream %v", k, evs.kinds())
		}
	}
	if k := evs.kinds(); k[0] != "Opened" || k[len(k)-1] != "Ended" {
		t.Errorf("stream %v: want Opened first and Ended last", k)
	}
	if f := evs.of("FieldSet"); len(f) == 0 || f[0] != (FieldSet{Name: "pedido", Value: "1234"}) {
		t.Errorf("fields %+v", f)
	}
	if h := evs.of("Heard"); len(h) != 3 || h[1] != (Heard{Text: "el 1234"}) {
		t.Errorf("heard %+v", h)
	}
	if said := evs.of("Said"); len(said) != 2 || said[1] != (Said{Text: "Tu pedido 1234 está en camino.", Heard: "Tu pedido…", Interrupted: true}) {
		t.Errorf("said %+v", said)
	}
	if e := evs.of("Ended"); len(e) != 1 || e[0].(Ended).Outcome != "caller-hangup" || e[0].(Ended).Transcript.Agent == "tienda" {
		t.Errorf("ended %+v: want the outcome, and the agent named by its file", e)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux := http.NewServeMux()
		l.Register(mux)
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	calls := l.Calls()
	if len(calls) != 1 || calls[0].Live || calls[0].From != "•••• 1222" || calls[0].ProviderID != "CA1" || calls[0].Turns != 3 || calls[0].Ended == nil {
		t.Errorf("calls %+v", calls)
	}
	for path, want := range map[string]int{"/v1/calls": 200, "/v1/calls/c1": 200, "/v1/calls/c1/transcript": 200, "/v1/calls/nope": 404} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %s", path, resp.Status)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-c1.yaml"))
	if len(files) != 1 {
		t.Fatalf("recorded %v", files)
	}
	data, _ := os.ReadFile(files[0])
	rec, err := transcript.Parse(files[0], data)
	if err != nil || len(rec.Turns) != 3 || rec.CallID != "c1" {
		t.Errorf("recording %+v %v", rec, err)
	}
}

package llm

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/internal/openaitest"
)

var clinic = func() *configs.Agent {
	agents, err := configs.LoadExamples()
	if err != nil {
		panic(err)
	}
	for _, a := range agents {
		if a.Name == "clinica-central" {
			return a
		}
	}
	panic("no clinic example")
}()

var now = time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)

func query(text string, st dialog.State) *dialog.Query {
	return &dialog.Query{Agent: clinic, State: st, Text: text, Now: now,
		History: []dialog.Exchange{{Agent: "Hola, gracias por llamar a Clínica Central."}}}
}

// recorder collects Stats.
type recorder struct {
	mu    sync.Mutex
	stats []Stats
}

func (r *recorder) observe(s Stats) { r.mu.Lock(); r.stats = append(r.stats, s); r.mu.Unlock() }
func (r *recorder) last() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.stats) == 0 {
		return Stats{}
	}
	return r.stats[len(r.stats)-1]
}

func newModel(t *testing.T, srv *openaitest.Server, mod func(*Config)) (*Model, *recorder) {
	t.Helper()
	cfg := Config{Provider: "openai", BaseURL: srv.URL, APIKey: "sk-test-secret", Model: "test-model", Budget: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	rec := &recorder{}
	m, err := New(cfg, Options{Observe: rec.observe})
	if err != nil {
		t.Fatal(err)
	}
	return m, rec
}

func booking(args string) openaitest.ToolCall {
	return openaitest.ToolCall{ID: "call_1", Name: "schedule_appointment", Arguments: args}
}

// TestUnderstand: tool calls, streamed in pieces or whole, become a
// Reading; what the agent does not have is dropped.
func TestUnderstand(t *testing.T) {
	collecting := dialog.State{Phase: dialog.PhaseCollecting, Intent: "schedule_appointment", Asking: "email",
		Slots: map[string]string{"nombre": "Juan Pérez"}, LastPrompt: "¿Cuál es tu correo electrónico?"}
	tests := []struct {
		name  string
		state dialog.State
		reply openaitest.Reply
		want  *dialog.Reading
		err   error
	}{
		{"a service with its values, arguments split across chunks", dialog.State{Phase: dialog.PhaseListening},
			openaitest.Reply{Split: 3, ToolCalls: []openaitest.ToolCall{booking(`{"especialidad": "cardiología", "fecha": "2024-01-12", "nombre": "Juan Pérez"}`)}},
			&dialog.Reading{Intent: "schedule_appointment", Values: map[string]string{"especialidad": "cardiología", "fecha": "2024-01-12", "nombre": "Juan Pérez"}}, nil},
		{"several calls in one answer", collecting,
			openaitest.Reply{ToolCalls: []openaitest.ToolCall{
				{ID: "a", Name: "correct_field", Arguments: `{"field": "nombre", "value": "Juana Pérez"}`},
				{ID: "b", Name: "schedule_appointment", Arguments: `{"email": "juana@example.com"}`},
				{ID: "c", Name: "answer_question", Arguments: `{"answer": "Abrimos a las 8."}`},
			}},
			&dialog.Reading{Intent: "schedule_appointment", Values: map[string]string{"nombre": "Juana Pérez", "email": "juana@example.com"}, Answer: "Abrimos a las 8."}, nil},
		{"typed arguments become text", dialog.State{Phase: dialog.PhaseListening},
			openaitest.Reply{ToolCalls: []openaitest.ToolCall{booking(`{"telefono": 987654321, "nombre": true}`)}},
			&dialog.Reading{Intent: "schedule_appointment", Values: map[string]string{"telefono": "987654321", "nombre": "sí"}}, nil},
		{"unknown functions and fields are ignored", dialog.State{Phase: dialog.PhaseListening},
			openaitest.Reply{ToolCalls: []openaitest.ToolCall{
				{ID: "x", Name: "transfer_money", Arguments: `{"amount": 1000}`},
				booking(`{"nombre": "Ana", "password": "hunter2"}`),
				{ID: "y", Name: "cancel_appointment", Arguments: `{"cita_id": "1234"}`},
			}},
			&dialog.Reading{Intent: "schedule_appointment", Values: map[string]string{"nombre": "Ana"}}, nil},
		{"only unknown functions", dialog.State{Phase: dialog.PhaseListening},
			openaitest.Reply{ToolCalls: []openaitest.ToolCall{{ID: "x", Name: "transfer_money", Arguments: `{}`}}}, nil, ErrMalformed},
		{"malformed arguments", dialog.State{Phase: dialog.PhaseListening},
			openaitest.Reply{ToolCalls: []openaitest.ToolCall{booking(`{"nombre": "Ana"`)}}, nil, ErrMalformed},
		{"malformed beside a good call", collecting,
			openaitest.Reply{ToolCalls: []openaitest.ToolCall{booking(`["Ana"]`), {ID: "r", Name: "repeat_question"}}},
			&dialog.Reading{Repeat: true}, nil},
		{"a correction of a field the request does not have", collecting,
			openaitest.Reply{ToolCalls: []openaitest.ToolCall{{ID: "a", Name: "correct_field", Arguments: `{"field": "saldo", "value": "1000000"}`}}},
			nil, ErrMalformed},
		{"parallel calls all on index 0, told apart by id", collecting,
			openaitest.Reply{SameIndex: true, ToolCalls: []openaitest.ToolCall{
				{ID: "a", Name: "correct_field", Arguments: `{"field": "nombre", "value": "Juana Pérez"}`},
				{ID: "b", Name: "repeat_question", Arguments: `{}`},
			}},
			&dialog.Reading{Values: map[string]string{"nombre": "Juana Pérez"}, Repeat: true}, nil},
		{"a correction does not follow the caller to another service", collecting,
			openaitest.Reply{ToolCalls: []openaitest.ToolCall{
				{ID: "a", Name: "correct_field", Arguments: `{"field": "fecha", "value": "2024-01-20"}`},
				{ID: "b", Name: "check_availability", Arguments: `{"especialidad": "pediatría"}`},
			}},
			&dialog.Reading{Intent: "check_availability", Values: map[string]string{"especialidad": "pediatría"}}, nil},
		{"cancel", collecting, openaitest.Reply{ToolCalls: []openaitest.ToolCall{{ID: "c", Name: "cancel_request", Arguments: ""}}},
			&dialog.Reading{Cancel: true}, nil},
		{"acts, unknown ones dropped", collecting, openaitest.Reply{ToolCalls: []openaitest.ToolCall{
			{ID: "a", Name: "caller_acts", Arguments: `{"acts": ["hold", "shrug", "hold", "smalltalk"]}`}}},
			&dialog.Reading{Acts: []string{"hold", "smalltalk"}}, nil},
		{"acts beside a service; a field left empty on purpose", collecting, openaitest.Reply{ToolCalls: []openaitest.ToolCall{
			{ID: "a", Name: "caller_acts", Arguments: `{"acts": ["inform"]}`},
			booking(`{"nombre": "Ana Díaz", "email": "", "telefono": null}`)}},
			&dialog.Reading{Intent: "schedule_appointment", Values: map[string]string{"nombre": "Ana Díaz"}, Acts: []string{"inform"},
				Empty: []string{"email", "telefono"}}, nil},
		{"text without calls answers a question", dialog.State{Phase: dialog.PhaseListening},
			openaitest.Reply{Content: "Atendemos de lunes a sábado, de 8 a 19 h."},
			&dialog.Reading{Answer: "Atendemos de lunes a sábado, de 8 a 19 h."}, nil},
		{"a refusal", dialog.State{Phase: dialog.PhaseListening}, openaitest.Reply{Refusal: "I can't help with that."}, nil, ErrRefused},
		{"nothing at all", dialog.State{Phase: dialog.PhaseListening}, openaitest.Reply{}, nil, ErrEmpty},
	}
	for _, stream := range []bool{true, false} {
		for _, tt := range tests {
			name := tt.name
			if !stream {
				name += " (not streamed)"
			}
			t.Run(name, func(t *testing.T) {
				srv := openaitest.New(openaitest.Always(tt.reply))
				defer srv.Close()
				m, rec := newModel(t, srv, func(c *Config) { c.NoStream = !stream })
				got, err := m.Understand(context.Background(), query("lo que diga", tt.state))
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if !sameReading(got, tt.want) {
					t.Errorf("reading = %+v, want %+v", got, tt.want)
				}
				reqs := srv.Requests()
				if len(reqs) != 1 {
					t.Fatalf("%d requests, want 1", len(reqs))
				}
				if reqs[0].Stream != stream {
					t.Fatalf("stream %v, want %v", reqs[0].Stream, stream)
				}
				if st := rec.last(); st.Kind != "understand" || st.PromptTokens == 0 || st.CompletionTokens == 0 || st.Total <= 0 {
					t.Errorf("stats %+v: want kind, tokens and time", st)
				}
			})
		}
	}
}

func sameReading(a, b *dialog.Reading) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Intent == b.Intent && maps.Equal(a.Values, b.Values) && a.Cancel == b.Cancel && a.Repeat == b.Repeat && a.Answer == b.Answer
}

// TestUnderstandRequest: what the model is sent — the agent's services as
// functions with their fields, the controls, the call's state, the
// history, the key as a bearer token.
func TestUnderstandRequest(t *testing.T) {
	srv := openaitest.New(openaitest.Always(openaitest.Reply{Content: "ok"}))
	defer srv.Close()
	m, _ := newModel(t, srv, nil)
	st := dialog.State{Phase: dialog.PhaseCollecting, Intent: "schedule_appointment", Asking: "fecha",
		Slots: map[string]string{"nombre": "Juan Pérez"}, LastPrompt: "¿Qué día te gustaría venir?"}
	if _, err := m.Understand(context.Background(), query("el viernes", st)); err != nil {
		t.Fatal(err)
	}
	req := srv.Requests()[0]
	if got := req.Header.Get("Authorization"); got != "Bearer sk-test-secret" {
		t.Errorf("Authorization = %q", got)
	}
	if req.Model != "test-model" || req.StreamOptions == nil || !req.StreamOptions.IncludeUsage {
		t.Errorf("model %q, stream options %+v", req.Model, req.StreamOptions)
	}
	if req.Temperature == nil || *req.Temperature > 1e-6 {
		t.Errorf("temperature %v, want 0", req.Temperature)
	}
	var names []string
	var booking map[string]any
	for _, tool := range req.Tools {
		names = append(names, tool.Function.Name)
		if tool.Function.Name == "schedule_appointment" {
			json.Unmarshal(tool.Function.Parameters, &booking)
		}
	}
	want := []string{"schedule_appointment", "check_availability", "cancel_appointment", "caller_acts", "cancel_request", "repeat_question", "answer_question", "correct_field"}
	if !slices.Equal(names, want) {
		t.Errorf("functions %v, want %v", names, want)
	}
	props, _ := booking["properties"].(map[string]any)
	spec, _ := props["especialidad"].(map[string]any)
	date, _ := props["fecha"].(map[string]any)
	if len(props) != 6 || spec["enum"] == nil || !strings.Contains(date["description"].(string), "yyyy-mm-dd") || booking["required"] != nil {
		t.Errorf("booking parameters: %v", booking)
	}
	sys := req.Messages[0]
	for _, s := range []string{"Eres", "Now: Wednesday 2024-01-10 04:00 (America/Lima)", "Request in progress: schedule_appointment",
		`nombre="Juan Pérez"`, "asking for: fecha", "¿Qué día te gustaría venir?"} {
		if !strings.Contains(sys.Content, s) {
			t.Errorf("system prompt lacks %q:\n%s", s, sys.Content)
		}
	}
	roles := []string{}
	for _, msg := range req.Messages {
		roles = append(roles, msg.Role)
	}
	if !slices.Equal(roles, []string{"system", "assistant", "user"}) || req.Messages[2].Content != "el viernes" {
		t.Errorf("messages %v", req.Messages)
	}
}

// TestFailures: errors, limits and slowness end the turn within the
// budget, retrying only what fits in it.
func TestFailures(t *testing.T) {
	ok := openaitest.Reply{ToolCalls: []openaitest.ToolCall{{ID: "r", Name: "repeat_question"}}}
	tests := []struct {
		name     string
		replies  []openaitest.Reply
		budget   time.Duration
		requests int
		outcome  string
	}{
		{"429 then an answer: retried", []openaitest.Reply{{Status: http.StatusTooManyRequests, RetryAfter: 1}, ok}, 2 * time.Second, 2, "ok"},
		{"500 twice: one retry, then offline", []openaitest.Reply{{Status: 500}}, 2 * time.Second, 2, "error"},
		{"400: not retried", []openaitest.Reply{{Status: 400}}, 2 * time.Second, 1, "error"},
		{"a retry that would not fit the budget", []openaitest.Reply{{Status: 503, Delay: 250 * time.Millisecond}, ok}, 400 * time.Millisecond, 1, "error"},
		{"slower than the budget", []openaitest.Reply{{Delay: 5 * time.Second, Content: "tarde"}}, 200 * time.Millisecond, 1, "timeout"},
		{"a stream that stalls", []openaitest.Reply{{Content: "una respuesta muy larga que nunca termina", Split: 2, Gap: time.Second}}, 300 * time.Millisecond, 1, "timeout"},
		{"hangs", []openaitest.Reply{{Hang: true}}, 200 * time.Millisecond, 1, "timeout"},
		{"not JSON", []openaitest.Reply{{Raw: "<html>bad gateway</html>"}}, time.Second, 1, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.New(openaitest.Script(tt.replies...))
			defer srv.Close()
			m, rec := newModel(t, srv, func(c *Config) { c.Budget = tt.budget })
			start := time.Now()
			_, err := m.Understand(context.Background(), query("¿cómo?", dialog.State{Phase: dialog.PhaseListening}))
			took := time.Since(start)
			if (err == nil) != (tt.outcome == "ok") {
				t.Fatalf("err = %v, want outcome %s", err, tt.outcome)
			}
			if got := len(srv.Requests()); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			if st := rec.last(); st.Outcome != tt.outcome || st.Attempts != tt.requests {
				t.Errorf("stats %+v, want outcome %s after %d attempts", st, tt.outcome, tt.requests)
			}
			// Not a timing assertion on the code's speed: the budget is a
			// contract, and 10x its length means it was not kept.
			if took > 10*tt.budget {
				t.Errorf("took %s with a budget of %s", took, tt.budget)
			}
		})
	}
}

// TestBreaker: after three failed turns the model is left alone; after the
// cooldown one turn tries it again.
func TestBreaker(t *testing.T) {
	var mu sync.Mutex
	healthy := false
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply {
		mu.Lock()
		defer mu.Unlock()
		if healthy {
			return openaitest.Reply{Content: "Abrimos a las 8."}
		}
		return openaitest.Reply{Status: 400}
	})
	defer srv.Close()
	m, rec := newModel(t, srv, nil)
	q := query("¿a qué hora abren?", dialog.State{Phase: dialog.PhaseListening})
	for range 3 {
		if _, err := m.Understand(context.Background(), q); err == nil {
			t.Fatal("a failing model answered")
		}
	}
	if _, err := m.Understand(context.Background(), q); !errors.Is(err, ErrBreakerOpen) || len(srv.Requests()) != 3 {
		t.Fatalf("err = %v after %d requests; want the breaker open after 3", err, len(srv.Requests()))
	}
	if rec.last().Outcome != "breaker" {
		t.Errorf("outcome %q", rec.last().Outcome)
	}
	mu.Lock()
	healthy = true
	mu.Unlock()
	m.breaker.mu.Lock()
	m.breaker.openAt = m.breaker.openAt.Add(-time.Minute) // the cooldown has passed
	m.breaker.mu.Unlock()
	if r, err := m.Understand(context.Background(), q); err != nil || r.Answer == "" {
		t.Fatalf("after the cooldown: %v, %+v", err, r)
	}
	if _, err := m.Understand(context.Background(), q); err != nil {
		t.Fatalf("closed again: %v", err)
	}
}

// TestAzure: an Azure OpenAI resource is reached by deployment, with
// api-version and the api-key header.
func TestAzure(t *testing.T) {
	srv := openaitest.New(openaitest.Always(openaitest.Reply{Content: "ok"}))
	defer srv.Close()
	m, _ := newModel(t, srv, func(c *Config) {
		c.BaseURL = strings.TrimSuffix(srv.URL, "/v1")
		c.Azure, c.Model = true, "my-gpt4o"
	})
	if _, err := m.Understand(context.Background(), query("hola", dialog.State{Phase: dialog.PhaseListening})); err != nil {
		t.Fatal(err)
	}
	req := srv.Requests()[0]
	if req.Path != "/openai/deployments/my-gpt4o/chat/completions" || req.Query != "api-version=2024-10-21" || req.Header.Get("api-key") != "sk-test-secret" {
		t.Errorf("path %s?%s, api-key %q", req.Path, req.Query, req.Header.Get("api-key"))
	}
}

// TestRephrase: sentences are passed on as they complete; a model slower
// than the budget says nothing, so the caller hears the text as written.
func TestRephrase(t *testing.T) {
	srv := openaitest.New(openaitest.Script(
		openaitest.Reply{Content: "¡Perfecto! Ya casi terminamos. ¿Me dices tu correo, por favor?", Split: 4, Gap: 5 * time.Millisecond},
		openaitest.Reply{Delay: 3 * time.Second, Content: "Tarde."},
	))
	defer srv.Close()
	m, rec := newModel(t, srv, func(c *Config) { c.Budget = 300 * time.Millisecond })
	var got []string
	err := m.Rephrase(context.Background(), clinic, nil, "¿Cuál es tu correo electrónico?", func(s string) { got = append(got, s) })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"¡Perfecto!", "Ya casi terminamos.", "¿Me dices tu correo, por favor?"}; !slices.Equal(got, want) {
		t.Errorf("sentences %q, want %q", got, want)
	}
	if st := rec.last(); st.Kind != "phrase" || st.FirstToken <= 0 || st.FirstToken > st.Total {
		t.Errorf("stats %+v", st)
	}
	got = nil
	err = m.Rephrase(context.Background(), clinic, nil, "¿Cuál es tu correo electrónico?", func(s string) { got = append(got, s) })
	if err == nil || len(got) > 0 || rec.last().Outcome != "timeout" {
		t.Errorf("over budget: err %v, said %q, outcome %s", err, got, rec.last().Outcome)
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		enabled bool
		err     string
	}{
		{map[string]string{}, false, ""},
		{map[string]string{"OPENAI_API_KEY": "sk-1"}, true, ""},
		{map[string]string{"OPENAI_API_KEY": "sk-1", "VOICEAGENT_LLM": "off"}, false, ""},
		{map[string]string{"VOICEAGENT_LLM": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, true, ""},
		{map[string]string{"VOICEAGENT_LLM": "claude"}, false, `VOICEAGENT_LLM="claude"`},
		{map[string]string{"VOICEAGENT_LLM": "openai", "OPENAI_BASE_URL": "localhost:11434"}, true, "not an http(s) URL"},
		{map[string]string{"VOICEAGENT_LLM_BUDGET": "2"}, false, "positive duration"},
		{map[string]string{"VOICEAGENT_LLM_STREAM": "maybe"}, false, "want true or false"},
	}
	for _, tt := range tests {
		c, err := FromEnv(func(k string) string { return tt.env[k] })
		if err == nil {
			err = c.Check()
		}
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: err = %v, want %q", tt.env, err, tt.err)
			}
			continue
		}
		if err != nil || c.Enabled() != tt.enabled {
			t.Errorf("%v: enabled %v, err %v; want %v", tt.env, c.Enabled(), err, tt.enabled)
		}
		if strings.Contains(c.String(), "sk-1") {
			t.Errorf("String() shows the key: %s", c)
		}
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	met, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := openaitest.New(openaitest.Script(openaitest.Reply{Content: "Abrimos a las 8.", PromptTokens: 120, CompletionTokens: 9}, openaitest.Reply{Status: 400}))
	defer srv.Close()
	m, err := New(Config{Provider: "openai", BaseURL: srv.URL}, Options{Observe: met.Observe})
	if err != nil {
		t.Fatal(err)
	}
	q := query("¿a qué hora abren?", dialog.State{Phase: dialog.PhaseListening})
	m.Understand(context.Background(), q)
	m.Understand(context.Background(), q)
	want := `
# HELP voiceagent_llm_requests_total Model round trips by outcome: ok, or why the turn went on without the model.
# TYPE voiceagent_llm_requests_total counter
voiceagent_llm_requests_total{kind="understand",outcome="error"} 1
voiceagent_llm_requests_total{kind="understand",outcome="ok"} 1
# HELP voiceagent_llm_tokens_total Tokens the model read (prompt) and wrote (completion).
# TYPE voiceagent_llm_tokens_total counter
voiceagent_llm_tokens_total{kind="understand",type="completion"} 9
voiceagent_llm_tokens_total{kind="understand",type="prompt"} 120
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "voiceagent_llm_requests_total", "voiceagent_llm_tokens_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "voiceagent_llm_first_token_seconds"); n != 1 {
		t.Errorf("%d first-token series", n)
	}
}

// TestReasoningModels: models with a fixed temperature are not sent one.
func TestReasoningModels(t *testing.T) {
	srv := openaitest.New(openaitest.Always(openaitest.Reply{Content: "ok"}))
	defer srv.Close()
	for _, model := range []string{"gpt-5-mini", "o4-mini", "o3-mini", "gpt-4o-mini"} {
		m, _ := newModel(t, srv, func(c *Config) { c.Model = model })
		if _, err := m.Understand(context.Background(), query("hola", dialog.State{Phase: dialog.PhaseListening})); err != nil {
			t.Errorf("%s: %v", model, err)
		}
		reqs := srv.Requests()
		if got := reqs[len(reqs)-1].Temperature; (got == nil) != fixedTemperature(model) {
			t.Errorf("%s: temperature %v", model, got)
		}
	}
}

// TestBreakerTrial: only the trial request's cancellation reopens the way
// for another trial.
func TestBreakerTrial(t *testing.T) {
	b := breaker{threshold: 1, cooldown: time.Second}
	now := time.Now()
	b.failure(now)
	if ok, _ := b.allow(now); ok {
		t.Fatal("open breaker let a request through")
	}
	later := now.Add(2 * time.Second)
	ok, trial := b.allow(later)
	if !ok || !trial {
		t.Fatal("no trial after the cooldown")
	}
	b.release(false) // an older request was canceled
	if ok, _ := b.allow(later); ok {
		t.Error("a second trial while the first runs")
	}
	b.release(true)
	if ok, _ := b.allow(later); !ok {
		t.Error("no new trial after the trial was canceled")
	}
}

// TestLogsHoldNoValues: names a model invents are not logged when they
// could be a caller's data.
func TestLogsHoldNoValues(t *testing.T) {
	for in, want := range map[string]string{"fecha": "fecha", "juan@example.com": "(not a name)", "Juan Pérez": "(not a name)", strings.Repeat("a", 65): "(not a name)"} {
		if got := logName(in); got != want {
			t.Errorf("logName(%q) = %q", in, got)
		}
	}
}

package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
)

// recorder is a loopback API that remembers what it received.
type recorder struct {
	mu       sync.Mutex
	requests []recorded
	handler  func(w http.ResponseWriter, r *http.Request)
}

type recorded struct {
	Method, Path, RawPath, RawQuery string
	Header                          http.Header
	Body                            []byte
}

func newAPI(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) (*recorder, *httptest.Server) {
	rec := &recorder{handler: h}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.requests = append(rec.requests, recorded{r.Method, r.URL.Path, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), body})
		rec.mu.Unlock()
		rec.handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return rec, srv
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.requests...)
}

func jsonAnswer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// agentFor returns an agent file whose services point at base.
func agentFor(base, services string) string {
	return "name: test\nlanguage: es\ntimezone: America/Lima\nfallbackMessage: \"FALLBACK\"\nservices:\n" +
		strings.ReplaceAll(services, "BASE", base)
}

const secret = "s3cr3t-T0KEN-value"

func TestExecutePostNestedBodyAndHeaders(t *testing.T) {
	t.Setenv("API_TOKEN", secret)
	rec, srv := newAPI(t, jsonAnswer(201, `{"response": {"status": "success", "id": "apt_1"}}`))
	cat := compile(t, agentFor(srv.URL, `
  - intent: book
    endpoint: BASE/v1/appointments
    headers:
      Authorization: "Bearer ${API_TOKEN}"
      X-Source: voiceagent
    requiredFields: [nombre, {name: cantidad, type: number}, {name: fecha, type: date}]
    bodyTemplate:
      cliente: {nombre: "{{nombre}}"}
      cita: {fecha: "{{fecha|format('dd/MM/yyyy')}}", cantidad: "{{cantidad|number}}", canal: voz}
      meta: {agent: "{{agent_id}}", call: "{{call_id}}", at: "{{now|format('yyyy-MM-dd HH:mm')}}"}
    responseMapping: {id: "$.response.id"}
    responseMessage: "Cita {{id}} para {{nombre}}."
`))
	now := time.Date(2024, 1, 10, 14, 0, 0, 0, time.UTC)
	res := (&Executor{}).Execute(context.Background(), cat.Service("book"), Input{
		Fields: map[string]string{"nombre": "Juan \"JJ\" Pérez", "cantidad": "3", "fecha": "2024-01-15"},
		CallID: "c-1", Now: now,
	})
	if res.Failed() {
		t.Fatalf("failed: %v", res.Err)
	}
	if res.Message != "Cita apt_1 para Juan \"JJ\" Pérez." {
		t.Errorf("message %q", res.Message)
	}
	got := rec.all()[0]
	if got.Method != "POST" || got.Path != "/v1/appointments" {
		t.Errorf("sent %s %s", got.Method, got.Path)
	}
	want := `{"cliente":{"nombre":"Juan \"JJ\" Pérez"},"cita":{"fecha":"15/01/2024","cantidad":3,"canal":"voz"},"meta":{"agent":"test","call":"c-1","at":"2024-01-10 09:00"}}`
	if string(got.Body) != want {
		t.Errorf("body\n got %s\nwant %s", got.Body, want)
	}
	for k, v := range map[string]string{"Authorization": "Bearer " + secret, "X-Source": "voiceagent", "Content-Type": "application/json", "Accept": "application/json"} {
		if got.Header.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, got.Header.Get(k), v)
		}
	}
}

func TestExecuteGetQueryFlattening(t *testing.T) {
	rec, srv := newAPI(t, jsonAnswer(200, `{"stock": 4}`))
	cat := compile(t, agentFor(srv.URL, `
  - intent: stock
    method: GET
    endpoint: BASE/inventory?v=2&region={{region}}
    requiredFields: [producto, region, {name: max, type: number, optional: true}]
    bodyTemplate:
      query: {product_name: "{{producto}}"}
      filters: {in_stock: true, max_price: "{{max|number}}"}
    responseMapping: {stock: "$.stock"}
    responseMessage: "Quedan {{stock}}."
`))
	in := Input{Fields: map[string]string{"producto": "café & té", "region": "norte/sur"}}
	res := (&Executor{}).Execute(context.Background(), cat.Service("stock"), in)
	if res.Message != "Quedan 4." {
		t.Errorf("message %q (%v)", res.Message, res.Err)
	}
	got := rec.all()[0]
	if want := "v=2&region=norte%2Fsur&query.product_name=caf%C3%A9+%26+t%C3%A9&filters.in_stock=true"; got.RawQuery != want {
		t.Errorf("query\n got %s\nwant %s", got.RawQuery, want)
	}
	if got.Method != "GET" || len(got.Body) != 0 || got.Header.Get("Content-Type") != "" {
		t.Errorf("GET sent a body: %s %q %q", got.Method, got.Body, got.Header.Get("Content-Type"))
	}
}

func TestExecuteDeletePathEscaping(t *testing.T) {
	rec, srv := newAPI(t, jsonAnswer(204, ``))
	cat := compile(t, agentFor(srv.URL, `
  - intent: cancel
    method: DELETE
    endpoint: BASE/appointments/{{cita_id}}/notes
    requiredFields: [cita_id, motivo]
    bodyTemplate: {motivo: "{{motivo}}"}
    responseMessage: "Cancelada la cita {{cita_id}}."
`))
	in := Input{Fields: map[string]string{"cita_id": "A/1 b?c#d%", "motivo": "viaje"}}
	res := (&Executor{}).Execute(context.Background(), cat.Service("cancel"), in)
	if res.Failed() || res.Message != "Cancelada la cita A/1 b?c#d%." {
		t.Errorf("outcome %q %v", res.Message, res.Err)
	}
	got := rec.all()[0]
	if got.Method != "DELETE" || got.RawPath != "/appointments/A%2F1%20b%3Fc%23d%25/notes" || got.RawQuery != "motivo=viaje" {
		t.Errorf("sent %s %s ?%s", got.Method, got.RawPath, got.RawQuery)
	}
}

func TestDotSegmentsRefused(t *testing.T) {
	rec, srv := newAPI(t, jsonAnswer(200, `{}`))
	cat := compile(t, agentFor(srv.URL, "  - intent: s\n    method: GET\n    endpoint: BASE/orders/{{id}}/status\n    requiredFields: [id]\n"))
	for _, id := range []string{"..", ".", "..."} {
		res := (&Executor{}).Execute(context.Background(), cat.Service("s"), Input{Fields: map[string]string{"id": id}})
		if !errors.Is(res.Err, ErrRender) || res.Message != "FALLBACK" {
			t.Errorf("id %q: %v %q", id, res.Err, res.Message)
		}
	}
	res := (&Executor{}).Execute(context.Background(), cat.Service("s"), Input{Fields: map[string]string{"id": "a..b"}})
	if res.Failed() || len(rec.all()) != 1 || rec.all()[0].RawPath != "/orders/a..b/status" {
		t.Errorf("a..b: %v %+v", res.Err, rec.all())
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	_, srv := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
	})
	cat := compile(t, agentFor(srv.URL, `
  - intent: s
    endpoint: BASE/x
    headers: {X-Api-Key: k}
    responseConditions:
      - {condition: "http.status == 307", message: "moved"}
`))
	res := (&Executor{}).Execute(context.Background(), cat.Service("s"), Input{})
	if res.Message != "moved" || elsewhere.Load() != 0 {
		t.Errorf("message %q, requests to the other host: %d", res.Message, elsewhere.Load())
	}
}

func TestErrorAnswers(t *testing.T) {
	html := func(status int) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			io.WriteString(w, "<html><body>Internal error</body></html>")
		}
	}
	services := `
  - intent: s
    method: GET
    endpoint: BASE/x
    responseMapping: {estado: "$.status"}
    responseMessage: "Estado {{estado|default('desconocido')}}."
    responseConditions:
      - condition: "http.status == 404"
        message: "No existe."
      - condition: "$.status == 'conflict' && http.status == 409"
        message: "Conflicto."
`
	tests := []struct {
		name    string
		handler func(http.ResponseWriter, *http.Request)
		message string
		err     error
	}{
		{"500 with HTML", html(500), "FALLBACK", ErrStatus},
		{"200 with HTML", html(200), "Estado desconocido.", nil},
		{"404 handled by a condition", jsonAnswer(404, `{}`), "No existe.", nil},
		{"409 with a JSON condition", jsonAnswer(409, `{"status": "conflict"}`), "Conflicto.", nil},
		{"403 not handled", jsonAnswer(403, `{"status": "forbidden"}`), "FALLBACK", ErrStatus},
		{"2xx JSON", jsonAnswer(200, `{"status": "ok"}`), "Estado ok.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newAPI(t, tt.handler)
			cat := compile(t, agentFor(srv.URL, services))
			res := (&Executor{}).Execute(context.Background(), cat.Service("s"), Input{})
			if res.Message != tt.message || !errors.Is(res.Err, tt.err) {
				t.Errorf("got %q, %v; want %q, %v", res.Message, res.Err, tt.message, tt.err)
			}
			if tt.err == nil && res.Err != nil {
				t.Errorf("unexpected error %v", res.Err)
			}
		})
	}
}

func TestTimeoutGivesFallback(t *testing.T) {
	released := make(chan struct{})
	_, srv := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers; returns when the client gives up
		close(released)
	})
	cat := compile(t, agentFor(srv.URL, `
  - intent: slow
    endpoint: BASE/slow
    timeout: 150ms
    responseMessage: "never"
`))
	start := time.Now()
	res := (&Executor{}).Execute(context.Background(), cat.Service("slow"), Input{})
	elapsed := time.Since(start)
	if !errors.Is(res.Err, ErrTransport) || !strings.Contains(res.Err.Error(), "timed out") || res.Message != "FALLBACK" {
		t.Fatalf("got %q, %v; want the fallback after a timeout", res.Message, res.Err)
	}
	<-released // the server saw the request abandoned: nothing is left running
	t.Logf("timeout 150ms, fallback after %v (see BenchmarkTimeoutOvershoot)", elapsed)
}

func TestCancelStopsTheRequest(t *testing.T) {
	_, srv := newAPI(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	cat := compile(t, agentFor(srv.URL, "  - intent: s\n    endpoint: BASE/x\n    timeout: 1m\n"))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	res := (&Executor{}).Execute(ctx, cat.Service("s"), Input{})
	if !errors.Is(res.Err, ErrTransport) || !strings.Contains(res.Err.Error(), "canceled") {
		t.Errorf("got %v, want canceled", res.Err)
	}
}

func TestRetriesOnlyForIdempotentMethods(t *testing.T) {
	tests := []struct {
		method    string
		retries   int
		status    int
		wantHits  int
		wantError error
	}{
		{"GET", 2, 500, 3, ErrStatus},
		{"GET", 2, 503, 3, ErrStatus},
		{"GET", 2, 429, 3, ErrStatus},
		{"GET", 2, 404, 1, ErrStatus}, // a client error is not retried
		{"PUT", 1, 502, 2, ErrStatus},
		{"DELETE", 1, 500, 2, ErrStatus},
		{"POST", 2, 500, 1, ErrStatus},  // never retried, even if configured
		{"PATCH", 2, 500, 1, ErrStatus}, // never retried, even if configured
		{"GET", 2, 200, 1, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.method, tt.status), func(t *testing.T) {
			var hits atomic.Int32
			_, srv := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.WriteHeader(tt.status)
			})
			cat := compile(t, agentFor(srv.URL, "  - intent: s\n    method: "+tt.method+"\n    endpoint: BASE/x\n"))
			svc := cat.Service("s")
			svc.Retries = tt.retries // POST/PATCH retries are rejected by validation; force them here
			res := (&Executor{}).Execute(context.Background(), svc, Input{})
			if int(hits.Load()) != tt.wantHits || res.Attempts != tt.wantHits {
				t.Errorf("hits %d attempts %d, want %d", hits.Load(), res.Attempts, tt.wantHits)
			}
			if !errors.Is(res.Err, tt.wantError) || (tt.wantError == nil && res.Err != nil) {
				t.Errorf("err %v, want %v", res.Err, tt.wantError)
			}
		})
	}
}

func TestRetryAfterTransportFailure(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens: connection refused
	cat := compile(t, agentFor(url, "  - intent: s\n    method: GET\n    endpoint: BASE/x\n    retries: 2\n"))
	res := (&Executor{}).Execute(context.Background(), cat.Service("s"), Input{})
	if res.Attempts != 3 || !errors.Is(res.Err, ErrTransport) || res.Message != "FALLBACK" {
		t.Errorf("attempts %d err %v message %q", res.Attempts, res.Err, res.Message)
	}
}

func TestMappingListsAndShadowing(t *testing.T) {
	body := `{"slots": [{"time": "09:00"}, {"time": "10:30"}, {"time": "16:00"}], "orders": [{"id": "A-1"}, {"id": "A-9"}], "fecha": "2024-02-01", "empty": []}`
	services := `
  - intent: s
    method: GET
    endpoint: BASE/x
    requiredFields: [{name: fecha, type: date}]
    responseMapping: {horarios: "$.slots[*].time", ultimo: "$.orders[-1].id", fecha: "$.fecha", nada: "$.empty[*]", falta: "$.no.such"}
    responseMessage: "MSG"
`
	for _, tt := range []struct{ lang, msg, want string }{
		{"es", "El {{fecha}} hay horarios a las {{horarios}}; último pedido {{ultimo}}.", "El 2024-02-01 hay horarios a las 09:00, 10:30 y 16:00; último pedido A-9."},
		{"en", "On {{fecha}}: {{horarios}}; last order {{ultimo}}.", "On 2024-02-01: 09:00, 10:30 and 16:00; last order A-9."},
	} {
		_, srv := newAPI(t, jsonAnswer(200, body))
		file := strings.Replace(agentFor(srv.URL, strings.Replace(services, "MSG", tt.msg, 1)), "language: es", "language: "+tt.lang, 1)
		cat := compile(t, file)
		res := (&Executor{}).Execute(context.Background(), cat.Service("s"), Input{Fields: map[string]string{"fecha": "2024-01-15"}})
		if res.Message != tt.want {
			t.Errorf("%s: %q, want %q (%v)", tt.lang, res.Message, tt.want, res.Err)
		}
		var names []string
		for _, v := range res.Vars {
			names = append(names, v.Name)
		}
		if strings.Join(names, ",") != "horarios,ultimo,fecha" {
			t.Errorf("%s: mapped %v; paths that match nothing must create no variable", tt.lang, names)
		}
	}
}

func TestResponseSizeLimit(t *testing.T) {
	big := `{"data": "` + strings.Repeat("x", 3<<20) + `"}`
	_, srv := newAPI(t, jsonAnswer(200, big))
	cat := compile(t, agentFor(srv.URL, "  - intent: s\n    method: GET\n    endpoint: BASE/x\n    responseMessage: ok\n"))
	for _, limit := range []int64{0, 1024} {
		res := (&Executor{MaxResponseBytes: limit}).Execute(context.Background(), cat.Service("s"), Input{})
		if !errors.Is(res.Err, ErrTooLarge) || res.Message != "FALLBACK" {
			t.Errorf("limit %d: %v %q", limit, res.Err, res.Message)
		}
	}
}

// TestSecretsNeverShown: header values appear in no log line, outcome,
// error or redacted request print, whatever happens to the call.
func TestSecretsNeverShown(t *testing.T) {
	t.Setenv("API_TOKEN", secret)
	handlers := map[string]func(http.ResponseWriter, *http.Request){
		"ok":    jsonAnswer(200, `{"ok": true}`),
		"error": jsonAnswer(500, `{"error": "boom"}`),
		"slow":  func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		"echoing": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			w.Write([]byte(`{"error": "bad token", "got": "` + r.Header.Get("Authorization") + `"}`))
		},
	}
	for name, h := range handlers {
		_, srv := newAPI(t, h)
		cat := compile(t, agentFor(srv.URL, `
  - intent: s
    method: GET
    endpoint: BASE/x
    retries: 1
    timeout: 100ms
    headers: {Authorization: "Bearer ${API_TOKEN}", X-Api-Key: "${API_TOKEN}"}
    responseMessage: "done"
`))
		var logs bytes.Buffer
		ex := &Executor{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		res := ex.Execute(context.Background(), cat.Service("s"), Input{})
		var seen strings.Builder
		seen.WriteString(logs.String())
		seen.WriteString(res.Message)
		if res.Err != nil {
			seen.WriteString(res.Err.Error())
		}
		seen.WriteString(strings.Join(res.Request.RedactedHeader(), "\n"))
		out, _ := json.Marshal(res.Outcome)
		seen.Write(out)
		if strings.Contains(seen.String(), secret) {
			t.Errorf("%s: the header value leaked:\n%s", name, seen.String())
		}
		if !strings.Contains(strings.Join(res.Request.RedactedHeader(), "\n"), "Authorization: [redacted]") {
			t.Errorf("%s: redacted headers %v", name, res.Request.RedactedHeader())
		}
	}
}

// TestUnsetVariablesAreNotSent: an agent loaded despite unset variables
// (configs.AllowUnset) sends the requests that do not need them and
// refuses, naming the variables, those that do.
func TestUnsetVariablesAreNotSent(t *testing.T) {
	rec, srv := newAPI(t, jsonAnswer(200, `{"ok": true}`))
	a, err := configs.Parse("test.yaml", []byte(agentFor(srv.URL, `
  - intent: token
    method: GET
    endpoint: BASE/token
    headers: {Authorization: "Bearer ${SOME_TOKEN_UNSET_X}"}
    responseMessage: "OK"
  - intent: base
    method: GET
    endpoint: "${SOME_ROOT_UNSET_X}/base"
    responseMessage: "OK"
  - intent: plain
    method: GET
    endpoint: BASE/plain
    responseMessage: "OK"
`)))
	if err = configs.AllowUnset(err); err != nil {
		t.Fatal(err)
	}
	cat, err := Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		intent, message, err string
	}{
		{"token", "FALLBACK", "unset environment variable: SOME_TOKEN_UNSET_X (the request needs it; nothing was sent)"},
		{"base", "FALLBACK", "unset environment variable: SOME_ROOT_UNSET_X (the request needs it; nothing was sent)"},
		{"plain", "OK", ""},
	}
	for _, tt := range tests {
		t.Run(tt.intent, func(t *testing.T) {
			before := len(rec.all())
			res := (&Executor{}).Execute(t.Context(), cat.Service(tt.intent), Input{})
			errText := ""
			if res.Err != nil {
				errText = res.Err.Error()
			}
			if res.Message != tt.message || errText != tt.err {
				t.Fatalf("message %q, err %q; want %q, %q", res.Message, errText, tt.message, tt.err)
			}
			sent := len(rec.all()) - before
			if (tt.err == "") != (sent == 1) || tt.err != "" && (!errors.Is(res.Err, ErrUnsetEnv) || res.Request != nil) {
				t.Errorf("%d requests sent, request %v", sent, res.Request)
			}
		})
	}
}

package calls

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/telephony"
)

const newsletterAgent = `name: boletin
language: es
services:
  - intent: suscribir
    reference: suscribirse al boletín
    examples: ["quiero suscribirme al boletín"]
    method: POST
    endpoint: https://api.example/subs
    requiredFields:
      - {name: correo, type: email, promptHint: "¿Cuál es tu correo?"}
`

// sse reads a stream of Server-Sent Events into "kind data" lines.
func sse(t *testing.T, url, lastID string) []string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s: %s %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	var out []string
	var kind string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			kind = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			out = append(out, kind+" "+strings.TrimPrefix(line, "data: "))
		}
	}
	return out
}

// TestEventsStream: a call's events as Server-Sent Events — what the
// conversation and the voice runtime (as a telephony.Watcher) report, the
// caller's words withheld while a personal field is asked, resumed after
// Last-Event-ID, ended with the call.
func TestEventsStream(t *testing.T) {
	a, err := configs.Parse(filepath.Join(t.TempDir(), "boletin.yaml"), []byte(newsletterAgent))
	if err != nil {
		t.Fatal(err)
	}
	set := agents.New(agents.Options{})
	t.Cleanup(func() { set.Close() })
	if _, err := set.Add(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	l, err := New(Options{Agents: set, Executors: map[string]session.Executor{"boletin": &fakeExec{}}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	l.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := context.Background()
	conv, err := l.Open(ctx, telephony.CallInfo{ID: "w1", From: "+34600111222", Transport: "webrtc"})
	if err != nil {
		t.Fatal(err)
	}
	s := conv.Session
	w, ok := s.(telephony.Watcher)
	if !ok {
		t.Fatal("the call layer's session is not a telephony.Watcher")
	}
	done := make(chan []string)
	go func() { done <- sse(t, srv.URL+"/v1/calls/w1/events", "") }()
	now := time.Now()
	s.Handle(ctx, dialog.Start{At: now}, func(string) {})
	w.Turn("speaking")
	w.Turn("listening")
	w.Hearing("quiero suscribirme")
	s.Handle(ctx, dialog.Utterance{At: now, Text: "quiero suscribirme al boletín"}, func(string) {})
	w.Hearing("ana punto garcía arroba")
	w.Timed(telephony.TurnTiming{ReplyDelay: 250 * time.Millisecond, Endpointing: 200 * time.Millisecond})
	s.Handle(ctx, dialog.Utterance{At: now, Text: "ana.garcia@example.com"}, func(string) {})
	w.Hearing("ana.garcia@example.com otra vez")
	s.Close("caller-hangup")

	var got []string
	select {
	case got = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not end with the call")
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{`opened {"agent":"boletin"`, `turn {"state":"speaking"}`, `hearing {"private":false,"words":"quiero suscribirme"}`,
		`hearing {"private":true,"words":"[redacted]"}`, `timing {"endpointingMs":200,`, `"replyMs":250`, `field {"name":"correo"`,
		`ended {"outcome":"caller-hangup"`} {
		if !strings.Contains(all, want) {
			t.Errorf("no %s in the stream:\n%s", want, all)
		}
	}
	for _, leak := range []string{"ana.garcia@example.com", "ana punto garcía", "+34600111222"} {
		if strings.Contains(all, leak) {
			t.Errorf("the stream shows %q:\n%s", leak, all)
		}
	}
	// A reader coming back after event 3 gets the rest only; an unknown
	// call is 404.
	if rest := sse(t, srv.URL+"/v1/calls/w1/events", "3"); len(rest) != len(got)-3 || rest[0] != got[3] {
		t.Errorf("after Last-Event-ID 3: %d events, want %d", len(rest), len(got)-3)
	}
	// So does a page that opens the stream anew, saying where it was.
	if rest := sse(t, srv.URL+"/v1/calls/w1/events?lastEventId=3", ""); len(rest) != len(got)-3 || rest[0] != got[3] {
		t.Errorf("after ?lastEventId=3: %d events, want %d", len(rest), len(got)-3)
	}
	// A call asked for before it opens is waited for.
	early := make(chan []string)
	go func() { early <- sse(t, srv.URL+"/v1/calls/w2/events", "") }()
	time.Sleep(100 * time.Millisecond)
	conv2, err := l.Open(ctx, telephony.CallInfo{ID: "w2", Transport: "webrtc"})
	if err != nil {
		t.Fatal(err)
	}
	conv2.Session.Close("caller-hangup")
	if got := <-early; len(got) < 2 || !strings.HasPrefix(got[0], "opened ") {
		t.Errorf("events of a call asked for before it opened: %q", got)
	}
}

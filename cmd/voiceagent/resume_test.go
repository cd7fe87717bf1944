package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/calls"
	"github.com/voiceagent/voiceagent/internal/redistest"
	"github.com/voiceagent/voiceagent/telephony/webrtc/webrtctest"
)

// sse is one Server-Sent Event of a call's stream.
type sse struct {
	id         int64
	name, data string
}

// followEvents reads the call events at u (with Last-Event-ID last, when
// not 0) until the stream ends, sending each to out; it closes out then.
func followEvents(ctx context.Context, u string, last int64, out chan<- sse) {
	defer close(out)
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	if last > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(last, 10))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return
	}
	var ev sse
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.name != "" {
				out <- ev
			}
			ev = sse{}
		case strings.HasPrefix(line, "id: "):
			ev.id, _ = strconv.ParseInt(line[4:], 10, 64)
		case strings.HasPrefix(line, "event: "):
			ev.name = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
}

// TestServeBrowserHandOver: two serve instances share calls through Redis
// (an embedded one, or REDIS_URL's). A browser caller (webrtctest) is
// booking on the first when it shuts down: its call is handed over at
// the next quiet moment and the page told to reconnect; it offers again
// to the second with its call's id and token, hears the apology and the
// pending question, and finishes the booking there. The customer's API
// gets one request with every field; the call's events go on, from the
// second, after the last the first sent (its "ended" says handover).
// Or the caller's network is lost and it comes back through the second
// while the first still holds the call (until its grace is over): the
// same.
func TestServeBrowserHandOver(t *testing.T) {
	t.Run("shut down", func(t *testing.T) { browserHandOver(t, false) })
	t.Run("network lost", func(t *testing.T) { browserHandOver(t, true) })
}

func browserHandOver(t *testing.T, lost bool) {
	caller := e2eSpeech(t)
	api := newBookingAPI(t)
	agentFile := api.agentFile(t, t.TempDir())
	redisURL, prefix := redistest.URL(t)

	var mu sync.Mutex // guards what the test's callbacks write
	fake := fakeVoice(t, []string{"quiero pedir una cita", "María López", "el lunes", "sí"}, "mmm", 12*time.Millisecond)
	vars := map[string]string{
		"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL, "VOICEAGENT_LLM": "off",
		"VOICEAGENT_STT": "openai", "VOICEAGENT_TTS": "openai", "VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1",
		"REDIS_URL": redisURL, "VOICEAGENT_REDIS_PREFIX": prefix, "VOICEAGENT_SECRET": "shared-secret-of-the-test",
	}
	var logs syncBuffer
	type instance struct {
		srv    *server
		base   string
		stop   context.CancelFunc
		served chan error
	}
	start := func(name string) *instance {
		t.Helper()
		a := &app{stdout: &syncBuffer{}, stderr: &syncBuffer{}, log: slog.New(slog.NewTextHandler(&logs, nil)).With("instance", name)}
		ctx, cancel := context.WithCancel(context.Background())
		srv, err := a.newServer(ctx, &serveFlags{configs: []string{agentFile}, drain: 5 * time.Second, instance: name},
			func(k string) string { return vars[k] })
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		in := &instance{srv: srv, base: "http://" + ln.Addr().String(), stop: cancel, served: make(chan error, 1)}
		go func() { in.served <- srv.serve(ctx, ln) }()
		t.Cleanup(func() {
			cancel()
			<-in.served
			srv.close()
		})
		return in
	}
	a, b := start("a"), start("b")
	var said []string // what b's agent says
	b.srv.calls.Observe(func(ev calls.Event) {
		if s, ok := ev.What.(calls.Saying); ok {
			mu.Lock()
			said = append(said, s.Text)
			mu.Unlock()
		}
	})

	// The caller's ears and mouth: when the agent's audio last came, and
	// when what was said last went out.
	var lastHeard, lastSaid time.Time
	saidAll := make(chan struct{}, 1)
	cfg := webrtctest.Config{URL: a.base, Agent: "clinica-telefono",
		OnHeard: func(at time.Time) { mu.Lock(); lastHeard = at; mu.Unlock() },
		OnSend: func(at time.Time, n, left int) {
			if n > 0 && left == 0 {
				mu.Lock()
				lastSaid = at
				mu.Unlock()
				select {
				case saidAll <- struct{}{}:
				default:
				}
			}
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client, err := webrtctest.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { client.Close() }()
	// answer waits for the agent's answer to what the caller did at after:
	// its first audio, then 300 ms without any.
	answer := func(what string, after time.Time) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			last := lastHeard
			mu.Unlock()
			if last.After(after) && time.Since(last) > 300*time.Millisecond {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s; log:\n%s", what, logs.String())
			}
		}
	}
	say := func(c *webrtctest.Client, text string) time.Time {
		t.Helper()
		c.Say(callerSays(t, caller, text))
		select {
		case <-saidAll:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
		mu.Lock()
		defer mu.Unlock()
		return lastSaid
	}

	answer("the greeting", time.Time{})
	answer("the name question", say(client, "quiero pedir una cita"))
	answer("the date question", say(client, "María López"))
	id, token := client.CallID(), client.Token()
	var lastA int64
	if lost {
		// The caller's network is lost; the page reconnects at once, to
		// the other instance, while this one still holds the call.
		client.Cut()
	} else {
		lastA = handOver(t, a.base+"/v1/calls/"+id+"/events?token="+token, client, a.stop, a.served, &logs)
		a.served <- nil // for the cleanup
	}

	// The page offers again, to the second instance, with its call's id
	// and token.
	reconnected := time.Now()

	next, err := client.Reconnect(ctx, b.base)
	if err != nil {
		t.Fatalf("reconnecting: %v; log:\n%s", err, logs.String())
	}
	client = next
	if next.CallID() != id {
		t.Errorf("resumed as call %q; want %q", next.CallID(), id)
	}
	second := make(chan sse, 64)
	go followEvents(ctx, b.base+"/v1/calls/"+id+"/events?token="+token, lastA, second)
	answer("the apology and the date question again", reconnected)
	mu.Lock()
	resumed := slices.Clone(said)
	mu.Unlock()
	if len(resumed) < 2 || resumed[0] != "Perdona, se ha cortado un momento." || resumed[1] != "¿Para qué día?" {
		t.Errorf("the second instance said %q; want the apology and the date question", resumed)
	}
	answer("the phone question", say(next, "el lunes"))
	for _, k := range "612345678#" {
		if err := next.Press(string(k)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(80 * time.Millisecond)
	}
	answer("the read-back", time.Now())
	answer("the booking", say(next, "sí"))

	bodies := api.bookings()
	if len(bodies) != 1 {
		t.Fatalf("the customer API got %d requests: %v; log:\n%s", len(bodies), bodies, logs.String())
	}
	got := bodies[0]
	if got["paciente"] != "María López" || got["telefono"] != "612345678" {
		t.Errorf("booking %v", got)
	}
	if d, err := time.Parse("2006-01-02", fmt.Sprint(got["fecha"])); err != nil || d.Weekday() != time.Monday {
		t.Errorf("date %v: want a Monday", got["fecha"])
	}
	if err := next.Hangup(); err != nil {
		t.Fatal(err)
	}

	// The events went on from the second instance, after the first's.
	var fromB []sse
	for ev := range second {
		fromB = append(fromB, ev)
	}
	names := make([]string, len(fromB))
	for i, ev := range fromB {
		names[i] = ev.name
		if ev.id <= lastA {
			t.Errorf("event %d (%s) from the second instance is not after the first's last, %d", ev.id, ev.name, lastA)
		}
	}
	t.Logf("events from the second instance, after id %d: %v", lastA, names)
	if len(fromB) == 0 || fromB[0].name != "opened" || !slices.Contains(names, "service_finished") || fromB[len(fromB)-1].name != "ended" {
		t.Errorf("the second instance's events: %v", names)
	}
	var end struct{ Outcome string }
	if len(fromB) > 0 {
		_ = json.Unmarshal([]byte(fromB[len(fromB)-1].data), &end)
	}
	if end.Outcome != "caller-hangup" {
		t.Errorf("the call ended as %q", end.Outcome)
	}
	var view calls.View
	for _, v := range b.srv.calls.Calls() {
		if v.ID == id && !v.Live {
			view = v
		}
	}
	if view.Instance != "b" || view.Handovers != 1 || view.Outcome != "caller-hangup" || view.Transport != "webrtc" {
		t.Errorf("the call on b: %+v", view)
	}
	// What the store keeps is the second instance's end: the first's
	// saves, late, did not overwrite it.
	if rec, err := b.srv.store.Load(ctx, id); err != nil || !rec.Ended() || rec.Outcome != "caller-hangup" || rec.View.Instance != "b" {
		t.Errorf("the stored call: %+v, %v", rec, err)
	}
}

// handOver shuts the first instance down (stop) while its call is quiet,
// as an orchestrator does: the call is handed over and the page told to
// reconnect. It returns the id of the last event of the call's stream on
// that instance, which ends with "ended", outcome handover.
func handOver(t *testing.T, events string, client *webrtctest.Client, stop context.CancelFunc, served chan error, logs *syncBuffer) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first := make(chan sse, 64)
	go followEvents(ctx, events, 0, first)
	time.Sleep(100 * time.Millisecond) // the stream is followed
	stop()
	select {
	case <-client.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("the page was not let go; log:\n%s", logs.String())
	}
	if !client.Reconnecting() {
		t.Fatal("the page was not told to reconnect")
	}
	var fromA []sse
	for ev := range first {
		fromA = append(fromA, ev)
	}
	if n := len(fromA); n == 0 || fromA[n-1].name != "ended" || !strings.Contains(fromA[n-1].data, `"outcome":"handover"`) {
		t.Fatalf("the first instance's events end with %+v", fromA[max(len(fromA)-1, 0):])
	}
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
	return fromA[len(fromA)-1].id
}

package twiliovoice

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio"
)

// counting answers every call with an agent that waits for the caller to
// hang up, and counts the calls it was given.
type counting struct {
	n     atomic.Int64
	mu    sync.Mutex
	infos []telephony.CallInfo
}

func (c *counting) Answer(_ context.Context, info telephony.CallInfo, line telephony.Line) (telephony.Inbound, error) {
	c.n.Add(1)
	c.mu.Lock()
	c.infos = append(c.infos, info)
	c.mu.Unlock()
	return &idle{line: line, done: make(chan struct{})}, nil
}

type idle struct {
	line telephony.Line
	once sync.Once
	done chan struct{}
}

func (a *idle) WriteSample(audio.PCM16) error { return nil }
func (a *idle) SampleRate() int               { return telephony.Rate }
func (a *idle) String() string                { return "idle(8000)" }
func (a *idle) DTMF(string)                   {}
func (a *idle) Marked(string)                 {}
func (a *idle) Hangup()                       { a.once.Do(func() { close(a.done) }) }
func (a *idle) Run(ctx context.Context) {
	select {
	case <-a.done:
	case <-ctx.Done():
	}
	_ = a.line.End("")
}

// waitEnd waits for a client's call to end.
func waitEnd(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream was not closed")
	}
}

// TestStreamToken: a stream is a call only with the token its webhook
// minted, for the same agent, caller number and CallSid, once.
func TestStreamToken(t *testing.T) {
	a := &counting{}
	s := newServerWith(t, a, Config{AuthToken: token, Agents: func(n string) (string, bool) {
		return "es", n == "" || n == "clinic" || n == "bank"
	}})
	ctx := context.Background()
	u, params, err := s.ring("/twilio/voice?agent=clinic", "CA1", "+34600111222")
	if err != nil {
		t.Fatal(err)
	}
	if params["token"] == "" || params["agent"] != "clinic" || params["from"] != "+34600111222" {
		t.Fatalf("stream parameters %v", params)
	}
	with := func(k, v string) map[string]string {
		p := map[string]string{}
		for key, val := range params {
			p[key] = val
		}
		if v == "" {
			delete(p, k)
		} else {
			p[k] = v
		}
		return p
	}
	refused := []struct {
		name   string
		sid    string
		params map[string]string
	}{
		{"no token", "CA1", with("token", "")},
		{"a spoofed caller", "CA1", with("from", "+15550000000")},
		{"another agent", "CA1", with("agent", "bank")},
		{"the default agent", "CA1", with("agent", "")},
		{"another call", "CA2", params},
		{"a made-up token", "CA1", with("token", "zzzz.AAAA")},
	}
	for _, r := range refused {
		c, err := s.open(ctx, u, r.sid, r.params)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		waitEnd(t, c.Done())
	}
	if n := a.n.Load(); n != 0 {
		t.Fatalf("%d calls answered for streams that did not match their token", n)
	}
	c, err := s.open(ctx, u, "CA1", params)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); a.n.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if a.n.Load() != 1 {
		t.Fatal("the admitted stream was not answered")
	}
	a.mu.Lock()
	info := a.infos[0]
	a.mu.Unlock()
	if info.Agent != "clinic" || info.From != "+34600111222" || info.Provider != "CA1" {
		t.Errorf("call info %+v", info)
	}
	_ = c.Hangup()
	waitEnd(t, c.Done())
	// The same handshake and token again: refused.
	again, err := s.open(ctx, u, "CA1", params)
	if err != nil {
		t.Fatal(err)
	}
	waitEnd(t, again.Done())
	if n := a.n.Load(); n != 1 {
		t.Errorf("a spent token opened a second call (%d calls)", n)
	}
}

func TestTokens(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	k := newTokens("s")
	tok := k.mint("a", "+1", "CA1", "", now)
	if err := k.spend(tok, "a", "+1", "CA1", "", now.Add(tokenTTL+2*time.Second)); !errors.Is(err, errExpiredToken) {
		t.Errorf("expired: %v", err)
	}
	if err := newTokens("other").spend(tok, "a", "+1", "CA1", "", now); !errors.Is(err, errBadToken) {
		t.Errorf("another key: %v", err)
	}
	// Values are length-prefixed: moving a character between them changes the token.
	if err := k.spend(tok, "a+", "1", "CA1", "", now); !errors.Is(err, errBadToken) {
		t.Errorf("shifted values: %v", err)
	}
	if err := newTokens("s").spend(tok, "a", "+1", "CA1", "", now); err != nil {
		t.Errorf("another instance with the same secret: %v", err)
	}
	if err := k.spend(tok, "a", "+1", "CA1", "", now); err != nil {
		t.Errorf("valid: %v", err)
	}
	if err := k.spend(tok, "a", "+1", "CA1", "", now); !errors.Is(err, errSpentToken) {
		t.Errorf("spent: %v", err)
	}
	// A new call's token does not resume a call, nor one call's another.
	if err := k.spend(k.mint("a", "+1", "CA2", "", now), "a", "+1", "CA2", "c-1", now); !errors.Is(err, errBadToken) {
		t.Errorf("a new call's token taken to resume one: %v", err)
	}
	if err := k.spend(k.mint("a", "+1", "CA2", "c-1", now), "a", "+1", "CA2", "c-2", now); !errors.Is(err, errBadToken) {
		t.Errorf("one call's resume token taken for another: %v", err)
	}
}

// TestUnknownAgent: a call for an agent that does not answer hears an
// apology in the default agent's language and is hung up, with one log
// line; no stream is opened.
func TestUnknownAgent(t *testing.T) {
	var logs bytes.Buffer
	s := newServerWith(t, &counting{}, Config{AuthToken: token, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Agents: func(n string) (string, bool) { return "en", n == "" }})
	status, body, err := s.post("/twilio/voice?agent=nope", map[string][]string{"CallSid": {"CA9"}})
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK || !strings.Contains(body, `<Say language="en-US">Sorry`) || !strings.Contains(body, "<Hangup/>") ||
		strings.Contains(body, "<Stream") {
		t.Errorf("%d %s", status, body)
	}
	if !strings.Contains(logs.String(), "unknown agent") {
		t.Errorf("log: %s", logs.String())
	}
}

// lineCounter counts log lines.
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte("\n"))))
	return len(p), nil
}

// TestSilentStreams: 2,000 websockets that never start a call, against a
// limit of 10 calls: 10 are let in and held until the start deadline,
// the rest refused before the upgrade, with a handful of log lines; then
// a real call gets in.
func TestSilentStreams(t *testing.T) {
	logs := &lineCounter{}
	a := &counting{}
	s := newServerWith(t, a, Config{AuthToken: token, MaxCalls: 10, StartTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	u, params, err := s.ring("/twilio/voice", "CA1", "+34600111222")
	if err != nil {
		t.Fatal(err)
	}
	h := proto.Clone()
	h.Set("X-Twilio-Signature", twilio.Signature(token, u, nil))
	var open []*websocket.Conn
	refused := 0
	for range 2000 {
		c, resp, err := websocket.DefaultDialer.Dial(u, h)
		if err != nil {
			if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("dial: %v", err)
			}
			refused++
			continue
		}
		open = append(open, c)
	}
	if len(open) != 10 || refused != 1990 {
		t.Errorf("%d streams let in, %d refused; want 10 and 1990", len(open), refused)
	}
	if n := logs.n.Load(); n > 5 {
		t.Errorf("%d log lines for 2,000 refusals", n)
	}
	for _, c := range open { // closed by the server at the start deadline
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := c.ReadMessage(); err == nil {
			t.Error("a silent stream got a message")
		} else if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			t.Error("a silent stream was held past the start deadline")
		}
		c.Close()
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		s.tw.mu.Lock()
		p := s.tw.pending
		s.tw.mu.Unlock()
		if p == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d places still held", p)
		}
	}
	c, err := s.open(context.Background(), u, "CA1", params)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); a.n.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if a.n.Load() != 1 {
		t.Error("a real call was not let in after the silent ones")
	}
	_ = c.Hangup()
}

// TestUnsignedPerAddress: without signatures, one address may hold only a
// few streams waiting for their start.
func TestUnsignedPerAddress(t *testing.T) {
	s := newServerWith(t, &counting{}, Config{MaxCalls: 100})
	u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/twilio/stream"
	var open []*websocket.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range maxPendingPerAddress + 1 {
		c, resp, err := websocket.DefaultDialer.Dial(u, nil)
		if i < maxPendingPerAddress {
			if err != nil {
				t.Fatalf("stream %d: %v", i, err)
			}
			open = append(open, c)
			continue
		}
		if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("stream %d from the same address: %v; want 429", i, err)
		}
	}
}

package twiliotest

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio"
)

// fakeServer stands for our server: it accepts Media Streams websockets,
// records what the caller sends (checked with twilio.Parse, as our server
// will), closes the websocket on stop, and lets the test send media, marks
// and clears.
type fakeServer struct {
	*httptest.Server
	conns chan *serverConn
	echo  bool // send every inbound frame of speech (not silence) straight back
}

// serverConn is the server's end of one call.
type serverConn struct {
	t      testing.TB
	ws     *websocket.Conn
	header http.Header
	wmu    sync.Mutex
	sid    string
	done   chan struct{} // closed when the read loop has returned

	mu      sync.Mutex
	events  []received
	readErr error
	changed chan struct{}
}

// received is a message from the caller with its receive time.
type received struct {
	at  time.Time
	ev  twilio.Event
	raw string
}

func newServer(t testing.TB, echo bool) *fakeServer {
	t.Helper()
	s := &fakeServer{conns: make(chan *serverConn, 1024), echo: echo}
	up := websocket.Upgrader{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		sc := &serverConn{t: t, ws: ws, header: r.Header.Clone(), done: make(chan struct{})}
		s.conns <- sc
		sc.readLoop(s.echo)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *fakeServer) url() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/stream" }

// accept returns the next call's server end.
func (s *fakeServer) accept(t testing.TB) *serverConn {
	t.Helper()
	select {
	case sc := <-s.conns:
		t.Cleanup(func() { sc.ws.Close(); <-sc.done })
		return sc
	case <-time.After(5 * time.Second):
		t.Fatal("no connection")
		return nil
	}
}

func (sc *serverConn) readLoop(echo bool) {
	defer close(sc.done)
	var out []byte
	for {
		_, msg, err := sc.ws.ReadMessage()
		now := time.Now()
		if err != nil {
			sc.mu.Lock()
			sc.readErr = err
			sc.notifyLocked()
			sc.mu.Unlock()
			return
		}
		ev, err := twilio.Parse(msg)
		if err != nil {
			sc.t.Errorf("server: the caller sent %s: %v", msg, err)
			continue
		}
		sc.mu.Lock()
		if ev.Event == "start" {
			sc.sid = ev.StreamSid
		}
		if ev.Event == "media" {
			ev.Media.Payload = "" // keep memory small; raw has it
		}
		sc.events = append(sc.events, received{at: now, ev: ev, raw: string(msg)})
		sc.notifyLocked()
		sid := sc.sid
		sc.mu.Unlock()
		if ev.Event == "stop" { // as our server does: the call is over
			sc.wmu.Lock()
			sc.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			sc.wmu.Unlock()
		}
		if echo && ev.Event == "media" {
			if a, ok := twilio.ParseMedia(nil, msg); ok && !bytes.Equal(a, silence) {
				out = twilio.AppendMedia(out[:0], sid, a)
				sc.send(out)
			}
		}
	}
}

func (sc *serverConn) notifyLocked() {
	if sc.changed != nil {
		close(sc.changed)
		sc.changed = nil
	}
}

// wait waits until cond, given everything received so far, holds; it fails
// the test after 10 s.
func (sc *serverConn) wait(t testing.TB, what string, cond func([]received) bool) []received {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		sc.mu.Lock()
		if cond(sc.events) {
			evs := append([]received(nil), sc.events...)
			sc.mu.Unlock()
			return evs
		}
		if sc.readErr != nil {
			err := sc.readErr
			sc.mu.Unlock()
			t.Fatalf("server: waiting for %s: read: %v", what, err)
		}
		if sc.changed == nil {
			sc.changed = make(chan struct{})
		}
		ch := sc.changed
		sc.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("server: no %s in 10 s", what)
		}
	}
}

// waitEnd waits for the read loop to end and returns its error.
func (sc *serverConn) waitEnd(t testing.TB) error {
	t.Helper()
	select {
	case <-sc.done:
	case <-time.After(10 * time.Second):
		t.Fatal("server: the connection did not end")
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.readErr
}

func (sc *serverConn) streamSid(t testing.TB) string {
	t.Helper()
	sc.wait(t, "start", func(evs []received) bool { return count(evs, "start") > 0 })
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.sid
}

func (sc *serverConn) send(msg []byte) {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	sc.ws.WriteMessage(websocket.TextMessage, msg)
}

func (sc *serverConn) sendMedia(t testing.TB, pcm []int16) {
	sc.send(twilio.AppendMedia(nil, sc.streamSid(t), audio.EncodeUlaw(nil, pcm)))
}

func (sc *serverConn) sendMark(t testing.TB, name string) {
	sc.send(twilio.AppendMark(nil, sc.streamSid(t), name))
}

func (sc *serverConn) sendClear(t testing.TB) {
	sc.send(twilio.AppendClear(nil, sc.streamSid(t)))
}

// count counts the messages of an event.
func count(evs []received, event string) int {
	n := 0
	for _, r := range evs {
		if r.ev.Event == event {
			n++
		}
	}
	return n
}

// frames decodes the payloads of the media the caller sent, in order.
func frames(t testing.TB, evs []received) [][]byte {
	t.Helper()
	var out [][]byte
	for _, r := range evs {
		if r.ev.Event != "media" {
			continue
		}
		ev, err := twilio.Parse([]byte(r.raw))
		if err != nil {
			t.Fatal(err)
		}
		b, err := base64.StdEncoding.DecodeString(ev.Media.Payload)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func dial(t testing.TB, s *fakeServer, cfg Config) (*Client, *serverConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, s.url(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, s.accept(t)
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

package lbtest_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/voiceagent/voiceagent/internal/lbtest"
)

// backend is a tiny stand-in for one serve instance: /readyz as serve
// answers it (503 while draining), /who and POST /echo saying which
// instance answered, a websocket echo at /ws and an event stream at
// /events.
type backend struct {
	name string
	srv  *httptest.Server
	// draining makes /readyz answer 503; refusing makes every other
	// request answer 503 (what serve does while draining or at
	// --max-calls), /readyz left alone.
	draining, refusing atomic.Bool
	requests           atomic.Int64 // requests other than /readyz
	refused            atomic.Int64
	mu                 sync.Mutex
	headers            []http.Header // of the requests to /who
	events             chan string   // what /events sends, one event each
}

func newBackend(t *testing.T, name string) *backend {
	b := &backend{name: name, events: make(chan string)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if b.draining.Load() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	mux.HandleFunc("GET /who", func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.headers = append(b.headers, r.Header.Clone())
		b.headers[len(b.headers)-1].Set("Host", r.Host)
		b.mu.Unlock()
		_, _ = io.WriteString(w, b.name)
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%s %s", b.name, body)
	})
	up := websocket.Upgrader{}
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, append([]byte(b.name+" "), msg...)); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case e, ok := <-b.events:
				if !ok {
					return
				}
				fmt.Fprintf(w, "data: %s\n\n", e)
				if rc.Flush() != nil {
					return
				}
			}
		}
	})
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			b.requests.Add(1)
			if b.refusing.Load() {
				b.refused.Add(1)
				http.Error(w, b.name+" is draining", http.StatusServiceUnavailable)
				return
			}
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// pair starts two backends and HAProxy in front of them.
func pair(t *testing.T) (*lbtest.LB, *backend, *backend) {
	t.Helper()
	b1, b2 := newBackend(t, "voiceagent-1"), newBackend(t, "voiceagent-2")
	return lbtest.Run(t, b1.srv.URL, b2.srv.URL), b1, b2
}

var client = &http.Client{Timeout: 20 * time.Second}

// get returns the status and body of GET url.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// post returns the status and body of POST url with body.
func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := client.Post(url, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(got)
}

// server asks HAProxy about one of its servers, failing the test if it
// cannot.
func server(t *testing.T, lb *lbtest.LB, name string) lbtest.Server {
	t.Helper()
	s, err := lb.Server(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitDown waits until HAProxy takes name out of rotation, and says how
// long it took.
func waitDown(t *testing.T, lb *lbtest.LB, name string) time.Duration {
	t.Helper()
	start := time.Now()
	for deadline := start.Add(15 * time.Second); ; {
		s := server(t, lb, name)
		if strings.HasPrefix(s.Status, "DOWN") {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still %q after 15s", name, s.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStartBalancesBoth: requests reach both instances, with the Host
// header as sent, the client's address in X-Forwarded-For and the
// X-Forwarded-Proto of a TLS terminator in front kept.
func TestStartBalancesBoth(t *testing.T) {
	t.Parallel()
	b1, b2 := newBackend(t, "voiceagent-1"), newBackend(t, "voiceagent-2")
	base := lbtest.Start(t, b1.srv.URL, b2.srv.URL)
	seen := map[string]int{}
	for range 20 {
		req, _ := http.NewRequest("GET", base+"/who", nil)
		req.Host = "calls.example.com"
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /who: %d %s", resp.StatusCode, body)
		}
		seen[string(body)]++
	}
	if seen["voiceagent-1"] == 0 || seen["voiceagent-2"] == 0 {
		t.Errorf("20 requests reached %v; want both instances", seen)
	}
	for _, b := range []*backend{b1, b2} {
		b.mu.Lock()
		for _, h := range b.headers {
			if h.Get("Host") != "calls.example.com" || h.Get("X-Forwarded-Proto") != "https" || h.Get("X-Forwarded-For") != "127.0.0.1" {
				t.Errorf("%s got Host %q, X-Forwarded-Proto %q, X-Forwarded-For %q; want calls.example.com, https, 127.0.0.1",
					b.name, h.Get("Host"), h.Get("X-Forwarded-Proto"), h.Get("X-Forwarded-For"))
			}
		}
		b.mu.Unlock()
	}
}

// TestWebsocketPasses: a websocket (a Twilio media stream) is upgraded
// through HAProxy and stays open while quiet.
func TestWebsocketPasses(t *testing.T) {
	t.Parallel()
	lb, _, _ := pair(t)
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(lb.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	defer c.Close()
	say := func(msg string) string {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatalf("write %q: %v", msg, err)
		}
		_, got, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("read the echo of %q: %v", msg, err)
		}
		return string(got)
	}
	first := say("hello")
	if !strings.HasSuffix(first, " hello") {
		t.Fatalf("echo %q", first)
	}
	time.Sleep(2500 * time.Millisecond) // quiet, as a call on hold
	if second := say("again"); second != strings.TrimSuffix(first, "hello")+"again" {
		t.Errorf("after 2.5 s quiet the echo was %q; want it from the same instance (%q)", second, first)
	}
}

// TestEventStreamNotBuffered: each event of a stream reaches the client
// before the next is written.
func TestEventStreamNotBuffered(t *testing.T) {
	t.Parallel()
	lb, b1, b2 := pair(t)
	resp, err := client.Get(lb.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := bufio.NewReader(resp.Body)
	for i := range 3 {
		e := fmt.Sprint("event-", i)
		// Whichever instance holds the stream takes the event; the other
		// has no reader.
		select {
		case b1.events <- e:
		case b2.events <- e:
		case <-time.After(10 * time.Second):
			t.Fatalf("no stream took %s", e)
		}
		line, err := lines.ReadString('\n')
		if err != nil || line != "data: "+e+"\n" {
			t.Fatalf("read %q, %v; want the event %s before the next is written", line, err, e)
		}
		_, _ = lines.ReadString('\n')
	}
}

// TestDeadInstance: an instance whose listener is gone is skipped: a POST
// sent after it died is retried on the other instance with its body, and
// once the health check takes it out no request is tried on it.
func TestDeadInstance(t *testing.T) {
	t.Parallel()
	lb, b1, b2 := pair(t)
	b2.srv.Close()
	retried := false
	for i := range 20 {
		body := fmt.Sprintf("CallSid=CA%d&From=%%2B34600000000", i)
		code, got := post(t, lb.URL+"/echo", body)
		if code != http.StatusOK || got != "voiceagent-1 "+body {
			t.Fatalf("POST %d after voiceagent-2 died: %d %q; want 200 %q", i, code, got, "voiceagent-1 "+body)
		}
		s := server(t, lb, "voiceagent-2")
		if s.Redispatches > 0 {
			retried = true
			break
		}
		if !s.Up() {
			break
		}
	}
	if !retried {
		t.Logf("the health check took voiceagent-2 out before a request was tried on it; no retry seen")
	}
	t.Logf("voiceagent-2 down after %v more", waitDown(t, lb, "voiceagent-2"))
	before := server(t, lb, "voiceagent-2")
	for i := range 20 {
		if code, got := post(t, lb.URL+"/echo", fmt.Sprint("n=", i)); code != http.StatusOK || !strings.HasPrefix(got, "voiceagent-1 ") {
			t.Fatalf("POST with voiceagent-2 down: %d %q", code, got)
		}
	}
	if after := server(t, lb, "voiceagent-2"); after.Sessions != before.Sessions || after.ConnErrors != before.ConnErrors {
		t.Errorf("requests were tried on voiceagent-2 while it was down: %+v, then %+v", before, after)
	}
	if b1.requests.Load() < 20 {
		t.Errorf("voiceagent-1 had %d requests; want 20 or more", b1.requests.Load())
	}
}

// TestDrainingInstanceLeaves: an instance whose /readyz answers 503 is
// taken out of rotation (serve says 503 there as soon as it drains), and
// comes back when it is ready again.
func TestDrainingInstanceLeaves(t *testing.T) {
	t.Parallel()
	lb, _, b2 := pair(t)
	b2.draining.Store(true)
	took := waitDown(t, lb, "voiceagent-2")
	t.Logf("voiceagent-2 out of rotation %v after /readyz said 503", took)
	before := b2.requests.Load()
	for range 20 {
		if code, who := get(t, lb.URL+"/who"); code != http.StatusOK || who != "voiceagent-1" {
			t.Fatalf("GET /who with voiceagent-2 draining: %d %q; want voiceagent-1", code, who)
		}
	}
	if n := b2.requests.Load() - before; n != 0 {
		t.Errorf("voiceagent-2 got %d requests after it was taken out", n)
	}
	b2.draining.Store(false)
	for deadline := time.Now().Add(15 * time.Second); !server(t, lb, "voiceagent-2").Up(); {
		if time.Now().After(deadline) {
			t.Fatal("voiceagent-2 is not back 15 s after /readyz said ready again")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRefusalRetried: a request an instance refuses with 503 (draining,
// before the health check noticed; or at its call limit) is sent again to
// the other instance, a POST with its body.
func TestRefusalRetried(t *testing.T) {
	t.Parallel()
	lb, _, b2 := pair(t)
	b2.refusing.Store(true) // /readyz still says ready: it stays in rotation
	for i := range 10 {
		if code, who := get(t, lb.URL+"/who"); code != http.StatusOK || who != "voiceagent-1" {
			t.Fatalf("GET %d: %d %q; want 200 from voiceagent-1", i, code, who)
		}
		body := fmt.Sprintf(`{"agent":"clinica","sdp":"v=0 %d"}`, i)
		if code, got := post(t, lb.URL+"/echo", body); code != http.StatusOK || got != "voiceagent-1 "+body {
			t.Fatalf("POST %d: %d %q; want 200 %q", i, code, got, "voiceagent-1 "+body)
		}
	}
	if b2.refused.Load() == 0 {
		t.Fatal("voiceagent-2 refused nothing: no request was sent to it, so none was retried")
	}
	if s := server(t, lb, "voiceagent-2"); s.Redispatches == 0 || !s.Up() {
		t.Errorf("voiceagent-2: %+v; want redispatches, and still up", s)
	}
	t.Logf("voiceagent-2 refused %d requests, each answered by voiceagent-1", b2.refused.Load())
	// Both refusing: the client gets the refusal, after the retries.
	lb2, c1, c2 := pair(t)
	c1.refusing.Store(true)
	c2.refusing.Store(true)
	if code, got := post(t, lb2.URL+"/echo", "x=1"); code != http.StatusServiceUnavailable || !strings.Contains(got, "draining") {
		t.Errorf("POST with both refusing: %d %q; want their 503", code, got)
	}
}

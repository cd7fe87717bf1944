package webrtc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/telephony/webrtc/webrtctest"
)

// post sends body to path with the headers h and returns the status,
// the error message of a refusal, and the answer's headers.
func (s *server) post(t *testing.T, path string, h http.Header, body string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e ErrorBody
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
			t.Errorf("a refusal of %d without a JSON error: %q", resp.StatusCode, b)
		}
	}
	return resp.StatusCode, e.Error, resp.Header
}

func offerBody(agent, sdp string) string {
	b, _ := json.Marshal(OfferRequest{Agent: agent, SDP: sdp})
	return string(b)
}

// host is the test server's host:port, as requests name it.
func (s *server) host() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// TestAdmission: each rule refuses with its status and a sentence, in its
// order, before any PeerConnection is made; requests that pass a rule
// fail the next one (a body that is not JSON is refused with 400, after
// the origin, draining and rate rules).
func TestAdmission(t *testing.T) {
	admit := func(r *http.Request, agent string) error {
		if req, ok := Offered(r); ok && req.Token == "embed-ok" {
			return nil // a page's token, in the offer's body
		}
		switch r.Header.Get("Authorization") {
		case "":
			return Unauthorized("Sign in to call.")
		case "Bearer other":
			return Forbidden("This key may not call " + agent + ".")
		case "Bearer broken":
			return errors.New("the key database is down")
		}
		return nil
	}
	agents := func(name string) (string, bool) { return "es", name == "ana" }
	noPCMU := strings.Replace(strings.Replace(offerSDP, " 111 0 126", " 111 126", 1), "a=rtpmap:0 PCMU/8000\r\n", "", 1)
	noAudio := offerSDP[:strings.Index(offerSDP, "m=audio")] + offerSDP[strings.Index(offerSDP, "m=application"):]
	key := http.Header{"Authorization": {"Bearer good"}}
	tests := []struct {
		name   string
		cfg    Config
		header func(s *server) http.Header
		body   string
		status int
		says   string // a part of the message
		cors   bool   // the answer allows the origin
	}{
		{name: "same origin", header: origin("http://HOST"), body: "not json", status: 400, says: "must be JSON"},
		{name: "no origin from a program", body: "not json", status: 400, says: "must be JSON"},
		{name: "another origin", header: origin("http://evil.example"), body: "not json", status: 403, says: "not allowed to place calls"},
		{name: "a browser without origin", header: headers("Sec-Fetch-Site", "cross-site"), body: "not json", status: 403, says: "not allowed"},
		{name: "a listed origin", cfg: Config{Origins: []string{"https://shop.example/"}}, header: origin("https://Shop.example"), body: "not json", status: 400, cors: true},
		{name: "same origin when others are listed", cfg: Config{Origins: []string{"https://shop.example"}}, header: origin("http://HOST"), body: "not json", status: 403},
		{name: "any origin", cfg: Config{Origins: []string{"*"}}, header: origin("https://anyone.example"), body: "not json", status: 400, cors: true},
		{name: "behind a proxy", header: func(*server) http.Header {
			return http.Header{"Origin": {"https://voice.example"}, "X-Forwarded-Host": {"voice.example"}}
		}, body: "not json", status: 400},
		{name: "too large", body: `{"sdp":"` + strings.Repeat("a", 70<<10) + `"}`, status: 413, says: "too large"},
		{name: "no sdp", body: `{"agent":"ana"}`, status: 400, says: "no SDP offer"},
		{name: "bad sdp", body: offerBody("ana", "hello"), status: 400, says: "not valid SDP"},
		{name: "no audio", body: offerBody("ana", noAudio), status: 400, says: "has no audio"},
		{name: "no PCMU", body: offerBody("ana", noPCMU), status: 400, says: "PCMU"},
		{name: "a bad agent name", body: offerBody("a\nb", offerSDP), status: 400, says: "agent name"},
		{name: "unknown agent", cfg: Config{Agents: agents}, body: offerBody("bob", offerSDP), status: 404, says: `No agent named "bob"`},
		{name: "not signed in", cfg: Config{Admit: admit}, body: offerBody("ana", offerSDP), status: 401, says: "Sign in to call."},
		{name: "not allowed", cfg: Config{Admit: admit}, header: headers("Authorization", "Bearer other"), body: offerBody("ana", offerSDP), status: 403, says: "may not call ana"},
		{name: "Admit fails", cfg: Config{Admit: admit}, header: headers("Authorization", "Bearer broken"), body: offerBody("ana", offerSDP), status: 403, says: "This call is not allowed."},
		{name: "Admit before the agent", cfg: Config{Admit: admit, Agents: agents}, body: offerBody("bob", offerSDP), status: 401},
		{name: "admitted, unknown agent", cfg: Config{Admit: admit, Agents: agents}, header: func(*server) http.Header { return key }, body: offerBody("bob", offerSDP), status: 404},
		{name: "admitted by the body's token", cfg: Config{Admit: admit, Agents: agents}, body: `{"agent":"bob","token":"embed-ok","sdp":` + quote(offerSDP) + `}`, status: 404},
		{name: "a wrong token in the body", cfg: Config{Admit: admit, Agents: agents}, body: `{"agent":"bob","token":"embed-bad","sdp":` + quote(offerSDP) + `}`, status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, &agent{}, tt.cfg)
			var h http.Header
			if tt.header != nil {
				h = tt.header(s)
			}
			status, says, header := s.post(t, "/webrtc/offer", h, tt.body)
			if status != tt.status || !strings.Contains(says, tt.says) {
				t.Errorf("answered %d %q; want %d saying %q", status, says, tt.status, tt.says)
			}
			if got := header.Get("Access-Control-Allow-Origin"); (got != "") != tt.cors {
				t.Errorf("Access-Control-Allow-Origin %q; want it %v", got, tt.cors)
			}
			if strings.Contains(says, "database") {
				t.Errorf("the refusal tells the Admit hook's error: %q", says)
			}
			if n := s.tr.pcs.Load(); n != 0 {
				t.Errorf("%d PeerConnections made for a refused offer", n)
			}
		})
	}
}

// origin is a header of Origin o, with HOST the test server's host.
func origin(o string) func(*server) http.Header {
	return func(s *server) http.Header {
		return http.Header{"Origin": {strings.Replace(o, "HOST", s.host(), 1)}}
	}
}

func headers(k, v string) func(*server) http.Header {
	return func(*server) http.Header { return http.Header{k: {v}} }
}

// TestRateLimit: an address may make OffersPerMinute offers at once,
// then one more as each share of the minute passes; a refusal says when
// to try again.
func TestRateLimit(t *testing.T) {
	s := newServer(t, &agent{}, Config{OffersPerMinute: 2})
	clock := t0
	s.tr.now = func() time.Time { return clock }
	for i, want := range []struct {
		after time.Duration
		code  int
	}{{0, 400}, {0, 400}, {0, 429}, {29 * time.Second, 429}, {time.Second, 400}, {0, 429}} {
		clock = clock.Add(want.after)
		status, says, h := s.post(t, "/webrtc/offer", nil, "not json")
		if status != want.code {
			t.Errorf("offer %d: %d %q; want %d", i, status, says, want.code)
		}
		if status == 429 && h.Get("Retry-After") == "" {
			t.Errorf("offer %d: 429 without Retry-After", i)
		}
	}
}

// TestLimiter: buckets per address, refilled in proportion to the time,
// never above the limit; idle addresses are forgotten when there are too
// many.
func TestLimiter(t *testing.T) {
	l := newLimiter(3)
	steps := []struct {
		addr string
		at   time.Duration
		want bool
	}{
		{"a", 0, true}, {"a", 0, true}, {"a", 0, true}, {"a", 0, false},
		{"b", 0, true}, // another address has its own
		{"a", 19 * time.Second, false}, {"a", 20 * time.Second, true}, {"a", 20 * time.Second, false},
		{"a", time.Hour, true}, {"a", time.Hour, true}, {"a", time.Hour, true}, {"a", time.Hour, false}, // refilled to 3, not more
	}
	for i, s := range steps {
		if got := l.allow(s.addr, t0.Add(s.at)); got != s.want {
			t.Errorf("step %d (%s at %v): %v; want %v", i, s.addr, s.at, got, s.want)
		}
	}
	for i := range maxBuckets {
		l.allow(string(rune(i)), t0)
	}
	l.allow("new", t0.Add(2*time.Minute))
	if len(l.buckets) > 2 {
		t.Errorf("%d buckets kept after idle ones should have been forgotten", len(l.buckets))
	}
}

// TestMaxCalls: past MaxCalls calls, counting one still connecting, an
// offer is refused with 503 before a PeerConnection is made; a place
// freed is taken again.
func TestMaxCalls(t *testing.T) {
	a := &agent{calls: make(chan *answered, 2)}
	s := newServer(t, a, Config{MaxCalls: 1, Grace: time.Second, PlayoutDelay: time.Second})
	ctx := context.Background()
	c, err := s.dial(ctx, webrtctest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	first := <-a.calls
	status, says, _ := s.post(t, "/webrtc/offer", nil, offerBody("", offerSDP))
	if status != 503 || !strings.Contains(says, "busy") {
		t.Errorf("an offer past the limit: %d %q", status, says)
	}
	if n := s.tr.pcs.Load(); n != 1 {
		t.Errorf("%d PeerConnections made; want the first call's alone", n)
	}
	_ = c.Hangup()
	waitFor(t, "the first call to end", func() bool { return s.tr.Active() == 0 })
	<-first.ran
	if _, err := s.dial(ctx, webrtctest.Config{}); err != nil {
		t.Errorf("a call after the first ended: %v", err)
	}
}

// TestDrain: a draining transport refuses offers with 503 and, when the
// wait is over, ends the calls in progress.
func TestDrain(t *testing.T) {
	a := &agent{calls: make(chan *answered, 1)}
	s := newServer(t, a, testConfig())
	if _, err := s.dial(context.Background(), webrtctest.Config{}); err != nil {
		t.Fatal(err)
	}
	call := <-a.calls
	ctx, cancel := context.WithCancel(context.Background())
	drained := make(chan struct{})
	go func() {
		s.tr.Drain(ctx)
		close(drained)
	}()
	waitFor(t, "the transport to drain", s.tr.Draining)
	status, says, _ := s.post(t, "/webrtc/offer", nil, offerBody("", offerSDP))
	if status != 503 || !strings.Contains(says, "restarting") {
		t.Errorf("an offer while draining: %d %q", status, says)
	}
	select {
	case <-drained:
		t.Fatal("Drain returned with a call in progress")
	default:
	}
	cancel()
	<-drained
	<-call.ran
	if n := s.tr.Active(); n != 0 {
		t.Errorf("%d calls left after the drain", n)
	}
}

// TestPreflight: a listed origin's preflight is allowed to POST JSON
// with an Authorization header; another's is refused.
func TestPreflight(t *testing.T) {
	s := newServer(t, &agent{}, Config{Origins: []string{"https://shop.example"}})
	for _, tt := range []struct {
		origin string
		status int
	}{{"https://shop.example", 204}, {"https://evil.example", 403}} {
		req, _ := http.NewRequest("OPTIONS", s.srv.URL+"/webrtc/offer", nil)
		req.Header.Set("Origin", tt.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		status, _, h := do(t, req)
		if status != tt.status {
			t.Errorf("%s: %d; want %d", tt.origin, status, tt.status)
		}
		if tt.status == 204 && (h.Get("Access-Control-Allow-Origin") != tt.origin || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization")) {
			t.Errorf("%s: allowed with %v", tt.origin, h)
		}
	}
}

// TestConfigEndpoint: GET /webrtc/config hands the page its ICE servers,
// under the same origin rules and Admit hook as offers.
func TestConfigEndpoint(t *testing.T) {
	servers := []ICEServer{{URLs: []string{"stun:stun.example:3478"}}, {URLs: []string{"turn:turn.example:3478?transport=udp"}, Username: "u", Credential: "p"}}
	s := newServer(t, &agent{}, Config{ICEServers: servers, Admit: func(r *http.Request, agent string) error {
		if agent != "ana" {
			return Forbidden("Only ana.")
		}
		return nil
	}})
	get := func(path, origin string) (int, []byte) {
		req, _ := http.NewRequest("GET", s.srv.URL+path, nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, body := get("/webrtc/config?agent=ana", "http://"+s.host())
	var got struct {
		ICEServers []ICEServer `json:"iceServers"`
	}
	if err := json.Unmarshal(body, &got); status != 200 || err != nil || len(got.ICEServers) != 2 || got.ICEServers[1].Credential != "p" {
		t.Errorf("config: %d %s", status, body)
	}
	if status, body := get("/webrtc/config?agent=bob", ""); status != 403 {
		t.Errorf("config refused by Admit: %d %s", status, body)
	}
	if status, body := get("/webrtc/config?agent=ana", "https://evil.example"); status != 403 {
		t.Errorf("config for another origin: %d %s", status, body)
	}
	s.tr.ICEServers()[0].URLs[0] = "changed"
	if s.tr.ICEServers()[0].URLs[0] != "stun:stun.example:3478" {
		t.Error("ICEServers hands out the transport's own slices")
	}
}

// TestNewRefusesBadConfig: a configuration that cannot work fails New.
func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{IPs: []string{"127.0.0.1"}, ICEServers: []ICEServer{{URLs: []string{"http://stun.example"}}}},
		{IPs: []string{"127.0.0.1"}, PublicIP: "my.host"},
		{IPs: []string{"::1"}},
		{IPs: []string{"not an ip"}},
		{IPs: []string{"192.0.2.1"}}, // not an address of this host
	} {
		if tr, err := New(&agent{}, cfg); err == nil {
			_ = tr.Close()
			t.Errorf("New took %+v", cfg)
		}
	}
}

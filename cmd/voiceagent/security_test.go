package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/calls"
	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
	"github.com/voiceagent/voiceagent/telephony/webrtc/webrtctest"
)

func postForm(t *testing.T, u string, form url.Values) string {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// ring places a call as an unsigned Twilio would: the webhook, then the
// stream its TwiML names with the parameters it passes.
func ring(t *testing.T, ctx context.Context, base, agent, sid string) *twiliotest.Client {
	t.Helper()
	body := postForm(t, base+"/twilio/voice?agent="+url.QueryEscape(agent), url.Values{"CallSid": {sid}})
	var doc struct {
		Stream struct {
			URL    string `xml:"url,attr"`
			Params []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"Parameter"`
		} `xml:"Connect>Stream"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil || doc.Stream.URL == "" {
		t.Fatalf("webhook: %s", body)
	}
	params := map[string]string{}
	for _, p := range doc.Stream.Params {
		params[p.Name] = p.Value
	}
	// Behind no proxy the TwiML says wss://; this server is plain.
	u := strings.Replace(doc.Stream.URL, "wss://", "ws://", 1)
	c, err := twiliotest.Dial(ctx, u, twiliotest.Config{CallSid: sid, Parameters: params})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startServe runs serve on loopback with the environment vars and flags
// f, and returns its base URL.
func startServe(t *testing.T, f *serveFlags, vars map[string]string, to *timeouts) (*server, string) {
	t.Helper()
	var out bytes.Buffer
	a := &app{stdout: &out, stderr: &out, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := a.newServer(ctx, f, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	if to != nil {
		srv.timeouts = *to
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-served
		srv.close()
	})
	return srv, "http://" + ln.Addr().String()
}

const testKey = "k3y-for-tests-0123456789"

// TestServeAPIKey: with VOICEAGENT_API_KEY the calls API and /metrics need
// one of its keys (either, while rotating), unless --metrics-public; the
// webhook and health checks do not.
func TestServeAPIKey(t *testing.T) {
	vars := map[string]string{"VOICEAGENT_TTS": "off", "VOICEAGENT_API_KEY": "old-key-0123456789abc, " + testKey}
	_, base := startServe(t, &serveFlags{}, vars, nil)
	status := func(method, path, key string) int {
		req, _ := http.NewRequest(method, base+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range []struct {
		method, path, key string
		want              int
	}{
		{"GET", "/v1/calls", "", 401},
		{"GET", "/v1/calls", "wrong-key-0123456789", 401},
		{"GET", "/v1/calls", testKey[:len(testKey)-1], 401},
		{"GET", "/v1/calls", testKey, 200},
		{"GET", "/v1/calls", "old-key-0123456789abc", 200},
		{"GET", "/v1/calls/nope", "", 401},
		{"GET", "/v1/calls/nope/transcript", "", 401},
		{"DELETE", "/v1/calls/nope", "", 401},
		{"DELETE", "/v1/calls/nope", testKey, 404},
		{"GET", "/metrics", "", 401},
		{"GET", "/metrics", testKey, 200},
		{"GET", "/healthz", "", 200},
		{"GET", "/readyz", "", 200},
	} {
		if got := status(tt.method, tt.path, tt.key); got != tt.want {
			t.Errorf("%s %s with key %q: %d; want %d", tt.method, tt.path, tt.key, got, tt.want)
		}
	}
	_, pub := startServe(t, &serveFlags{metricsPublic: true}, vars, nil)
	if resp, err := http.Get(pub + "/metrics"); err != nil || resp.StatusCode != 200 {
		t.Errorf("--metrics-public: %v %v", resp, err)
	}
}

// TestGuardWithoutKeys: with no key, the API answers loopback only.
func TestGuardWithoutKeys(t *testing.T) {
	h := guard{}.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	for addr, want := range map[string]int{"127.0.0.1:5000": 200, "[::1]:5000": 200, "203.0.113.7:5000": 403, "10.0.0.2:5000": 403, "bad": 403} {
		r := httptest.NewRequest("GET", "/v1/calls", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("from %s: %d; want %d", addr, w.Code, want)
		}
	}
	if _, err := parseKeys("short"); err == nil {
		t.Error("a 5-character key was accepted")
	}
}

// TestServeHoldsNoConnectionForFree: a body sent a byte at a time and an
// idle keep-alive connection are both closed by the server.
func TestServeHoldsNoConnectionForFree(t *testing.T) {
	to := timeouts{header: time.Second, read: time.Second, write: 2 * time.Second, idle: time.Second}
	_, base := startServe(t, &serveFlags{}, map[string]string{"VOICEAGENT_TTS": "off"}, &to)
	addr := strings.TrimPrefix(base, "http://")
	closedWithin := func(c net.Conn, guard time.Duration) bool {
		_ = c.SetReadDeadline(time.Now().Add(guard))
		_, err := io.ReadAll(c)
		return !errors.Is(err, os.ErrDeadlineExceeded)
	}

	// A slow body to the webhook: a byte every 300 ms of 1,000 announced.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "POST /twilio/voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n")
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
				if _, err := slow.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	if !closedWithin(slow, 15*time.Second) {
		t.Error("a slow body held its connection")
	}
	close(stop)

	// An idle keep-alive connection after one request.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	if !closedWithin(idle, 15*time.Second) {
		t.Error("an idle keep-alive connection was held")
	}
}

// TestServeFlags: every --config is served; numbers that make no sense
// are refused with a clear error.
func TestServeFlags(t *testing.T) {
	a := writeFile(t, "a.yaml", "name: uno\nlanguage: es\nservices:\n  - intent: hola\n    reference: saludar\n    method: GET\n    endpoint: http://127.0.0.1:1/x\n")
	b := writeFile(t, "b.yaml", "name: two\nlanguage: en\nservices:\n  - intent: hello\n    reference: say hello\n    method: GET\n    endpoint: http://127.0.0.1:1/x\n")
	srv, _ := startServe(t, &serveFlags{configs: []string{a, b}}, map[string]string{"VOICEAGENT_TTS": "off"}, nil)
	if got := agentNames(srv.set.Agents()); len(got) != 2 {
		t.Errorf("serve -c a -c b serves %v", got)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--max-calls", "0"}, "--max-calls 0: want a positive number"},
		{[]string{"serve", "--max-calls", "-5"}, "--max-calls -5"},
		{[]string{"serve", "--drain", "-1s"}, "--drain -1s"},
		{[]string{"serve", "--retention", "0s"}, "--retention \"0s\""},
		{[]string{"serve", "--retention", "soon"}, "--retention \"soon\""},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, %q; want %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestServeWebTokens: the page's config is public; embed tokens are
// minted with the API key only; a call token opens that call's events
// and transcript and no other's.
func TestServeWebTokens(t *testing.T) {
	vars := map[string]string{"VOICEAGENT_TTS": "off", "VOICEAGENT_API_KEY": testKey}
	srv, base := startServe(t, &serveFlags{iceServers: []string{"stun:127.0.0.1:3478", "turn:127.0.0.1:3478,u,p"}}, vars, nil)
	var cfg struct {
		Agents []struct {
			Name     string
			Services []string
		}
		ICEServers []iceServer
		Speech     struct{ STT, TTS bool }
	}
	resp, err := http.Get(base + "/v1/web/config")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("config: %v %v", resp, err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(cfg.Agents) != 3 || len(cfg.Agents[0].Services) == 0 || len(cfg.ICEServers) != 2 || cfg.ICEServers[1].Username != "u" ||
		cfg.Speech.STT || cfg.Speech.TTS {
		t.Errorf("config %+v", cfg)
	}
	mint := func(key, body string) (int, map[string]string) {
		req, _ := http.NewRequest("POST", base+"/v1/web/tokens", strings.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, _ := mint("", `{"agent":"clinica-central"}`); code != 401 {
		t.Errorf("minting without the key: %d", code)
	}
	for body, want := range map[string]int{`{"agent":"nadie"}`: 404, `{"agent":"clinica-central","ttl":"48h"}`: 400, `nope`: 400} {
		if code, out := mint(testKey, body); code != want || out["error"] == "" {
			t.Errorf("mint %s: %d %v; want %d with an error", body, code, out, want)
		}
	}
	code, out := mint(testKey, `{"agent":"clinica-central","ttl":"5m"}`)
	if code != 200 || srv.key.Check(out["token"], purposeEmbed, time.Now(), "clinica-central") != nil || out["expires"] == "" {
		t.Errorf("mint: %d %v", code, out)
	}

	// A call's token opens its events and transcript, not another call's,
	// and not the list.
	client := ring(t, context.Background(), base, "clinica-central", "CA1")
	defer client.Close()
	var id string
	for deadline := time.Now().Add(5 * time.Second); id == ""; time.Sleep(5 * time.Millisecond) {
		if cs := srv.calls.Calls(); len(cs) == 1 {
			id = cs[0].ID
		}
		if time.Now().After(deadline) {
			t.Fatal("no call")
		}
	}
	tok := srv.callToken(id)
	get := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for path, want := range map[string]int{
		"/v1/calls/" + id + "/transcript?token=" + tok:                    200,
		"/v1/calls/" + id + "/transcript":                                 401,
		"/v1/calls/" + id + "/transcript?token=" + srv.callToken("other"): 403,
		"/v1/calls/other/transcript?token=" + tok:                         403,
		"/v1/calls/" + id + "?token=" + tok:                               401,
		"/v1/calls?token=" + tok:                                          401,
		"/v1/calls/" + id + "/events?token=" + out["token"]:               403,
	} {
		if got := get(path); got != want {
			t.Errorf("GET %s: %d; want %d", path, got, want)
		}
	}
	_ = client.Hangup()
	<-client.Done()
	if got := get("/v1/calls/" + id + "/events?token=" + tok); got != 200 {
		t.Errorf("events of the ended call with its token: %d", got)
	}
}

// TestServeSharedCallLimit: --max-calls bounds phone and browser calls
// together: a phone call in progress fills a server with a limit of one
// for browsers too, and a browser call for phones.
func TestServeSharedCallLimit(t *testing.T) {
	vars := map[string]string{"VOICEAGENT_TTS": "off", "VOICEAGENT_MAX_CALLS": "1", "VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1"}
	srv, base := startServe(t, &serveFlags{}, vars, nil)
	ctx := context.Background()
	phone := ring(t, ctx, base, "clinica-central", "CA1")
	for deadline := time.Now().Add(5 * time.Second); srv.twilio.Active() != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the phone call did not start")
		}
	}
	_, err := webrtctest.Dial(ctx, webrtctest.Config{URL: base})
	var refused *webrtctest.Refused
	if !errors.As(err, &refused) || refused.Status != http.StatusServiceUnavailable {
		t.Errorf("a browser call beside a phone call with --max-calls 1: %v; want 503", err)
	}
	_ = phone.Hangup()
	<-phone.Done()
	for deadline := time.Now().Add(5 * time.Second); srv.twilio.Active() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the phone call did not end")
		}
	}
	browser, err := webrtctest.Dial(ctx, webrtctest.Config{URL: base})
	if err != nil {
		t.Fatalf("a browser call once the phone call ended: %v", err)
	}
	defer browser.Close()
	if resp, err := http.PostForm(base+"/twilio/voice", url.Values{"CallSid": {"CA2"}}); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a phone call beside a browser call with --max-calls 1: %v %v; want 503", resp, err)
	}
}

// TestServeBrowserTokens: an offer with an embed token needs a good one
// for its agent; with VOICEAGENT_WEBRTC_REQUIRE_TOKEN every offer needs
// one.
func TestServeBrowserTokens(t *testing.T) {
	ctx := context.Background()
	for _, require := range []bool{false, true} {
		vars := map[string]string{"VOICEAGENT_TTS": "off", "VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1",
			"VOICEAGENT_WEBRTC_REQUIRE_TOKEN": fmt.Sprint(require)}
		srv, base := startServe(t, &serveFlags{}, vars, nil)
		exp := time.Now().Add(time.Minute)
		for _, tt := range []struct {
			name, agent, token string
			want               int // 0: admitted
		}{
			{"no token", "", "", map[bool]int{false: 0, true: 401}[require]},
			{"a token for the agent", "tienda-online", srv.key.Mint(purposeEmbed, exp, "tienda-online"), 0},
			{"a token for the default agent", "", srv.key.Mint(purposeEmbed, exp, "clinica-central"), 0},
			{"a token for another agent", "tienda-online", srv.key.Mint(purposeEmbed, exp, "clinica-central"), 401},
			{"an expired token", "tienda-online", srv.key.Mint(purposeEmbed, time.Now().Add(-time.Minute), "tienda-online"), 401},
			{"a call token", "tienda-online", srv.key.Mint(purposeCall, exp, "tienda-online"), 401},
		} {
			c, err := webrtctest.Dial(ctx, webrtctest.Config{URL: base, Agent: tt.agent, Token: tt.token})
			var refused *webrtctest.Refused
			switch {
			case tt.want == 0 && err != nil:
				t.Errorf("require %v, %s: %v", require, tt.name, err)
			case tt.want != 0 && (!errors.As(err, &refused) || refused.Status != tt.want):
				t.Errorf("require %v, %s: %v; want %d", require, tt.name, err, tt.want)
			}
			if err == nil {
				c.Close()
			}
		}
	}
}

// TestServeBrowserResume: a page goes on with its call only with that
// call's token (an embed token, another call's or an expired one will
// not do, whatever --webrtc-require-token says); the call must still be
// going on (409 otherwise); and it is then the same call, taken over.
func TestServeBrowserResume(t *testing.T) {
	ctx := context.Background()
	for _, require := range []bool{false, true} {
		vars := map[string]string{"VOICEAGENT_TTS": "off", "VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1",
			"VOICEAGENT_WEBRTC_REQUIRE_TOKEN": fmt.Sprint(require)}
		srv, base := startServe(t, &serveFlags{}, vars, nil)
		exp := time.Now().Add(time.Minute)
		c, err := webrtctest.Dial(ctx, webrtctest.Config{URL: base, Agent: "tienda-online", Token: srv.key.Mint(purposeEmbed, exp, "tienda-online")})
		if err != nil {
			t.Fatal(err)
		}
		id := c.CallID()
		waitCall := func(what string, ok func(calls.View) bool) calls.View {
			t.Helper()
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				for _, v := range srv.calls.Calls() {
					if v.ID == id && ok(v) {
						return v
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("require %v: waiting for the call %s: %+v", require, what, srv.calls.Calls())
				}
			}
		}
		// Once the call runs (a page gone before it does leaves no call),
		// the page goes without a hang-up: the call is lost, not over.
		waitCall("to run", func(v calls.View) bool { return v.Live && v.Turns == 0 && v.State.Phase == "listening" })
		c.Close()
		waitCall("to be lost", func(v calls.View) bool { return v.Outcome == "connection-lost" })
		for _, tt := range []struct {
			name, resume, token string
			want                int
		}{
			{"no token", id, "", 401},
			{"the embed token", id, srv.key.Mint(purposeEmbed, exp, "tienda-online"), 403},
			{"another call's token", id, srv.callToken("another"), 403},
			{"an expired token", id, srv.key.Mint(purposeCall, time.Now().Add(-time.Minute), id), 401},
			{"an unknown call", "0123456789abcdef", srv.callToken("0123456789abcdef"), 409},
		} {
			_, err := webrtctest.Dial(ctx, webrtctest.Config{URL: base, Agent: "tienda-online", Resume: tt.resume, Token: tt.token})
			var refused *webrtctest.Refused
			if !errors.As(err, &refused) || refused.Status != tt.want {
				t.Errorf("require %v, %s: %v; want %d", require, tt.name, err, tt.want)
			}
		}
		if n := srv.webrtc.Active(); n != 0 {
			t.Errorf("require %v: %d calls left by refused offers", require, n)
		}
		next, err := webrtctest.Dial(ctx, webrtctest.Config{URL: base, Agent: "tienda-online", Resume: id, Token: srv.callToken(id)})
		if err != nil {
			t.Fatalf("require %v: resuming with the call's token: %v", require, err)
		}
		if next.CallID() != id {
			t.Errorf("require %v: resumed as call %q; want %q", require, next.CallID(), id)
		}
		waitCall("to go on, taken over", func(v calls.View) bool { return v.Live && v.Outcome == "" && v.Handovers == 1 })
		if err := next.Hangup(); err != nil {
			t.Fatal(err)
		}
		waitCall("to end", func(v calls.View) bool { return !v.Live && v.Outcome == "caller-hangup" })
		if _, err := webrtctest.Dial(ctx, webrtctest.Config{URL: base, Agent: "tienda-online", Resume: id, Token: srv.callToken(id)}); err == nil ||
			!strings.Contains(err.Error(), "409") {
			t.Errorf("require %v: resuming a call hung up: %v; want 409", require, err)
		}
	}
}

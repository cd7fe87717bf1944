package twiliovoice

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/transporttest"
	"github.com/voiceagent/voiceagent/telephony/twilio"
	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
)

const token = "secret"

// server runs a Transport for a on loopback, signing as Twilio would
// behind a proxy chain (X-Forwarded-Proto: the first is the client's).
type server struct {
	t      testing.TB
	tw     *Transport
	srv    *httptest.Server
	client *http.Client
	n      atomic.Int64
}

func newServer(t *testing.T, a telephony.Answerer) *server {
	return newServerWith(t, a, Config{AuthToken: token})
}

func newServerWith(t testing.TB, a telephony.Answerer, cfg Config) *server {
	s := &server{t: t, tw: New(a, cfg), client: &http.Client{}}
	mux := http.NewServeMux()
	s.tw.Register(mux)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.srv.Close()
		s.client.CloseIdleConnections()
	})
	return s
}

var proto = http.Header{"X-Forwarded-Proto": {"http, https"}}

// post sends a signed form to path and returns the answer's body.
func (s *server) post(path string, form url.Values) (int, string, error) {
	req, _ := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header = proto.Clone()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilio.Signature(token, s.srv.URL+path, form))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// twiml is the part of the webhook's answer a call follows.
type twiml struct {
	Stream struct {
		URL    string `xml:"url,attr"`
		Params []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"Parameter"`
	} `xml:"Connect>Stream"`
	Say string `xml:"Say"`
}

// ring posts the voice webhook for call sid from a number (path may carry
// ?agent=) and returns the stream's URL and parameters.
func (s *server) ring(path, sid, from string) (string, map[string]string, error) {
	status, body, err := s.post(path, url.Values{"CallSid": {sid}, "From": {from}})
	if err != nil {
		return "", nil, err
	}
	var doc twiml
	if status != http.StatusOK || xml.Unmarshal([]byte(body), &doc) != nil || doc.Stream.URL == "" {
		return "", nil, fmt.Errorf("webhook: %d %s", status, body)
	}
	params := map[string]string{}
	for _, p := range doc.Stream.Params {
		params[p.Name] = p.Value
	}
	return doc.Stream.URL, params, nil
}

// open opens the stream at u, signed, with start carrying sid and params.
func (s *server) open(ctx context.Context, u, sid string, params map[string]string) (*twiliotest.Client, error) {
	h := proto.Clone()
	h.Set("X-Twilio-Signature", twilio.Signature(token, u, nil))
	c, err := twiliotest.Dial(ctx, u, twiliotest.Config{CallSid: sid, Header: h, Parameters: params})
	if err != nil {
		return nil, err
	}
	s.t.Cleanup(func() { c.Close() })
	return c, nil
}

// Dial rings the voice webhook, then opens the stream its TwiML names.
func (s *server) Dial(ctx context.Context) (transporttest.Peer, error) {
	sid := fmt.Sprintf("CA%032d", s.n.Add(1))
	u, params, err := s.ring("/twilio/voice", sid, "+34600111222")
	if err != nil {
		return nil, err
	}
	c, err := s.open(ctx, u, sid, params)
	if err != nil {
		return nil, err
	}
	return &peer{Client: c, s: s}, nil
}

// peer is the simulated Twilio caller as transporttest sees it.
type peer struct {
	*twiliotest.Client
	s *server
}

func (p *peer) Say(pcm audio.PCM16)          { p.Client.Say(pcm) }
func (p *peer) Press(digit string) error     { return p.DTMF(digit) }
func (p *peer) Played() audio.PCM16          { return p.Client.Played() }
func (p *peer) Transferred() (string, error) { return p.s.after(p.CallSid()) }

var dialed = regexp.MustCompile(`<Dial>([^<]*)</Dial>`)

// after asks what to do once the stream of call sid has ended, as Twilio
// does: the number dialled, or "" for a hang-up.
func (s *server) after(sid string) (string, error) {
	status, twiml, err := s.post("/twilio/after", url.Values{"CallSid": {sid}})
	switch {
	case err != nil:
		return "", err
	case status != http.StatusOK:
		return "", fmt.Errorf("after: %d %s", status, twiml)
	case strings.Contains(twiml, "<Hangup/>"):
		return "", nil
	}
	if m := dialed.FindStringSubmatch(twiml); m != nil {
		return m[1], nil
	}
	return "", fmt.Errorf("after: neither a hang-up nor a dial: %s", twiml)
}

// TestConformance: the Twilio transport does what every transport must.
func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T, a telephony.Answerer) transporttest.Dialer { return newServer(t, a) })
}

// transferring answers every call by saying a little and transferring it.
type transferring struct{}

func (transferring) Answer(_ context.Context, _ telephony.CallInfo, line telephony.Line) (telephony.Inbound, error) {
	return &agent{line: line, heard: make(chan struct{})}, nil
}

type agent struct {
	line  telephony.Line
	once  sync.Once
	heard chan struct{} // the mark after the words came back
}

func (a *agent) WriteSample(audio.PCM16) error { return nil }
func (a *agent) SampleRate() int               { return telephony.Rate }
func (a *agent) String() string                { return "agent(8000)" }
func (a *agent) DTMF(string)                   {}
func (a *agent) Marked(string)                 { a.once.Do(func() { close(a.heard) }) }
func (a *agent) Hangup()                       {}

func (a *agent) Run(ctx context.Context) {
	tone := audio.PCM16(twiliotest.Sine(440, 200*time.Millisecond))
	for off := 0; off+160 <= len(tone); off += 160 {
		_ = a.line.WriteSample(tone[off : off+160])
	}
	_ = a.line.Mark("0.end")
	select {
	case <-a.heard:
	case <-ctx.Done():
	}
	_ = a.line.End("+34910000000")
}

// TestTransfer: an agent that transfers ends the stream after its words,
// and Twilio's question to /twilio/after is answered with a <Dial> to the
// number, once; an unsigned stream is refused.
func TestTransfer(t *testing.T) {
	s := newServer(t, transferring{})
	stream := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/twilio/stream"
	if _, err := twiliotest.Dial(context.Background(), stream, twiliotest.Config{Header: proto}); err == nil {
		t.Error("an unsigned stream was accepted")
	}
	u, params, err := s.ring("/twilio/voice", "CA42", "+34600111222")
	if err != nil {
		t.Fatal(err)
	}
	client, err := s.open(context.Background(), u, "CA42", params)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-client.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end after the transfer")
	}
	if len(client.Played()) == 0 {
		t.Error("the caller heard nothing before the transfer")
	}
	for deadline := time.Now().Add(5 * time.Second); s.tw.Active() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if got, err := s.after("CA42"); err != nil || got != "+34910000000" {
		t.Errorf("after the transfer: %q %v", got, err)
	}
	if got, err := s.after("CA42"); err != nil || got != "" {
		t.Errorf("asked again: %q %v; want a hang-up", got, err)
	}
}

// recording answers calls with an agent that stays until hung up, and
// keeps what it was told: each call's info, and whether its connection
// was lost or handed over.
type recording struct {
	mu    sync.Mutex
	infos []telephony.CallInfo
	calls []*held
}

type held struct {
	agent
	lost, handover atomic.Bool
	hung           chan struct{}
	once           sync.Once
}

func (h *held) Hangup()   { h.once.Do(func() { close(h.hung) }) }
func (h *held) Lost()     { h.lost.Store(true) }
func (h *held) HandOver() { h.handover.Store(true); h.Hangup() }
func (h *held) Run(ctx context.Context) {
	select {
	case <-h.hung:
	case <-ctx.Done():
	}
	if h.handover.Load() {
		_ = h.line.End("") // as the runtime does: the stream ends, not the call
	}
}

func (r *recording) Answer(_ context.Context, info telephony.CallInfo, line telephony.Line) (telephony.Inbound, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := &held{agent: agent{line: line}, hung: make(chan struct{})}
	r.infos = append(r.infos, info)
	r.calls = append(r.calls, h)
	return h, nil
}

func (r *recording) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.infos)
}

func (r *recording) last() (telephony.CallInfo, *held) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.infos[len(r.infos)-1], r.calls[len(r.calls)-1]
}

// continuer is the calls as every instance shares them: by CallSid, the
// call that goes on, or the transfer it ended with.
type continuer map[string]telephony.Continuation

func (c continuer) Continue(_ context.Context, transport, provider string) (telephony.Continuation, error) {
	next, ok := c[provider]
	if !ok || transport != "twilio" {
		return telephony.Continuation{}, fmt.Errorf("no call %s", provider)
	}
	return next, nil
}

// TestContinue: when a stream ends without a stop, the call is told its
// connection was lost; Twilio's question to /twilio/after is answered,
// for a call that goes on, with a new stream signed for it, which opens
// the call with Resume; a resume token does not open another call; a
// transfer another instance recorded is dialled; a stop is a hang-up.
func TestContinue(t *testing.T) {
	rec := &recording{}
	next := continuer{
		"CA1": {Call: &telephony.CallInfo{ID: "call-1", Agent: "clinica", From: "+34600111222", Resume: true}},
		"CA2": {Transfer: "+34910000000"},
	}
	s := newServerWith(t, rec, Config{AuthToken: token, Continuer: next, Agents: func(string) (string, bool) { return "es", true }})
	ctx := context.Background()
	u, params, err := s.ring("/twilio/voice", "CA1", "+34600111222")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.open(ctx, u, "CA1", params)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); s.tw.Active() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	_, first := rec.last()
	c.Close() // the connection breaks: no stop
	<-first.hung
	if !first.lost.Load() {
		t.Error("a broken stream was not reported as a lost connection")
	}

	status, body, err := s.post("/twilio/after", url.Values{"CallSid": {"CA1"}, "CallStatus": {"in-progress"}})
	var doc twiml
	if err != nil || status != 200 || xml.Unmarshal([]byte(body), &doc) != nil || doc.Stream.URL == "" {
		t.Fatalf("after a lost connection: %d %s %v", status, body, err)
	}
	params = map[string]string{}
	for _, p := range doc.Stream.Params {
		params[p.Name] = p.Value
	}
	if params["resume"] != "call-1" || params["agent"] != "clinica" || params["from"] != "+34600111222" {
		t.Errorf("the new stream's parameters: %v", params)
	}
	// The token opens this call's stream only.
	forged := maps(params, "resume", "call-2")
	if c, err := s.open(ctx, doc.Stream.URL, "CA1", forged); err == nil {
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Error("a stream resuming another call was answered")
		}
	}
	c2, err := s.open(ctx, doc.Stream.URL, "CA1", params)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); rec.count() < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	info, second := rec.last()
	if !info.Resume || info.ID != "call-1" || info.From != "+34600111222" || info.Provider != "CA1" {
		t.Errorf("resumed as %+v", info)
	}
	if err := c2.Hangup(); err != nil {
		t.Fatal(err)
	}
	<-second.hung
	if second.lost.Load() {
		t.Error("a stop was taken for a lost connection")
	}
	if got, err := s.after("CA2"); err != nil || got != "+34910000000" {
		t.Errorf("after another instance's transfer: %q %v", got, err)
	}
	if got, err := s.after("CA3"); err != nil || got != "" {
		t.Errorf("after an unknown call: %q %v; want a hang-up", got, err)
	}
}

func maps(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		if key != k {
			out[key] = val
		}
	}
	return out
}

// TestHandOverDrain: a draining instance hands its calls over: each ends its
// stream (not the call) at once, and no new call is taken.
func TestHandOverDrain(t *testing.T) {
	rec := &recording{}
	s := newServerWith(t, rec, Config{AuthToken: token})
	ctx := context.Background()
	u, params, err := s.ring("/twilio/voice", "CA7", "+34600111222")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.open(ctx, u, "CA7", params)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); s.tw.Active() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s.tw.HandOver(dctx)
	if _, h := rec.last(); !h.handover.Load() {
		t.Error("the call was not handed over")
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived the hand-over")
	}
	if status, _, _ := s.post("/twilio/voice", url.Values{"CallSid": {"CA8"}}); status != http.StatusServiceUnavailable {
		t.Errorf("a new call while handing over: %d", status)
	}
}

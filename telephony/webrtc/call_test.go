package webrtc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/transporttest"
	"github.com/voiceagent/voiceagent/telephony/webrtc/webrtctest"
)

// agent answers calls as the runtime would, recording what the transport
// feeds each, running script (if any) on its line, then waiting for the
// caller to hang up and ending the line.
type agent struct {
	calls  chan *answered // nil: calls are not reported
	refuse error
	// refuseResume, when set, refuses the calls that go on (Resume).
	refuseResume error
	// script plays the agent's part; it returns true when it ended the
	// line itself.
	script func(ctx context.Context, a *answered) bool
}

func (g *agent) Answer(_ context.Context, info telephony.CallInfo, line telephony.Line) (telephony.Inbound, error) {
	if g.refuse != nil {
		return nil, g.refuse
	}
	if info.Resume && g.refuseResume != nil {
		return nil, g.refuseResume
	}
	a := &answered{info: info, line: line, script: g.script, hungUp: make(chan struct{}), ran: make(chan struct{}),
		handover: make(chan struct{}), marked: map[string]chan struct{}{}}
	if g.calls != nil {
		g.calls <- a
	}
	return a, nil
}

type answered struct {
	sinkRec
	info    telephony.CallInfo
	line    telephony.Line
	script  func(context.Context, *answered) bool
	hangups atomic.Int32
	hungUp  chan struct{}
	once    sync.Once
	ran     chan struct{}
	// lost: Lost was called (the connection broke); lostFirst: before
	// Hangup.
	lost, lostFirst atomic.Bool
	handover        chan struct{} // closed by HandOver
	handOnce        sync.Once
	outcome         atomic.Value // the outcome Run ended with: "handover", "connection-lost" or ""

	mmu    sync.Mutex
	marked map[string]chan struct{}
	typed  []string // guarded by sinkRec.mu
}

func (a *answered) Hangup() {
	a.hangups.Add(1)
	a.once.Do(func() {
		a.lostFirst.Store(a.lost.Load())
		close(a.hungUp)
	})
}

// Lost records that the connection broke, as *telephony.Call does.
func (a *answered) Lost() { a.lost.Store(true) }

// HandOver ends the call as handed over, as *telephony.Call does at its
// next quiet moment (here at once, unless the script is running).
func (a *answered) HandOver() { a.handOnce.Do(func() { close(a.handover) }) }

func (a *answered) Marked(name string) {
	a.sinkRec.Marked(name)
	ch := a.mark(name)
	a.mmu.Lock()
	defer a.mmu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// mark is closed once the mark name has come back.
func (a *answered) mark(name string) chan struct{} {
	a.mmu.Lock()
	defer a.mmu.Unlock()
	if a.marked[name] == nil {
		a.marked[name] = make(chan struct{})
	}
	return a.marked[name]
}

func (a *answered) Run(ctx context.Context) {
	defer close(a.ran)
	if a.script != nil && a.script(ctx, a) {
		return
	}
	outcome := ""
	select {
	case <-a.hungUp:
		if a.lost.Load() {
			outcome = telephony.OutcomeLost
		}
	case <-a.handover:
		outcome = telephony.OutcomeHandover
	case <-ctx.Done():
		if errors.Is(context.Cause(ctx), telephony.ErrHandover) {
			outcome = telephony.OutcomeHandover
		}
	}
	a.outcome.Store(outcome)
	if o, ok := a.line.(telephony.Outcomer); ok && outcome != "" {
		o.Outcome(outcome)
	}
	_ = a.line.End("")
}

// ended is the outcome Run ended with, once it has.
func (a *answered) ended() string {
	s, _ := a.outcome.Load().(string)
	return s
}

// say writes n frames of a tone and marks name after them.
func (a *answered) say(n int, name string) {
	tone := slices.Repeat(audio.PCM16{8000, -8000}, frameLen/2)
	for range n {
		_ = a.line.WriteSample(tone)
	}
	_ = a.line.Mark(name)
}

// Typed records words typed on the page: answered is a telephony.Typist.
func (a *answered) Typed(text string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.typed = append(a.typed, text)
}

func (a *answered) Texts() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.typed)
}

func (a *answered) Keys() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.keys)
}

// waitFor waits for cond, failing after transporttest.Guard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(transporttest.Guard); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// wait waits for ch, failing after transporttest.Guard.
func wait(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(transporttest.Guard):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// TestCodecs: the answer has PCMU and telephone-event, and Opus when the
// browser offers it (it may send Opus, which is decoded; the agent's side
// is PCMU); an offer without PCMU is refused with a sentence that names
// it.
func TestCodecs(t *testing.T) {
	a := &agent{calls: make(chan *answered, 1)}
	cfg := testConfig()
	cfg.CallToken = func(call, agent string) string { return "tok-" + call + "-" + agent }
	s := newServer(t, a, cfg)
	ctx := context.Background()
	c, err := s.dial(ctx, webrtctest.Config{Codecs: []string{"opus", "PCMU"}, Agent: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "tok-" + c.CallID() + "-ana"; c.Token() != want {
		t.Errorf("the answer's token %q; want %q", c.Token(), want)
	}
	if got, want := c.Codecs(), []string{"opus/48000/2", "PCMU/8000", "telephone-event/8000"}; !slices.Equal(got, want) {
		t.Errorf("answered with %q; want %q", got, want)
	}
	call := <-a.calls
	if call.info.Transport != "webrtc" || call.info.ID != c.CallID() || !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(call.info.ID) {
		t.Errorf("the call was answered as %+v; the client was told %q", call.info, c.CallID())
	}
	if call.line.String() != "ulaw-encode(8000) -> webrtc(8000)" || call.line.SampleRate() != telephony.Rate {
		t.Errorf("the line is %s at %d Hz", call.line, call.line.SampleRate())
	}
	_, err = s.dial(ctx, webrtctest.Config{Codecs: []string{"opus"}})
	var refused *webrtctest.Refused
	if !errors.As(err, &refused) || refused.Status != 400 || !strings.Contains(refused.Message, "PCMU") {
		t.Errorf("an offer of opus alone: %v", err)
	}
}

var candidate = regexp.MustCompile(`a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host`)

// TestOnePort: every call's answer has host candidates on the one media
// port, and on the public IP alone when one is set.
func TestOnePort(t *testing.T) {
	s := newServer(t, &agent{}, testConfig())
	_, port, _ := net.SplitHostPort(s.tr.MediaAddrs()[0])
	for range 2 {
		c, err := s.dial(context.Background(), webrtctest.Config{})
		if err != nil {
			t.Fatal(err)
		}
		got := candidate.FindAllStringSubmatch(c.Answer(), -1)
		if len(got) != 1 || got[0][1] != "127.0.0.1" || got[0][2] != port {
			t.Errorf("answer candidates %q; want 127.0.0.1:%s alone", got, port)
		}
	}
}

// TestPublicIP: the answer's candidates carry the public IP in place of
// the local one.
func TestPublicIP(t *testing.T) {
	cfg := testConfig()
	cfg.PublicIP, cfg.ConnectTimeout = "203.0.113.7", 100*time.Millisecond
	s := newServer(t, &agent{}, cfg)
	answer := s.answer(t, offerSDP)
	got := candidate.FindAllStringSubmatch(answer, -1)
	if len(got) != 1 || got[0][1] != "203.0.113.7" {
		t.Errorf("answer candidates %q; want the public IP alone", got)
	}
	// The call never connects, and is given up.
	waitFor(t, "the unconnected call to be given up", func() bool { return s.tr.Active() == 0 })
}

// answer posts an offer and returns the answer's SDP.
func (s *server) answer(t *testing.T, sdp string) string {
	t.Helper()
	resp, err := s.srv.Client().Post(s.srv.URL+"/webrtc/offer", "application/json", strings.NewReader(offerBody("", sdp)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a OfferAnswer
	if err := jsonDecode(resp.Body, &a); err != nil || resp.StatusCode != 200 || a.Call == "" {
		t.Fatalf("offer: %d %v", resp.StatusCode, err)
	}
	return a.SDP
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// TestKeys: keys come by control messages and as RFC 4733
// telephone-events, in order; what is not a key is dropped.
func TestKeys(t *testing.T) {
	for _, rtp := range []bool{false, true} {
		t.Run(map[bool]string{false: "control", true: "telephone-event"}[rtp], func(t *testing.T) {
			a := &agent{calls: make(chan *answered, 1)}
			s := newServer(t, a, testConfig())
			c, err := s.dial(context.Background(), webrtctest.Config{KeysAsRTP: rtp})
			if err != nil {
				t.Fatal(err)
			}
			call := <-a.calls
			want := []string{"1", "#", "*", "0", "9"}
			for i, k := range want {
				if err := c.Press(k); err != nil {
					t.Fatal(err)
				}
				if i == 1 && !rtp { // not keys: dropped
					for _, bad := range []string{"x", "12", "", "A"} {
						_ = c.Send(map[string]string{"type": "dtmf", "digit": bad})
					}
					_ = c.SendRaw([]byte(`{"type":"dtmf","digit":`))
				}
			}
			waitFor(t, "the keys", func() bool { return len(call.Keys()) >= len(want) })
			if got := call.Keys(); !slices.Equal(got, want) {
				t.Errorf("keys %q; want %q", got, want)
			}
		})
	}
}

// TestTyped: words typed on the page reach a call that takes text, in
// order; blank or broken ones are dropped.
func TestTyped(t *testing.T) {
	a := &agent{calls: make(chan *answered, 1)}
	s := newServer(t, a, testConfig())
	c, err := s.dial(context.Background(), webrtctest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	call := <-a.calls
	for _, m := range []any{map[string]string{"type": "text", "text": "quiero una cita"}, map[string]string{"type": "text", "text": "  "},
		map[string]any{"type": "text", "text": 5}, map[string]string{"type": "text", "text": "el lunes"}} {
		if err := c.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the typed words", func() bool { return len(call.Texts()) >= 2 })
	if got := call.Texts(); !slices.Equal(got, []string{"quiero una cita", "el lunes"}) {
		t.Errorf("typed %q", got)
	}
}

// TestCallerHangsUp: however the caller leaves — a hang-up message, the
// control channel closed, the PeerConnection closed — the call is told
// once, Run ends, and its place is free. Only the hang-up message is a
// hang-up: without it the connection is lost (Lost before Hangup), and
// the page may come back to the call.
func TestCallerHangsUp(t *testing.T) {
	for _, tt := range []struct {
		name  string
		leave func(*webrtctest.Client) error
		lost  bool
	}{
		{"hang-up message", (*webrtctest.Client).Hangup, false},
		{"control channel closed", (*webrtctest.Client).CloseControl, true},
		{"PeerConnection closed", func(c *webrtctest.Client) error { c.Close(); return nil }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := &agent{calls: make(chan *answered, 1)}
			s := newServer(t, a, testConfig())
			c, err := s.dial(context.Background(), webrtctest.Config{})
			if err != nil {
				t.Fatal(err)
			}
			call := <-a.calls
			if err := tt.leave(c); err != nil {
				t.Fatal(err)
			}
			wait(t, "the call to end", call.ran)
			waitFor(t, "the call's place", func() bool { return s.tr.Active() == 0 })
			if n := call.hangups.Load(); n != 1 {
				t.Errorf("Hangup called %d times; want once", n)
			}
			if call.lost.Load() != tt.lost || call.lostFirst.Load() != tt.lost {
				t.Errorf("Lost called: %v (before Hangup: %v); want %v", call.lost.Load(), call.lostFirst.Load(), tt.lost)
			}
		})
	}
}

// TestAgentHangsUp: the agent's End sends what is queued, tells the page,
// and closes the call; the caller's side is not reported as a hang-up.
func TestAgentHangsUp(t *testing.T) {
	a := &agent{calls: make(chan *answered, 1), script: func(ctx context.Context, a *answered) bool {
		a.say(10, "bye")
		_ = a.line.End("") // without waiting for the mark: End flushes
		return true
	}}
	s := newServer(t, a, testConfig())
	c, err := s.dial(context.Background(), webrtctest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	call := <-a.calls
	wait(t, "the caller to see the end", c.Done())
	wait(t, "Run", call.ran)
	waitFor(t, "the call's place", func() bool { return s.tr.Active() == 0 })
	if n := len(c.Played()) / frameLen; n != 10 {
		t.Errorf("the caller heard %d frames of the 10 queued before End", n)
	}
	if n := call.hangups.Load(); n != 0 {
		t.Errorf("Hangup called %d times after the agent ended the call", n)
	}
	if to, _ := c.Transferred(); to != "" {
		t.Errorf("transferred to %q", to)
	}
}

// TestNetworkLost: a caller whose network goes silent, without a word,
// has lost the connection after the grace: Lost, then Hangup, and the
// call ends as connection-lost.
func TestNetworkLost(t *testing.T) {
	a := &agent{calls: make(chan *answered, 1)}
	s := newServer(t, a, testConfig())
	c, err := s.dial(context.Background(), webrtctest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	call := <-a.calls
	c.Cut()
	wait(t, "the call to be hung up", call.hungUp)
	wait(t, "Run", call.ran)
	waitFor(t, "the call's place", func() bool { return s.tr.Active() == 0 })
	if n := call.hangups.Load(); n != 1 {
		t.Errorf("Hangup called %d times; want once", n)
	}
	if !call.lostFirst.Load() || call.ended() != telephony.OutcomeLost {
		t.Errorf("Lost before Hangup: %v; the call ended as %q", call.lostFirst.Load(), call.ended())
	}
}

// TestWithoutControl: a page without a data channel is answered on its
// media alone; its marks come back after the playout delay, and the
// agent's hang-up closes its PeerConnection. So do a page's that does
// not echo marks.
func TestWithoutControl(t *testing.T) {
	for _, cfg := range []webrtctest.Config{{NoControl: true}, {NoEcho: true}} {
		a := &agent{calls: make(chan *answered, 1), script: func(ctx context.Context, a *answered) bool {
			a.say(5, "said")
			select {
			case <-a.mark("said"):
			case <-ctx.Done():
			}
			_ = a.line.End("")
			return true
		}}
		tc := testConfig()
		tc.PlayoutDelay = 50 * time.Millisecond
		s := newServer(t, a, tc)
		c, err := s.dial(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		call := <-a.calls
		wait(t, "the mark", call.mark("said"))
		wait(t, "the caller to see the end", c.Done())
		wait(t, "Run", call.ran)
		if c.Stats().Echoed != 0 {
			t.Errorf("%+v: the client echoed marks", cfg)
		}
	}
}

// TestRefused: a call the Answerer refuses is told so and closed (the
// caller may see that before its own side has finished connecting).
func TestRefused(t *testing.T) {
	s := newServer(t, &agent{refuse: errors.New("no such agent")}, testConfig())
	c, err := s.dial(context.Background(), webrtctest.Config{})
	if err == nil {
		wait(t, "the caller to see the end", c.Done())
	} else if !strings.Contains(err.Error(), "ended before it connected") {
		t.Fatal(err)
	}
	waitFor(t, "the call's place", func() bool { return s.tr.Active() == 0 })
}

// TestClearMidUtterance: Clear drops what is queued at once: of 5 s
// queued, the caller hears a little; the marks come back; a new
// utterance is heard whole.
func TestClearMidUtterance(t *testing.T) {
	cleared := make(chan struct{})
	a := &agent{calls: make(chan *answered, 1), script: func(ctx context.Context, a *answered) bool {
		a.say(250, "long")
		select {
		case <-cleared:
		case <-ctx.Done():
			return false
		}
		_ = a.line.Clear()
		a.say(5, "short")
		return false
	}}
	s := newServer(t, a, testConfig())
	c, err := s.dial(context.Background(), webrtctest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	call := <-a.calls
	waitFor(t, "the caller to hear the agent", func() bool { return len(c.Played()) > 0 })
	close(cleared)
	wait(t, "the cleared mark", call.mark("long"))
	wait(t, "the mark after the clear", call.mark("short"))
	if n := len(c.Played()) / frameLen; n >= 250 {
		t.Errorf("the caller heard %d frames: nothing was cleared", n)
	}
	call.mu.Lock()
	got := slices.Clone(call.sinkRec.marks)
	call.mu.Unlock()
	if !slices.Equal(got, []string{"long", "short"}) {
		t.Errorf("marks came back as %q", got)
	}
}

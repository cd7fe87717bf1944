package webrtc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/transporttest"
	"github.com/voiceagent/voiceagent/telephony/webrtc/webrtctest"
)

// resumeAdmit is a server's rule for resumed calls, as serve's is: an
// offer to resume a call must carry that call's token ("token-" + its
// id, here); a new call needs none.
func resumeAdmit(r *http.Request, _ string) error {
	o, ok := Offered(r)
	switch {
	case !ok:
		return errors.New("not an offer")
	case o.Resume == "":
		return nil
	case o.Token == "":
		return Unauthorized("Resuming a call needs its token.")
	case o.Token != "token-"+o.Resume:
		return Forbidden("This token does not open this call.")
	}
	return nil
}

func resumeConfig() Config {
	cfg := testConfig()
	cfg.Admit = resumeAdmit
	cfg.CallToken = func(call, _ string) string { return "token-" + call }
	return cfg
}

func resumeBody(agent, sdp, resume, token string) string {
	b, _ := json.Marshal(OfferRequest{Agent: agent, SDP: sdp, Resume: resume, Token: token})
	return string(b)
}

// TestResumeRefused: an offer to resume a call is the server's to admit
// (none without an Admit), with the call's token; and the Answerer's to
// take over: a call that cannot go on is refused in the answer (409, or
// the Answerer's own refusal). No refused offer makes a PeerConnection
// or leaves a call behind.
func TestResumeRefused(t *testing.T) {
	ended := errors.New("taking the call over: the call has ended")
	for _, tt := range []struct {
		name   string
		cfg    Config
		refuse error // the Answerer's, for calls that go on
		body   string
		status int
		says   string
	}{
		{"no Admit", testConfig(), nil, resumeBody("", offerSDP, "c1", "token-c1"), 403, "does not resume"},
		{"no token", resumeConfig(), nil, resumeBody("", offerSDP, "c1", ""), 401, "needs its token"},
		{"another call's token", resumeConfig(), nil, resumeBody("", offerSDP, "c1", "token-c2"), 403, "does not open"},
		{"not a call id", resumeConfig(), nil, resumeBody("", offerSDP, "c1/../x", "token-c1/../x"), 400, "not a valid call id"},
		{"ended", resumeConfig(), ended, resumeBody("", offerSDP, "c1", "token-c1"), 409, "cannot go on"},
		{"the Answerer's refusal", resumeConfig(), &Refusal{Status: 503, Message: "Try again in a moment."},
			resumeBody("", offerSDP, "c1", "token-c1"), 503, "Try again"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := &agent{calls: make(chan *answered, 1), refuseResume: tt.refuse}
			s := newServer(t, a, tt.cfg)
			status, says, _ := s.post(t, "/webrtc/offer", nil, tt.body)
			if status != tt.status || !strings.Contains(says, tt.says) {
				t.Errorf("%d %q; want %d, %q", status, says, tt.status, tt.says)
			}
			if n := s.tr.pcs.Load(); n != 0 {
				t.Errorf("%d PeerConnections made", n)
			}
			if n := s.tr.Active(); n != 0 {
				t.Errorf("%d calls left", n)
			}
			select {
			case call := <-a.calls:
				t.Errorf("a call was answered: %+v", call.info)
			default:
			}
		})
	}
}

// TestResume: a caller whose network is lost comes back with its call's
// id and token: the call is answered as that call going on (Resume), the
// answer names it and its token, and it runs over the new connection.
// The old connection ends as lost — after the grace when the caller
// comes back later, at once when it comes back before the transport has
// noticed. The new connection's hang-up is a hang-up.
func TestResume(t *testing.T) {
	for _, tt := range []struct {
		name  string
		after bool // the caller comes back after the old connection has ended
	}{{"after the loss", true}, {"before the loss is noticed", false}} {
		t.Run(tt.name, func(t *testing.T) {
			a := &agent{calls: make(chan *answered, 2), script: func(ctx context.Context, a *answered) bool {
				a.say(5, "hello")
				return false
			}}
			s := newServer(t, a, resumeConfig())
			ctx := context.Background()
			c, err := s.dial(ctx, webrtctest.Config{Agent: "ana"})
			if err != nil {
				t.Fatal(err)
			}
			first := <-a.calls
			if first.info.Resume || c.Token() != "token-"+c.CallID() {
				t.Fatalf("a new call: %+v, token %q", first.info, c.Token())
			}
			waitFor(t, "the greeting", func() bool { return len(c.Played()) >= 5*frameLen })
			c.Cut()
			if tt.after {
				wait(t, "the lost connection to end", first.ran)
			}
			next, err := c.Reconnect(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(next.Close)
			wait(t, "the old connection to end", first.ran)
			if !first.lostFirst.Load() || first.ended() != telephony.OutcomeLost {
				t.Errorf("the old connection: Lost before Hangup %v, ended as %q", first.lostFirst.Load(), first.ended())
			}
			second := <-a.calls
			want := telephony.CallInfo{ID: c.CallID(), Agent: "ana", Transport: "webrtc", Resume: true}
			if second.info != want {
				t.Errorf("resumed as %+v; want %+v", second.info, want)
			}
			if next.CallID() != c.CallID() || next.Token() != c.Token() {
				t.Errorf("the answer names call %q, token %q; want %q, %q", next.CallID(), next.Token(), c.CallID(), c.Token())
			}
			waitFor(t, "the agent over the new connection", func() bool { return len(next.Played()) >= 5*frameLen })
			if err := next.Press("5"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the key over the new connection", func() bool { return len(second.Keys()) == 1 })
			if err := next.Hangup(); err != nil {
				t.Fatal(err)
			}
			wait(t, "the call to end", second.ran)
			if second.lost.Load() || second.ended() != "" {
				t.Errorf("a hang-up after the resume: Lost %v, ended as %q", second.lost.Load(), second.ended())
			}
			waitFor(t, "the places", func() bool { return s.tr.Active() == 0 })
		})
	}
}

// TestResumeNeverConnects: a call answered for an offer to resume it
// whose connection never comes is ended as lost, without having run, so
// that the page may try again.
func TestResumeNeverConnects(t *testing.T) {
	a := &agent{calls: make(chan *answered, 1)}
	cfg := resumeConfig()
	cfg.ConnectTimeout = 300 * time.Millisecond
	s := newServer(t, a, cfg)
	status, says, _ := s.post(t, "/webrtc/offer", nil, resumeBody("", offerSDP, "c7", "token-c7"))
	if status != 200 {
		t.Fatalf("%d %q", status, says)
	}
	call := <-a.calls
	wait(t, "the call to end", call.ran)
	if !call.lostFirst.Load() || call.ended() != telephony.OutcomeLost || !call.info.Resume {
		t.Errorf("Lost before Hangup %v, ended as %q, %+v", call.lostFirst.Load(), call.ended(), call.info)
	}
	waitFor(t, "the place", func() bool { return s.tr.Active() == 0 })
}

// TestHandOver: a transport handed over refuses new offers and ends each
// call at its next quiet moment as handed over (the call's HandOver, or,
// for one that has none, once the wait is over); its page is told to
// reconnect, not hung up, and goes on with the call elsewhere.
func TestHandOver(t *testing.T) {
	for _, tt := range []struct {
		name      string
		handOver  bool // the Inbound has HandOver
		wait      time.Duration
		wantEarly bool // the call ends before the wait is over
	}{{"at the next quiet moment", true, transporttest.Guard, true}, {"when the wait is over", false, 200 * time.Millisecond, false}} {
		t.Run(tt.name, func(t *testing.T) {
			a := &agent{calls: make(chan *answered, 1)}
			s := newServer(t, a, resumeConfig())
			c, err := s.dial(context.Background(), webrtctest.Config{})
			if err != nil {
				t.Fatal(err)
			}
			call := <-a.calls
			if !tt.handOver {
				call.handOnce.Do(func() {}) // HandOver does nothing now
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.wait)
			defer cancel()
			start := time.Now()
			s.tr.HandOver(ctx)
			if tt.wantEarly && time.Since(start) >= tt.wait {
				t.Error("HandOver waited for its deadline")
			}
			wait(t, "Run", call.ran)
			if call.ended() != telephony.OutcomeHandover || call.lost.Load() {
				t.Errorf("the call ended as %q (lost %v)", call.ended(), call.lost.Load())
			}
			wait(t, "the page to see the end", c.Done())
			if !c.Reconnecting() {
				t.Error("the page was not told to reconnect")
			}
			if to, _ := c.Transferred(); to != "" {
				t.Errorf("transferred to %q", to)
			}
			if n := s.tr.Active(); n != 0 {
				t.Errorf("%d calls left", n)
			}
			status, says, _ := s.post(t, "/webrtc/offer", nil, resumeBody("", offerSDP, c.CallID(), c.Token()))
			if status != 503 || !strings.Contains(says, "restarting") {
				t.Errorf("an offer to a transport handed over: %d %q", status, says)
			}
		})
	}
}

// TestResumeRate: an offer that resumes a call, once admitted, is not
// held to the address's rate and does not count against it (pages behind
// a proxy share an address, and a hand-over sends them all at once); one
// that is not admitted is.
func TestResumeRate(t *testing.T) {
	cfg := resumeConfig()
	cfg.OffersPerMinute = 1
	s := newServer(t, &agent{refuseResume: errors.New("no such call")}, cfg)
	clock := t0
	s.tr.now = func() time.Time { return clock }
	good, bad := resumeBody("", offerSDP, "c1", "token-c1"), resumeBody("", offerSDP, "c1", "token-c2")
	for i, step := range []struct {
		after time.Duration
		body  string
		code  int
	}{
		{0, good, 409},              // admitted: not counted
		{0, "not json", 400},        // the address's one offer
		{0, "not json", 429},        // past its rate
		{0, bad, 429},               // not admitted: held to the rate
		{0, good, 409},              // admitted: past the rate all the same
		{time.Minute, good, 409},    // refilled; admitted: not counted
		{0, "not json", 400},        // so the offer is still there
		{0, offerBody("", ""), 429}, // and then it is not
	} {
		clock = clock.Add(step.after)
		if status, says, _ := s.post(t, "/webrtc/offer", nil, step.body); status != step.code {
			t.Errorf("offer %d: %d %q; want %d", i, status, says, step.code)
		}
	}
	if n := s.tr.pcs.Load(); n != 0 {
		t.Errorf("%d PeerConnections made", n)
	}
}

package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voiceagent/voiceagent/telephony/twilio"
	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
	"github.com/voiceagent/voiceagent/telephony/webrtc/webrtctest"
)

// target is the server under load.
type target struct {
	base      string // http://host:port
	agent     string // the agent that answers, or "" for serve's default
	authToken string // signs Twilio's requests; "" sends them unsigned
	apiKey    string // for /metrics when the server has VOICEAGENT_API_KEY; "" sends none
	http      *http.Client
}

// Timings of the simulated caller.
const (
	answerWait = 10 * time.Second       // for the agent's first audio after the caller spoke
	quietAfter = 500 * time.Millisecond // of silence that ends the agent's answer
	thinkMin   = 300 * time.Millisecond // before the caller's next line
	thinkSpan  = 400 * time.Millisecond // and up to this much more
)

// tally gathers every call's results. Its methods are safe for
// concurrent use.
type tally struct {
	up, failed, turns, unanswered atomic.Int64
	holding                       atomic.Bool // replies count only while the load is held

	mu       sync.Mutex
	replies  []time.Duration // the caller's wait for each answer, while holding
	failures map[string]int  // why calls failed, by reason
	clients  twiliotest.Stats

	// Browser callers pace themselves: their packets, late ones, the latest.
	ticks, lateTicks int64
	maxLate          time.Duration
}

func newTally() *tally { return &tally{failures: map[string]int{}} }

func (t *tally) fail(reason string) {
	t.failed.Add(1)
	t.mu.Lock()
	t.failures[reason]++
	t.mu.Unlock()
}

func (t *tally) reply(d time.Duration) {
	t.turns.Add(1)
	if t.holding.Load() {
		t.mu.Lock()
		t.replies = append(t.replies, d)
		t.mu.Unlock()
	}
}

// endedWebRTC adds a finished browser call's counts: its packets, and
// its caller's ticks.
func (t *tally) endedWebRTC(s webrtctest.Stats, ticks, late int64, maxLate time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clients.FramesSent += s.Sent
	t.clients.MediaReceived += s.Received
	t.clients.BytesReceived += s.Received * 160 // 20 ms of PCMU a packet
	t.ticks += ticks
	t.lateTicks += late
	t.maxLate = max(t.maxLate, maxLate)
}

// ended adds a finished call's counts.
func (t *tally) ended(s twiliotest.Stats) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := &t.clients
	c.FramesSent += s.FramesSent
	c.MediaReceived += s.MediaReceived
	c.BytesReceived += s.BytesReceived
	c.Clears += s.Clears
	c.Underruns += s.Underruns
	c.Errors += s.Errors
}

var addrPattern = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+:\d+`)

// failureReason shortens err to what tells failures apart: its text
// without addresses and ports.
func failureReason(stage string, err error) string {
	msg := addrPattern.ReplaceAllString(err.Error(), "ADDR")
	return stage + ": " + msg
}

// call is one simulated caller: it rings the voice webhook, opens the
// media stream it is given, and says the script's lines in turn, each
// after the agent's answer to the last, until stop; then it hangs up.
func call(ctx context.Context, stop <-chan struct{}, tg *target, clock *twiliotest.Clock, clips []clip, n int, t *tally) {
	sid := fmt.Sprintf("CA%032x", n)
	from := fmt.Sprintf("+3460%07d", n)
	stream, params, err := tg.webhook(ctx, sid, from)
	if err != nil {
		t.fail(failureReason("webhook", err))
		return
	}
	header := http.Header{"X-Forwarded-Proto": {scheme(tg.base)}}
	if tg.authToken != "" {
		header.Set("X-Twilio-Signature", twilio.Signature(tg.authToken, stream, nil))
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := twiliotest.Dial(dctx, stream, twiliotest.Config{
		CallSid: sid, Parameters: params, Header: header,
		KeepPlayed: -1, MaxEntries: 64, Clock: clock,
	})
	cancel()
	if err != nil {
		t.fail(failureReason("dial", err))
		return
	}
	t.up.Add(1)
	defer t.up.Add(-1)

	// The caller's side of the call ends at stop, or when the server ends it.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
		case <-c.Done():
		}
		cancel()
	}()
	err = converse(cctx, twilioLine{c}, clips, n, t)
	stopped := isClosed(stop)
	if stopped {
		err = c.Hangup()
	} else {
		c.Close()
		if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, twiliotest.ErrClosed) {
			err = c.Err()
		}
		if err == nil {
			err = errors.New("the server ended the call")
		}
	}
	<-c.Done()
	s := c.Stats()
	t.ended(s)
	switch {
	case err != nil && !errors.Is(err, twiliotest.ErrClosed):
		t.fail(failureReason("call", err))
	case s.Errors > 0:
		t.fail(fmt.Sprintf("call: the server sent %d invalid messages", s.Errors))
	}
}

// line is the caller's end of a call, whatever the transport.
type line interface {
	// waitQuiet returns once the agent has said nothing for d.
	waitQuiet(ctx context.Context, d time.Duration) error
	// say says pcm in real time and returns when its last frame was sent.
	say(ctx context.Context, pcm []int16) (time.Time, error)
	// answer waits for the agent's first audio to arrive after the
	// caller's last frame (at last), and returns when it came.
	answer(ctx context.Context, last time.Time) (time.Time, error)
}

// twilioLine is a Twilio media stream's caller.
type twilioLine struct{ c *twiliotest.Client }

func (l twilioLine) waitQuiet(ctx context.Context, d time.Duration) error {
	return l.c.WaitQuiet(ctx, d)
}

func (l twilioLine) say(ctx context.Context, pcm []int16) (time.Time, error) {
	u := l.c.Say(pcm)
	if err := u.Wait(ctx); err != nil {
		return time.Time{}, err
	}
	return u.LastFrame(), nil
}

func (l twilioLine) answer(ctx context.Context, last time.Time) (time.Time, error) {
	e, err := l.c.WaitEntry(ctx, func(e twiliotest.Entry) bool { return e.Kind == twiliotest.KindMedia && e.At.After(last) })
	return e.At, err
}

// converse says the script until ctx ends.
func converse(ctx context.Context, c line, clips []clip, n int, t *tally) error {
	if err := c.waitQuiet(ctx, quietAfter); err != nil { // the greeting
		return err
	}
	for turn := 0; ; turn++ {
		last, err := c.say(ctx, clips[turn%len(clips)].PCM)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, answerWait)
		at, err := c.answer(wctx, last)
		cancel()
		switch {
		case err == nil:
			t.reply(at.Sub(last))
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			t.unanswered.Add(1)
		default:
			return err
		}
		if err := c.waitQuiet(ctx, quietAfter); err != nil {
			return err
		}
		think := thinkMin + time.Duration((n*7919+turn*104729)%int(thinkSpan/time.Millisecond))*time.Millisecond
		if !sleep(ctx, think) {
			return ctx.Err()
		}
	}
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
}

// webhook asks the server what to do with a new call, as Twilio does,
// and returns the media stream's URL and parameters from its TwiML.
func (tg *target) webhook(ctx context.Context, sid, from string) (string, map[string]string, error) {
	u := tg.base + "/twilio/voice"
	if tg.agent != "" {
		u += "?agent=" + url.QueryEscape(tg.agent)
	}
	form := url.Values{"CallSid": {sid}, "AccountSid": {"AC" + sid[2:]}, "From": {from}, "To": {"+34910000000"}, "Direction": {"inbound"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", scheme(tg.base))
	if tg.authToken != "" {
		req.Header.Set("X-Twilio-Signature", twilio.Signature(tg.authToken, u, form))
	}
	resp, err := tg.http.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("%s", resp.Status)
	}
	var doc twiml
	if err := xml.Unmarshal(body, &doc); err != nil || doc.Stream.URL == "" {
		return "", nil, fmt.Errorf("no <Connect><Stream> in the TwiML: %.200s", body)
	}
	params := map[string]string{}
	for _, p := range doc.Stream.Params {
		params[p.Name] = p.Value
	}
	return doc.Stream.URL, params, nil
}

// scheme is the scheme of base, which the server sees behind no proxy:
// the signatures it checks are of URLs with it.
func scheme(base string) string {
	if u, err := url.Parse(base); err == nil && u.Scheme != "" {
		return u.Scheme
	}
	return "http"
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// percentile is the p-th percentile (0–100) of ds, which it sorts.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds)-1) * p / 100)
	return ds[i]
}

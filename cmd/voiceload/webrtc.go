package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/webrtc/webrtctest"
)

// errEnded is a browser call that ended under the caller.
var errEnded = errors.New("the call ended")

// lateTick is how much later than 20 ms after the last a caller's packet
// may go out before it counts as late: the load generator falling behind.
const lateTick = 2 * time.Millisecond

// webrtcLine is a browser caller (webrtctest) as a line: it learns from
// the client's hooks when each packet of its own went out and when each
// of the agent's came. The server sends the agent's audio only while it
// speaks (talkspurts), so any packet heard is an answer.
type webrtcLine struct {
	start time.Time
	done  <-chan struct{} // the client's

	mu        sync.Mutex
	wake      chan struct{} // closed, and replaced, at every change below
	saying    bool          // a line is being said
	lastSaid  time.Time     // when the last line's last frame went out
	answered  time.Time     // the agent's first packet after it
	lastHeard time.Time     // the agent's latest packet
	prevSent  time.Time     // the caller's latest packet, said or silence
	ticks     int64         // packets sent
	late      int64         // of which more than lateTick late
	maxLate   time.Duration
}

func newWebRTCLine() *webrtcLine {
	return &webrtcLine{start: time.Now(), wake: make(chan struct{})}
}

// changed wakes the waiters; l.mu is held.
func (l *webrtcLine) changed() {
	close(l.wake)
	l.wake = make(chan struct{})
}

// sent is the client's OnSend.
func (l *webrtcLine) sent(at time.Time, said, left int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.prevSent.IsZero() {
		if d := at.Sub(l.prevSent) - audio.FrameDuration; d > lateTick {
			l.late++
			l.maxLate = max(l.maxLate, d)
		}
	}
	l.prevSent = at
	l.ticks++
	if said > 0 && left == 0 && l.saying {
		l.saying, l.lastSaid, l.answered = false, at, time.Time{}
		l.changed()
	}
}

// heard is the client's OnHeard.
func (l *webrtcLine) heard(at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lastHeard = at
	if !l.lastSaid.IsZero() && l.answered.IsZero() && at.After(l.lastSaid) {
		l.answered = at
		l.changed()
	}
}

// wait waits for a change, ctx's end, the call's end or d (if > 0).
func (l *webrtcLine) wait(ctx context.Context, wake <-chan struct{}, d time.Duration) error {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-wake:
	case <-timeout:
	case <-ctx.Done():
		return ctx.Err()
	case <-l.done:
		return errEnded
	}
	return nil
}

func (l *webrtcLine) waitQuiet(ctx context.Context, d time.Duration) error {
	for {
		l.mu.Lock()
		since := l.start
		if l.lastHeard.After(since) {
			since = l.lastHeard
		}
		wake := l.wake
		l.mu.Unlock()
		wait := d - time.Since(since)
		if wait <= 0 {
			return nil
		}
		if err := l.wait(ctx, wake, wait); err != nil {
			return err
		}
	}
}

// say queues pcm with the client (c.Say) and waits for its last frame.
func (l *webrtcLine) sayWith(ctx context.Context, c *webrtctest.Client, pcm []int16) (time.Time, error) {
	l.mu.Lock()
	l.saying = true
	l.mu.Unlock()
	c.Say(pcm)
	for {
		l.mu.Lock()
		saying, last, wake := l.saying, l.lastSaid, l.wake
		l.mu.Unlock()
		if !saying {
			return last, nil
		}
		if err := l.wait(ctx, wake, 0); err != nil {
			return time.Time{}, err
		}
	}
}

func (l *webrtcLine) answer(ctx context.Context, last time.Time) (time.Time, error) {
	for {
		l.mu.Lock()
		at, wake := l.answered, l.wake
		l.mu.Unlock()
		if !at.IsZero() {
			return at, nil
		}
		if err := l.wait(ctx, wake, 0); err != nil {
			return time.Time{}, err
		}
	}
}

// webrtcCaller is a webrtcLine with its client, which says.
type webrtcCaller struct {
	*webrtcLine
	c *webrtctest.Client
}

func (w webrtcCaller) say(ctx context.Context, pcm []int16) (time.Time, error) {
	return w.sayWith(ctx, w.c, pcm)
}

// callWebRTC is one simulated browser caller: it offers to
// POST /webrtc/offer as a page does, and says the script's lines in turn,
// each after the agent's answer to the last, until stop; then it hangs up.
func callWebRTC(ctx context.Context, stop <-chan struct{}, tg *target, clips []clip, n int, t *tally) {
	l := newWebRTCLine()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := webrtctest.Dial(dctx, webrtctest.Config{
		URL: tg.base, Agent: tg.agent, HTTPClient: tg.http,
		OnSend: l.sent, OnHeard: l.heard,
	})
	cancel()
	if err != nil {
		t.fail(failureReason("offer", err))
		return
	}
	l.done = c.Done()
	t.up.Add(1)
	defer t.up.Add(-1)

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
		case <-c.Done():
		}
		cancel()
	}()
	err = converse(cctx, webrtcCaller{l, c}, clips, n, t)
	if isClosed(stop) {
		err = c.Hangup()
	} else if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, errEnded) {
		err = errors.New("the server ended the call")
	}
	c.Close()
	s := c.Stats()
	l.mu.Lock()
	t.endedWebRTC(s, l.ticks, l.late, l.maxLate)
	l.mu.Unlock()
	if err != nil {
		t.fail(failureReason("call", err))
	}
}

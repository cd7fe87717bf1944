package twiliovoice

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// hushed is a call whose quiet the test sets; it counts the frames the
// transport gives it.
type hushed struct {
	idle
	quiet  atomic.Bool
	frames atomic.Int64
}

func (h *hushed) WriteSample(pcm audio.PCM16) error {
	h.frames.Add(int64(len(pcm) / 160))
	return nil
}

func (h *hushed) Quiet() bool { return h.quiet.Load() }

type hushing struct{ calls chan *hushed }

func (a hushing) Answer(_ context.Context, _ telephony.CallInfo, line telephony.Line) (telephony.Inbound, error) {
	h := &hushed{idle: idle{line: line, done: make(chan struct{})}}
	a.calls <- h
	return h, nil
}

// TestQuietCallRead: while its call is quiet, a stream is read at the
// clock's ticks only — each read takes what came meanwhile — and at once
// otherwise. The clock here ticks when the test says.
func TestQuietCallRead(t *testing.T) {
	a := hushing{calls: make(chan *hushed, 1)}
	s := newServerWith(t, a, Config{AuthToken: token})
	s.tw.clock = newClock(time.Hour)
	ctx := context.Background()
	u, params, err := s.ring("/twilio/voice", "CA1", "+34600111222")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.open(ctx, u, "CA1", params) // Twilio's media every 20 ms, silence
	if err != nil {
		t.Fatal(err)
	}
	call := <-a.calls
	grows := func(what string, by int64) {
		t.Helper()
		from := call.frames.Load()
		for deadline := time.Now().Add(5 * time.Second); call.frames.Load() < from+by; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d frames read, want %d more", what, call.frames.Load()-from, by)
			}
		}
	}
	grows("not quiet", 5)

	call.quiet.Store(true)
	time.Sleep(100 * time.Millisecond) // what was read before is taken
	held := call.frames.Load()
	time.Sleep(300 * time.Millisecond) // 15 messages come, none is read
	if n := call.frames.Load(); n != held {
		t.Fatalf("%d frames read while quiet, before the clock ticked", n-held)
	}
	s.tw.clock.tick()
	grows("quiet, at a tick", 5) // one read, several messages

	call.quiet.Store(false)
	s.tw.clock.tick() // the reader waiting for it goes on
	grows("not quiet again", 10)
	_ = c.Hangup()
	waitEnd(t, c.Done())
}

// TestClock: one tick releases every reader waiting; none is pending
// when no one waits.
func TestClock(t *testing.T) {
	c := newClock(10 * time.Millisecond)
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(c.wait)
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next != nil {
		t.Error("a tick is pending with no one waiting")
	}
}

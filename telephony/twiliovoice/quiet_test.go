package twiliovoice

import (
	"context"
	"net"
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
	// grows waits for by more frames; with ticking, it has the clock tick
	// meanwhile, as a running clock would for a reader that comes to wait
	// after a tick.
	grows := func(what string, by int64, ticking bool) {
		t.Helper()
		from := call.frames.Load()
		for deadline := time.Now().Add(5 * time.Second); call.frames.Load() < from+by; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d frames read, want %d more", what, call.frames.Load()-from, by)
			}
			if ticking {
				s.tw.clock.tick()
			}
		}
	}
	grows("not quiet", 5, false)

	call.quiet.Store(true)
	time.Sleep(100 * time.Millisecond) // what was read before is taken
	held := call.frames.Load()
	time.Sleep(300 * time.Millisecond) // 15 messages come, none is read
	if n := call.frames.Load(); n != held {
		t.Fatalf("%d frames read while quiet, before the clock ticked", n-held)
	}
	grows("quiet, at its turn", 5, true) // one read, several messages

	call.quiet.Store(false)
	for range phases { // the reader waiting for its turn goes on
		s.tw.clock.tick()
	}
	grows("not quiet again", 10, false)
	_ = c.Hangup()
	waitEnd(t, c.Done())
}

// TestClock: each phase's readers are released at its turn, one phase a
// tick; the clock stops when no one waits, and starts again.
func TestClock(t *testing.T) {
	c := newClock(time.Hour) // ticks when the test says
	released := make([]atomic.Bool, phases)
	var wg sync.WaitGroup
	for p := range phases {
		wg.Go(func() { c.wait(p); released[p].Store(true) })
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		n := 0
		for _, ch := range c.next {
			if ch != nil {
				n++
			}
		}
		c.mu.Unlock()
		if n == phases {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d phases waited on; want %d", n, phases)
		}
	}
	for turn := range phases {
		c.tick()
		for deadline := time.Now().Add(5 * time.Second); !released[turn].Load(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("phase %d not released at its turn", turn)
			}
		}
		for p := turn + 1; p < phases; p++ {
			if released[p].Load() {
				t.Fatalf("phase %d released at phase %d's turn", p, turn)
			}
		}
	}
	wg.Wait()
	c.mu.Lock()
	waiting := c.waiting()
	c.mu.Unlock()
	if waiting {
		t.Error("the clock runs with no one waiting")
	}
	quick := newClock(6 * time.Millisecond) // a real one: stops, then starts again
	quick.wait(1)
	quick.wait(4)
}

// backlog is a connection with n bytes waiting to be read.
type backlog struct {
	net.Conn
	left int
}

func (b *backlog) Read(p []byte) (int, error) {
	n := min(len(p), b.left)
	b.left -= n
	return n, nil
}

// TestQuietBacklog: a quiet call's read that fills the buffer leaves more
// waiting (a burst after a network stall), so the next read does not
// wait for the clock; one that does not fill it, does.
func TestQuietBacklog(t *testing.T) {
	c := &quietConn{Conn: &backlog{left: 5000}, clock: newClock(time.Hour)} // never ticks by itself
	var quiet atomic.Bool
	c.follow(quiet.Load)
	buf := make([]byte, 2048)
	read := func() (int, bool) {
		got := make(chan int, 1)
		go func() { n, _ := c.Read(buf); got <- n }()
		select {
		case n := <-got:
			return n, true
		case <-time.After(200 * time.Millisecond):
			c.clock.mu.Lock()
			defer c.clock.mu.Unlock()
			if ch := c.clock.next[c.phase]; ch != nil { // let it go
				close(ch)
				c.clock.next[c.phase] = nil
			}
			return <-got, false
		}
	}
	for i, want := range []int{2048, 2048, 904} {
		if n, prompt := read(); n != want || !prompt {
			t.Fatalf("read %d: %d bytes, at once %v; want %d at once", i, n, prompt, want)
		}
		quiet.Store(true) // the backlog came in while the caller spoke
	}
	if _, prompt := read(); prompt {
		t.Error("read after a short one did not wait for the clock")
	}
}

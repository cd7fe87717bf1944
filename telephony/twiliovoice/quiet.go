package twiliovoice

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voiceagent/voiceagent/internal/sockio"
	"github.com/voiceagent/voiceagent/telephony"
)

// quietEvery is how often the stream of a quiet call is read: Twilio
// sends a message every 20 ms, so while nothing waits on the caller's
// audio three are read at a time, with one wake-up and one read instead
// of three of each and three reads that find nothing.
const quietEvery = telephony.QuietRead

// phases spread the quiet calls' reads over quietEvery: each call reads
// in one of them, so a tick wakes a sixth of the quiet calls, not all of
// them at once (some 750 readers at 1,000 calls).
const phases = 6

// clock wakes the readers of quiet calls together, phase by phase: one
// timer for them all, every quietEvery/phases while one waits, none while
// no call is quiet.
type clock struct {
	every time.Duration
	mu    sync.Mutex
	next  [phases]chan struct{} // closed at the phase's next turn; nil while no one waits
	turn  int                   // the phase the next tick releases
	timer *time.Timer           // set while one waits
	conns atomic.Uint64         // hands out phases
}

func newClock(every time.Duration) *clock { return &clock{every: every} }

// phase is the phase of the next stream's reads.
func (c *clock) phase() int { return int(c.conns.Add(1) % phases) }

// wait returns at phase's next turn: within every.
func (c *clock) wait(phase int) {
	c.mu.Lock()
	switch {
	case c.timer == nil:
		c.timer = time.AfterFunc(c.every/phases, c.tick)
	case !c.waiting(): // the clock had stopped
		c.timer.Reset(c.every / phases)
	}
	if c.next[phase] == nil {
		c.next[phase] = make(chan struct{})
	}
	next := c.next[phase]
	c.mu.Unlock()
	<-next
}

// waiting reports whether a tick is due: someone waits. mu is held.
func (c *clock) waiting() bool {
	for _, ch := range c.next {
		if ch != nil {
			return true
		}
	}
	return false
}

// tick releases the readers waiting for this turn's phase, and sets the
// next tick while anyone waits.
func (c *clock) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch := c.next[c.turn]; ch != nil {
		close(ch)
		c.next[c.turn] = nil
	}
	c.turn = (c.turn + 1) % phases
	if c.waiting() {
		c.timer.Reset(c.every / phases)
	}
}

// quietConn is a stream's connection whose reads, while its call is
// quiet, first wait for the clock: what Twilio sent meanwhile is then in
// the socket, and read with one call. A read that filled its buffer may
// have left more in the socket (a burst after a network stall): the next
// one does not wait, so a backlog is read at once, not a buffer a tick.
// It is read from one goroutine, the stream's, which also sets quiet.
type quietConn struct {
	net.Conn
	clock     *clock
	phase     int
	quiet     func() bool // set once the call is answered
	full      bool        // the last read filled its buffer
	gathering bool        // the kernel gathers gatherBytes before waking the poller
}

// gatherBytes is how much of a quiet call's stream the kernel gathers
// before it tells the network poller there is something to read (the
// socket's SO_RCVLOWAT): about three of Twilio's media messages, some
// 350 bytes each. While the reader waits for the clock, the messages
// that come meanwhile then do not each wake a thread that finds no one
// waiting for them. A read takes whatever has come, less or more.
const gatherBytes = 1024

func (c *quietConn) Read(p []byte) (int, error) {
	quiet := c.quiet != nil && c.quiet()
	if quiet != c.gathering {
		c.gathering = quiet
		n := 1
		if quiet {
			n = gatherBytes
		}
		gather(c.Conn, n)
	}
	if quiet && !c.full {
		c.clock.wait(c.phase)
	}
	n, err := c.Conn.Read(p)
	c.full = n > 0 && n == len(p)
	return n, err
}

// follow has reads wait for the clock while quiet says so.
func (c *quietConn) follow(quiet func() bool) { c.quiet = quiet }

// hijacker hands the upgrader the connection as a quietConn.
type hijacker struct {
	http.ResponseWriter
	conn *quietConn
}

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn.Conn = sockio.Wrap(conn)
	return h.conn, brw, nil
}

func (h hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

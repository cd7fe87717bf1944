package twiliovoice

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// quietEvery is how often the stream of a quiet call is read: Twilio
// sends a message every 20 ms, so while the caller is silent three are
// read at a time, with one wake-up and one read instead of three of each
// and three reads that find nothing. The caller's first loud frame is
// then seen up to this late; the frames after it at once.
const quietEvery = 60 * time.Millisecond

// clock wakes the readers of quiet calls together, every interval while
// one waits: one timer for them all, and none while no call is quiet.
type clock struct {
	every time.Duration
	mu    sync.Mutex
	next  chan struct{} // closed at the next tick; nil while no one waits
}

func newClock(every time.Duration) *clock { return &clock{every: every} }

// wait returns at the next tick.
func (c *clock) wait() {
	c.mu.Lock()
	if c.next == nil {
		c.next = make(chan struct{})
		time.AfterFunc(c.every, c.tick)
	}
	next := c.next
	c.mu.Unlock()
	<-next
}

// tick releases the readers waiting.
func (c *clock) tick() {
	c.mu.Lock()
	if c.next != nil {
		close(c.next)
		c.next = nil
	}
	c.mu.Unlock()
}

// quietConn is a stream's connection whose reads, while its call is
// quiet, first wait for the clock: what Twilio sent meanwhile is then in
// the socket, and read with one call.
type quietConn struct {
	net.Conn
	clock *clock
	quiet atomic.Pointer[func() bool] // set once the call is answered
}

func (c *quietConn) Read(p []byte) (int, error) {
	if q := c.quiet.Load(); q != nil && (*q)() {
		c.clock.wait()
	}
	return c.Conn.Read(p)
}

// follow has reads wait for the clock while quiet says so.
func (c *quietConn) follow(quiet func() bool) { c.quiet.Store(&quiet) }

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
	h.conn.Conn = conn
	return h.conn, brw, nil
}

func (h hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

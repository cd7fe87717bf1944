// Package twiliotest is a simulated Twilio Media Streams caller: Twilio's
// side of the websocket, for end-to-end tests of our server and for a load
// generator that runs a thousand of them at once.
//
// Like Twilio, a Client sends connected and start, then one media message
// of 160 bytes of μ-law (20 ms) every 20 ms for the whole call: the
// caller's queued speech (Say) or, between utterances, silence (0xFF).
// DTMF and Hangup send dtmf and stop at once, between frames.
//
// What the server sends is played in real time: media appends to a
// playback buffer from which a clock takes 20 ms every 20 ms while there is
// audio (when it runs dry playback pauses, like a jitter buffer, and
// resumes with the next audio); a mark waits at the buffer's end and is
// echoed when playback reaches it, at once when nothing is buffered; clear
// drops the buffer and echoes every pending mark. The played audio (as
// 8 kHz PCM, bounded), a log of what was received and echoed with wall-clock
// times, counters and invalid server messages are kept for assertions.
//
// A Phone is a whole phone call around the streams: it rings the voice
// webhook and follows the TwiML, and when a stream ends without the
// caller hanging up it asks the <Connect>'s action URL, as Twilio does,
// and opens the next stream of the same call (or ends it, with <Hangup/>
// or <Dial>), timing each hand-over.
//
// # Cost
//
// A call runs two goroutines: a reader and a ticker that, paced by
// audio.Pacer on one reused timer, sends the caller's frame and advances
// playback. Buffers are reused, so a frame costs no allocation of ours
// (gorilla's client writer allocates one small struct per message).
// BenchmarkClients measures the CPU time of a call, fake server included:
// about 0.65 ms per second of call with a server that only reads, 0.9 ms
// with one that sends every frame back (2-core Xeon, Go 1.26). A thousand
// calls in one process took 0.6 and 0.9 cores, with no frame falling
// behind (PacerStats.Resyncs). For load, set KeepPlayed and MaxEntries
// negative.
package twiliotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio"
)

// Rate is the sample rate of every PCM slice here: 8 kHz, Twilio's.
const Rate = 8000

// frameSize is one 20 ms frame at 8 kHz, in samples (or μ-law bytes).
const frameSize = 160

// maxServerMessage bounds a message from the server; a second of μ-law in
// base64 is 11 kB.
const maxServerMessage = 1 << 20

// Defaults of Config.
const (
	defaultKeepPlayed   = 120 * time.Second
	defaultMaxEntries   = 10000
	defaultWriteTimeout = 5 * time.Second
	closeWait           = time.Second // for the server's answer to our close frame
	keptErrors          = 100
)

// silence is a frame of μ-law zero.
var silence = bytes.Repeat([]byte{audio.UlawSilence}, frameSize)

// Config describes the simulated call. The zero value means the defaults.
type Config struct {
	// AccountSid, CallSid and StreamSid identify the call in start; empty
	// means generated ("AC", "CA", "MZ" and 32 hex digits). Given ones must
	// be letters and digits only.
	AccountSid, CallSid, StreamSid string
	// Parameters are start's customParameters, as TwiML's <Parameter>s.
	Parameters map[string]string
	// Header is sent with the websocket handshake (X-Twilio-Signature…).
	Header http.Header
	// Dialer opens the websocket; nil means websocket.DefaultDialer.
	Dialer *websocket.Dialer
	// KeepPlayed is how much played audio Played keeps, the most recent;
	// zero means 120 s, negative keeps none (for load generation: 120 s is
	// 1.9 MB per call).
	KeepPlayed time.Duration
	// MaxEntries bounds the log Entries returns, dropping the oldest half
	// when full; zero means 10000, negative keeps none. Media messages in a
	// row share one entry.
	MaxEntries int
	// WriteTimeout bounds each write to the server; zero means 5 s. A write
	// that times out ends the call with ErrDisconnected.
	WriteTimeout time.Duration
	// Clock, when not nil, steps the call (see Clock); nil gives the call
	// a clock of its own.
	Clock *Clock
}

// Client is one simulated call, from Dial to Hangup or Close. Its methods
// are safe for concurrent use.
type Client struct {
	conn                           *websocket.Conn
	accountSid, callSid, streamSid string
	sidKey                         []byte // `"streamSid":"MZ…"`, as server media carries it
	start                          time.Time
	writeTimeout                   time.Duration
	cancel                         context.CancelFunc // stops the ticker
	tickDone                       chan struct{}      // closed when the ticker has returned
	done                           chan struct{}      // closed when both goroutines have returned
	closeOnce                      sync.Once

	// wmu serializes writes, and orders mark echoes: whoever holds it
	// takes the echoes due and writes them. Lock order: wmu, then mu.
	wmu     sync.Mutex
	seq     int64 // the last sequenceNumber sent
	chunk   int64 // the last media chunk sent
	lastTS  int64 // the last media timestamp sent, in ms
	wbuf    []byte
	wecho   []string  // echoes being written
	writeBy time.Time // the write deadline set
	stopped bool      // stop sent or shutting down: nothing more is written

	mu        sync.Mutex
	says      []*Utterance // queued speech, the one being sent first
	sayPos    int          // frames of says[0] sent
	out       []byte       // server μ-law: out[outHead:] is buffered, not yet playing
	outHead   int
	playing   int   // samples of the frame now playing
	pos       int64 // samples played to the end since the call started
	marks     []pendingMark
	echo      []string // marks due to be echoed, in order
	played    []int16  // the ring of played audio
	playedAt  int      // its oldest sample, once full
	keep      int      // its size
	pcm       []int16  // scratch for decoding a frame
	entries   []Entry
	base      int // the absolute index of entries[0]
	maxLog    int
	errs      []error
	lastMedia time.Time
	firstAt   time.Time // the first media received
	endAt     time.Time // when the reader saw the end of the stream
	idleSince time.Time
	midAudio  bool // media received since the last mark or clear: more is coming
	starved   bool // the buffer ran dry while midAudio
	stats     Stats
	changed   chan struct{} // closed at the next log entry; nil when nobody waits
	byUs      bool          // Hangup or Close started the end
	ended     bool
	err       error
}

type pendingMark struct {
	name string
	at   int64 // echoed when pos reaches it
}

// Stats counts what happened in a call.
type Stats struct {
	FramesSent    int64            // media messages sent: speech and silence
	SpeechFrames  int64            // of which carried queued speech
	MediaReceived int64            // media messages received
	BytesReceived int64            // μ-law bytes received
	MarksReceived int64            // marks received
	MarksEchoed   int64            // marks sent back
	Clears        int64            // clears received
	PlayedSamples int64            // samples (8 kHz) played, whole call
	Dropped       int64            // samples dropped, unplayed, by clear
	Underruns     int64            // times the buffer ran dry mid-audio (more media came before a mark): a gap the caller hears
	Errors        int64            // invalid server messages (Errors keeps the first 100)
	EntriesLost   int64            // log entries dropped by MaxEntries
	Pacer         audio.PacerStats // our own frames' lateness: a loaded generator shows here
}

// Kind is what a log entry records.
type Kind string

// Kinds of Entry.
const (
	KindMedia Kind = "media" // media received (a run of messages)
	KindMark  Kind = "mark"  // a mark received
	KindClear Kind = "clear" // a clear received
	KindEcho  Kind = "echo"  // a mark sent back: its audio was played, or cleared
)

// Entry is one line of the call's log.
type Entry struct {
	Kind Kind
	// At is when it was received or sent: for a media run, its first
	// message.
	At time.Time
	// Last is, for a media run, when its last message was received.
	Last time.Time
	// Name is the mark's (KindMark, KindEcho).
	Name string
	// Messages and Bytes count a media run's messages and μ-law bytes.
	Messages, Bytes int
	// Dropped is, for a clear, how many buffered samples it dropped.
	Dropped int
	// Played is how many samples had been played (to the end of a frame)
	// at the time.
	Played int64
}

// Dial opens the websocket to url (ws:// or wss://), sends connected and
// start, and starts the call: silence until Say. ctx bounds the handshake
// and those first messages only; the call lasts until Hangup, Close or the
// server ends it. The caller must call Close (or Hangup).
func Dial(ctx context.Context, url string, cfg Config) (*Client, error) {
	c := &Client{
		accountSid:   orID(cfg.AccountSid, "AC"),
		callSid:      orID(cfg.CallSid, "CA"),
		streamSid:    orID(cfg.StreamSid, "MZ"),
		writeTimeout: cfg.WriteTimeout,
		maxLog:       cfg.MaxEntries,
		tickDone:     make(chan struct{}),
		done:         make(chan struct{}),
		wbuf:         make([]byte, 0, 512),
		pcm:          make([]int16, 0, frameSize),
	}
	for _, id := range []string{c.accountSid, c.callSid, c.streamSid} {
		if !plainID(id) {
			return nil, fmt.Errorf("twiliotest: sid %q: want letters and digits", id)
		}
	}
	if c.writeTimeout <= 0 {
		c.writeTimeout = defaultWriteTimeout
	}
	if c.maxLog == 0 {
		c.maxLog = defaultMaxEntries
	}
	switch {
	case cfg.KeepPlayed == 0:
		c.keep = int(defaultKeepPlayed.Seconds() * Rate)
	case cfg.KeepPlayed > 0:
		c.keep = int(cfg.KeepPlayed.Seconds() * Rate)
	}
	c.sidKey = []byte(`"streamSid":"` + c.streamSid + `"`)

	d := cfg.Dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	conn, resp, err := d.DialContext(ctx, url, cfg.Header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("twiliotest: dial %s: %w (HTTP %d)", url, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("twiliotest: dial %s: %w", url, err)
	}
	conn.SetReadLimit(maxServerMessage)
	c.conn = conn

	params := cfg.Parameters
	if params == nil {
		params = map[string]string{}
	}
	c.seq = 1
	start := marshal(twilio.Event{
		Event: "start", SequenceNumber: seqString(c.seq), StreamSid: c.streamSid,
		Start: &twilio.Start{
			AccountSid: c.accountSid, StreamSid: c.streamSid, CallSid: c.callSid,
			Tracks:           []string{"inbound"},
			MediaFormat:      twilio.MediaFormat{Encoding: "audio/x-mulaw", SampleRate: Rate, Channels: 1},
			CustomParameters: params,
		},
	})
	deadline := time.Now().Add(c.writeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetWriteDeadline(deadline)
	for _, m := range [][]byte{connectedMsg, start} {
		if err := conn.WriteMessage(websocket.TextMessage, m); err != nil {
			conn.Close()
			return nil, fmt.Errorf("twiliotest: dial %s: %w", url, err)
		}
	}
	c.start = time.Now()
	c.idleSince = c.start

	tctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	if cfg.Clock != nil {
		cfg.Clock.attach(c, tctx)
	} else {
		go c.tick(tctx)
	}
	go c.read()
	return c, nil
}

// orID returns id, or a new one with prefix.
func orID(id, prefix string) string {
	if id != "" {
		return id
	}
	var b [16]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func plainID(id string) bool {
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return id != ""
}

// StreamSid is the stream's id, as sent in start.
func (c *Client) StreamSid() string { return c.streamSid }

// CallSid is the call's id, as sent in start.
func (c *Client) CallSid() string { return c.callSid }

// AccountSid is the account's id, as sent in start.
func (c *Client) AccountSid() string { return c.accountSid }

// Done is closed when the call has ended and the client's goroutines have
// returned.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is nil while the call runs and after Hangup or Close; when the
// server ended it (or the connection failed) it wraps ErrDisconnected and
// the websocket's error (a *websocket.CloseError for a close frame).
func (c *Client) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// DTMF sends a dtmf message for digit, one of 0-9, * and #, at once. The
// error wraps ErrDigit, ErrClosed, or the websocket's.
func (c *Client) DTMF(digit string) error {
	if len(digit) != 1 || !('0' <= digit[0] && digit[0] <= '9' || digit[0] == '*' || digit[0] == '#') {
		return fmt.Errorf("%w: %q", ErrDigit, digit)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.stopped {
		return ErrClosed
	}
	c.seq++
	return c.writeLocked(marshal(twilio.Event{
		Event: "dtmf", SequenceNumber: seqString(c.seq), StreamSid: c.streamSid,
		DTMF: &twilio.DTMF{Track: "inbound_track", Digit: digit},
	}))
}

// Hangup sends stop, as Twilio does when the caller hangs up, then closes
// like Close. It returns ErrClosed when the call had already ended, or
// the error of sending stop.
func (c *Client) Hangup() error {
	c.wmu.Lock()
	err := ErrClosed
	if !c.stopped {
		c.mu.Lock()
		c.byUs = !c.ended // before stop: the server may close at once
		c.mu.Unlock()
		c.stopped = true
		c.seq++
		err = c.writeLocked(marshal(twilio.Event{
			Event: "stop", SequenceNumber: seqString(c.seq), StreamSid: c.streamSid,
			Stop: &twilio.Stop{AccountSid: c.accountSid, CallSid: c.callSid},
		}))
	}
	c.wmu.Unlock()
	c.shutdown()
	return err
}

// Close ends the call without stop (as a dropped connection would, but
// with a websocket close frame), waits up to a second for the server's
// close frame (and up to WriteTimeout for a write under way), and returns
// once every goroutine of the client has. It is idempotent, safe to call
// concurrently, and always returns nil.
func (c *Client) Close() error {
	c.shutdown()
	return nil
}

func (c *Client) shutdown() {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		if !c.ended {
			c.byUs = true
		}
		c.mu.Unlock()
		c.cancel()
		<-c.tickDone
		c.wmu.Lock()
		c.stopped = true
		c.wmu.Unlock()
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		if c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait)) == nil {
			t := time.NewTimer(closeWait)
			select {
			case <-c.done:
			case <-t.C:
			}
			t.Stop()
		}
		c.conn.Close()
	})
	<-c.done
}

// writeLocked writes one text message; c.wmu is held. The deadline moves
// once a second at most (or every half WriteTimeout), not for every
// message: a write is bounded by WriteTimeout less that.
func (c *Client) writeLocked(msg []byte) error {
	slack := min(time.Second, c.writeTimeout/2)
	if now := time.Now(); c.writeBy.Sub(now) < c.writeTimeout-slack {
		c.writeBy = now.Add(c.writeTimeout)
		c.conn.SetWriteDeadline(c.writeBy)
	}
	return c.conn.WriteMessage(websocket.TextMessage, msg)
}

// fail ends the call after a write error: closing the connection ends the
// reader, which finishes the rest.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if !c.byUs && c.err == nil {
		c.err = fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	c.mu.Unlock()
	c.conn.Close()
}

// tick is the call's clock: every 20 ms, one frame of the caller and one
// step of playback.
func (c *Client) tick(ctx context.Context) {
	defer close(c.tickDone)
	p := audio.NewPacer(audio.PacerConfig{})
	for {
		if _, err := p.Wait(ctx); err != nil {
			return
		}
		if err := c.step(time.Now(), p.Stats()); err != nil {
			c.fail(err)
			return
		}
	}
}

// step plays 20 ms, echoes the marks that reaches, and sends the caller's
// next frame.
func (c *Client) step(now time.Time, ps audio.PacerStats) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.stopped {
		return nil
	}
	c.mu.Lock()
	c.stats.Pacer = ps
	c.play(now)
	frame := silence
	var u *Utterance
	first, last := false, false
	if len(c.says) > 0 {
		u = c.says[0]
		frame = u.ulaw[c.sayPos*frameSize : (c.sayPos+1)*frameSize]
		first = c.sayPos == 0
		c.sayPos++
		if c.sayPos == u.frames {
			last = true
			c.says[0] = nil
			c.says, c.sayPos = c.says[1:], 0
		}
		c.stats.SpeechFrames++
	}
	c.stats.FramesSent++
	c.takeEchoLocked(now)
	c.mu.Unlock()

	if err := c.writeEchoLocked(); err != nil {
		return err
	}
	c.seq++
	c.chunk++
	ts := now.Sub(c.start).Milliseconds()
	if ts <= c.lastTS && c.chunk > 1 {
		ts = c.lastTS + 1
	}
	c.lastTS = ts
	c.wbuf = appendInbound(c.wbuf[:0], c.seq, c.streamSid, c.chunk, ts, frame)
	if err := c.writeLocked(c.wbuf); err != nil {
		return err
	}
	if first {
		u.sent(now, false)
	}
	if last {
		u.sent(now, true)
	}
	return nil
}

// play finishes the frame playing and starts the next; c.mu is held.
func (c *Client) play(now time.Time) {
	wasPlaying := c.playing > 0
	if wasPlaying {
		c.pos += int64(c.playing)
		c.playing = 0
	}
	n := 0
	for n < len(c.marks) && c.marks[n].at <= c.pos {
		c.echo = append(c.echo, c.marks[n].name)
		n++
	}
	if n > 0 {
		k := copy(c.marks, c.marks[n:])
		clear(c.marks[k:])
		c.marks = c.marks[:k]
	}
	avail := len(c.out) - c.outHead
	if avail == 0 {
		if wasPlaying && c.midAudio {
			c.starved = true
		}
		if c.idleSince.IsZero() {
			c.idleSince = now
		}
		return
	}
	k := min(avail, frameSize)
	c.record(c.out[c.outHead : c.outHead+k])
	c.outHead += k
	c.playing = k
	c.stats.PlayedSamples += int64(k)
	c.idleSince = time.Time{}
	if c.outHead == len(c.out) {
		c.out, c.outHead = c.out[:0], 0
	}
}

// record keeps played μ-law as PCM in the ring; c.mu is held.
func (c *Client) record(ulaw []byte) {
	if c.keep == 0 {
		return
	}
	c.pcm = audio.DecodeUlaw(c.pcm[:0], ulaw)
	for _, s := range c.pcm {
		if len(c.played) < c.keep {
			c.played = append(c.played, s)
			continue
		}
		c.played[c.playedAt] = s
		c.playedAt++
		if c.playedAt == c.keep {
			c.playedAt = 0
		}
	}
}

// idle reports whether nothing is playing or buffered; c.mu is held.
func (c *Client) idle() bool { return c.playing == 0 && len(c.out) == c.outHead }

// takeEchoLocked moves the due echoes to the writer's list and logs them;
// c.wmu and c.mu are held.
func (c *Client) takeEchoLocked(now time.Time) {
	if len(c.echo) == 0 {
		return
	}
	c.wecho, c.echo = append(c.wecho[:0], c.echo...), c.echo[:0]
	for _, name := range c.wecho {
		c.stats.MarksEchoed++
		c.logLocked(Entry{Kind: KindEcho, At: now, Name: name, Played: c.pos})
	}
}

// writeEchoLocked sends the echoes takeEchoLocked took; c.wmu is held.
func (c *Client) writeEchoLocked() error {
	for i, name := range c.wecho {
		c.seq++
		err := c.writeLocked(marshal(twilio.Event{
			Event: "mark", SequenceNumber: seqString(c.seq), StreamSid: c.streamSid,
			Mark: &twilio.Mark{Name: name},
		}))
		c.wecho[i] = ""
		if err != nil {
			return err
		}
	}
	c.wecho = c.wecho[:0]
	return nil
}

// read is the reader: every server message, until the connection ends;
// then it stops the ticker and finishes the call.
func (c *Client) read() {
	var (
		buf     []byte
		scratch = make([]byte, 0, 1024)
		err     error
	)
	for {
		var typ int
		var r io.Reader
		typ, r, err = c.conn.NextReader()
		if err != nil {
			break
		}
		if buf, err = readAll(buf[:0], r); err != nil {
			break
		}
		now := time.Now()
		if typ != websocket.TextMessage {
			c.bad(fmt.Errorf("%w: binary message of %d bytes", ErrBadMessage, len(buf)))
			continue
		}
		m, perr := parseServer(scratch[:0], buf, c.sidKey, c.streamSid)
		scratch = m.audio
		if perr != nil {
			c.bad(perr)
			continue
		}
		if err = c.receive(m, now); err != nil {
			break
		}
	}
	endAt := time.Now()
	c.conn.Close()
	c.cancel()
	<-c.tickDone
	c.wmu.Lock()
	c.stopped = true
	c.wmu.Unlock()
	c.mu.Lock()
	if !c.byUs && c.err == nil {
		c.err = fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	c.ended = true
	c.endAt = endAt
	says := c.says
	c.says = nil
	c.notifyLocked()
	c.mu.Unlock()
	for _, u := range says {
		u.abandon()
	}
	close(c.done)
}

// readAll appends what r holds to buf.
func readAll(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// bad records an invalid server message.
func (c *Client) bad(err error) {
	c.mu.Lock()
	c.stats.Errors++
	if len(c.errs) < keptErrors {
		c.errs = append(c.errs, err)
	}
	c.mu.Unlock()
}

// receive applies a valid server message; the error is a failed write.
func (c *Client) receive(m serverMsg, now time.Time) error {
	if m.kind == msgMedia {
		c.mu.Lock()
		if c.outHead > 0 && len(c.out)+len(m.audio) > cap(c.out) {
			n := copy(c.out, c.out[c.outHead:])
			c.out, c.outHead = c.out[:n], 0
		}
		c.out = append(c.out, m.audio...)
		if c.firstAt.IsZero() {
			c.firstAt = now
		}
		c.lastMedia = now
		c.midAudio = true
		if c.starved {
			c.starved = false
			c.stats.Underruns++
		}
		c.stats.MediaReceived++
		c.stats.BytesReceived += int64(len(m.audio))
		if n := len(c.entries); n > 0 && c.entries[n-1].Kind == KindMedia {
			e := &c.entries[n-1]
			e.Last = now
			e.Messages++
			e.Bytes += len(m.audio)
			c.notifyLocked()
		} else {
			c.logLocked(Entry{Kind: KindMedia, At: now, Last: now, Messages: 1, Bytes: len(m.audio), Played: c.pos})
		}
		c.mu.Unlock()
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	switch m.kind {
	case msgMark:
		c.midAudio, c.starved = false, false
		c.stats.MarksReceived++
		c.logLocked(Entry{Kind: KindMark, At: now, Name: m.name, Played: c.pos})
		if c.idle() {
			c.echo = append(c.echo, m.name)
		} else {
			end := c.pos + int64(c.playing+len(c.out)-c.outHead)
			c.marks = append(c.marks, pendingMark{name: m.name, at: end})
		}
	case msgClear:
		c.midAudio, c.starved = false, false
		dropped := len(c.out) - c.outHead
		c.stats.Clears++
		c.stats.Dropped += int64(dropped)
		c.logLocked(Entry{Kind: KindClear, At: now, Dropped: dropped, Played: c.pos})
		c.out, c.outHead = c.out[:0], 0
		if c.playing > 0 { // the frame playing is cut short
			c.pos += int64(c.playing)
			c.playing = 0
			c.idleSince = now
		}
		for i, pm := range c.marks {
			c.echo = append(c.echo, pm.name)
			c.marks[i] = pendingMark{}
		}
		c.marks = c.marks[:0]
	}
	if !c.stopped { // else the echoes are never sent
		c.takeEchoLocked(now)
	}
	c.mu.Unlock()
	return c.writeEchoLocked()
}

// logLocked appends e to the log; c.mu is held.
func (c *Client) logLocked(e Entry) {
	if c.maxLog < 0 {
		c.stats.EntriesLost++
		return
	}
	if len(c.entries) >= c.maxLog {
		drop := max(1, len(c.entries)/2)
		n := copy(c.entries, c.entries[drop:])
		clear(c.entries[n:])
		c.entries = c.entries[:n]
		c.base += drop
		c.stats.EntriesLost += int64(drop)
	}
	c.entries = append(c.entries, e)
	c.notifyLocked()
}

// notifyLocked wakes the waiters; c.mu is held.
func (c *Client) notifyLocked() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// Stats returns the counts so far.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Errors returns the first 100 invalid messages the server sent, as errors
// wrapping ErrBadMessage, ErrUnknownEvent or ErrWrongStream. Stats counts
// them all.
func (c *Client) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// Entries returns a copy of the log, oldest first.
func (c *Client) Entries() []Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Entry(nil), c.entries...)
}

// Played returns a copy of the audio played so far, at most
// Config.KeepPlayed of it (the most recent), as 8 kHz PCM. Silence while
// the buffer was dry is not in it.
func (c *Client) Played() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int16, 0, len(c.played))
	out = append(out, c.played[c.playedAt:]...)
	return append(out, c.played[:c.playedAt]...)
}

// WaitEntry returns the first log entry, past or future, for which match
// is true. match is called with the client locked: it must not call the
// Client. A media run is offered again as it grows. The error is ctx's, or
// ErrClosed when the call ends first.
func (c *Client) WaitEntry(ctx context.Context, match func(Entry) bool) (Entry, error) {
	i := 0 // absolute index of the next entry to look at
	for {
		c.mu.Lock()
		i = max(i, c.base)
		for ; i < c.base+len(c.entries); i++ {
			if e := c.entries[i-c.base]; match(e) {
				c.mu.Unlock()
				return e, nil
			}
		}
		if i > c.base {
			i-- // the last entry may be a media run that grows
		}
		if c.ended {
			c.mu.Unlock()
			return Entry{}, ErrClosed
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		}
	}
}

// WaitQuiet returns once the server has been quiet for d: nothing playing
// or buffered and no media received for d. The error is ctx's, or ErrClosed
// when the call ends first.
func (c *Client) WaitQuiet(ctx context.Context, d time.Duration) error {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		c.mu.Lock()
		now := time.Now()
		var wait time.Duration
		if c.idle() {
			since := c.idleSince
			if since.IsZero() {
				since = c.start
			}
			if c.lastMedia.After(since) {
				since = c.lastMedia
			}
			wait = d - now.Sub(since)
		} else {
			buffered := c.playing + len(c.out) - c.outHead
			wait = d + max(audio.FrameDuration, time.Duration(buffered)*time.Second/Rate)
		}
		ended := c.ended
		c.mu.Unlock()
		if ended {
			return ErrClosed
		}
		if wait <= 0 {
			return nil
		}
		if t == nil {
			t = time.NewTimer(wait)
		} else {
			t.Reset(wait)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
		}
	}
}

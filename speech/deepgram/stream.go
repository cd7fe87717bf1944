package deepgram

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/voiceagent/voiceagent/speech"
)

// The control messages the client sends, as text frames.
var (
	msgKeepAlive   = []byte(`{"type":"KeepAlive"}`)
	msgFinalize    = []byte(`{"type":"Finalize"}`)
	msgCloseStream = []byte(`{"type":"CloseStream"}`)
)

const (
	// maxChunk bounds one binary message, when the queue sends a backlog.
	maxChunk = 32 << 10
	// maxFlushes bounds the Flushes waiting for their Final.
	maxFlushes = 64
	// readLimit bounds one message from the server.
	readLimit = 1 << 20
)

// item is one entry of the send queue: audio, or a control message.
type item struct {
	audio []byte
	ctrl  []byte
	seq   uint64 // the Flush of a Finalize
	last  bool   // CloseStream: nothing follows
}

// stream is one open recognition. Write and Flush queue under mu; the
// writer goroutine sends the queue; the reader goroutine decodes results
// into the transcript queue Recv reads.
type stream struct {
	conn      *websocket.Conn
	transmit  func(typ int, data []byte) error // send, but for tests
	cfg       Config
	rate      int
	ulaw      bool // audio goes as μ-law, else linear16
	key       string
	maxQueued int // bytes of audio

	wake       chan struct{} // a nudge for the writer, capacity 1
	dead       chan struct{} // closed when the stream ends
	readerDone chan struct{}
	stopOnce   sync.Once
	closeOnce  sync.Once
	wg         sync.WaitGroup

	mu     sync.Mutex
	gate   speech.Gate // what of the caller's audio goes to Deepgram
	out    []item
	queued int      // bytes of audio queued or being sent
	free   [][]byte // spent audio buffers
	unsent int      // samples queued since the writer was last nudged

	// streamed counts the samples queued for Deepgram: the audio its
	// results' times count, without the quiet the gate held back. flushed
	// is what it was at the last Flush.
	streamed, flushed int64

	seq     uint64
	asm     assembler
	q       []speech.Transcript
	err     error // what ended the stream
	closed  bool
	changed chan struct{} // closed and replaced when q, err or closed change
}

var _ speech.Stream = (*stream)(nil)

// newStream is a stream's state, before any connection.
func newStream(cfg Config, rate int, ulaw bool, key string) *stream {
	bytesPerSample := 2
	if ulaw {
		bytesPerSample = 1
	}
	return &stream{
		cfg:        cfg,
		rate:       rate,
		ulaw:       ulaw,
		key:        key,
		maxQueued:  int(cfg.MaxBuffered.Seconds()*float64(rate)) * bytesPerSample,
		gate:       speech.Gate{Rate: rate},
		wake:       make(chan struct{}, 1),
		dead:       make(chan struct{}),
		readerDone: make(chan struct{}),
		changed:    make(chan struct{}),
	}
}

// start runs the reader and writer of an open connection; Close waits for
// them. With ulaw the audio is sent as μ-law, else as linear16.
func start(ctx context.Context, conn *websocket.Conn, cfg Config, rate int, ulaw bool, key string) *stream {
	s := newStream(cfg, rate, ulaw, key)
	s.conn = conn
	s.transmit = s.send
	conn.SetReadLimit(readLimit)
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		defer close(s.readerDone)
		s.read()
	}()
	go func() {
		defer s.wg.Done()
		s.write(ctx)
	}()
	return s
}

// usable says why nothing more can be queued, if so. mu is held.
func (s *stream) usable() error {
	if s.closed {
		return speech.ErrClosed
	}
	return s.err
}

func (s *stream) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// broadcast wakes Recv. mu is held.
func (s *stream) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// push queues transcripts for Recv; a plain interim replaces one not yet
// received, so the queue stays short when nobody reads. mu is held.
func (s *stream) push(ts ...speech.Transcript) {
	if len(ts) == 0 {
		return
	}
	for _, t := range ts {
		plain := !t.Final && !t.EndOfUtterance
		if n := len(s.q); plain && n > 0 && !s.q[n-1].Final && !s.q[n-1].EndOfUtterance {
			s.q[n-1] = t
			continue
		}
		s.q = append(s.q, t)
	}
	s.broadcast()
}

// Write queues pcm to be sent, encoded (μ-law or linear16), when the gate
// lets it through: from an utterance's first frame at -40 dBFS, with the
// 300 ms before it, to its Flush; the quiet outside goes nowhere. It never
// waits for the network and, once the queue's buffers have grown to the
// frames written, allocates nothing. When Config.MaxBuffered of audio is
// already waiting it returns ErrQueueFull and drops pcm (and, for an
// utterance's first frame, the quiet before it).
func (s *stream) Write(pcm []int16) error {
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return err
	}
	if len(pcm) == 0 {
		s.mu.Unlock()
		return nil
	}
	older, newer, pass := s.gate.Pass(pcm)
	if !pass {
		s.mu.Unlock()
		return nil
	}
	samples := len(older) + len(newer) + len(pcm)
	n := samples
	if !s.ulaw {
		n *= 2
	}
	if s.queued+n > s.maxQueued {
		s.mu.Unlock()
		return ErrQueueFull
	}
	k := len(s.out)
	if k == 0 || s.out[k-1].ctrl != nil {
		var buf []byte
		if f := len(s.free); f > 0 {
			buf, s.free = s.free[f-1], s.free[:f-1]
		} else {
			buf = make([]byte, 0, 4096)
		}
		s.out = append(s.out, item{audio: buf})
		k++
	}
	buf := s.out[k-1].audio
	for _, p := range [...][]int16{older, newer, pcm} {
		if s.ulaw {
			buf = appendUlaw(buf, p)
		} else {
			buf = appendLinear16(buf, p)
		}
	}
	s.out[k-1].audio = buf
	s.queued += n
	s.streamed += int64(samples)
	// The writer sends what has gathered every sendEvery of audio (or at
	// once for a Flush or Close): a tenth of the messages and wake-ups of
	// a message per 20 ms frame. An utterance's first frame, coming with
	// the quiet before it, goes at once.
	s.unsent += samples
	nudge := s.unsent >= s.rate*int(sendEvery/time.Millisecond)/1000
	if nudge {
		s.unsent = 0
	}
	s.mu.Unlock()
	if nudge {
		s.poke()
	}
	return nil
}

// sendEvery is how much audio the writer gathers into one message.
// Deepgram takes audio in chunks of any size; interim results wait at
// most this long for it, and the end of a turn (Flush) sends what has
// gathered at once, so the final transcript does not wait at all.
const sendEvery = 200 * time.Millisecond

// Flush sends Finalize after the audio queued so far; one Final
// transcript of the text since the previous Final follows. The gate
// closes: until the next utterance, the quiet is held back again. A Flush
// with no audio sent since the previous one sends nothing (Deepgram has
// nothing to finalize, and may not answer): its Final, empty, follows the
// previous Flush's. With 64 Flushes already waiting for theirs it returns
// ErrQueueFull.
func (s *stream) Flush() error {
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return err
	}
	if len(s.asm.flushes) >= maxFlushes {
		s.mu.Unlock()
		return ErrQueueFull
	}
	s.seq++
	s.push(s.asm.flush(s.seq, float64(s.streamed)/float64(s.rate))...)
	s.gate.Reset()
	audio := s.streamed > s.flushed
	s.flushed = s.streamed
	if audio {
		s.out = append(s.out, item{ctrl: msgFinalize, seq: s.seq})
		s.unsent = 0
	}
	s.mu.Unlock()
	if audio {
		s.poke()
	}
	return nil
}

// Recv returns the next transcript, speech.ErrClosed after Close, or the
// error that ended the stream once the transcripts before it are read.
func (s *stream) Recv() (speech.Transcript, error) {
	for {
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			return speech.Transcript{}, speech.ErrClosed
		case len(s.q) > 0:
			t := s.q[0]
			s.q = s.q[1:]
			s.mu.Unlock()
			return t, nil
		case s.err != nil:
			err := s.err
			s.mu.Unlock()
			return speech.Transcript{}, err
		}
		changed := s.changed
		s.mu.Unlock()
		<-changed
	}
}

// Close sends CloseStream after the queued audio, waits (CloseTimeout at
// most) for Deepgram to close, closes the connection and waits for the
// reader and writer. It is idempotent.
func (s *stream) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		alive := s.err == nil
		s.closed = true
		if alive {
			s.out = append(s.out, item{ctrl: msgCloseStream, last: true})
		}
		s.broadcast()
		s.mu.Unlock()
		if alive {
			s.poke()
			t := time.NewTimer(s.cfg.CloseTimeout)
			select {
			case <-s.readerDone:
			case <-t.C:
			}
			t.Stop()
		}
		s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(100*time.Millisecond))
		s.stop()
		s.conn.Close()
		s.wg.Wait()
	})
	return nil
}

// stop tells the writer to end.
func (s *stream) stop() {
	s.stopOnce.Do(func() { close(s.dead) })
}

// fail ends the stream with err, unless it already ended or is closing.
func (s *stream) fail(err error) {
	s.mu.Lock()
	if s.err != nil || s.closed {
		s.mu.Unlock()
		return
	}
	s.err = redact(err, s.key)
	s.broadcast()
	s.mu.Unlock()
	s.stop()
	s.conn.Close()
}

// lost explains a connection error.
func lost(op string, err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Code == websocket.CloseNormalClosure {
			return fmt.Errorf("%w: Deepgram closed the stream", ErrConnection)
		}
		if ce.Text != "" {
			return fmt.Errorf("%w: Deepgram closed the stream: %d %s", ErrConnection, ce.Code, ce.Text)
		}
		return fmt.Errorf("%w: Deepgram closed the stream: %d", ErrConnection, ce.Code)
	}
	return fmt.Errorf("%w: %s: %w", ErrConnection, op, err)
}

// read decodes the server's messages until the connection ends.
func (s *stream) read() {
	for {
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			s.fail(lost("receive", err))
			return
		}
		if typ != websocket.TextMessage {
			continue
		}
		ev, err := decode(data)
		if err != nil {
			continue // tolerate what we cannot read
		}
		if e, ok := ev.(serverError); ok {
			s.fail(fmt.Errorf("%w: Deepgram error %s: %s", ErrConnection, e.Code, e.Message))
			return
		}
		s.mu.Lock()
		s.push(s.asm.handle(ev)...)
		s.mu.Unlock()
	}
}

// send writes one message within WriteTimeout.
func (s *stream) send(typ int, data []byte) error {
	s.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	if err := s.conn.WriteMessage(typ, data); err != nil {
		return lost("send", err)
	}
	return nil
}

// write sends the queue, KeepAlive during silence, and times out the
// Flushes whose Finalize goes unanswered. It ends after CloseStream, when
// the stream ends, or when ctx does.
func (s *stream) write(ctx context.Context) {
	var keepC <-chan time.Time
	var keep *time.Timer
	if s.cfg.KeepAlive > 0 {
		keep = time.NewTimer(s.cfg.KeepAlive)
		defer keep.Stop()
		keepC = keep.C
	}
	fin := time.NewTimer(time.Hour)
	fin.Stop()
	defer fin.Stop()
	var finC <-chan time.Time
	var batch []item
	var last bool
	var err error
	for {
		select {
		case <-ctx.Done():
			s.fail(ctx.Err())
			return
		case <-s.dead:
			return
		case <-s.wake:
		case <-keepC:
			if err := s.send(websocket.TextMessage, msgKeepAlive); err != nil {
				s.fail(err)
				return
			}
			keep.Reset(s.cfg.KeepAlive)
		case now := <-finC:
			s.mu.Lock()
			s.push(s.asm.expire(now)...)
			s.mu.Unlock()
		}
		if batch, last, err = s.drain(batch, keep); err != nil {
			s.fail(err)
			return
		}
		if last {
			return
		}
		s.mu.Lock()
		d := s.asm.deadline()
		s.mu.Unlock()
		if d.IsZero() {
			fin.Stop()
			finC = nil
		} else {
			fin.Reset(time.Until(d))
			finC = fin.C
		}
	}
}

// drain sends what is queued, in order, through batch (returned, emptied,
// for the next time); last reports that CloseStream was sent. Sending audio
// restarts keep, when there is one. Once the buffers have grown, it
// allocates nothing itself.
func (s *stream) drain(batch []item, keep *time.Timer) (_ []item, last bool, _ error) {
	s.mu.Lock()
	batch, s.out = s.out, batch[:0]
	s.mu.Unlock()
	for i, it := range batch {
		batch[i] = item{}
		if it.ctrl != nil {
			if err := s.transmit(websocket.TextMessage, it.ctrl); err != nil {
				return batch[:0], false, err
			}
			if it.seq != 0 {
				s.mu.Lock()
				s.asm.sent(it.seq, time.Now().Add(s.cfg.FinalizeTimeout))
				s.mu.Unlock()
			}
			if it.last {
				return batch[:0], true, nil
			}
			continue
		}
		for b := it.audio; len(b) > 0; {
			chunk := b[:min(len(b), maxChunk)]
			b = b[len(chunk):]
			if err := s.transmit(websocket.BinaryMessage, chunk); err != nil {
				return batch[:0], false, err
			}
			s.mu.Lock()
			s.queued -= len(chunk)
			s.mu.Unlock()
		}
		if keep != nil {
			keep.Reset(s.cfg.KeepAlive)
		}
		s.mu.Lock()
		if len(s.free) < 4 {
			s.free = append(s.free, it.audio[:0])
		}
		s.mu.Unlock()
	}
	return batch[:0], false, nil
}

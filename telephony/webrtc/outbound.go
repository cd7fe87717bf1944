package webrtc

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// The agent's audio to the caller. There is no carrier buffer to send
// ahead into, and no clear message, as Twilio has: RTP goes out in real
// time, one 20 ms packet at a time, or the browser's jitter buffer grows
// and then speeds the speech up to shrink it. So the Line queues what the
// runtime writes (it writes 200 ms ahead) and a sender paces it out;
// Clear drops the queue at once, and a mark is reported once the audio
// before it has been sent and, by the page's echo or by PlayoutDelay,
// played.

// maxQueued bounds the audio a Line holds: 30 s, far more than the
// runtime writes ahead.
const maxQueued = 30 * telephony.Rate

// maxBurst bounds the frames sent at once when the sender woke late; past
// it the schedule slips instead of flooding the caller's jitter buffer.
const maxBurst = 5

var (
	errQueueFull = errors.New("webrtc: audio queue full")
	errEnded     = errors.New("webrtc: the call has ended")
)

// queuedMark is a mark after the audio written before it: at frames.
type queuedMark struct {
	at   int64
	name string
}

// sentMark is a mark whose audio has been sent, waiting for the page to
// play it: reported on the page's echo of its id, or at due.
type sentMark struct {
	id   int64
	name string
	due  time.Time
}

// markMsg asks the page to echo the mark id once it has played the frame
// of RTP timestamp ts.
type markMsg struct {
	id int64
	ts uint32
}

// queue is the agent's audio waiting to go out, its marks and the RTP
// clock. Its methods take the time, so that tests drive it without a
// clock; the line holds the lock around them.
type queue struct {
	playout time.Duration // from a frame's end being sent to its being heard

	ulaw          []byte // audio[head:] is queued
	head          int
	written, sent int64 // frames queued, sent, ever
	marks         []queuedMark
	waiting       []sentMark
	nextID        int64
	ending        bool // End was called: send what is queued, then finish

	// the RTP clock
	spurt    bool      // in a talkspurt: frames go out back to back
	markNext bool      // the next frame starts a talkspurt
	slot     time.Time // when the next frame of the spurt is due
	lastEnd  time.Time // when the last frame sent ends, on the sender's clock
	ts       uint32    // the timestamp of the next frame
	seq      uint16
}

// out is what one step of the sender does, in order: send frames, ask the
// page about marks, report marks; then wake at wake (zero: on a write).
type out struct {
	frames [maxBurst]frameOut
	n      int
	ask    []markMsg
	marked []string
	wake   time.Time
	done   bool // ending, and everything has gone out
}

type frameOut struct {
	ulaw   [frameLen]byte
	ts     uint32
	seq    uint16
	marker bool
}

// write queues whole frames of μ-law (a partial one is padded with
// silence).
func (q *queue) write(ulaw []byte) error {
	if q.ending {
		return errEnded
	}
	if len(q.ulaw)-q.head+len(ulaw) > maxQueued {
		return errQueueFull
	}
	if q.head > 0 && len(q.ulaw)+len(ulaw) > cap(q.ulaw) {
		n := copy(q.ulaw, q.ulaw[q.head:])
		q.ulaw, q.head = q.ulaw[:n], 0
	}
	q.ulaw = append(q.ulaw, ulaw...)
	for len(q.ulaw)%frameLen != 0 {
		q.ulaw = append(q.ulaw, audio.UlawSilence)
	}
	q.written = q.sent + int64((len(q.ulaw)-q.head)/frameLen)
	return nil
}

func (q *queue) mark(name string) {
	q.marks = append(q.marks, queuedMark{at: q.written, name: name})
}

// clear drops the queued audio and returns every mark not reported yet,
// in order: those sent and waiting for the page, then those queued.
func (q *queue) clear() []string {
	q.ulaw, q.head, q.spurt = q.ulaw[:0], 0, false
	q.written = q.sent
	var names []string
	for _, m := range q.waiting {
		names = append(names, m.name)
	}
	for _, m := range q.marks {
		names = append(names, m.name)
	}
	q.waiting, q.marks = q.waiting[:0], q.marks[:0]
	return names
}

// echoed reports the marks up to id, which the page says it has played.
func (q *queue) echoed(id int64) []string {
	var names []string
	k := 0
	for ; k < len(q.waiting) && q.waiting[k].id <= id; k++ {
		names = append(names, q.waiting[k].name)
	}
	q.waiting = q.waiting[k:]
	return names
}

// step sends the frames due at now and settles the marks whose audio has
// gone; ask says whether the page can be asked to echo marks.
func (q *queue) step(now time.Time, ask bool, o *out) {
	*o = out{ask: o.ask[:0], marked: o.marked[:0]}
	if len(q.ulaw) == q.head {
		q.spurt = false // dry, or cleared: the next write starts a spurt
	}
	if queued := len(q.ulaw) - q.head; queued > 0 {
		if !q.spurt {
			// A talkspurt starts: back to back with the last one when
			// it comes before that has been played, else now, its
			// timestamp moved on by the silence between, with the
			// marker bit.
			q.spurt = true
			switch {
			case q.sent == 0:
				q.slot, q.markNext = now, true
			case now.After(q.lastEnd):
				q.ts += uint32(now.Sub(q.lastEnd) * telephony.Rate / time.Second)
				q.slot, q.markNext = now, true
			default:
				q.slot = q.lastEnd
			}
		}
		for queued > 0 && !q.slot.After(now) && o.n < maxBurst {
			f := &o.frames[o.n]
			copy(f.ulaw[:], q.ulaw[q.head:q.head+frameLen])
			f.ts, f.seq, f.marker = q.ts, q.seq, q.markNext
			q.markNext = false
			q.head += frameLen
			queued -= frameLen
			q.ts += frameLen
			q.seq++
			q.sent++
			q.slot = q.slot.Add(audio.FrameDuration)
			q.lastEnd = q.slot
			o.n++
		}
		switch {
		case queued == 0: // the spurt has gone: the next write starts another
			q.ulaw, q.head, q.spurt = q.ulaw[:0], 0, false
		case !q.slot.After(now): // still behind after a burst: the schedule slips
			q.slot = now.Add(audio.FrameDuration)
		}
	}
	// Marks whose audio has all been sent wait to be played.
	for len(q.marks) > 0 && q.marks[0].at <= q.sent {
		m := q.marks[0]
		q.marks = q.marks[1:]
		if m.at == 0 {
			o.marked = append(o.marked, m.name) // nothing was said before it
			continue
		}
		behind := q.sent - m.at // frames sent after the mark's
		due := q.lastEnd.Add(-time.Duration(behind)*audio.FrameDuration + q.playout)
		if !due.After(now) && len(q.waiting) == 0 {
			o.marked = append(o.marked, m.name)
			continue
		}
		q.nextID++
		q.waiting = append(q.waiting, sentMark{id: q.nextID, name: m.name, due: due})
		if ask {
			o.ask = append(o.ask, markMsg{id: q.nextID, ts: q.ts - uint32(behind+1)*frameLen})
		}
	}
	if len(q.marks) == 0 {
		q.marks = q.marks[:0] // reuse the array from its start
	}
	k := 0
	for ; k < len(q.waiting) && !q.waiting[k].due.After(now); k++ {
		o.marked = append(o.marked, q.waiting[k].name)
	}
	q.waiting = q.waiting[k:]
	// When to wake: for the next frame, or the next mark due.
	if len(q.ulaw)-q.head > 0 {
		o.wake = q.slot
	}
	if len(q.waiting) > 0 && (o.wake.IsZero() || q.waiting[0].due.Before(o.wake)) {
		o.wake = q.waiting[0].due
	}
	if q.ending && len(q.ulaw)-q.head == 0 {
		o.marked = append(o.marked, q.clear()...)
		o.done = true
	}
}

// line is a call's telephony.Line: the agent's audio goes through
// ulaw-encode(8000) -> webrtc(8000) into the queue, which the call's
// sender paces out.
type line struct {
	c    *call
	enc  audio.Writer[audio.PCM16]
	wake chan struct{}

	mu      sync.Mutex
	q       queue
	number  string // where End sends the caller
	outcome string // how the call ended, as the runtime said (telephony.Outcomer)
}

func newLine(c *call, playout time.Duration) *line {
	l := &line{c: c, wake: make(chan struct{}, 1), q: queue{playout: playout, ts: randUint32(), seq: uint16(randUint32())}}
	l.enc = audio.NewUlawEncoder(audio.NewFuncWriter("webrtc", telephony.Rate, l.enqueue))
	return l
}

func (l *line) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// WriteSample queues whole 20 ms frames of PCM16 at 8 kHz.
func (l *line) WriteSample(pcm audio.PCM16) error { return l.enc.WriteSample(pcm) }

// SampleRate is telephony.Rate: PCMU's 8 kHz.
func (l *line) SampleRate() int { return telephony.Rate }

// String is the chain: "ulaw-encode(8000) -> webrtc(8000)".
func (l *line) String() string { return l.enc.String() }

func (l *line) enqueue(ulaw audio.Ulaw) error {
	l.mu.Lock()
	err := l.q.write(ulaw)
	l.mu.Unlock()
	l.signal()
	return err
}

// Mark queues a mark after the audio written so far.
func (l *line) Mark(name string) error {
	l.mu.Lock()
	l.q.mark(name)
	l.mu.Unlock()
	l.signal()
	return nil
}

// Clear drops the audio not sent yet; the marks not reported yet come
// back at once, in order. What was sent plays out of the browser's jitter
// buffer: a few tens of milliseconds.
func (l *line) Clear() error {
	l.mu.Lock()
	names := l.q.clear()
	l.mu.Unlock()
	for _, n := range names {
		l.c.marked(n)
	}
	l.signal()
	return nil
}

// End finishes the call once the audio queued has been sent: the page is
// told to hang up, or the number the agent transfers to, and the
// PeerConnection is closed. It does not wait for that.
func (l *line) End(number string) error {
	l.mu.Lock()
	if l.q.ending {
		l.mu.Unlock()
		return errEnded
	}
	l.q.ending, l.number = true, number
	l.mu.Unlock()
	l.signal()
	return nil
}

// Outcome learns how the call ends, before End: a call handed over
// tells its page to reconnect instead of hanging up
// (telephony.Outcomer).
func (l *line) Outcome(outcome string) {
	l.mu.Lock()
	l.outcome = outcome
	l.mu.Unlock()
}

// echoed reports the marks up to id, which the page has played.
func (l *line) echoed(id int64) {
	l.mu.Lock()
	names := l.q.echoed(id)
	l.mu.Unlock()
	for _, n := range names {
		l.c.marked(n)
	}
	l.signal()
}

// ending is how the agent ended the call: the number it transferred to
// ("" for a hang-up), the call's outcome when the runtime told it, and
// the timestamp of the last frame sent (nil when none was).
type ending struct {
	number  string
	outcome string
	last    *uint32
}

// send is the call's sender: it paces the queue out as RTP until End's
// audio has gone (then it returns true and how the call ended), the
// caller has gone, or ctx is done. It writes every frame, ask and report
// of a step in that order, outside the lock.
func (l *line) send(ctx context.Context, gone <-chan struct{}) (ending, bool) {
	var o out
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var end ending
		l.mu.Lock()
		l.q.step(time.Now(), l.c.controlOpen(), &o)
		end.number, end.outcome = l.number, l.outcome
		if l.q.sent > 0 {
			last := l.q.ts - frameLen
			end.last = &last
		}
		l.mu.Unlock()
		for i := range o.n {
			if err := l.c.track.write(&o.frames[i]); err != nil {
				l.c.t.log.Debug("webrtc: writing audio", "call", l.c.id, "err", err)
			}
		}
		for _, m := range o.ask {
			l.c.askMark(m)
		}
		for _, n := range o.marked {
			l.c.marked(n)
		}
		if o.done {
			return end, true
		}
		var wake <-chan time.Time
		if !o.wake.IsZero() {
			timer.Reset(time.Until(o.wake))
			wake = timer.C
		}
		select {
		case <-wake:
		case <-l.wake:
		case <-gone:
			l.mu.Lock()
			names := l.q.clear()
			l.q.ending = true
			l.mu.Unlock()
			for _, n := range names {
				l.c.marked(n)
			}
			return ending{}, false
		case <-ctx.Done():
			return ending{}, false
		}
	}
}

func randUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

package webrtc

import (
	"slices"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/telephony/audio"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// ms is t0 plus n milliseconds.
func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// frames is n frames of μ-law, frame k filled with byte k.
func frames(n int) []byte {
	b := make([]byte, 0, n*frameLen)
	for k := range n {
		b = append(b, slices.Repeat([]byte{byte(k)}, frameLen)...)
	}
	return b
}

// sent is what a step sent: the first byte of each frame, its timestamp,
// sequence number and marker.
type sentFrame struct {
	b      byte
	ts     uint32
	seq    uint16
	marker bool
}

func stepAt(q *queue, now time.Time, ask bool) (out, []sentFrame) {
	var o out
	q.step(now, ask, &o)
	var s []sentFrame
	for _, f := range o.frames[:o.n] {
		s = append(s, sentFrame{f.ulaw[0], f.ts, f.seq, f.marker})
	}
	return o, s
}

// TestQueuePacing: a talkspurt goes out one frame per 20 ms, its first
// with the marker bit, timestamps 160 apart; a step that comes late sends
// what is due up to maxBurst and then slips; after a pause, a new spurt's
// timestamp moves on by the pause.
func TestQueuePacing(t *testing.T) {
	q := &queue{playout: 100 * time.Millisecond, ts: 1000, seq: 7}
	if err := q.write(frames(20)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at   int
		want []sentFrame
		wake int // ms; -1: none
	}{
		{0, []sentFrame{{0, 1000, 7, true}}, 20},
		{10, nil, 20},                              // early: nothing due
		{20, []sentFrame{{1, 1160, 8, false}}, 40}, // on time
		{80, []sentFrame{{2, 1320, 9, false}, {3, 1480, 10, false}, {4, 1640, 11, false}}, 100},                                               // late: caught up
		{300, []sentFrame{{5, 1800, 12, false}, {6, 1960, 13, false}, {7, 2120, 14, false}, {8, 2280, 15, false}, {9, 2440, 16, false}}, 320}, // very late: a burst, then the schedule slips
		{320, []sentFrame{{10, 2600, 17, false}}, 340},
	}
	for _, s := range steps {
		o, got := stepAt(q, ms(s.at), true)
		if !slices.Equal(got, s.want) {
			t.Errorf("at %d ms sent %v; want %v", s.at, got, s.want)
		}
		if want := ms(s.wake); s.wake >= 0 && !o.wake.Equal(want) {
			t.Errorf("at %d ms wakes at %v; want %d ms", s.at, o.wake.Sub(t0), s.wake)
		}
	}
	// The rest goes, then the queue is dry: nothing to wake for.
	for at := 340; at <= 520; at += 20 {
		stepAt(q, ms(at), true)
	}
	if o, got := stepAt(q, ms(540), true); got != nil || !o.wake.IsZero() {
		t.Fatalf("a dry queue sent %v, wakes at %v", got, o.wake)
	}
	// The last frame (19) went at 500 ms and ended at 520 ms; a new spurt
	// at 1040 ms is 520 ms (4160 samples) later than the clock it left.
	_ = q.write(frames(1))
	_, got := stepAt(q, ms(1040), true)
	if want := []sentFrame{{0, 1000 + 20*160 + 4160, 27, true}}; !slices.Equal(got, want) {
		t.Errorf("a new spurt was sent as %v; want %v", got, want)
	}
}

// TestQueueBackToBack: audio written before the last spurt has played
// continues it, without a marker or a jump.
func TestQueueBackToBack(t *testing.T) {
	q := &queue{ts: 0}
	_ = q.write(frames(1))
	stepAt(q, ms(0), true) // frame 0 plays until 20 ms
	_ = q.write(frames(1))
	if _, got := stepAt(q, ms(5), true); got != nil {
		t.Errorf("sent %v at 5 ms, before the last frame ended", got)
	}
	if _, got := stepAt(q, ms(20), true); !slices.Equal(got, []sentFrame{{0, 160, 1, false}}) {
		t.Errorf("the next frame went as %v; want it back to back at ts 160", got)
	}
}

// TestQueueMarks: a mark waits for its audio to be sent, then for the
// page's echo, or for its audio's end plus the playout delay; marks are
// reported in order; a mark with nothing before it, or whose audio has
// long played, is reported at once.
func TestQueueMarks(t *testing.T) {
	q := &queue{playout: 100 * time.Millisecond, ts: 0}
	q.mark("first") // nothing said yet
	_ = q.write(frames(2))
	q.mark("a")
	_ = q.write(frames(1))
	q.mark("b")

	o, _ := stepAt(q, ms(0), true)
	if !slices.Equal(o.marked, []string{"first"}) {
		t.Errorf("at 0 ms reported %q; want the mark with nothing before it", o.marked)
	}
	stepAt(q, ms(20), true) // frame 1 sent: a's audio has gone
	o, _ = stepAt(q, ms(40), true)
	if o.marked != nil {
		t.Errorf("reported %q before the audio was played", o.marked)
	}
	if len(q.waiting) != 2 {
		t.Fatalf("%d marks waiting; want a and b", len(q.waiting))
	}
	// a's audio (frames 0-1) ends at 40 ms: due at 140; b's at 160.
	if a, b := q.waiting[0], q.waiting[1]; !a.due.Equal(ms(140)) || !b.due.Equal(ms(160)) {
		t.Errorf("due at %v and %v; want 140 and 160 ms", a.due.Sub(t0), b.due.Sub(t0))
	}
	// The page is asked to echo each, with the timestamp of its last frame.
	// (Asked at 20 ms for a, at 40 for b.)
	// An echo of b reports a and b, in order.
	if got := q.echoed(q.waiting[1].id); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("the echo of b reported %q; want a, b", got)
	}
	// Without an echo, the delay reports it.
	_ = q.write(frames(1))
	q.mark("c")
	stepAt(q, ms(60), true)
	o, _ = stepAt(q, ms(179), true)
	if o.marked != nil || !o.wake.Equal(ms(180)) {
		t.Errorf("at 179 ms reported %q, wakes at %v; want nothing until 180 ms", o.marked, o.wake.Sub(t0))
	}
	o, _ = stepAt(q, ms(180), true)
	if !slices.Equal(o.marked, []string{"c"}) {
		t.Errorf("at 180 ms reported %q; want c", o.marked)
	}
	// A mark after audio that has long played is reported at once.
	q.mark("d")
	o, _ = stepAt(q, ms(500), true)
	if !slices.Equal(o.marked, []string{"d"}) || len(o.ask) != 0 {
		t.Errorf("reported %q and asked %v; want d at once, without asking", o.marked, o.ask)
	}
}

// TestQueueAsks: the page is asked to echo a mark with its id and the
// timestamp of the last frame before it, and only when it can be.
func TestQueueAsks(t *testing.T) {
	q := &queue{playout: time.Second, ts: 500}
	_ = q.write(frames(3))
	q.mark("a")
	_ = q.write(frames(2))
	o, _ := stepAt(q, ms(0), false)
	o, _ = stepAt(q, ms(20), false)
	if len(o.ask) != 0 {
		t.Errorf("asked %v without a control channel", o.ask)
	}
	o, _ = stepAt(q, ms(40), false) // a's last frame (ts 820)
	if len(q.waiting) != 1 || len(o.ask) != 0 {
		t.Fatalf("waiting %v, asked %v", q.waiting, o.ask)
	}
	q.mark("b")
	stepAt(q, ms(60), true)
	o, _ = stepAt(q, ms(80), true) // b's last frame (ts 1140)
	if want := []markMsg{{id: 2, ts: 1140}}; !slices.Equal(o.ask, want) {
		t.Errorf("asked %v; want %v", o.ask, want)
	}
}

// TestQueueClear: Clear drops the audio not sent and returns every mark
// not reported, sent ones first; the line then carries audio again, in a
// new talkspurt.
func TestQueueClear(t *testing.T) {
	q := &queue{playout: time.Second, ts: 0}
	_ = q.write(frames(2))
	q.mark("sent")
	_ = q.write(frames(50))
	q.mark("queued")
	stepAt(q, ms(0), true)
	stepAt(q, ms(20), true)
	stepAt(q, ms(40), true) // 3 frames sent; "sent" waits for its echo
	if got := q.clear(); !slices.Equal(got, []string{"sent", "queued"}) {
		t.Errorf("clear returned %q; want sent, queued", got)
	}
	if _, got := stepAt(q, ms(60), true); got != nil {
		t.Errorf("sent %v after the clear", got)
	}
	if q.echoed(1) != nil {
		t.Error("an echo after the clear reported a mark again")
	}
	_ = q.write(frames(1))
	_, got := stepAt(q, ms(200), true)
	if want := []sentFrame{{0, 3*160 + 140*8, 3, true}}; !slices.Equal(got, want) {
		t.Errorf("after the clear sent %v; want %v", got, want)
	}
}

// TestQueueEnd: End sends what is queued, then the step is done, with
// every mark reported; writes after it fail.
func TestQueueEnd(t *testing.T) {
	q := &queue{playout: time.Second}
	_ = q.write(frames(2))
	q.mark("last")
	q.ending = true
	if err := q.write(frames(1)); err != errEnded {
		t.Errorf("a write after End: %v", err)
	}
	o, _ := stepAt(q, ms(0), true)
	if o.done {
		t.Fatal("done with audio still queued")
	}
	o, _ = stepAt(q, ms(20), true)
	if !o.done || !slices.Equal(o.marked, []string{"last"}) {
		t.Errorf("done %v, reported %q; want done, last reported", o.done, o.marked)
	}
}

// TestQueueWrites: partial frames are padded with silence; the queue is
// bounded.
func TestQueueWrites(t *testing.T) {
	q := &queue{}
	_ = q.write(make([]byte, 100))
	if q.written != 1 || len(q.ulaw) != frameLen || q.ulaw[frameLen-1] != audio.UlawSilence {
		t.Errorf("100 bytes queued as %d frames of %d bytes", q.written, len(q.ulaw))
	}
	if err := q.write(make([]byte, maxQueued)); err != errQueueFull {
		t.Errorf("over the bound: %v", err)
	}
}

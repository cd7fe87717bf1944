// Package transporttest is the conformance suite every transport runs,
// as speech/speechtest is for speech providers: Twilio's
// (telephony/twiliovoice) and the browser's (telephony/webrtc) now, SIP's
// next.
//
// Run answers the calls the transport brings with a scripted Answerer
// instead of the voice runtime, so each check holds the Line in one hand
// and, through a Peer, the caller's end in the other. It checks that a
// transport
//
//   - delivers the caller's audio as whole 20 ms frames at
//     telephony.Rate, in order, none lost or repeated;
//   - passes the caller's keys, in order;
//   - carries the agent's audio to the caller, in order, and reports each
//     mark only once the audio before it has been played;
//   - honours Clear: the audio queued is dropped, the marks after it come
//     back, and the line carries audio again after it;
//   - ends once, whichever side ends: the agent hanging up (Line.End("")),
//     transferring (Line.End(number), where the carrier is then sent), or
//     the caller hanging up (the call's Hangup, then Run returns and the
//     runtime's Line.End is accepted); and leaves no goroutine behind.
//
// Nothing here measures time: a check waits for what it expects, and
// fails only after a generous guard against hanging.
package transporttest

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// Peer is the caller's end of one call over the transport under test, as
// the carrier presents it: a simulated Twilio caller, a browser, a SIP
// phone.
type Peer interface {
	// Say queues the caller's audio, PCM16 at telephony.Rate in whole
	// 20 ms frames, sent in real time after what was queued before.
	Say(pcm audio.PCM16)
	// Press sends the key digit (0-9, *, #).
	Press(digit string) error
	// Played is the agent's audio the caller has heard so far, PCM16 at
	// telephony.Rate, as the caller's side decodes it.
	Played() audio.PCM16
	// Hangup ends the call from the caller's side.
	Hangup() error
	// Done is closed once the call has ended, whichever side ended it.
	Done() <-chan struct{}
	// Transferred says, after Done, where the carrier was sent when the
	// call ended: the number the agent transferred to, or "" when the
	// call was hung up.
	Transferred() (string, error)
}

// Dialer places calls to the transport under test.
type Dialer interface {
	// Dial places a call and returns the caller's end of it, once the
	// transport has it. The call must be answered by the Answerer the
	// transport was made with.
	Dial(ctx context.Context) (Peer, error)
}

// NewTransport starts the transport under test, handing its calls to a,
// and returns how to call it. It stops the transport with t.Cleanup.
type NewTransport func(t *testing.T, a telephony.Answerer) Dialer

// Guard bounds every wait of the suite: a transport that has not done
// what is expected by then is stuck, not slow.
const Guard = 10 * time.Second

// frame is 20 ms at telephony.Rate.
const frame = telephony.Rate / 50

// Run runs the checks, each on a transport of its own.
func Run(t *testing.T, newTransport NewTransport) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			t.Cleanup(func() { noneLeft(t, before) }) // after the transport's own cleanups
			a := &answerer{script: c.script, calls: make(chan *call, 1)}
			d := newTransport(t, a)
			ctx, cancel := context.WithTimeout(context.Background(), Guard)
			defer cancel()
			peer, err := d.Dial(ctx)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			var got *call
			select {
			case got = <-a.calls:
			case <-ctx.Done():
				t.Fatal("the transport did not answer the call")
			}
			if got.info.ID == "" || got.info.Transport == "" {
				t.Errorf("the call was answered as %+v; want its id and transport named", got.info)
			}
			defer func() { // after a failed check too, so that nothing is left running
				_ = peer.Hangup()
				select {
				case <-got.ran:
				case <-time.After(Guard):
				}
			}()
			c.check(t, peer, got)
			// The caller hangs up, unless the call is over already (then
			// Hangup fails, as it may).
			_ = peer.Hangup()
			select {
			case <-got.ran:
			case <-time.After(Guard):
				t.Fatal("Run did not return after the call ended")
			}
			select {
			case <-peer.Done():
			case <-time.After(Guard):
				t.Fatal("the caller's end did not see the call end")
			}
		})
	}
}

var checks = []struct {
	name   string
	script func(ctx context.Context, c *call)
	check  func(t *testing.T, p Peer, c *call)
}{
	{"CallerAudioInOrder", waitHangup, checkCallerAudio},
	{"Keys", waitHangup, checkKeys},
	{"AgentAudioAndMarks", playAndMark, checkAgentAudio},
	{"Clear", clearMidway, checkClear},
	{"AgentHangsUp", endWith(""), checkEnd("")},
	{"AgentTransfers", endWith("+34910000000"), checkEnd("+34910000000")},
	{"CallerHangsUp", waitHangup, checkCallerHangup},
}

// levels are frames of distinct constant levels, far enough apart that
// any telephone codec keeps them apart and in order.
func levels(n int) audio.PCM16 {
	pcm := make(audio.PCM16, 0, n*frame)
	for k := range n {
		for range frame {
			pcm = append(pcm, level(k))
		}
	}
	return pcm
}

func level(k int) int16 { return int16(2000 + 1000*k) }

// frameLevels are the mean levels of the frames of pcm whose level is
// above silence.
func frameLevels(pcm audio.PCM16) []int {
	var out []int
	for off := 0; off+frame <= len(pcm); off += frame {
		sum := 0
		for _, s := range pcm[off : off+frame] {
			sum += int(s)
		}
		if m := sum / frame; m > 1000 {
			out = append(out, m)
		}
	}
	return out
}

// sameLevels reports whether got are the levels 0..n-1, each within 6%.
func sameLevels(got []int, n int) bool {
	if len(got) != n {
		return false
	}
	for k, g := range got {
		want := int(level(k))
		if d := g - want; d*100 > want*6 || -d*100 > want*6 {
			return false
		}
	}
	return true
}

func checkCallerAudio(t *testing.T, p Peer, c *call) {
	const n = 20
	p.Say(append(levels(n), endMarker...))
	waitFor(t, "the caller's audio", func() bool { return ended(c.Audio()) })
	if got := frameLevels(c.Audio()); !sameLevels(got, n) {
		t.Errorf("caller frames arrived as levels %v; want %d frames of rising levels, in order", got, n)
	}
	if odd := slices.IndexFunc(c.Writes(), func(n int) bool { return n%frame != 0 }); odd >= 0 {
		t.Errorf("a write of %d samples: the call is fed whole 20 ms frames", c.Writes()[odd])
	}
}

// endMarker is five frames of a low level that ends the caller's audio in
// checkCallerAudio: once one has come, the frames before it have too.
var endMarker = slices.Repeat(audio.PCM16{-20000}, 5*frame)

// ended reports whether pcm holds a frame of endMarker.
func ended(pcm audio.PCM16) bool {
	for off := 0; off+frame <= len(pcm); off += frame {
		sum := 0
		for _, s := range pcm[off : off+frame] {
			sum += int(s)
		}
		if sum/frame < -10000 {
			return true
		}
	}
	return false
}

func checkKeys(t *testing.T, p Peer, c *call) {
	want := []string{"1", "2", "#", "*", "0"}
	for _, k := range want {
		if err := p.Press(k); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the keys", func() bool { return len(c.Keys()) >= len(want) })
	if got := c.Keys(); !slices.Equal(got, want) {
		t.Errorf("keys %q; want %q", got, want)
	}
}

// playAndMark plays 10 frames, marks "a", 10 more, marks "b", and waits
// for the caller to hang up.
func playAndMark(ctx context.Context, c *call) {
	pcm := levels(20)
	for i := range 2 {
		for k := range 10 {
			off := (10*i + k) * frame
			_ = c.line.WriteSample(pcm[off : off+frame])
		}
		_ = c.line.Mark(string(rune('a' + i)))
	}
	waitHangup(ctx, c)
}

func checkAgentAudio(t *testing.T, p Peer, c *call) {
	for i, name := range []string{"a", "b"} {
		c.waitMark(t, name)
		if n := len(frameLevels(p.Played())); n < 10*(i+1) {
			t.Errorf("mark %q came back when the caller had heard %d frames of the %d before it", name, n, 10*(i+1))
		}
	}
	if got := frameLevels(p.Played()); !sameLevels(got, 20) {
		t.Errorf("the caller heard levels %v; want 20 frames of rising levels, in order", got)
	}
}

// clearMidway queues 10 s of audio and a mark, clears it once the caller
// hears it, then plays 10 frames and a second mark.
func clearMidway(ctx context.Context, c *call) {
	long := levels(1)
	for range 500 {
		_ = c.line.WriteSample(long)
	}
	_ = c.line.Mark("queued")
	c.await(ctx, c.cleared)
	_ = c.line.Clear()
	c.await(ctx, c.replay)
	pcm := levels(10)
	for k := range 10 {
		_ = c.line.WriteSample(pcm[k*frame : (k+1)*frame])
	}
	_ = c.line.Mark("after")
	waitHangup(ctx, c)
}

func checkClear(t *testing.T, p Peer, c *call) {
	waitFor(t, "the caller to hear the audio", func() bool { return len(frameLevels(p.Played())) > 0 })
	close(c.cleared)
	c.waitMark(t, "queued")
	before := len(frameLevels(p.Played()))
	if before >= 500 {
		t.Fatalf("the caller heard all %d frames: nothing was cleared", before)
	}
	close(c.replay)
	c.waitMark(t, "after")
	if got := frameLevels(p.Played())[before:]; !sameLevels(got, 10) {
		t.Errorf("after the clear the caller heard levels %v; want the 10 frames sent after it", got)
	}
}

// endWith plays 10 frames and a mark, waits for it, and ends the call with
// number.
func endWith(number string) func(context.Context, *call) {
	return func(ctx context.Context, c *call) {
		pcm := levels(10)
		for k := range 10 {
			_ = c.line.WriteSample(pcm[k*frame : (k+1)*frame])
		}
		_ = c.line.Mark("last")
		c.await(ctx, c.marked("last"))
		c.end(number)
	}
}

func checkEnd(number string) func(*testing.T, Peer, *call) {
	return func(t *testing.T, p Peer, c *call) {
		select {
		case <-p.Done():
		case <-time.After(Guard):
			t.Fatal("the call did not end for the caller")
		}
		if n := len(frameLevels(p.Played())); n != 10 {
			t.Errorf("the caller heard %d frames of the 10 said before the end", n)
		}
		got, err := p.Transferred()
		if err != nil {
			t.Fatal(err)
		}
		if got != number {
			t.Errorf("the carrier was sent to %q; want %q", got, number)
		}
	}
}

func checkCallerHangup(t *testing.T, p Peer, c *call) {
	if err := p.Hangup(); err != nil {
		t.Errorf("hang up: %v", err)
	}
	select {
	case <-c.hungUp:
	case <-time.After(Guard):
		t.Fatal("the call was not told the caller hung up")
	}
}

// waitHangup is a script that waits for the caller to hang up.
func waitHangup(ctx context.Context, c *call) { c.await(ctx, c.hungUp) }

// waitFor waits for cond, failing after Guard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(Guard); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// noneLeft fails when goroutines started since before are still running.
func noneLeft(t *testing.T, before int) {
	for deadline := time.Now().Add(Guard); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine() - before; n > 0 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines left behind:\n%s", n, buf[:runtime.Stack(buf, true)])
	}
}

// answerer answers every call with a call running script.
type answerer struct {
	script func(context.Context, *call)
	calls  chan *call
}

func (a *answerer) Answer(_ context.Context, info telephony.CallInfo, line telephony.Line) (telephony.Inbound, error) {
	c := &call{info: info, line: line, script: a.script, hungUp: make(chan struct{}), ran: make(chan struct{}),
		cleared: make(chan struct{}), replay: make(chan struct{}), marks: map[string]chan struct{}{}}
	select {
	case a.calls <- c:
	default:
		return nil, errors.New("transporttest: one call at a time")
	}
	return c, nil
}

// call is a call as the suite's Answerer answers it: a telephony.Inbound
// that records what the transport feeds it and runs a script on the Line.
type call struct {
	info telephony.CallInfo
	line telephony.Line

	script          func(context.Context, *call)
	hungUp, ran     chan struct{}
	hangOnce        sync.Once
	cleared, replay chan struct{} // steps of the Clear check, closed by it

	mu     sync.Mutex
	audio  audio.PCM16
	writes []int
	keys   []string
	marks  map[string]chan struct{} // closed when the mark comes back
	ended  bool
}

// WriteSample records the caller's audio.
func (c *call) WriteSample(pcm audio.PCM16) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.audio = append(c.audio, pcm...)
	c.writes = append(c.writes, len(pcm))
	return nil
}

// SampleRate is telephony.Rate.
func (c *call) SampleRate() int { return telephony.Rate }

func (c *call) String() string { return "transporttest(8000)" }

// DTMF records a key.
func (c *call) DTMF(digit string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = append(c.keys, digit)
}

// Marked records that the audio up to a mark was played.
func (c *call) Marked(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := c.markLocked(name)
	select {
	case <-ch: // told before
	default:
		close(ch)
	}
}

// marked is closed once the mark name has come back.
func (c *call) marked(name string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.markLocked(name)
}

func (c *call) markLocked(name string) chan struct{} {
	ch, ok := c.marks[name]
	if !ok {
		ch = make(chan struct{})
		c.marks[name] = ch
	}
	return ch
}

// waitMark waits for the mark name to come back.
func (c *call) waitMark(t *testing.T, name string) {
	t.Helper()
	select {
	case <-c.marked(name):
	case <-time.After(Guard):
		t.Fatalf("the mark %q did not come back", name)
	}
}

// Hangup records that the caller hung up.
func (c *call) Hangup() { c.hangOnce.Do(func() { close(c.hungUp) }) }

// Run runs the script, then, unless it ended the call, waits for the
// caller to hang up and ends the line, as the runtime does.
func (c *call) Run(ctx context.Context) {
	defer close(c.ran)
	c.script(ctx, c)
	c.mu.Lock()
	ended := c.ended
	c.mu.Unlock()
	if !ended {
		c.await(ctx, c.hungUp)
		c.end("")
	}
}

// end ends the line, once.
func (c *call) end(number string) {
	c.mu.Lock()
	c.ended = true
	c.mu.Unlock()
	_ = c.line.End(number)
}

// await waits for ch, the caller's hang-up or ctx.
func (c *call) await(ctx context.Context, ch <-chan struct{}) {
	select {
	case <-ch:
	case <-c.hungUp:
	case <-ctx.Done():
	}
}

// Audio is the caller's audio so far.
func (c *call) Audio() audio.PCM16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.audio)
}

// Writes are the lengths of the transport's writes of caller audio.
func (c *call) Writes() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.writes)
}

// Keys are the caller's keys so far.
func (c *call) Keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.keys)
}

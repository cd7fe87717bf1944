package telephony

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// maxKeys is the longest keypad entry; a longer one is cut in pieces.
const maxKeys = 32

// frameLen is the samples in a 20 ms frame at Rate.
const frameLen = Rate / 50

// Runtime runs calls. Its zero value is not usable; see NewRuntime.
type Runtime struct {
	log     *slog.Logger
	metrics *Metrics
	open    Opener
	cache   *cache
	// DTMFPause ends a keypad entry the caller does not end with #.
	dtmfPause time.Duration
}

// Options configure a Runtime; the zero value means the defaults.
type Options struct {
	Logger  *slog.Logger
	Metrics *Metrics
	// Opener opens the conversations of the calls transports bring
	// (Answer); without one, only NewCall makes calls.
	Opener Opener
	// DTMFPause is how long after the last key an entry without # ends
	// (default 2s).
	DTMFPause time.Duration
}

// NewRuntime returns a runtime for calls.
func NewRuntime(o Options) *Runtime {
	rt := &Runtime{log: o.Logger, metrics: o.Metrics, open: o.Opener, cache: newCache(cacheSamples), dtmfPause: o.DTMFPause}
	if rt.log == nil {
		rt.log = slog.New(slog.DiscardHandler)
	}
	if rt.dtmfPause <= 0 {
		rt.dtmfPause = 2 * time.Second
	}
	return rt
}

// Answer opens the conversation of a call a transport brings, with the
// runtime's Opener, and prepares the call on line.
func (rt *Runtime) Answer(ctx context.Context, info CallInfo, line Line) (Inbound, error) {
	if rt.open == nil {
		return nil, ErrNoOpener
	}
	conv, err := rt.open.Open(ctx, info)
	if err != nil {
		return nil, err
	}
	return rt.NewCall(conv, info, line), nil
}

// turn is where a call stands between the caller and the agent: exactly
// one of these at any time. The caller may speak, or press keys, in any
// of them; what that does is decided in one place, Call.bargeIn.
type turn int

const (
	// idle: nobody speaks and nothing is being worked on; the caller's
	// silence is timed (no-input).
	idle turn = iota
	// endpointing: the caller is speaking and the agent waits for the end
	// of the turn; an answer may be held for it.
	endpointing
	// thinking: the conversation works on an event (services, the model);
	// a filler may play. The caller's turns that end meanwhile wait.
	thinking
	// speaking: the agent's answer plays, or the filler before it ends
	// with the answer held.
	speaking
	// ending: the agent has said, or is saying, its last words; the call
	// ends once they have been heard. Nothing the caller does counts.
	ending
)

var turnNames = [...]string{"idle", "endpointing", "thinking", "speaking", "ending"}

func (t turn) String() string { return turnNames[t] }

// Call is one call in progress: the Inbound a transport feeds while Run
// drives the conversation.
type Call struct {
	rt   *Runtime
	conv *Conversation
	sess Session
	// watch is sess as a Watcher, nil when it is not one; shown is the
	// turn it was told last.
	watch Watcher
	shown string
	line  Line
	info  CallInfo
	log   *slog.Logger
	lang  string

	// from the transport
	inFramer *audio.Framer[int16]
	audioAt  time.Time // the time of the last frame, by the audio's clock
	// ctrl: keys, marks, typed text, hand-over, taken in order before
	// any later frame (by the loop, or by WriteSample first). A Line may
	// report marks into it from under mu (webrtc's Clear): it must not
	// fill up, hence its room.
	ctrl chan control
	// mu is held by whoever changes the call's state: the loop, or the
	// transport's read loop taking a frame. Frames are taken on the
	// transport's goroutine, so that fifty frames a second do not wake
	// the loop fifty times; early holds those that come before the loop
	// starts. looping: the loop runs (frames are taken at once);
	// stopped: it has ended (frames are dropped).
	mu               sync.Mutex
	looping, stopped bool
	early            []inFrame
	loopCtx          context.Context
	poke             chan struct{} // the loop is to look again at what it waits for
	hungUp           chan struct{}
	hangOnce         sync.Once
	lost             atomic.Bool // the connection broke, the caller did not hang up
	quiet            atomic.Bool // Quiet: set by each frame taken

	// from the call's helpers: the recogniser's reader, the session's
	// handler
	news chan news

	// the loop's own state
	stream speech.Stream
	cur    inFrame // the frame being processed (a field, so it does not escape per frame)

	vad *audio.VAD
	ep  *Endpointer

	// The turn, and what it holds. utt is set in thinking (a filler),
	// speaking and ending, and stays until its goroutine has stopped, even
	// once cancelled; held only in speaking (a filler ending) and
	// endpointing.
	state         turn
	utt           *utterance     // the agent's words playing
	held          *handled       // an answer waiting for a filler, or the caller's turn, to end
	answered      *Reply         // the answer said last: said again when a noise cut it off
	interruptible bool           // that answer may be interrupted
	cut           bool           // the caller interrupted it, and no turn has come since
	waiting       []dialog.Event // caller turns that came while the agent was busy
	filler        string         // the wait message of the service running
	end           callEnd        // how the call ends, once the turn is ending
	lastMarkHeard bool           // the caller heard the agent's last words to the end
	lineEnded     bool           // Line.End has been called
	handover      bool           // HandOver was asked: the call ends at the next quiet moment
	outcome       string
	nextUtt       int
	keys          strings.Builder
	lastEvent     time.Time
	frameAt       time.Time // of the last frame the loop took
	// A turn's timing is measured by the clock on the wall: when the
	// frame with the caller's last voice came, and when the frame or
	// transcript came that decided the turn over.
	voice      arrival
	endingRecv time.Time
	alarms     alarms
	wmu        sync.Mutex // orders WriteSample/Mark against Clear
	wg         sync.WaitGroup
	// sessWG counts the goroutines that use the session (an answer worked
	// on, one said): the session is used by one at a time.
	sessWG   sync.WaitGroup
	speakBuf speakBuffers
}

type inFrame struct {
	pcm  [frameLen]int16
	at   time.Time // by the audio's clock
	recv time.Time // when it came
}

type controlKind int

const (
	ctlDTMF controlKind = iota
	ctlMark
	ctlText
	ctlHandover
)

type control struct {
	kind  controlKind
	value string
}

type handled struct {
	reply  Reply
	event  dialog.Event
	timing *TurnTiming
	at     time.Time
}

// callEnd is how the call ends, once the agent has said its last words.
type callEnd struct {
	transfer string
	reason   string
}

// NewCall prepares a call on line with the opened conversation.
func (rt *Runtime) NewCall(conv *Conversation, info CallInfo, line Line) *Call {
	lang := conv.Agent.Language
	c := &Call{
		rt: rt, conv: conv, sess: conv.Session, line: line, info: info, lang: lang,
		log:    rt.log.With("call", info.ID, "agent", conv.Agent.Name),
		ctrl:   make(chan control, 64),
		poke:   make(chan struct{}, 1),
		hungUp: make(chan struct{}),
		news:   make(chan news, 8),
		ep:     NewEndpointer(conv.Agent.Voice, lang, conv.Location),
	}
	c.inFramer, _ = audio.NewFramer[int16](frameLen)
	c.vad, _ = audio.NewVAD(Rate, audio.VADConfig{})
	c.alarms = newAlarms()
	c.watch, _ = conv.Session.(Watcher)
	return c
}

// setTurn moves the call to turn t, telling the watcher when what the
// caller can see changes: listening, thinking or speaking.
func (c *Call) setTurn(t turn) {
	c.state = t
	if c.watch == nil {
		return
	}
	shown := "listening"
	switch t {
	case thinking:
		shown = "thinking"
	case speaking, ending:
		shown = "speaking"
	}
	if shown != c.shown {
		c.shown = shown
		c.watch.Turn(shown)
	}
}

// maxEarly bounds the frames kept before the call's loop starts (while
// the recogniser connects): half a second. Later ones are dropped and
// counted; frames after the call's end are let go.
const maxEarly = 25

// WriteSample takes caller audio: PCM16 at Rate, of any length. Call it
// from one goroutine (the transport's read loop); it does not keep pcm.
// Each whole frame is taken there and then, under the call's lock, so
// while the call's loop is busy with something else the transport's
// reading waits (the audio queues in the connection, not in memory). It
// never fails.
func (c *Call) WriteSample(pcm audio.PCM16) error {
	c.inFramer.Write(pcm)
	for {
		f, ok := c.inFramer.Next()
		if !ok {
			return nil
		}
		// Frames are timed by the audio itself, 20 ms apart, so that
		// network bunching does not stretch or squeeze the caller's pauses;
		// when the audio falls behind the clock (lost packets), it catches up.
		now := time.Now()
		if c.audioAt.IsZero() || now.Sub(c.audioAt) > 200*time.Millisecond {
			c.audioAt = now
		} else {
			c.audioAt = c.audioAt.Add(audio.FrameDuration)
		}
		c.mu.Lock()
		switch {
		case c.looping:
			utt := c.utt
			c.takeControl() // control events keep their priority over audio
			copy(c.cur.pcm[:], f)
			c.cur.at, c.cur.recv = c.audioAt, now
			c.onFrame(c.loopCtx, &c.cur)
			if c.utt != utt || c.over() {
				c.wake() // it waits for another utterance, or is to end
			}
		case c.stopped: // the call is over: its last frames go unheard
		case len(c.early) >= maxEarly:
			c.rt.metrics.dropped()
		default:
			c.early = append(c.early, inFrame{at: c.audioAt, recv: now})
			copy(c.early[len(c.early)-1].pcm[:], f)
		}
		c.mu.Unlock()
	}
}

// takeControl handles the control events queued, under c.mu.
func (c *Call) takeControl() {
	for c.outcome == "" {
		select {
		case ev := <-c.ctrl:
			c.onControl(c.loopCtx, ev)
		default:
			return
		}
	}
}

// over reports whether the call is to end: it has an outcome, or a
// hand-over was asked and the call is at a quiet moment.
func (c *Call) over() bool {
	return c.outcome != "" || c.handover && !c.busy() && c.state != ending
}

// wake has the loop look again at what it waits for: the state changed
// on the transport's goroutine.
func (c *Call) wake() {
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// QuietRead is how late a transport may read the caller's audio while
// Quiet says so.
const QuietRead = 60 * time.Millisecond

// Quiet reports whether, by the last frame taken, nothing waits on the
// caller's audio for the next QuietRead, so a transport may read it a few
// frames at a time: the caller is silent (not even one loud frame) and no
// turn of theirs is open, or their turn is open, the agent is not
// speaking, and QuietRead and a frame more of audio must still come
// before the turn could be decided (Endpointer.Undecided). A barge-in is
// then heard up to QuietRead late, and the end of a turn on time. It is
// safe to call from any goroutine.
func (c *Call) Quiet() bool { return c.quiet.Load() }

// quiet is Quiet's rule, after the frame that ended at at and its voice
// activity v; speaking, that the agent is.
func quiet(v audio.VADResult, ep *Endpointer, at time.Time, speaking bool) bool {
	if ep.InTurn() {
		return !speaking && ep.Undecided(at) >= QuietRead+audio.FrameDuration
	}
	return !v.Speech && !v.Active
}

// arrival estimates when, by the wall's clock, the frame with the
// caller's last voice came. A frame read late (see Quiet) was taken up to
// QuietRead after it came, so its recv−at is larger by as much than that
// of a frame read at once. The voice came at its at plus the least recv−at
// of the frames from it on: the truth once one of them was read at once,
// as the frames that could end a turn are.
type arrival struct {
	at, recv time.Time     // the voice's frame, by the audio's clock and when taken
	lag      time.Duration // the least recv−at since
}

// frame takes a frame that ended at at, by the audio's clock, and was
// taken at recv; voiced, that it has the caller's voice.
func (a *arrival) frame(at, recv time.Time, voiced bool) {
	switch lag := recv.Sub(at); {
	case voiced:
		a.at, a.recv, a.lag = at, recv, lag
	case lag < a.lag:
		a.lag = lag
	}
}

// came is when the frame with the voice came: no earlier than QuietRead
// before it was taken, however the audio's clock moved since (it catches
// up with the wall after lost packets).
func (a *arrival) came() time.Time {
	came, earliest := a.at.Add(a.lag), a.recv.Add(-QuietRead)
	if came.Before(earliest) {
		return earliest
	}
	return came
}

// SampleRate is Rate.
func (c *Call) SampleRate() int { return Rate }

// String names the call as the end of a transport's audio chain.
func (c *Call) String() string { return "call(8000)" }

// DTMF takes a key the caller pressed: 0-9, *, #.
func (c *Call) DTMF(digit string) { c.control(control{ctlDTMF, digit}) }

// Typed takes words the caller typed (or their browser recognised): a
// turn of its own, as if said and recognised. Blank text is ignored;
// longer than maxTyped bytes is cut.
func (c *Call) Typed(text string) {
	text = strings.TrimSpace(text)
	if len(text) > maxTyped {
		text = strings.ToValidUTF8(text[:maxTyped], "")
	}
	if text != "" {
		c.control(control{ctlText, text})
	}
}

// maxTyped bounds a typed turn.
const maxTyped = 1000

// Marked tells the call that the caller has heard the audio up to the
// mark named name.
func (c *Call) Marked(name string) { c.control(control{ctlMark, name}) }

// Hangup tells the call that the caller hung up (or the transport is
// gone). It is idempotent.
func (c *Call) Hangup() { c.hangOnce.Do(func() { close(c.hungUp) }) }

// Lost tells the call that its connection broke without the caller
// hanging up: the call ends here as "connection-lost", and may go on over
// a new connection (CallInfo.Resume), on this instance or another. Call
// it before Hangup.
func (c *Call) Lost() { c.lost.Store(true) }

// HandOver ends the call here at its next quiet moment (no answer being
// worked on or said) as "handover", so that it goes on over a new
// connection elsewhere: what a draining instance does with its calls.
func (c *Call) HandOver() { c.control(control{kind: ctlHandover}) }

func (c *Call) hungUpOutcome() string {
	if c.lost.Load() {
		return OutcomeLost
	}
	return "caller-hangup"
}

func (c *Call) control(ev control) {
	select {
	case c.ctrl <- ev:
		c.wake() // the loop takes it, or a frame before it
	case <-c.hungUp:
	}
}

// Run drives the call until it ends: the caller hangs up, the agent hangs
// up or transfers, the call lasts too long, or ctx is done. It closes the
// session and returns when every goroutine it started has finished.
func (c *Call) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.rt.metrics.callStarted()
	start := time.Now()
	c.log.Info("call started", "transport", c.info.Transport, "stt", name(c.conv.STT), "tts", name(c.conv.TTS), "line", c.line.String())
	// A call hung up before it ran (a transport that answered it and lost
	// the caller while connecting) says nothing and hears nothing: it
	// only ends.
	early := false
	select {
	case <-c.hungUp:
		early = true
	default:
	}
	if c.conv.STT != nil && !early {
		stream, err := c.conv.STT.Stream(ctx, Rate)
		if err != nil {
			c.log.Warn("speech recognition unavailable; only keys reach the agent", "err", err)
		} else {
			c.stream = stream
			c.wg.Add(1)
			go c.recv(ctx)
		}
	}
	if d := c.conv.Agent.Voice.MaxDuration.Std(); d > 0 {
		c.alarms.set(alarmMaxDuration, d)
	}
	switch {
	case early:
	case c.info.Resume:
		c.deliver(ctx, dialog.Resume{At: start})
	default:
		c.deliver(ctx, dialog.Start{At: start})
	}
	c.loop(ctx)

	cancel()
	c.Hangup() // the transport's DTMF and Marked no longer wait for the loop
	c.stopSpeaking(false)
	c.sessWG.Wait() // cancelled: an answer worked on or said stops, and Ending may use the session
	c.endLine("")
	if c.stream != nil {
		_ = c.stream.Close()
	}
	c.wg.Wait()
	c.alarms.timer.Stop()
	if c.outcome == "caller-hangup" {
		c.sess.Handle(context.WithoutCancel(ctx), dialog.Hangup{At: time.Now()}, func(string) {})
	}
	c.sess.Close(c.outcome)
	c.rt.metrics.callEnded(c.outcome)
	c.log.Info("call ended", "outcome", c.outcome, "duration_ms", time.Since(start).Milliseconds())
}

func name(v interface{ String() string }) string {
	if v == nil {
		return "none"
	}
	return v.String()
}

func (c *Call) recv(ctx context.Context) {
	defer c.wg.Done()
	for {
		t, err := c.stream.Recv()
		if err != nil {
			if !errors.Is(err, speech.ErrClosed) && ctx.Err() == nil {
				c.log.Warn("speech recognition ended; only keys reach the agent now", "err", err)
				c.tell(ctx, news{kind: newsSTTLost})
			}
			return
		}
		if !c.tell(ctx, news{kind: newsTranscript, transcript: t}) {
			return
		}
	}
}

// loop is the call's goroutine of state: control events first, then
// transcripts, answers and timers; frames are taken by WriteSample on the
// transport's goroutine, under the same lock. The loop holds the lock but
// while it waits.
func (c *Call) loop(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loopCtx, c.looping = ctx, true
	defer func() { c.looping, c.stopped = false, true }()
	for i := range c.early {
		c.cur = c.early[i]
		c.onFrame(ctx, &c.cur)
	}
	c.early = nil
	for {
		if c.over() {
			if c.outcome == "" { // at a quiet moment, asked to hand over
				c.outcome = OutcomeHandover
			}
			return
		}
		select {
		case ev := <-c.ctrl:
			c.onControl(ctx, ev)
			continue
		case <-c.hungUp:
			c.outcome = c.hungUpOutcome()
			return
		default:
		}
		spoken := c.doneSpeaking()
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			c.mu.Lock()
			c.outcome = "shutdown"
			if errors.Is(context.Cause(ctx), ErrHandover) {
				c.outcome = OutcomeHandover
			}
		case <-c.hungUp:
			c.mu.Lock()
			c.outcome = c.hungUpOutcome()
		case n := <-c.news:
			c.mu.Lock()
			c.onNews(ctx, n)
		case <-spoken:
			c.mu.Lock()
			c.onSpoken(ctx)
		case <-c.alarms.timer.C:
			c.mu.Lock()
			c.onAlarms(ctx)
		case <-c.poke:
			c.mu.Lock()
		}
	}
}

// onAlarms handles the alarms due, the earliest first; one may cancel
// another.
func (c *Call) onAlarms(ctx context.Context) {
	c.alarms.rang()
	for c.outcome == "" {
		k, ok := c.alarms.take(time.Now())
		if !ok {
			break
		}
		switch k {
		case alarmFiller:
			c.onFiller(ctx)
		case alarmKeys:
			c.endKeys(ctx, "")
		case alarmNoInput:
			c.onNoInput(ctx)
		case alarmEndWait:
			c.finish()
		case alarmMaxDuration:
			c.log.Info("call reached its maximum duration")
			c.stopSpeaking(true)
			c.outcome = "max-duration"
		}
	}
	c.alarms.arm()
}

func (c *Call) doneSpeaking() <-chan struct{} {
	if c.utt == nil {
		return nil
	}
	return c.utt.done
}

// bargeIn is the caller speaking (the start of voice) or pressing a key,
// whatever the agent is doing. These are the rules, by turn:
//
//   - idle, endpointing: nothing plays; the caller is answering, so their
//     silence is no longer timed.
//   - thinking: the answer is still worked on and will wait for the
//     caller's turn to end; a filler playing stops.
//   - speaking: the agent stops (the line is cleared), unless its answer
//     is a read-back that may not be interrupted
//     (voice.uninterruptibleReadbacks); the session learns what the
//     caller heard of it once it has stopped (onSpoken). A filler playing
//     before a held answer stops.
//   - ending: never here: once the agent has said goodbye, neither voice
//     nor keys are listened to.
//
// Whether an utterance may be interrupted is decided when it starts: a
// filler always, an answer as interruptible says, the last words never.
func (c *Call) bargeIn() {
	c.alarms.stop(alarmNoInput)
	if u := c.utt; u != nil && u.interruptible && !u.interrupted {
		c.rt.metrics.bargeIn()
		c.log.Debug("caller interrupted the agent", "utterance", u.id, "turn", c.state.String())
		c.stopSpeaking(true)
	}
}

func (c *Call) onControl(ctx context.Context, ev control) {
	switch ev.kind {
	case ctlMark:
		c.onMark(ev.value)
	case ctlHandover:
		c.handover = true
	case ctlText:
		if c.state == ending {
			return
		}
		c.bargeIn()
		c.deliver(ctx, dialog.Utterance{At: time.Now(), Text: ev.value})
	case ctlDTMF:
		if c.state == ending {
			return
		}
		c.bargeIn()
		if ev.value == "#" {
			c.endKeys(ctx, "#")
			return
		}
		if c.keys.Len() >= maxKeys {
			c.endKeys(ctx, "")
		}
		c.keys.WriteString(ev.value)
		if c.ep.Expecting() == dialog.AnswerConfirm && c.keys.Len() == 1 {
			c.endKeys(ctx, "") // "press 1 to confirm": one key is the answer
			return
		}
		c.alarms.set(alarmKeys, c.rt.dtmfPause)
	}
}

func (c *Call) endKeys(ctx context.Context, suffix string) {
	c.alarms.stop(alarmKeys)
	digits := c.keys.String() + suffix
	c.keys.Reset()
	if digits == "" || digits == "#" {
		return
	}
	c.deliver(ctx, dialog.DTMF{At: time.Now(), Digits: digits})
}

func (c *Call) onFrame(ctx context.Context, f *inFrame) {
	pcm := audio.PCM16(f.pcm[:])
	c.frameAt = f.at
	if c.stream != nil {
		if err := c.stream.Write(pcm); err != nil && !errors.Is(err, speech.ErrClosed) {
			c.log.Debug("speech recognition write", "err", err)
		}
	}
	v := c.vad.Process(pcm)
	if c.state == ending || c.stream == nil {
		c.quiet.Store(quiet(v, c.ep, f.at, c.utt != nil))
		return
	}
	if v.Event == audio.SpeechStart {
		c.bargeIn()
	}
	d := c.ep.Frame(f.at, v)
	if c.state == idle && c.ep.InTurn() {
		c.setTurn(endpointing)
	}
	c.voice.frame(f.at, f.recv, c.ep.LastVoice().Equal(f.at))
	c.quiet.Store(quiet(v, c.ep, f.at, c.utt != nil))
	c.act(ctx, f.at, f.recv, d)
}

func (c *Call) onTranscript(ctx context.Context, t speech.Transcript) {
	if c.state == ending {
		return
	}
	at := c.frameAt
	if at.IsZero() {
		at = time.Now()
	}
	d := c.ep.Transcript(at, t)
	if c.watch != nil && t.Text != "" && c.ep.InTurn() {
		c.watch.Hearing(c.ep.Text())
	}
	c.act(ctx, at, time.Now(), d)
}

// act carries out the endpointer's decision, made at at by the audio's
// clock and at recv by the wall's.
func (c *Call) act(ctx context.Context, at, recv time.Time, d Decision) {
	if d.Flush {
		if err := c.stream.Flush(); err != nil {
			c.log.Debug("speech recognition flush", "err", err)
			d = c.ep.FlushFailed(at)
		}
	}
	switch {
	case c.ep.EndedAt().IsZero():
		c.endingRecv = time.Time{}
	case c.endingRecv.IsZero():
		c.endingRecv = recv
	}
	if !d.End {
		return
	}
	text := c.ep.Text()
	voice := c.voice.came()
	timing := &TurnTiming{Endpointing: c.endingRecv.Sub(voice), STT: recv.Sub(c.endingRecv), from: voice}
	c.endingRecv = time.Time{}
	c.ep.Reset()
	if c.state == endpointing { // the caller's turn is over
		c.setTurn(idle)
	}
	if text == "" { // noise, a cough: not a turn
		c.resume(ctx)
		return
	}
	c.deliverTimed(ctx, dialog.Utterance{At: at, Text: text}, timing)
	c.release(ctx)
}

// deliver hands an event to the conversation now, or after what the
// agent is doing.
func (c *Call) deliver(ctx context.Context, ev dialog.Event) { c.deliverTimed(ctx, ev, nil) }

// deliverTimed delivers a caller's turn whose timing the answer completes.
func (c *Call) deliverTimed(ctx context.Context, ev dialog.Event, timing *TurnTiming) {
	switch {
	case c.state == ending:
		return // the agent has said goodbye
	case c.busy():
		if len(c.waiting) < 4 {
			c.waiting = append(c.waiting, ev)
		}
		return
	}
	c.handle(ctx, ev, timing)
}

// busy: the agent is working on an answer, saying one, or holding one for
// the end of the caller's turn.
func (c *Call) busy() bool { return c.state == thinking || c.state == speaking || c.held != nil }

func (c *Call) handle(ctx context.Context, ev dialog.Event, timing *TurnTiming) {
	c.setTurn(thinking)
	c.alarms.stop(alarmNoInput)
	c.wg.Add(1)
	c.sessWG.Add(1)
	go func() {
		defer c.wg.Done()
		defer c.sessWG.Done()
		reply := c.sess.Handle(ctx, ev, func(message string) {
			select {
			case c.news <- news{kind: newsFiller, filler: message}:
			default: // the loop is far behind: no filler
			}
		})
		h := handled{reply: reply, event: ev, timing: timing, at: time.Now()}
		if timing != nil {
			timing.External = reply.External
		}
		c.tell(ctx, news{kind: newsHandled, handled: h})
	}()
}

// news is what the call's helpers tell its loop, in the order it
// happened: a Handle's fillers come before its answer.
type news struct {
	kind       newsKind
	transcript speech.Transcript
	filler     string
	handled    handled
}

type newsKind int

const (
	newsTranscript newsKind = iota // the recogniser heard something
	newsSTTLost                    // recognition ended on its own
	newsFiller                     // a service started: its wait message
	newsHandled                    // the session answered
)

// tell hands n to the loop; false when ctx ended first.
func (c *Call) tell(ctx context.Context, n news) bool {
	select {
	case c.news <- n:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Call) onNews(ctx context.Context, n news) {
	switch n.kind {
	case newsTranscript:
		c.onTranscript(ctx, n.transcript)
	case newsSTTLost:
		c.stream = nil
		c.onSTTLost(ctx)
	case newsFiller:
		c.onRunning(n.filler)
	case newsHandled:
		c.onHandled(ctx, n.handled)
	}
}

// onRunning: a service started; if it is still running after
// voice.waitMessageAfter the caller hears its wait message.
func (c *Call) onRunning(text string) {
	if text == "" || c.state != thinking {
		return
	}
	c.filler = text
	c.alarms.set(alarmFiller, waitAfter(c.conv.Agent.Voice))
}

func (c *Call) onFiller(ctx context.Context) {
	if c.state != thinking || c.utt != nil || c.filler == "" {
		return
	}
	text := c.filler
	c.filler = ""
	c.speak(ctx, nil, true, false, nil, text)
}

func (c *Call) onHandled(ctx context.Context, h handled) {
	c.alarms.stop(alarmFiller)
	c.filler = ""
	c.lastEvent = h.at
	if _, ok := h.event.(dialog.Start); ok {
		c.lastEvent = dialog.At(h.event)
	}
	switch {
	case c.utt != nil: // a filler is playing: the answer waits for it
		c.state, c.held = speaking, &h
	case c.ep.InTurn(): // the caller is speaking: the answer waits for the turn's end
		c.state, c.held = endpointing, &h
	default:
		c.answer(ctx, h)
	}
}

// answer speaks a reply and notes what it asks for and whether it ends
// the call.
func (c *Call) answer(ctx context.Context, h handled) {
	c.held = nil
	expect := ""
	greeting, readback, speaks := false, false, false
	for _, a := range h.reply.Actions {
		speaks = speaks || dialog.Text(a) != ""
		switch a := a.(type) {
		case dialog.Ask:
			expect = a.Type
		case dialog.Confirm:
			expect, readback = dialog.AnswerConfirm, true
		case dialog.Say:
			greeting = greeting || a.Kind == dialog.Greeting
		case dialog.End:
			c.state, c.end = ending, callEnd{reason: "agent-hangup"}
		case dialog.Transfer:
			c.state, c.end = ending, callEnd{transfer: a.Number, reason: "transfer"}
		}
	}
	c.ep.Expect(expect)
	if c.state == ending {
		c.waiting = nil
		c.alarms.stop(alarmKeys)
		c.keys.Reset()
	}
	c.interruptible = !(readback && c.conv.Agent.Voice.UninterruptibleReadbacks) && c.state != ending
	c.answered = &h.reply
	if !speaks {
		c.lastMarkHeard = true // nothing to hear
		c.afterSpeaking(ctx)
		return
	}
	if c.state != ending {
		c.setTurn(speaking)
	}
	c.speak(ctx, h.timing, c.interruptible, greeting, c.answered, "")
}

func (c *Call) onSpoken(ctx context.Context) {
	u := c.utt
	c.utt = nil
	c.rt.metrics.late(u.late)
	if u.reply != nil {
		said, heard := u.text(), ""
		if u.interrupted {
			heard = u.heard(u.stopped)
			c.cut = true
		} else {
			heard = said
		}
		c.sess.Spoken(said, heard, u.interrupted)
	}
	if c.held != nil && !c.ep.InTurn() {
		c.answer(ctx, *c.held)
		return
	}
	switch {
	case c.state == thinking: // a filler ended; the answer is still worked on
		return
	case c.held != nil: // the caller is speaking: the answer waits for the turn's end
		c.setTurn(endpointing)
		return
	}
	c.afterSpeaking(ctx)
}

// afterSpeaking: the agent has said its piece; the call ends, the next
// waiting turn is taken, or the caller's silence is timed.
func (c *Call) afterSpeaking(ctx context.Context) {
	if c.state == ending {
		if c.lastMarkHeard {
			c.finish()
		} else {
			c.alarms.set(alarmEndWait, leadFrames*audio.FrameDuration+2*time.Second)
		}
		return
	}
	if len(c.waiting) > 0 {
		ev := c.waiting[0]
		c.waiting = c.waiting[1:]
		c.handle(ctx, ev, nil)
		return
	}
	c.setTurn(idle)
	if c.ep.InTurn() {
		c.setTurn(endpointing)
	}
	c.armNoInput()
}

// armNoInput times the caller's silence, when the turn is idle.
func (c *Call) armNoInput() {
	if c.state != idle {
		return
	}
	d := c.sess.Deadline()
	if d.IsZero() {
		return
	}
	c.alarms.set(alarmNoInput, max(0, d.Sub(c.lastEvent)))
}

func (c *Call) onNoInput(ctx context.Context) {
	if c.state != idle {
		return
	}
	if d := c.sess.Deadline(); !d.IsZero() {
		c.handle(ctx, dialog.Timeout{At: d}, nil)
	}
}

func (c *Call) onMark(name string) {
	id, part, ok := strings.Cut(name, ".")
	if !ok || c.utt == nil && c.state != ending {
		return
	}
	n, err := strconv.Atoi(id)
	if err != nil {
		return
	}
	if part == "end" && c.state == ending && n == c.nextUtt-1 {
		c.lastMarkHeard = true
		if c.utt == nil {
			c.finish()
		}
		return
	}
	if u := c.utt; u != nil && u.id == n && !u.interrupted {
		if k, err := strconv.Atoi(part); err == nil {
			u.markHeard(k)
		}
	}
}

// finish ends the call after the agent's last words.
func (c *Call) finish() {
	if c.outcome != "" || c.state != ending {
		return
	}
	c.outcome = c.end.reason
	c.endLine(c.end.transfer)
}

// endLine ends the call on the line, once: hanging up, or transferring
// to number.
func (c *Call) endLine(number string) {
	if c.lineEnded {
		return
	}
	c.lineEnded = true
	if e, ok := c.sess.(Ender); ok && c.outcome != OutcomeHandover && c.outcome != OutcomeLost {
		e.Ending(c.outcome, number)
	}
	if o, ok := c.line.(Outcomer); ok {
		o.Outcome(c.outcome)
	}
	if err := c.line.End(number); err != nil {
		select {
		case <-c.hungUp: // the caller left first: the line may be gone already
			c.log.Debug("ending the call after the caller hung up", "err", err)
		default:
			c.log.Warn("ending the call", "err", err)
		}
	}
}

// stopSpeaking cancels the utterance playing and, with clear, drops what
// the caller has not heard yet.
func (c *Call) stopSpeaking(clear bool) {
	u := c.utt
	if u == nil || u.interrupted {
		return
	}
	u.interrupted, u.stopped = true, time.Now()
	u.cancel()
	if clear {
		c.wmu.Lock()
		if err := c.line.Clear(); err != nil {
			c.log.Debug("clear", "err", err)
		}
		c.wmu.Unlock()
	}
}

// waitAfter is how long a service may run before its filler is said.
func waitAfter(v configs.Voice) time.Duration {
	if v.WaitMessageAfter == nil {
		return configs.DefaultWaitMessageAfter
	}
	return v.WaitMessageAfter.Std()
}

// onSTTLost: recognition failed for good; the turn in progress ends with
// what was heard, and from now on only keys reach the agent.
func (c *Call) onSTTLost(ctx context.Context) {
	if c.ep.InTurn() {
		c.act(ctx, c.frameAt, time.Now(), c.ep.Abandon(c.frameAt))
		return
	}
	c.armNoInput()
}

// resume: a turn came to nothing (a cough, noise). An answer held for it
// is said; if the caller's noise had cut the agent off, the agent says its
// words again; else the silence is timed.
func (c *Call) resume(ctx context.Context) {
	if c.held != nil && c.utt == nil {
		c.release(ctx)
		return
	}
	if c.cut && c.state == idle {
		c.cut = false
		c.setTurn(speaking)
		c.speak(ctx, nil, c.interruptible, false, c.answered, "")
		return
	}
	c.armNoInput()
}

// release speaks an answer that waited for the caller's turn to end.
func (c *Call) release(ctx context.Context) {
	c.cut = false
	if c.held != nil && c.utt == nil {
		c.answer(ctx, *c.held)
	}
}

package telephony

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// fakeLine records what the runtime sends the caller and, when echo is
// set, plays it back at once: every mark comes back as soon as it is sent.
type fakeLine struct {
	call *Call
	echo bool

	mu       sync.Mutex
	log      []string // "media", "mark NAME", "clear", "end NUMBER"
	frames   int
	ended    chan string
	outcomes []string // what Outcome was told
}

// Outcome records the call's outcome: fakeLine is an Outcomer.
func (l *fakeLine) Outcome(outcome string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcomes = append(l.outcomes, outcome)
}

func (l *fakeLine) told() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.outcomes)
}

func newFakeLine(echo bool) *fakeLine { return &fakeLine{echo: echo, ended: make(chan string, 1)} }

func (l *fakeLine) add(ev string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ev == "media" {
		l.frames++
		if n := len(l.log); n > 0 && l.log[n-1] == "media" {
			return // runs of media are one entry
		}
	}
	l.log = append(l.log, ev)
}

func (l *fakeLine) SampleRate() int { return Rate }
func (l *fakeLine) String() string  { return "fake(8000)" }

func (l *fakeLine) WriteSample(pcm audio.PCM16) error {
	if len(pcm) == 0 || len(pcm)%frameLen != 0 {
		panic("not whole frames")
	}
	for range len(pcm) / frameLen {
		l.add("media")
	}
	return nil
}

func (l *fakeLine) Mark(name string) error {
	l.add("mark " + name)
	if l.echo {
		l.call.Marked(name)
	}
	return nil
}

func (l *fakeLine) Clear() error { l.add("clear"); return nil }

func (l *fakeLine) End(number string) error {
	l.add("end " + number)
	select {
	case l.ended <- number:
	default:
	}
	return nil
}

func (l *fakeLine) events() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.log)
}

func (l *fakeLine) sent() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.frames
}

// fakeSession answers events with a script and records what it is told.
type fakeSession struct {
	reply   func(ev dialog.Event) Reply
	resume  bool          // the call goes on over a new connection
	slow    chan struct{} // when not nil, services wait for it
	noInput time.Duration // when not zero, the caller is silent too long this long after an event (not after a Timeout)

	mu       sync.Mutex
	events   []dialog.Event
	heard    []string
	deadline time.Time
	closed   bool
	outcome  string
	endings  []string // what Ending was told: outcome and transfer
}

func (s *fakeSession) Ending(outcome, transfer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endings = append(s.endings, outcome+" "+transfer)
}

func (s *fakeSession) Handle(ctx context.Context, ev dialog.Event, wait func(string)) Reply {
	s.mu.Lock()
	r := s.reply(ev)
	if s.noInput > 0 {
		s.deadline = time.Time{}
		if st, ok := ev.(dialog.Start); ok {
			s.deadline = st.At.Add(s.noInput)
		}
	}
	s.mu.Unlock()
	for _, a := range r.Actions {
		if _, ok := a.(dialog.Execute); ok && s.slow != nil {
			wait("Un momento, lo consulto.")
			select {
			case <-s.slow:
			case <-ctx.Done():
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	return r
}

func (s *fakeSession) Speak(ctx context.Context, r *Reply, say func(string)) {
	for _, a := range r.Actions {
		if text := dialog.Text(a); text != "" && ctx.Err() == nil {
			say(text)
		}
	}
}

// Spoken records what the caller heard of an interrupted answer.
func (s *fakeSession) Spoken(said, heard string, interrupted bool) {
	if !interrupted {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heard = append(s.heard, heard)
}

func (s *fakeSession) Deadline() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deadline
}

func (s *fakeSession) Close(outcome string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed, s.outcome = true, outcome
}

func (s *fakeSession) got() []dialog.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// fakeSTT hears, at each Flush, the next of its texts.
type fakeSTT struct {
	mu    sync.Mutex
	texts []string
}

func (f *fakeSTT) String() string { return "fake stt" }

func (f *fakeSTT) Stream(ctx context.Context, rate int) (speech.Stream, error) {
	s := &fakeStream{stt: f, out: make(chan speech.Transcript, 16), done: make(chan struct{})}
	return s, nil
}

type fakeStream struct {
	stt      *fakeSTT
	out      chan speech.Transcript
	done     chan struct{}
	closeOne sync.Once
}

func (s *fakeStream) Write(pcm []int16) error { return nil }

func (s *fakeStream) Flush() error {
	s.stt.mu.Lock()
	text := ""
	if len(s.stt.texts) > 0 {
		text, s.stt.texts = s.stt.texts[0], s.stt.texts[1:]
	}
	s.stt.mu.Unlock()
	s.out <- speech.Transcript{Text: text, Final: true}
	return nil
}

func (s *fakeStream) Recv() (speech.Transcript, error) {
	select {
	case t := <-s.out:
		return t, nil
	case <-s.done:
		return speech.Transcript{}, speech.ErrClosed
	}
}

func (s *fakeStream) Close() error {
	s.closeOne.Do(func() { close(s.done) })
	return nil
}

// fakeTTS speaks a 16 kHz tone, perChar long for each character.
type fakeTTS struct {
	perChar time.Duration
	mu      sync.Mutex
	texts   []string
}

func (f *fakeTTS) String() string   { return "fake tts" }
func (f *fakeTTS) SampleRate() int  { return 16000 }
func (f *fakeTTS) spoken() []string { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.texts) }

func (f *fakeTTS) Synthesize(ctx context.Context, text, lang string) (speech.Audio, error) {
	f.mu.Lock()
	f.texts = append(f.texts, text)
	f.mu.Unlock()
	n := int(f.perChar.Seconds()*16000) * len([]rune(text))
	return &toneAudio{ctx: ctx, left: n}, nil
}

type toneAudio struct {
	ctx  context.Context
	left int
	i    int
}

func (a *toneAudio) Read(p []int16) (int, error) {
	if err := a.ctx.Err(); err != nil {
		return 0, err
	}
	if a.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), a.left)
	for k := range n {
		p[k] = int16(8000 * math.Sin(2*math.Pi*440*float64(a.i)/16000))
		a.i++
	}
	a.left -= n
	return n, nil
}

func (a *toneAudio) Close() error { return nil }

// harness runs one call on fakes.
type harness struct {
	t    *testing.T
	call *Call
	line *fakeLine
	sess *fakeSession
	stt  *fakeSTT
	tts  *fakeTTS
	done chan struct{}
}

func newHarness(t *testing.T, voice configs.Voice, echo bool, reply func(dialog.Event) Reply, heard ...string) *harness {
	t.Helper()
	stt := &fakeSTT{texts: heard}
	return newHarnessSTT(t, voice, echo, &fakeSession{reply: reply}, stt, stt)
}

// newHarnessSTT starts a call with sess, set up before the call starts.
func newHarnessSTT(t *testing.T, voice configs.Voice, echo bool, sess *fakeSession, fake *fakeSTT, stt speech.STT) *harness {
	t.Helper()
	before := runtime.NumGoroutine()
	if voice.Silence == 0 {
		voice = testVoice
	}
	wait := configs.Duration(50 * time.Millisecond)
	voice.WaitMessageAfter = &wait
	voice.MaxDuration = configs.Duration(time.Minute)
	h := &harness{t: t, line: newFakeLine(echo), sess: sess, stt: fake, tts: &fakeTTS{perChar: 5 * time.Millisecond}, done: make(chan struct{})}
	agent := &configs.Agent{Name: "test", Language: "es", Timezone: "Europe/Madrid", Voice: voice}
	rt := NewRuntime(Options{DTMFPause: 100 * time.Millisecond})
	h.call = rt.NewCall(&Conversation{Session: h.sess, Agent: agent, STT: stt, TTS: h.tts}, CallInfo{ID: "c1", Transport: "test", Resume: sess.resume}, h.line)
	h.line.call = h.call
	go func() {
		defer close(h.done)
		h.call.Run(context.Background())
	}()
	t.Cleanup(func() {
		h.call.Hangup()
		<-h.done
		for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%d goroutines left behind", n-before)
		}
	})
	return h
}

// voiceFrame is a 20 ms frame of the caller's voice: a 300 Hz tone.
func voiceFrame() audio.PCM16 {
	f := make(audio.PCM16, frameLen)
	for i := range f {
		f[i] = int16(6000 * math.Sin(2*math.Pi*300*float64(i)/Rate))
	}
	return f
}

// speak sends d of voice then silence frames, as the caller would, fast.
func (h *harness) speak(voice, silence time.Duration) {
	tone := voiceFrame()
	quiet := make(audio.PCM16, frameLen)
	for range 5 { // the line is quiet before the caller speaks: the VAD learns its floor
		h.call.WriteSample(quiet)
	}
	for i := time.Duration(0); i < voice+silence; i += audio.FrameDuration {
		if i < voice {
			h.call.WriteSample(tone)
		} else {
			h.call.WriteSample(quiet)
		}
		time.Sleep(time.Millisecond) // faster than real time, slow enough not to overrun the call's queue
	}
}

// until waits for cond, failing after a few seconds.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; line: %v; events: %v", what, h.line.events(), h.sess.got())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) hasEvent(want string) bool { return slices.Contains(h.line.events(), want) }

func say(text string, kind dialog.SayKind) dialog.Action { return dialog.Say{Text: text, Kind: kind} }

func greetThen(rest func(dialog.Event) Reply) func(dialog.Event) Reply {
	return func(ev dialog.Event) Reply {
		if _, ok := ev.(dialog.Start); ok {
			return Reply{Actions: []dialog.Action{say("Hola, soy la clínica.", dialog.Greeting)}}
		}
		if rest == nil {
			return Reply{}
		}
		return rest(ev)
	}
}

func TestCallTurn(t *testing.T) {
	h := newHarness(t, configs.Voice{}, true, greetThen(func(ev dialog.Event) Reply {
		if u, ok := ev.(dialog.Utterance); ok && u.Text == "quiero una cita" {
			return Reply{Actions: []dialog.Action{dialog.Ask{Field: "fecha", Type: "date", Text: "¿Para qué día?"}}}
		}
		return Reply{}
	}), "quiero una cita")
	h.until("the greeting", func() bool { return h.hasEvent("mark 0.0") })
	h.speak(600*time.Millisecond, 700*time.Millisecond)
	h.until("the answer", func() bool { return h.hasEvent("mark 1.0") })
	evs := h.sess.got()
	if len(evs) != 2 {
		t.Fatalf("session got %v", evs)
	}
	if u, ok := evs[1].(dialog.Utterance); !ok || u.Text != "quiero una cita" {
		t.Errorf("second event %#v", evs[1])
	}
	if got := h.tts.spoken(); !slices.Equal(got, []string{"Hola, soy la clínica.", "¿Para qué día?"}) {
		t.Errorf("spoken %q", got)
	}
	if h.call.ep.ask != "date" {
		t.Errorf("the endpointer expects %q; want date", h.call.ep.ask)
	}
	if slices.Contains(h.line.events(), "clear") {
		t.Errorf("cleared without a barge-in: %v", h.line.events())
	}
}

func TestCallBargeIn(t *testing.T) {
	long := strings.Repeat("Bienvenido a la clínica. ", 12) // about 1.5 s of tone
	h := newHarness(t, configs.Voice{}, false, func(ev dialog.Event) Reply {
		if _, ok := ev.(dialog.Start); ok {
			return Reply{Actions: []dialog.Action{say(long, dialog.Greeting)}}
		}
		return Reply{Actions: []dialog.Action{say("Dime.", dialog.Info)}}
	}, "perdona")
	h.until("the greeting to play", func() bool { return h.line.sent() > 10 })
	h.speak(100*time.Millisecond, 0)
	h.until("clear", func() bool { return h.hasEvent("clear") })
	sentAtClear := h.line.sent()
	time.Sleep(100 * time.Millisecond)
	evs := h.line.events()
	if i := slices.Index(evs, "clear"); i != len(evs)-1 || h.line.sent() != sentAtClear {
		t.Errorf("audio after the clear: %v (%d frames, %d at the clear)", evs, h.line.sent(), sentAtClear)
	}
	if sentAtClear > 75 {
		t.Errorf("%d frames were sent before the clear: the greeting was not interrupted", sentAtClear)
	}
	h.until("the interruption to be told", func() bool {
		h.sess.mu.Lock()
		defer h.sess.mu.Unlock()
		return len(h.sess.heard) == 1
	})
	if heard := h.sess.heard[0]; len(heard) >= len(long) || !strings.HasPrefix(long, strings.TrimSuffix(heard, "…")) {
		t.Errorf("heard %q; want a beginning of the greeting", heard)
	}
	h.speak(0, 700*time.Millisecond)
	h.until("the answer to the interruption", func() bool { return len(h.sess.got()) == 2 })
}

func TestCallUninterruptibleReadback(t *testing.T) {
	readback := strings.Repeat("Para confirmar: el lunes a las diez. ", 4)
	voice := testVoice
	voice.UninterruptibleReadbacks = true
	h := newHarness(t, voice, false, func(ev dialog.Event) Reply {
		if _, ok := ev.(dialog.Start); ok {
			return Reply{Actions: []dialog.Action{dialog.Confirm{Intent: "book", Text: readback}}}
		}
		return Reply{}
	})
	h.until("the read-back to play", func() bool { return h.line.sent() > 5 })
	h.speak(200*time.Millisecond, 0)
	h.until("the read-back to end", func() bool { return h.hasEvent("mark 0.0") })
	if h.hasEvent("clear") {
		t.Errorf("an uninterruptible read-back was cleared: %v", h.line.events())
	}
	if h.call.ep.Expecting() != dialog.AnswerConfirm {
		t.Errorf("expecting %q; want a yes or no", h.call.ep.Expecting())
	}
}

func TestCallDTMF(t *testing.T) {
	h := newHarness(t, configs.Voice{}, true, greetThen(func(ev dialog.Event) Reply {
		if d, ok := ev.(dialog.DTMF); ok && d.Digits == "612#" {
			return Reply{Actions: []dialog.Action{dialog.Confirm{Intent: "book", Text: "¿Confirmas? Pulsa 1."}}}
		}
		return Reply{}
	}))
	h.until("the greeting", func() bool { return h.hasEvent("mark 0.0") })
	for _, k := range []string{"6", "1", "2", "#"} {
		h.call.DTMF(k)
	}
	h.until("the read-back", func() bool { return h.hasEvent("mark 1.0") })
	h.call.DTMF("1") // one key answers a read-back, without #
	h.until("the key", func() bool { return len(h.sess.got()) == 3 })
	h.call.DTMF("4")
	h.call.DTMF("2") // and an entry without # ends after the pause
	h.until("the entry", func() bool { return len(h.sess.got()) == 4 })
	var got []string
	for _, ev := range h.sess.got()[1:] {
		got = append(got, ev.(dialog.DTMF).Digits)
	}
	if !slices.Equal(got, []string{"612#", "1", "42"}) {
		t.Errorf("entries %q", got)
	}
}

// TestCallTyped: typed words are a turn of their own, trimmed, blank
// ones ignored; they interrupt the agent like speech.
func TestCallTyped(t *testing.T) {
	long := strings.Repeat("Bienvenido a la clínica. ", 12)
	h := newHarness(t, configs.Voice{}, false, func(ev dialog.Event) Reply {
		if _, ok := ev.(dialog.Start); ok {
			return Reply{Actions: []dialog.Action{say(long, dialog.Greeting)}}
		}
		return Reply{Actions: []dialog.Action{say("Dime.", dialog.Info)}}
	})
	var _ Typist = h.call
	h.until("the greeting to play", func() bool { return h.line.sent() > 10 })
	h.call.Typed("   ")
	h.call.Typed("  quiero una cita ")
	h.until("clear", func() bool { return h.hasEvent("clear") })
	h.until("the typed turn", func() bool { return len(h.sess.got()) == 2 })
	if u, ok := h.sess.got()[1].(dialog.Utterance); !ok || u.Text != "quiero una cita" {
		t.Errorf("typed turn %#v", h.sess.got()[1])
	}
}

func TestCallNoInput(t *testing.T) {
	// The silence is timed from the start: the session knows it before the
	// call starts.
	stt := &fakeSTT{}
	h := newHarnessSTT(t, configs.Voice{}, true, &fakeSession{noInput: 50 * time.Millisecond, reply: func(ev dialog.Event) Reply {
		switch ev.(type) {
		case dialog.Start:
			return Reply{Actions: []dialog.Action{say("Hola.", dialog.Greeting)}}
		case dialog.Timeout:
			return Reply{Actions: []dialog.Action{say("¿Sigues ahí?", dialog.Reprompt)}}
		}
		return Reply{}
	}}, stt, stt)
	h.until("the reprompt", func() bool { return h.hasEvent("mark 1.0") })
	if _, ok := h.sess.got()[1].(dialog.Timeout); !ok {
		t.Errorf("events %v", h.sess.got())
	}
}

func TestCallEnds(t *testing.T) {
	for _, tt := range []struct {
		name   string
		last   dialog.Action
		number string
	}{
		{"hang-up", dialog.End{}, ""},
		{"transfer", dialog.Transfer{Number: "+34910000000"}, "+34910000000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, configs.Voice{}, true, greetThen(func(ev dialog.Event) Reply {
				return Reply{Actions: []dialog.Action{say("Adiós.", dialog.Info), tt.last}}
			}), "adiós")
			h.until("the greeting", func() bool { return h.hasEvent("mark 0.0") })
			h.speak(300*time.Millisecond, 700*time.Millisecond)
			select {
			case n := <-h.line.ended:
				if n != tt.number {
					t.Errorf("ended with %q; want %q", n, tt.number)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("the call did not end: %v", h.line.events())
			}
			<-h.done
			evs := h.line.events()
			if i := slices.Index(evs, "mark 1.end"); i < 0 || i > slices.Index(evs, "end "+tt.number) {
				t.Errorf("the call ended before its last words were heard: %v", evs)
			}
			if !h.sess.closed {
				t.Error("session not closed")
			}
		})
	}
}

func TestCallFiller(t *testing.T) {
	slow := make(chan struct{})
	stt := &fakeSTT{texts: []string{"resérvala"}}
	h := newHarnessSTT(t, configs.Voice{}, true, &fakeSession{slow: slow, reply: greetThen(func(ev dialog.Event) Reply {
		return Reply{Actions: []dialog.Action{dialog.Execute{Intent: "book"}, say("Hecho.", dialog.Reply)}}
	})}, stt, stt)
	h.until("the greeting", func() bool { return h.hasEvent("mark 0.0") })
	h.speak(300*time.Millisecond, 700*time.Millisecond)
	h.until("the filler", func() bool { return slices.Contains(h.tts.spoken(), "Un momento, lo consulto.") })
	close(slow)
	h.until("the answer", func() bool { return slices.Contains(h.tts.spoken(), "Hecho.") })
	if got := h.tts.spoken(); !slices.Equal(got, []string{"Hola, soy la clínica.", "Un momento, lo consulto.", "Hecho."}) {
		t.Errorf("spoken %q", got)
	}
}

func TestCallHangup(t *testing.T) {
	h := newHarness(t, configs.Voice{}, false, greetThen(nil))
	h.until("the greeting to play", func() bool { return h.line.sent() > 2 })
	h.call.Hangup()
	<-h.done
	evs := h.sess.got()
	if _, ok := evs[len(evs)-1].(dialog.Hangup); !ok || !h.sess.closed {
		t.Errorf("events %v closed %v", evs, h.sess.closed)
	}
}

// TestWarmGreeting: a warmed greeting is not synthesised again.
func TestWarmGreeting(t *testing.T) {
	tts := &fakeTTS{perChar: time.Millisecond}
	rt := NewRuntime(Options{})
	if err := rt.Warm(context.Background(), "test", "es", tts, "Hola, soy la clínica."); err != nil {
		t.Fatal(err)
	}
	if greet(rt, tts, "c") == 0 {
		t.Error("the greeting was not played")
	}
	if got := tts.spoken(); len(got) != 1 {
		t.Errorf("synthesised %q; want only the warm-up", got)
	}
}

// greet runs a call on rt until its greeting has played, hangs up, and
// returns how many frames it sent.
func greet(rt *Runtime, tts speech.TTS, id string) int {
	line := newFakeLine(true)
	agent := &configs.Agent{Name: "test", Language: "es", Voice: testVoice}
	call := rt.NewCall(&Conversation{Session: &fakeSession{reply: greetThen(nil)}, Agent: agent, TTS: tts}, CallInfo{ID: id}, line)
	line.call = call
	done := make(chan struct{})
	go func() { defer close(done); call.Run(context.Background()) }()
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Contains(line.events(), "mark 0.0") && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	call.Hangup()
	<-done
	return line.sent()
}

// gatedTTS is fakeTTS whose audio comes once open is closed.
type gatedTTS struct {
	fakeTTS
	open chan struct{}
}

func (g *gatedTTS) Synthesize(ctx context.Context, text, lang string) (speech.Audio, error) {
	a, err := g.fakeTTS.Synthesize(ctx, text, lang)
	if err != nil {
		return nil, err
	}
	select {
	case <-g.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return a, nil
}

// TestPhraseCacheBurst: calls that ask for a sentence to keep while it is
// being synthesised play that synthesis as it comes, the whole of it,
// rather than having it synthesised again.
func TestPhraseCacheBurst(t *testing.T) {
	tts := &gatedTTS{fakeTTS: fakeTTS{perChar: time.Millisecond}, open: make(chan struct{})}
	rt := NewRuntime(Options{})
	const calls = 4
	sent := make(chan int, calls)
	go func() { sent <- greet(rt, tts, "first") }()
	for deadline := time.Now().Add(5 * time.Second); len(tts.spoken()) == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	for i := range calls - 1 {
		go func() { sent <- greet(rt, tts, fmt.Sprint(i)) }()
	}
	time.Sleep(50 * time.Millisecond) // they ask for it meanwhile (if not, it is kept when they do)
	close(tts.open)
	var frames []int
	for range calls {
		frames = append(frames, <-sent)
	}
	if got := tts.spoken(); len(got) != 1 {
		t.Errorf("synthesised %q; want once", got)
	}
	for _, n := range frames[1:] {
		if n != frames[0] || n == 0 {
			t.Errorf("frames played %v; want the whole greeting by each", frames)
			break
		}
	}
}

// TestCallAfterRun: what the transport reports after the call is over
// neither blocks nor panics.
func TestCallAfterRun(t *testing.T) {
	h := newHarness(t, configs.Voice{}, true, greetThen(nil))
	h.until("the greeting", func() bool { return h.hasEvent("mark 0.0") })
	h.call.Hangup()
	<-h.done
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			h.call.DTMF("1")
			h.call.Marked("0.0")
			h.call.WriteSample(make(audio.PCM16, frameLen))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the transport blocked after the call ended")
	}
}

// TestCallMarkNames: marks come from the network; odd names change
// nothing and never break a later barge-in.
func TestCallMarkNames(t *testing.T) {
	long := strings.Repeat("Bienvenido a la clínica. ", 12)
	h := newHarness(t, configs.Voice{}, false, func(ev dialog.Event) Reply {
		return Reply{Actions: []dialog.Action{say(long, dialog.Greeting)}}
	}, "hola")
	h.until("the greeting to play", func() bool { return h.line.sent() > 5 })
	for _, name := range []string{"0.999", "0.-3", "-1.0", "x.y", "0.1.2", "", ".", "99999999999999999999.0", "0.end"} {
		h.call.Marked(name)
	}
	h.speak(100*time.Millisecond, 0)
	h.until("clear", func() bool { return h.hasEvent("clear") })
}

// failingSTT is a recogniser whose connection drops at the first Flush;
// with stays, each Flush fails while the stream stays open (each turn is
// then ended by the frame that asked for its final: FlushFailed).
type failingSTT struct {
	fakeSTT
	stays bool
}

func (f *failingSTT) Stream(ctx context.Context, rate int) (speech.Stream, error) {
	return &failingStream{stays: f.stays, done: make(chan struct{})}, nil
}

type failingStream struct {
	stays bool
	once  sync.Once
	done  chan struct{}
}

func (s *failingStream) Write([]int16) error { return nil }
func (s *failingStream) Flush() error {
	if !s.stays {
		s.once.Do(func() { close(s.done) })
	}
	return errors.New("connection reset")
}
func (s *failingStream) Recv() (speech.Transcript, error) {
	<-s.done
	return speech.Transcript{}, errors.New("connection reset")
}
func (s *failingStream) Close() error { s.once.Do(func() { close(s.done) }); return nil }

// TestCallSTTLost: when recognition fails for good, the turn does not
// hang: the call goes on with keys.
func TestCallSTTLost(t *testing.T) {
	h := newHarnessSTT(t, configs.Voice{}, true, &fakeSession{reply: greetThen(func(ev dialog.Event) Reply {
		return Reply{Actions: []dialog.Action{say("Vale.", dialog.Info)}}
	})}, &fakeSTT{}, &failingSTT{})
	h.until("the greeting", func() bool { return h.hasEvent("mark 0.0") })
	h.speak(300*time.Millisecond, 800*time.Millisecond)
	h.call.DTMF("5")
	h.call.DTMF("#")
	h.until("the keys", func() bool { return len(h.sess.got()) == 2 })
	if d, ok := h.sess.got()[1].(dialog.DTMF); !ok || d.Digits != "5#" {
		t.Errorf("events %v", h.sess.got())
	}
}

// A greeting not warmed is kept once synthesised; another sentence is
// kept when a second call says it, never for one call saying it again;
// the cache lets its oldest go beyond its size.
func TestPhraseCache(t *testing.T) {
	tts := &fakeTTS{perChar: time.Millisecond}
	rt := NewRuntime(Options{})
	for i := range 3 {
		if greet(rt, tts, fmt.Sprint(i)) == 0 {
			t.Errorf("call %d: the greeting was not played", i)
		}
	}
	if got := tts.spoken(); len(got) != 1 {
		t.Errorf("synthesised %q; want once, then from the cache", got)
	}

	c := newCache(10 * frameLen)
	for i, step := range []struct {
		call        string
		start, fill bool
	}{{"a", false, false}, {"a", false, false}, {"b", true, true}, {"c", false, true}} {
		_, f, start := c.lookup("¿Cómo te llamas?", step.call, false)
		if start != step.start || (f != nil) != step.fill {
			t.Errorf("time %d, by call %s: start %v, fill %v; want %v, %v", i+1, step.call, start, f != nil, step.start, step.fill)
		}
	}
	for i := range 4 {
		c.put(fmt.Sprint(i), make([]int16, 4*frameLen))
	}
	for i, want := range []bool{false, false, true, true} {
		if _, ok := c.items[fmt.Sprint(i)]; ok != want {
			t.Errorf("sentence %d kept: %v, want %v", i, ok, want)
		}
	}
	c.put("long", make([]int16, cacheOneSamples+1))
	if _, ok := c.items["long"]; ok {
		t.Error("a sentence longer than cacheOneSamples was kept")
	}
}

// TestCallGoesOn: how a call ends here to go on elsewhere, and starts
// again there. A call that goes on starts with Resume, not the greeting;
// a connection lost ends it as connection-lost and a hand-over, once the
// answer in progress has been said, as handover: neither is an end of
// the call (Ending is not told), and each ends the line without a
// transfer. An ordinary end is told to Ending before the line ends.
func TestCallGoesOn(t *testing.T) {
	t.Run("resume", func(t *testing.T) {
		sess := &fakeSession{resume: true, reply: func(ev dialog.Event) Reply {
			if _, ok := ev.(dialog.Resume); ok {
				return Reply{Actions: []dialog.Action{say("Perdona, se ha cortado un momento.", dialog.Info)}}
			}
			return Reply{}
		}}
		stt := &fakeSTT{}
		h := newHarnessSTT(t, configs.Voice{}, true, sess, stt, stt)
		h.until("the apology", func() bool { return h.hasEvent("mark 0.0") })
		if evs := sess.got(); len(evs) != 1 || evs[0] != (dialog.Resume{At: dialog.At(evs[0])}) {
			t.Errorf("a resumed call was sent %v", evs)
		}
	})
	t.Run("lost", func(t *testing.T) {
		h := newHarness(t, configs.Voice{}, true, greetThen(nil))
		h.until("the greeting", func() bool { return h.hasEvent("mark 0.0") })
		h.call.Lost()
		h.call.Hangup()
		<-h.done
		if h.sess.outcome != OutcomeLost || len(h.sess.endings) != 0 {
			t.Errorf("outcome %q, endings %v", h.sess.outcome, h.sess.endings)
		}
		if got := h.line.told(); !slices.Equal(got, []string{OutcomeLost}) {
			t.Errorf("the line was told the outcome %q", got)
		}
	})
	t.Run("lost before it ran", func(t *testing.T) {
		// A transport that answered a call and lost its caller while
		// connecting runs it hung up: nothing is said, Resume is not
		// handled, and it ends as connection-lost.
		sess := &fakeSession{resume: true, reply: func(dialog.Event) Reply {
			return Reply{Actions: []dialog.Action{say("Perdona, se ha cortado un momento.", dialog.Info)}}
		}}
		line := newFakeLine(true)
		agent := &configs.Agent{Name: "test", Language: "es", Voice: testVoice}
		call := NewRuntime(Options{}).NewCall(&Conversation{Session: sess, Agent: agent, STT: &fakeSTT{}, TTS: &fakeTTS{}},
			CallInfo{ID: "c1", Transport: "test", Resume: true}, line)
		line.call = call
		call.Lost()
		call.Hangup()
		call.Run(context.Background())
		if evs := sess.got(); len(evs) != 0 {
			t.Errorf("a call hung up before it ran was sent %v", evs)
		}
		if sess.outcome != OutcomeLost || line.sent() != 0 || !slices.Equal(line.told(), []string{OutcomeLost}) {
			t.Errorf("outcome %q, %d frames sent, the line told %q", sess.outcome, line.sent(), line.told())
		}
	})
	t.Run("handover", func(t *testing.T) {
		slow := make(chan struct{})
		sess := &fakeSession{slow: slow, reply: greetThen(func(ev dialog.Event) Reply {
			return Reply{Actions: []dialog.Action{dialog.Execute{Intent: "x"}, say("Hecho.", dialog.Reply)}}
		})}
		stt := &fakeSTT{texts: []string{"hazlo"}}
		h := newHarnessSTT(t, configs.Voice{}, true, sess, stt, stt)
		h.until("the greeting", func() bool { return h.hasEvent("mark 0.0") })
		h.speak(300*time.Millisecond, 700*time.Millisecond)
		h.until("the filler of the service", func() bool { return h.hasEvent("mark 1.0") })
		h.call.HandOver()
		select {
		case <-h.done:
			t.Fatal("the call was handed over in the middle of a service")
		case <-time.After(100 * time.Millisecond):
		}
		close(slow)
		<-h.done
		evs := h.line.events()
		if !slices.Contains(evs, "mark 2.0") || slices.Index(evs, "mark 2.0") > slices.Index(evs, "end ") {
			t.Errorf("handed over before the answer was said: %v", evs)
		}
		if sess.outcome != OutcomeHandover || len(sess.endings) != 0 {
			t.Errorf("outcome %q, endings %v", sess.outcome, sess.endings)
		}
		if got := h.line.told(); !slices.Equal(got, []string{OutcomeHandover}) {
			t.Errorf("the line was told the outcome %q", got)
		}
	})
	t.Run("ends", func(t *testing.T) {
		h := newHarness(t, configs.Voice{}, true, greetThen(func(ev dialog.Event) Reply {
			return Reply{Actions: []dialog.Action{say("Te paso.", dialog.Info), dialog.Transfer{Number: "+34910000000"}}}
		}), "con una persona")
		h.until("the greeting", func() bool { return h.hasEvent("mark 0.0") })
		h.speak(300*time.Millisecond, 700*time.Millisecond)
		<-h.done
		if !slices.Equal(h.sess.endings, []string{"transfer +34910000000"}) || !slices.Equal(h.line.told(), []string{"transfer"}) {
			t.Errorf("endings %v; the line told %q", h.sess.endings, h.line.told())
		}
	})
}

// endingSession is a session whose answer to Resume takes until it is
// cancelled, and which notes whether Ending came while it was still at
// work: the session is used by one goroutine at a time.
type endingSession struct {
	fakeSession
	working, overlapped atomic.Bool
	started             chan struct{}
}

func (s *endingSession) Handle(ctx context.Context, ev dialog.Event, wait func(string)) Reply {
	if _, ok := ev.(dialog.Resume); ok {
		s.working.Store(true)
		close(s.started)
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond) // abandoning the services takes a moment
		s.working.Store(false)
		return Reply{}
	}
	return s.fakeSession.Handle(ctx, ev, wait)
}

func (s *endingSession) Ending(outcome, transfer string) {
	s.overlapped.Store(s.working.Load())
	s.fakeSession.Ending(outcome, transfer)
}

// TestCallEndingAfterWork: a call hung up while its answer is worked on
// tells Ending once that work has stopped, not during it.
func TestCallEndingAfterWork(t *testing.T) {
	sess := &endingSession{fakeSession: fakeSession{resume: true, reply: func(dialog.Event) Reply { return Reply{} }}, started: make(chan struct{})}
	line := newFakeLine(true)
	agent := &configs.Agent{Name: "test", Language: "es", Voice: testVoice}
	call := NewRuntime(Options{}).NewCall(&Conversation{Session: sess, Agent: agent, TTS: &fakeTTS{}},
		CallInfo{ID: "c1", Transport: "test", Resume: true}, line)
	line.call = call
	done := make(chan struct{})
	go func() {
		defer close(done)
		call.Run(context.Background())
	}()
	<-sess.started
	call.Hangup()
	<-done
	if sess.overlapped.Load() || !slices.Equal(sess.endings, []string{"caller-hangup "}) {
		t.Errorf("Ending came while the answer was worked on: %v; endings %q", sess.overlapped.Load(), sess.endings)
	}
}

// TestCallSaysAgainFromAFrame: a noise cuts the agent off and a frame
// ends its turn, so the agent's words are said again on the transport's
// goroutine; the call's loop still follows them to their end (this line
// echoes no marks) and then times the caller's silence.
func TestCallSaysAgainFromAFrame(t *testing.T) {
	long := strings.Repeat("Bienvenido a la clínica. ", 4)
	sess := &fakeSession{noInput: time.Millisecond, reply: func(ev dialog.Event) Reply {
		if _, ok := ev.(dialog.Start); ok {
			return Reply{Actions: []dialog.Action{say(long, dialog.Reply)}}
		}
		return Reply{}
	}}
	h := newHarnessSTT(t, configs.Voice{}, false, sess, &fakeSTT{}, &failingSTT{stays: true})
	h.until("the answer to play", func() bool { return h.line.sent() > 5 })
	h.speak(100*time.Millisecond, 800*time.Millisecond)
	h.until("the answer said again, then the silence timed", func() bool {
		return slices.ContainsFunc(h.sess.got(), func(ev dialog.Event) bool { _, ok := ev.(dialog.Timeout); return ok })
	})
	if n := strings.Count(strings.Join(h.line.events(), " "), "clear"); n != 1 {
		t.Errorf("the line was cleared %d times; want once, by the noise: %v", n, h.line.events())
	}
}

// TestCallMarkThenBargeIn: the transport reads "mark 0.0" (the caller
// heard sentence 0) and then the frame that starts the caller's voice, in
// that order, on its one goroutine (as twiliovoice.read does). What the
// session is told the caller heard must include sentence 0.
func TestCallMarkThenBargeIn(t *testing.T) {
	first := "Primera."
	second := strings.Repeat("Segunda frase bastante larga. ", 6)
	h := newHarness(t, configs.Voice{}, false, func(ev dialog.Event) Reply {
		if _, ok := ev.(dialog.Start); ok {
			return Reply{Actions: []dialog.Action{say(first, dialog.Reply), say(second, dialog.Reply)}}
		}
		return Reply{}
	})
	h.until("sentence 0 sent", func() bool { return h.hasEvent("mark 0.0") })
	tone := voiceFrame()
	quiet := make(audio.PCM16, frameLen)
	for range 5 {
		h.call.WriteSample(quiet)
		time.Sleep(time.Millisecond)
	}
	h.call.WriteSample(tone) // 2 of the VAD's 3 start frames
	h.call.WriteSample(tone)
	time.Sleep(5 * time.Millisecond)
	// The transport's goroutine: a mark message, then a media message.
	h.call.Marked("0.0")
	h.call.WriteSample(tone) // speech starts: barge-in
	h.until("the interruption to be told", func() bool {
		h.sess.mu.Lock()
		defer h.sess.mu.Unlock()
		return len(h.sess.heard) == 1
	})
	h.sess.mu.Lock()
	heard := h.sess.heard[0]
	h.sess.mu.Unlock()
	if !strings.HasPrefix(heard, first) {
		t.Errorf("heard %q; want it to start with %q (its mark came before the caller's voice)", heard, first)
	}
}

// failOnceTTS is fakeTTS whose first synthesis fails before any audio.
type failOnceTTS struct {
	fakeTTS
	failed atomic.Bool
}

func (f *failOnceTTS) Synthesize(ctx context.Context, text, lang string) (speech.Audio, error) {
	if f.failed.CompareAndSwap(false, true) {
		return nil, errors.New("503 from the speech endpoint")
	}
	return f.fakeTTS.Synthesize(ctx, text, lang)
}

// TestPhraseCacheFillFails: when the synthesis shared for the cache
// fails before any audio, the call asks for its sentence on its own and
// is heard, as it would have been without the cache.
func TestPhraseCacheFillFails(t *testing.T) {
	tts := &failOnceTTS{fakeTTS: fakeTTS{perChar: time.Millisecond}}
	rt := NewRuntime(Options{})
	if greet(rt, tts, "a") == 0 {
		t.Error("the greeting was not played after the shared synthesis failed")
	}
	if got := tts.spoken(); len(got) != 1 {
		t.Errorf("synthesised %q; want once, after the failure", got)
	}
}

// TestCallQuiet: the call is quiet while the caller is silent and no turn
// of theirs is open; one loud frame, a turn under way (even in its
// silence) and the caller's voice each make it not quiet.
func TestCallQuiet(t *testing.T) {
	h := newHarness(t, configs.Voice{}, true, greetThen(func(ev dialog.Event) Reply {
		return Reply{Actions: []dialog.Action{say("Vale.", dialog.Reply)}}
	}), "quiero una cita")
	h.until("the greeting", func() bool { return h.hasEvent("mark 0.0") })
	tone := voiceFrame()
	silence := make(audio.PCM16, frameLen)
	frames := func(f audio.PCM16, n int) {
		for range n {
			h.call.WriteSample(f)
		}
	}
	for _, step := range []struct {
		frame audio.PCM16
		n     int
		quiet bool
		when  string
	}{
		{silence, 10, true, "in silence"},
		{tone, 1, false, "after a loud frame"},
		{silence, 1, true, "after a click and silence"},
		{tone, 30, true, "while the caller speaks to an agent that waits"}, // nothing is decided before 200 ms of pause
		{silence, 6, true, "120 ms into the caller's pause"},               // 80 ms of pause still to come before the turn could end
		{silence, 1, false, "140 ms into the caller's pause"},              // 60 ms: the frames are read as they come
		{silence, 8, false, "in the silence of a turn not yet over"},       // 300 ms: the voice has ended, the turn has not
	} {
		frames(step.frame, step.n)
		if h.call.Quiet() != step.quiet {
			t.Fatalf("quiet %v %s; want %v", !step.quiet, step.when, step.quiet)
		}
	}
	for !h.hasEvent("mark 1.0") { // the turn ends, the answer is said
		frames(silence, 1)
		time.Sleep(time.Millisecond)
	}
	frames(silence, 1) // Quiet is as of the last frame taken
	if !h.call.Quiet() {
		t.Error("not quiet once the turn is over")
	}
}

// The rule behind Quiet, frame by frame: outside a turn, silence; in a
// turn, an agent that is not speaking and enough of the pause to come.
func TestQuietRule(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	loud := audio.VADResult{Active: true, Speech: true}
	for _, tt := range []struct {
		name     string
		voice    int // frames of voice, then
		pause    int // frames of silence
		v        audio.VADResult
		speaking bool
		want     bool
	}{
		{"silence, no turn", 0, 0, audio.VADResult{}, false, true},
		{"silence, no turn, the agent speaking", 0, 0, audio.VADResult{}, true, true},
		{"a loud frame, no turn", 0, 0, audio.VADResult{Active: true}, false, false},
		{"the caller speaking", 10, 0, loud, false, true},
		{"the caller speaking over the agent", 10, 0, loud, true, false},
		{"120 ms into a pause", 10, 6, audio.VADResult{}, false, true},
		{"140 ms into a pause", 10, 7, audio.VADResult{}, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEndpointer(testVoice, "es", nil)
			now := at
			for range tt.voice {
				now = now.Add(audio.FrameDuration)
				e.Frame(now, loud)
			}
			for range tt.pause {
				now = now.Add(audio.FrameDuration)
				e.Frame(now, audio.VADResult{})
			}
			if got := quiet(tt.v, e, now, tt.speaking); got != tt.want {
				t.Errorf("quiet %v, want %v", got, tt.want)
			}
		})
	}
}

// When the caller's last voice came, by the wall's clock, with frames
// read late: the frames read at once after it give the truth, and it is
// never put more than QuietRead before the voice's frame was taken.
func TestArrival(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	type frame struct {
		late   time.Duration // taken this long after it came
		voiced bool
	}
	for _, tt := range []struct {
		name   string
		frames []frame // 20 ms apart, by the audio's clock and in coming
		voice  int     // the index of the frame with the last voice
		offset time.Duration
	}{
		{"all read at once", []frame{{0, true}, {0, true}, {0, false}, {0, false}}, 1, 0},
		{"the voice read 40 ms late, the pause at once",
			[]frame{{ms(40), true}, {ms(20), true}, {0, false}, {0, false}}, 1, 0},
		{"the voice and the pause read late alike", []frame{{ms(40), true}, {ms(40), false}}, 0, ms(40)},
		{"an earlier voice read at once does not count", []frame{{0, true}, {ms(40), true}, {ms(40), false}}, 1, ms(40)},
		{"a clock that jumped ahead: no more than QuietRead early",
			[]frame{{ms(10), true}, {-ms(300), false}}, 0, ms(10) - QuietRead},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var a arrival
			for i, f := range tt.frames {
				at := t0.Add(time.Duration(i) * audio.FrameDuration)
				a.frame(at, at.Add(f.late), f.voiced)
			}
			voiceAt := t0.Add(time.Duration(tt.voice) * audio.FrameDuration)
			if got, want := a.came(), voiceAt.Add(tt.offset); !got.Equal(want) {
				t.Errorf("came %v after the voice's frame ended, want %v", got.Sub(voiceAt), tt.offset)
			}
		})
	}
}

// What an interrupted caller heard is told by the playout's clock: the
// audio sent that would have played after the interruption was not heard,
// however big the messages that carried it.
func TestHeard(t *testing.T) {
	stopped := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	text := "uno dos tres cuatro cinco seis siete ocho nueve diez"
	for _, tt := range []struct {
		name   string
		marked int           // sentences whose marks came back
		sent   int           // frames of the sentence being played
		left   time.Duration // of what was sent, still to play when stopped
		want   string
	}{
		{"all sent played", 0, 50, 0, text + "…"},
		{"the last 400 ms not played", 0, 50, 400 * time.Millisecond, "uno dos tres cuatro cinco seis…"},
		{"the last 410 ms not played: a frame more", 0, 50, 410 * time.Millisecond, "uno dos tres cuatro cinco…"},
		{"nothing played", 0, 50, time.Second, ""},
		{"a sentence marked, the next not begun", 1, 50, time.Second, "Primera."},
		{"a sentence marked, the next half played", 1, 50, 500 * time.Millisecond, "Primera. uno dos tres cuatro cinco…"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := &utterance{}
			if tt.marked > 0 {
				first := u.add("Primera.")
				u.sent(first, 10, true)
				u.markHeard(first)
			}
			i := u.add(text)
			u.sent(i, tt.sent, true)
			u.playing(stopped.Add(tt.left))
			if got := u.heard(stopped); got != tt.want {
				t.Errorf("heard %q, want %q", got, tt.want)
			}
		})
	}
}

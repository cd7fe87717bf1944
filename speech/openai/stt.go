package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/speech"
)

// STT recognises speech with an OpenAI-compatible
// /audio/transcriptions endpoint: one request per utterance, sent when
// the runtime flushes it. It is safe for concurrent use.
type STT struct {
	c   Config
	url string
}

var _ speech.STT = (*STT)(nil)

// NewSTT returns the client; the error wraps ErrConfig for settings that
// cannot work. It sends nothing.
func NewSTT(c Config) (*STT, error) {
	c, err := c.resolve(DefaultSTTModel)
	if err != nil {
		return nil, err
	}
	if c.Language != "" && len(c.Language) != 2 {
		return nil, fmt.Errorf("%w: language %q is not an ISO-639-1 code such as es", ErrConfig, c.Language)
	}
	return &STT{c: c, url: c.endpoint("transcriptions")}, nil
}

// String names the model and the server: "openai stt whisper-1 at
// api.openai.com".
func (s *STT) String() string {
	return fmt.Sprintf("openai stt %s at %s", s.c.Model, s.c.host())
}

// Stream starts recognising one call's audio at rate Hz (8000 to 48000).
//
// Each Flush sends the audio written since the previous one, as a WAV
// file, in the background; the final transcripts come out of Recv in the
// order of the Flushes, several requests being under way at once when
// the server is slow. Audio shorter than 100 ms, or whose loudest sample
// is below -40 dBFS, is not sent: its transcript is empty. Of the quiet
// before an utterance's first frame at -40 dBFS or louder (the caller
// listening to the agent), only the last 300 ms is kept and sent (a
// speech.Gate), so a call holds and uploads its caller's words, not the
// pauses between them. A stream has a goroutine only for each request under way: between
// utterances it holds that ring of quiet and no goroutine.
//
// An utterance that fails for a reason of its own or a passing one (a
// 5xx, a 429, a timeout, a broken connection, a 400 for audio the server
// cannot decode) gives an empty final transcript, as silence would, and
// is logged: the call goes on and the dialog asks again. A failure that
// every request would meet (ErrAuth, ErrNotFound), or Config.MaxFailures
// utterances failing in a row, ends the stream: Recv returns the error
// once the transcripts before it are delivered, so the runtime can
// apologise and hang up or transfer instead of listening deaf.
func (s *STT) Stream(ctx context.Context, rate int) (speech.Stream, error) {
	if rate < 8000 || rate > 48000 {
		return nil, fmt.Errorf("%w: %d Hz", ErrSampleRate, rate)
	}
	ctx, cancel := context.WithCancel(ctx)
	return &stream{
		stt:    s,
		rate:   rate,
		max:    int(s.c.MaxUtterance.Seconds() * float64(rate)),
		ctx:    ctx,
		cancel: cancel,
		gate:   speech.Gate{Rate: rate},
	}, nil
}

// Utterances shorter than this, or whose peak stays below
// speech.SilentPeak, are not sent: the API refuses less than 0.1 s, and
// models make words up out of silence.
const minUtterance = 100 * time.Millisecond

type utterance struct {
	pcm     []int16
	dropped int // samples beyond MaxUtterance

	// Set by its request, read under stream.mu once finished is.
	text   string
	sent   bool  // a request was made and answered
	failed error // a failure the stream survives (up to MaxFailures in a row)
	err    error // one that ends the stream

	// Under stream.mu.
	finished bool // its request is over, or it needed none
	counted  bool // it came first and was counted among the failures
}

// A stream has no goroutine of its own, only one per request under way.
// Whoever moves it on (Flush, a request that finishes, Recv taking a
// final) does, under mu, what one would: start the queued requests, at
// most MaxPending at once, turn their transcripts into finals in Flush
// order, count the failures and end the stream (advance).
type stream struct {
	stt      *STT
	rate     int
	max      int             // samples in one utterance
	ctx      context.Context // the requests'; cancelled when the stream ends
	cancel   context.CancelFunc
	requests sync.WaitGroup

	// The utterances flushed and not yet delivered, in Flush order: queued
	// ones wait for a request; started ones are under way, or done and
	// waiting for those before them or for room in ready; ready holds the
	// finals Recv has yet to take. Each holds at most MaxPending.
	mu       sync.Mutex
	queued   []*utterance
	started  []*utterance
	ready    []speech.Transcript
	running  int // requests under way
	failures int // utterances failed in a row
	closed   bool
	err      error         // why the stream ended; set, the requests are cancelled
	over     bool          // err is set and the requests are over: Recv returns err after ready
	wake     chan struct{} // closed when Recv may have news; nil until Recv waits

	// The audio loop's: Write and Flush only. Until a loud frame opens
	// the gate, it keeps the latest quiet; from then on, the utterance
	// goes into buf.
	gate    speech.Gate
	buf     []int16
	dropped int
}

// usable returns the error Write and Flush give once the stream is over,
// under s.mu.
func (s *stream) usable() error {
	if s.closed {
		return speech.ErrClosed
	}
	s.checkContext()
	return s.err
}

// Write buffers a copy of pcm; audio beyond MaxUtterance in one
// utterance is dropped. It never blocks.
func (s *stream) Write(pcm []int16) error {
	s.mu.Lock()
	err := s.usable()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	first := !s.gate.Open()
	older, newer, pass := s.gate.Pass(pcm)
	if !pass {
		return nil
	}
	if first { // the utterance starts with the quiet before it
		s.buf = make([]int16, 0, min(s.max, 2*s.rate))
		s.buf = append(s.buf, older...)
		s.buf = append(s.buf, newer...)
	}
	n := min(len(pcm), max(0, s.max-len(s.buf)))
	s.buf = append(s.buf, pcm[:n]...)
	s.dropped += len(pcm) - n
	return nil
}

// Flush hands the utterance to the background; it never blocks. The
// error wraps ErrBacklog when MaxPending utterances are already waiting.
func (s *stream) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	u := &utterance{pcm: s.buf, dropped: s.dropped}
	s.buf, s.dropped = nil, 0
	s.gate.Reset()
	if len(s.queued) >= s.stt.c.MaxPending {
		return fmt.Errorf("%w: %d waiting", ErrBacklog, s.stt.c.MaxPending)
	}
	s.queued = append(s.queued, u)
	s.advance()
	return nil
}

// Recv returns the next final transcript.
func (s *stream) Recv() (speech.Transcript, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.closed {
			return speech.Transcript{}, speech.ErrClosed
		}
		if len(s.ready) > 0 {
			tr := s.ready[0]
			s.ready = shift(s.ready)
			s.advance() // room for the next final
			return tr, nil
		}
		s.checkContext()
		if s.over {
			return speech.Transcript{}, s.err
		}
		if s.wake == nil {
			s.wake = make(chan struct{})
		}
		wake, done := s.wake, s.ctx.Done()
		if s.err != nil {
			done = nil // ending: the requests' end brings the news
		}
		s.mu.Unlock()
		select {
		case <-wake:
		case <-done:
		}
		s.mu.Lock()
	}
}

// Close cancels the requests under way and waits for them.
func (s *stream) Close() error {
	s.mu.Lock()
	s.closed = true
	s.queued, s.started, s.ready = nil, nil, nil
	s.notify()
	s.mu.Unlock()
	s.cancel()
	s.requests.Wait()
	return nil
}

// advance moves the stream on, under s.mu: the first started utterance,
// once finished, is counted among the failures (and may end the stream),
// then becomes a final when Recv has room for it; queued utterances start
// while fewer than MaxPending are started. Once the stream has ended, it
// settles it.
func (s *stream) advance() {
	if s.closed {
		return
	}
	s.checkContext()
	limit := s.stt.c.MaxPending
	for s.err == nil {
		if len(s.started) > 0 && s.started[0].finished {
			u := s.started[0]
			if !u.counted {
				u.counted = true
				if err := s.count(u); err != nil {
					s.end(err)
					break
				}
			}
			if len(s.ready) < limit {
				s.ready = append(s.ready, final(u.text))
				s.started = shift(s.started)
				s.notify()
				continue
			}
		}
		if len(s.queued) > 0 && len(s.started) < limit {
			u := s.queued[0]
			s.queued = shift(s.queued)
			s.start(u)
			continue
		}
		return
	}
	s.settle()
}

// shift drops the first of q, keeping its array but not what it held.
func shift[T any](q []T) []T {
	n := copy(q, q[1:])
	var zero T
	q[n] = zero
	return q[:n]
}

// start starts u's request, under s.mu: in a goroutine of its own, but for
// audio too short to send, whose empty final needs none.
func (s *stream) start(u *utterance) {
	s.started = append(s.started, u)
	if u.dropped == 0 && s.duration(len(u.pcm)) < minUtterance {
		u.pcm, u.finished = nil, true
		return
	}
	s.running++
	s.requests.Go(func() {
		s.transcribe(s.ctx, u)
		s.mu.Lock()
		defer s.mu.Unlock()
		u.finished = true
		s.running--
		s.advance()
	})
}

// count counts finished u among the failures in a row, under s.mu, and
// returns the error that ends the stream, if any.
func (s *stream) count(u *utterance) error {
	switch {
	case u.failed != nil:
		s.failures++
	case u.sent:
		s.failures = 0
	}
	if u.err == nil && s.failures >= s.stt.c.MaxFailures {
		u.err = fmt.Errorf("openai stt: %d utterances in a row failed, the last: %w", s.failures, u.failed)
		s.stt.c.Logger.Error("transcriptions keep failing: the stream ends", "stt", s.stt.String(), "err", u.err)
	}
	return u.err
}

// checkContext ends the stream if its context is done (the caller's was
// cancelled), under s.mu.
func (s *stream) checkContext() {
	if s.err == nil && s.ctx.Err() != nil {
		s.end(fmt.Errorf("openai stt: stream ended: %w", s.ctx.Err()))
	}
}

// end ends the stream with err, under s.mu, unless it has ended already:
// the requests under way are cancelled, the queued utterances dropped.
func (s *stream) end(err error) {
	if s.err != nil {
		return
	}
	s.err = err
	s.cancel()
	s.queued = nil
	s.settle()
}

// settle, once the stream has ended and its requests are over, delivers
// what finished before the end, in order, as far as Recv has room for
// it; Recv then returns the error. Under s.mu.
func (s *stream) settle() {
	if s.err == nil || s.over || s.running > 0 {
		return
	}
	s.over = true
	for _, u := range s.started { // all finished: none is running
		if u.err != nil || len(s.ready) >= s.stt.c.MaxPending {
			break
		}
		s.ready = append(s.ready, final(u.text))
	}
	s.started = nil
	s.notify()
}

// notify wakes Recv, under s.mu.
func (s *stream) notify() {
	if s.wake != nil {
		close(s.wake)
		s.wake = nil
	}
}

func final(text string) speech.Transcript {
	return speech.Transcript{Text: text, Final: true}
}

// duration is the length of n samples.
func (s *stream) duration(n int) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(s.rate)
}

// transcribe sets u's text, or the failure, or the error that ends the
// stream; it lets go of u's audio once the request holds it.
func (s *stream) transcribe(ctx context.Context, u *utterance) {
	c := s.stt.c
	audio := s.duration(len(u.pcm))
	if u.dropped > 0 {
		c.Logger.Warn("utterance too long: transcribing its start", "stt", s.stt.String(), "kept", audio,
			"dropped", s.duration(u.dropped))
	}
	if audio < minUtterance || speech.Peak(u.pcm) < speech.SilentPeak {
		u.pcm = nil
		return
	}
	start := time.Now()
	body, contentType := s.stt.form(u.pcm, s.rate)
	u.pcm = nil // the request's body holds the audio: not twice while it is under way
	text, err := s.stt.transcribe(ctx, body, contentType)
	switch {
	case err == nil:
		u.text, u.sent = text, true
	case ctx.Err() != nil:
		u.err = fmt.Errorf("openai stt: stream ended: %w", ctx.Err())
	case permanent(err):
		u.err = err
		c.Logger.Error("transcription failed: the stream ends", "stt", s.stt.String(), "err", err)
	default:
		u.failed = err
		c.Logger.Warn("transcription failed: the utterance counts as silence", "stt", s.stt.String(),
			"err", err, "audio", audio, "after", time.Since(start).Round(time.Millisecond), "temporary", Temporary(err))
	}
}

// transcribe sends one utterance's form (see form) and returns its text.
func (s *STT) transcribe(ctx context.Context, body []byte, contentType string) (string, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, s.c.Timeout, errTimedOut)
	defer cancel()
	resp, err := s.c.post(ctx, "transcription", s.url, contentType, body)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var answer struct {
		Text *string `json:"text"`
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", s.c.failure(context.Cause(ctx), "transcription", err)
	}
	if err := json.Unmarshal(data, &answer); err != nil || answer.Text == nil {
		return "", fmt.Errorf("openai transcription: %w: %q", ErrMalformed, clean(s.c.redact(string(data)), 100))
	}
	return strings.TrimSpace(*answer.Text), nil
}

// form is the multipart/form-data body of a transcription request.
func (s *STT) form(pcm []int16, rate int) ([]byte, string) {
	var b bytes.Buffer
	b.Grow(wavHeaderSize + 2*len(pcm) + 1024)
	w := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="utterance.wav"`)
	h.Set("Content-Type", "audio/wav")
	part, _ := w.CreatePart(h) // writes to a bytes.Buffer: no error
	// The WAV file is made in b's room (grown for it above) and written
	// into it in place: no copy of the utterance's audio is allocated.
	part.Write(appendWAV(b.AvailableBuffer(), pcm, rate))
	w.WriteField("model", s.c.Model)
	w.WriteField("response_format", "json")
	if s.c.Language != "" {
		w.WriteField("language", s.c.Language)
	}
	if s.c.Prompt != "" {
		w.WriteField("prompt", s.c.Prompt)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

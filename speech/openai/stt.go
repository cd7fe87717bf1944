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
// before an utterance's first sample at -40 dBFS or louder (the caller
// listening to the agent), only the last 300 ms is kept and sent, so
// a call holds and uploads its caller's words, not the pauses between
// them.
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
	st := &stream{
		stt:     s,
		rate:    rate,
		max:     int(s.c.MaxUtterance.Seconds() * float64(rate)),
		cancel:  cancel,
		jobs:    make(chan *utterance, s.c.MaxPending),
		results: make(chan speech.Transcript, s.c.MaxPending),
		closed:  make(chan struct{}),
		ended:   make(chan struct{}),
	}
	st.wg.Go(func() { st.run(ctx) })
	return st, nil
}

// Utterances below these are not sent: the API refuses less than 0.1 s,
// and models make words up out of silence.
const (
	minUtterance = 100 * time.Millisecond
	silentPeak   = 328 // -40 dBFS
)

// preRoll is how much of the quiet before an utterance's first loud
// sample is sent with it: the soft start of its first word.
const preRoll = 300 * time.Millisecond

type utterance struct {
	pcm     []int16
	dropped int // samples beyond MaxUtterance
	text    string
	sent    bool  // a request was made and answered
	failed  error // a failure the stream survives (up to MaxFailures in a row)
	err     error // one that ends the stream
	done    chan struct{}
}

type stream struct {
	stt    *STT
	rate   int
	max    int // samples in one utterance
	cancel context.CancelFunc
	wg     sync.WaitGroup // run

	jobs    chan *utterance        // Flush to run
	results chan speech.Transcript // run to Recv; closed when run ends
	closed  chan struct{}          // closed by Close
	ended   chan struct{}          // closed when run has set err
	err     error                  // why the stream ended
	once    sync.Once

	// The audio loop's: Write and Flush only. Until a loud sample comes,
	// the quiet goes round the ring lead (at is its oldest sample, once
	// full); from then on, the utterance goes into buf.
	buf     []int16
	dropped int
	loud    bool
	lead    []int16
	at      int
}

// usable returns the error Write and Flush give once the stream is over.
func (s *stream) usable() error {
	select {
	case <-s.closed:
		return speech.ErrClosed
	case <-s.ended:
		return s.err
	default:
		return nil
	}
}

// Write buffers a copy of pcm; audio beyond MaxUtterance in one
// utterance is dropped. It never blocks.
func (s *stream) Write(pcm []int16) error {
	if err := s.usable(); err != nil {
		return err
	}
	if !s.loud {
		if peak(pcm) < silentPeak {
			s.keepLead(pcm)
			return nil
		}
		s.loud = true
		s.buf = make([]int16, 0, min(s.max, 2*s.rate))
		s.buf = append(s.buf, s.lead[s.at:]...)
		s.buf = append(s.buf, s.lead[:s.at]...)
		s.lead, s.at = s.lead[:0], 0
	}
	n := min(len(pcm), max(0, s.max-len(s.buf)))
	s.buf = append(s.buf, pcm[:n]...)
	s.dropped += len(pcm) - n
	return nil
}

// keepLead puts quiet pcm in the ring of the latest preRoll of it.
func (s *stream) keepLead(pcm []int16) {
	size := int(preRoll.Seconds() * float64(s.rate))
	if s.lead == nil {
		s.lead = make([]int16, 0, size)
	}
	if len(pcm) > size {
		pcm = pcm[len(pcm)-size:]
	}
	if n := min(len(pcm), size-len(s.lead)); n > 0 { // filling up
		s.lead = append(s.lead, pcm[:n]...)
		pcm = pcm[n:]
	}
	for len(pcm) > 0 { // full: overwrite the oldest, going round
		n := copy(s.lead[s.at:], pcm)
		pcm = pcm[n:]
		if s.at += n; s.at == size {
			s.at = 0
		}
	}
}

// Flush hands the utterance to the background; it never blocks. The
// error wraps ErrBacklog when MaxPending utterances are already waiting.
func (s *stream) Flush() error {
	if err := s.usable(); err != nil {
		return err
	}
	u := &utterance{pcm: s.buf, dropped: s.dropped, done: make(chan struct{})}
	s.buf, s.dropped, s.loud = nil, 0, false
	s.lead, s.at = s.lead[:0], 0
	select {
	case s.jobs <- u:
		return nil
	default:
		return fmt.Errorf("%w: %d waiting", ErrBacklog, cap(s.jobs))
	}
}

// Recv returns the next final transcript.
func (s *stream) Recv() (speech.Transcript, error) {
	select {
	case <-s.closed:
		return speech.Transcript{}, speech.ErrClosed
	default:
	}
	select {
	case tr, ok := <-s.results:
		select {
		case <-s.closed:
			return speech.Transcript{}, speech.ErrClosed
		default:
		}
		if !ok {
			return speech.Transcript{}, s.err
		}
		return tr, nil
	case <-s.closed:
		return speech.Transcript{}, speech.ErrClosed
	}
}

// Close cancels the requests under way and waits for them.
func (s *stream) Close() error {
	s.once.Do(func() {
		close(s.closed)
		s.cancel()
		s.wg.Wait()
	})
	return nil
}

// run starts a request for each flushed utterance, at most MaxPending at
// once, and delivers their transcripts in order.
func (s *stream) run(ctx context.Context) {
	var (
		requests sync.WaitGroup
		fifo     []*utterance
		failures int // in a row
	)
	defer func() {
		s.cancel()
		requests.Wait()
		if s.err == nil {
			s.err = fmt.Errorf("openai stt: stream ended: %w", ctx.Err())
		}
		close(s.ended)
		// What finished before the end is still delivered, in order, as
		// far as Recv has room for it.
	deliver:
		for _, u := range fifo {
			if !u.succeeded() {
				break
			}
			select {
			case s.results <- final(u.text):
			default:
				break deliver
			}
		}
		close(s.results)
	}()
	for {
		jobs := s.jobs
		if len(fifo) >= cap(s.jobs) {
			jobs = nil
		}
		var head chan struct{}
		if len(fifo) > 0 {
			head = fifo[0].done
		}
		select {
		case u := <-jobs:
			fifo = append(fifo, u)
			requests.Go(func() { s.transcribe(ctx, u) })
		case <-head:
			u := fifo[0]
			switch {
			case u.failed != nil:
				failures++
			case u.sent:
				failures = 0
			}
			if u.err == nil && failures >= s.stt.c.MaxFailures {
				u.err = fmt.Errorf("openai stt: %d utterances in a row failed, the last: %w", failures, u.failed)
				s.stt.c.Logger.Error("transcriptions keep failing: the stream ends", "stt", s.stt.String(), "err", u.err)
			}
			if u.err != nil {
				s.err = u.err
				return
			}
			select {
			case s.results <- final(u.text):
				fifo[0] = nil // the array would keep its audio
				fifo = fifo[1:]
			case <-ctx.Done():
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func final(text string) speech.Transcript {
	return speech.Transcript{Text: text, Final: true}
}

// succeeded reports whether u's request is over and gave a transcript.
func (u *utterance) succeeded() bool {
	select {
	case <-u.done:
		return u.err == nil
	default:
		return false
	}
}

// transcribe sets u's text, or the error that ends the stream, and
// closes u.done.
func (s *stream) transcribe(ctx context.Context, u *utterance) {
	defer close(u.done)
	c := s.stt.c
	audio := time.Duration(len(u.pcm)) * time.Second / time.Duration(s.rate)
	if u.dropped > 0 {
		c.Logger.Warn("utterance too long: transcribing its start", "stt", s.stt.String(), "kept", audio,
			"dropped", time.Duration(u.dropped)*time.Second/time.Duration(s.rate))
	}
	if audio < minUtterance || peak(u.pcm) < silentPeak {
		u.pcm = nil
		return
	}
	start := time.Now()
	text, err := s.stt.transcribe(ctx, u.pcm, s.rate)
	u.pcm = nil // done with: the utterance waits its turn without it
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

func peak(pcm []int16) int {
	m := 0
	for _, s := range pcm {
		m = max(m, abs(int(s)))
	}
	return m
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// transcribe sends one utterance and returns its text.
func (s *STT) transcribe(ctx context.Context, pcm []int16, rate int) (string, error) {
	body, contentType := s.form(pcm, rate)
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
	part.Write(appendWAV(nil, pcm, rate))
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

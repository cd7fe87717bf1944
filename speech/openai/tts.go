package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/voiceagent/voiceagent/speech"
)

// SampleRate is the rate of the PCM the speech endpoint returns.
const SampleRate = 24000

// maxInput is the API's limit on the text of one request, in characters.
const maxInput = 4096

// TTS speaks with an OpenAI-compatible /audio/speech endpoint, asking for
// raw PCM and handing it on as the server streams it. It is safe for
// concurrent use.
type TTS struct {
	c   Config
	url string
}

var _ speech.TTS = (*TTS)(nil)

// NewTTS returns the client; the error wraps ErrConfig for settings that
// cannot work. It sends nothing.
func NewTTS(c Config) (*TTS, error) {
	c, err := c.resolve(DefaultTTSModel)
	if err != nil {
		return nil, err
	}
	return &TTS{c: c, url: c.endpoint("speech")}, nil
}

// String names the model, the default voice and the server: "openai tts
// gpt-4o-mini-tts alloy at api.openai.com".
func (t *TTS) String() string {
	return fmt.Sprintf("openai tts %s %s at %s", t.c.Model, t.c.Voice, t.c.host())
}

// SampleRate is 24000: the API's pcm format is 24 kHz 16-bit mono.
func (t *TTS) SampleRate() int { return SampleRate }

// voice is the voice for lang.
func (t *TTS) voice(lang string) string {
	if v := t.c.Voices[lang]; v != "" {
		return v
	}
	return t.c.Voice
}

// Synthesize sends text in lang and returns the audio once the server
// starts answering (within Config.Timeout). An error status is returned
// here, as a *StatusError; text of only spaces gives audio that is over
// at once, more than 4096 characters ErrTextTooLong.
//
// Read returns samples as their bytes arrive; it fails with ErrTimeout
// when no audio comes for Config.Timeout, ErrUnavailable when the
// connection breaks, ctx's error once ctx is done and speech.ErrClosed
// after Close.
func (t *TTS) Synthesize(ctx context.Context, text, lang string) (speech.Audio, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return &audio{err: io.EOF, cancel: func(error) {}}, nil
	}
	if n := utf8.RuneCountInString(text); n > maxInput {
		return nil, fmt.Errorf("%w: %d characters, at most %d", ErrTextTooLong, n, maxInput)
	}
	req := struct {
		Model          string   `json:"model"`
		Input          string   `json:"input"`
		Voice          string   `json:"voice"`
		ResponseFormat string   `json:"response_format"`
		Instructions   string   `json:"instructions,omitempty"`
		Speed          *float64 `json:"speed,omitempty"`
	}{Model: t.c.Model, Input: text, Voice: t.voice(lang), ResponseFormat: "pcm", Instructions: t.c.Instructions}
	if t.c.Speed != 0 {
		req.Speed = &t.c.Speed
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("openai speech: %w", err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(t.c.Timeout, func() { cancel(errTimedOut) })
	resp, err := t.c.post(ctx, "speech", t.url, "application/json", body)
	timer.Stop()
	if err != nil {
		cancel(nil)
		return nil, err
	}
	a := &audio{
		c:      t.c,
		body:   resp.Body,
		cancel: cancel,
		cause:  func() error { return context.Cause(ctx) },
		timer:  timer,
	}
	a.samples.R = stallGuard{a}
	return a, nil
}

// stallGuard reads the body with the timer armed, so that a server that
// stops sending for longer than the timeout ends the request.
type stallGuard struct{ a *audio }

func (g stallGuard) Read(b []byte) (int, error) {
	g.a.timer.Reset(g.a.c.Timeout)
	defer g.a.timer.Stop()
	return g.a.body.Read(b)
}

// audio is a speech answer being read.
type audio struct {
	c      Config
	body   io.ReadCloser
	cancel context.CancelCauseFunc
	cause  func() error // why the request's context ended, or nil
	timer  *time.Timer  // cancels the request when the server stalls

	// Read's own.
	samples speech.Samples // of the body, through stallGuard
	err     error

	closed atomic.Bool
	once   sync.Once
}

// Read fills p with the samples that have arrived, at least one unless
// there is an error; at the end it returns io.EOF.
func (a *audio) Read(p []int16) (int, error) {
	if a.closed.Load() {
		return 0, speech.ErrClosed
	}
	if a.err != nil {
		return 0, a.err
	}
	n, err := a.samples.Read(p)
	if err != nil {
		a.err = a.readError(err)
		if n > 0 {
			return n, nil
		}
		return 0, a.err
	}
	return n, nil
}

// readError explains why the body ended.
func (a *audio) readError(err error) error {
	cause := a.cause()
	switch {
	case errors.Is(cause, speech.ErrClosed) || a.closed.Load():
		return speech.ErrClosed
	case cause == nil && errors.Is(err, io.EOF):
		return io.EOF // a dangling half sample, if any, is dropped
	}
	return a.c.failure(cause, "speech", err)
}

// Close stops the request and releases the connection. It is safe to
// call from another goroutine while Read waits.
func (a *audio) Close() error {
	a.once.Do(func() {
		a.closed.Store(true)
		if a.timer != nil {
			a.timer.Stop()
		}
		a.cancel(speech.ErrClosed)
		if a.body != nil {
			a.body.Close()
		}
	})
	return nil
}

package openai

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

var (
	// ErrConfig is returned by NewSTT and NewTTS for settings that cannot
	// work: a BaseURL that is not an absolute http(s) URL, a negative
	// duration, a speed outside 0.25 to 4.
	ErrConfig = errors.New("openai: bad settings")

	// ErrSampleRate is returned by Stream for a rate outside 8000 to
	// 48000 Hz.
	ErrSampleRate = errors.New("openai: unsupported sample rate")

	// ErrAuth: the server refused the key (401 or 403). Retrying does not
	// help: a stream that meets it ends.
	ErrAuth = errors.New("openai: not authorized")

	// ErrNotFound: the model or the endpoint does not exist at the base
	// URL (404). Retrying does not help: a stream that meets it ends.
	ErrNotFound = errors.New("openai: model or endpoint not found")

	// ErrRateLimited: too many requests (429); a later one may succeed.
	ErrRateLimited = errors.New("openai: rate limited")

	// ErrUnavailable: the server failed (5xx) or could not be reached, or
	// the connection broke; a later request may succeed.
	ErrUnavailable = errors.New("openai: server unavailable")

	// ErrRejected: the server refused this one request (another 4xx: audio
	// it cannot decode, a parameter it does not know).
	ErrRejected = errors.New("openai: request rejected")

	// ErrTimeout: the server took longer than Config.Timeout to answer
	// (for speech: to start answering, or to send more audio).
	ErrTimeout = errors.New("openai: timed out")

	// ErrMalformed: a 200 answer that could not be read (a transcription
	// without its text).
	ErrMalformed = errors.New("openai: malformed answer")

	// ErrBacklog is returned by Flush when too many utterances are still
	// waiting to be transcribed or received (see Config.MaxPending); the
	// utterance is dropped.
	ErrBacklog = errors.New("openai: too many utterances awaiting transcripts")

	// ErrTextTooLong is returned by Synthesize for more than 4096
	// characters, the API's limit.
	ErrTextTooLong = errors.New("openai: text too long to speak")
)

// StatusError is an error status from the server. errors.Is matches it
// with the sentinel of its kind: ErrAuth, ErrNotFound, ErrRateLimited,
// ErrUnavailable or ErrRejected.
type StatusError struct {
	// Op is "transcription" or "speech".
	Op     string
	Status int
	// Message is the server's own message, at most 300 bytes, without the
	// API key even when the server quotes it.
	Message string
	// RetryAfter is the server's Retry-After, or 0.
	RetryAfter time.Duration
}

// Error says the operation, the status and the server's message.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("openai %s: %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %v)", e.RetryAfter)
	}
	return msg
}

// Is reports whether target is the sentinel of e's kind.
func (e *StatusError) Is(target error) bool { return target == e.kind() }

func (e *StatusError) kind() error {
	switch s := e.Status; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return ErrAuth
	case s == http.StatusNotFound:
		return ErrNotFound
	case s == http.StatusTooManyRequests:
		return ErrRateLimited
	case s >= 500:
		return ErrUnavailable
	}
	return ErrRejected
}

// Temporary reports whether err may go away by itself, so that the same
// request later could succeed: rate limits, server failures, broken
// connections and timeouts. A wrong key, model or request is not
// temporary, nor is a cancelled context.
func Temporary(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTimeout)
}

// permanent reports whether err will fail every request alike, so that a
// stream should end rather than go on deaf.
func permanent(err error) bool {
	return errors.Is(err, ErrAuth) || errors.Is(err, ErrNotFound)
}

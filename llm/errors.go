package llm

import "errors"

var (
	// ErrBreakerOpen: the model failed several turns in a row and is left
	// alone for a while; the turn is understood offline.
	ErrBreakerOpen = errors.New("llm: model paused after repeated failures")
	// ErrRefused: the model refused to answer.
	ErrRefused = errors.New("llm: the model refused")
	// ErrMalformed: the model's answer could not be used (bad arguments,
	// nothing but unknown functions).
	ErrMalformed = errors.New("llm: unusable answer")
	// ErrEmpty: the model said nothing.
	ErrEmpty = errors.New("llm: empty answer")
	// errNoEvents: a streamed answer ended without a single event.
	errNoEvents = errors.New("llm: the stream held no events")
	// ErrConfig: the model settings are invalid.
	ErrConfig = errors.New("llm: bad settings")
)

package twilio

import "errors"

var (
	// ErrBadMessage: a Media Streams message that is not valid JSON or
	// lacks what its event needs.
	ErrBadMessage = errors.New("twilio: bad message")
	// ErrTooLarge: a message beyond MaxMessage.
	ErrTooLarge = errors.New("twilio: message too large")
)

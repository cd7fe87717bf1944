package twiliotest

import "errors"

var (
	// ErrClosed: the call has ended (Hangup, Close, or the server ended
	// it), so nothing more can be sent or awaited.
	ErrClosed = errors.New("twiliotest: call ended")
	// ErrDisconnected: the server closed the websocket or the connection
	// failed; Err wraps it with the websocket's error.
	ErrDisconnected = errors.New("twiliotest: server ended the stream")
	// ErrBadMessage: a server message that is not a JSON text message or
	// lacks what its event needs (a media payload in base64, a mark name).
	ErrBadMessage = errors.New("twiliotest: bad message from server")
	// ErrUnknownEvent: a server message whose event is not media, mark or
	// clear, the only ones Twilio accepts.
	ErrUnknownEvent = errors.New("twiliotest: unknown event from server")
	// ErrWrongStream: a server message whose streamSid is not this call's.
	ErrWrongStream = errors.New("twiliotest: message for another stream")
	// ErrRequest: a Phone's webhook or action request failed (no
	// connection, a status other than 2xx) or its TwiML was not
	// understood; real Twilio would play an application error and end the
	// call.
	ErrRequest = errors.New("twiliotest: the carrier's request failed")
	// ErrDigit: DTMF was given something other than one of 0-9, * and #.
	ErrDigit = errors.New("twiliotest: not a DTMF digit")
)

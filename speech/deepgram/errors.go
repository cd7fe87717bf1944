package deepgram

import "errors"

var (
	// ErrConfig: the settings are invalid (a bad URL, no API key for the
	// public endpoint, a bad sample rate). Retrying will not help.
	ErrConfig = errors.New("deepgram: bad settings")
	// ErrUnauthorized: Deepgram refused the API key when the stream was
	// opened (HTTP 401 or 403). Retrying will not help; the status and
	// Deepgram's reason follow, never the key.
	ErrUnauthorized = errors.New("deepgram: API key refused")
	// ErrConnect: the stream could not be opened (the address is
	// unreachable, or the upgrade was answered with another status, which
	// follows). It may be retried.
	ErrConnect = errors.New("deepgram: cannot open the stream")
	// ErrConnection: an open stream ended without being closed: the
	// connection dropped, or Deepgram closed it with an error (its code and
	// reason follow, such as NET-0001 when it received nothing for 10 s).
	// The stream is over; open a new one to go on.
	ErrConnection = errors.New("deepgram: stream lost")
	// ErrQueueFull: Write refused the audio because Config.MaxBuffered of
	// audio is already waiting to be sent: the network is not keeping up.
	// That frame is dropped and the stream goes on.
	ErrQueueFull = errors.New("deepgram: send queue full")
)

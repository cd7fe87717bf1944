// Package speech is the contract between the call runtime and speech
// providers, in the manner of database/sql/driver: the runtime (telephony)
// consumes these interfaces and providers (speech/openai, speech/deepgram,
// speech/espeak) implement them, so neither imports the other. Beyond the
// contract it holds only what providers share: Samples, the
// byte-to-sample reader, and Gate, which keeps the quiet around a
// caller's utterances from a recogniser (with Peak, SilentPeak and
// PreRoll); speech/speechtest is the conformance suite every provider
// runs.
package speech

import (
	"context"
	"errors"
)

// STT recognises caller speech. It is safe for concurrent use: each call
// opens its own Stream.
type STT interface {
	// Stream starts recognising one call's audio: 16-bit mono PCM at rate
	// Hz (16000 unless a provider says otherwise). Cancelling ctx ends the
	// stream: Recv returns ctx's error once what was pending is delivered.
	Stream(ctx context.Context, rate int) (Stream, error)
	// String names the provider for logs ("openai whisper-1 at host").
	String() string
}

// Stream is one call's recognition. Write and Flush are called from one
// goroutine (the audio loop) and Recv from another; Close from any.
type Stream interface {
	// Write sends caller audio, usually a 20 ms frame. It copies pcm and
	// must not block on the network: the audio loop cannot wait.
	Write(pcm []int16) error
	// Flush says the caller's utterance ended (the runtime's endpointing
	// decided): the stream then delivers a final Transcript of the audio
	// written since the last Flush, with empty Text when nothing was said.
	Flush() error
	// Recv returns the next transcript, blocking until there is one. It
	// returns ErrClosed after Close, or the error that ended the stream.
	Recv() (Transcript, error)
	// Close ends the stream and waits for everything it started. It is
	// idempotent and safe to call concurrently with Recv.
	Close() error
}

// Transcript is recognised text.
type Transcript struct {
	Text string
	// Final: the text of this stretch of audio will not change. Interim
	// transcripts (Final false) show the words so far, for endpointing.
	Final bool
	// EndOfUtterance: the provider itself heard the caller stop (a
	// streaming provider's utterance end). Text may be empty.
	EndOfUtterance bool
}

// TTS synthesises the agent's speech. It is safe for concurrent use.
type TTS interface {
	// Synthesize speaks text in lang ("es" or "en") and returns the audio
	// as it is produced: 16-bit mono PCM at SampleRate. Cancelling ctx
	// stops synthesis (Read then returns an error); Close releases it.
	Synthesize(ctx context.Context, text, lang string) (Audio, error)
	// SampleRate is the rate of the audio Synthesize returns.
	SampleRate() int
	// String names the provider for logs.
	String() string
}

// Audio is synthesised speech being read.
type Audio interface {
	// Read fills p with samples, returning how many; io.EOF at the end.
	Read(p []int16) (int, error)
	// Close stops synthesis and releases the audio. Idempotent.
	Close() error
}

// ErrClosed is returned by Recv after Close.
var ErrClosed = errors.New("speech: stream closed")

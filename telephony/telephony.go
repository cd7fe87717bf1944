// Package telephony is the voice runtime: per call, caller audio goes
// through voice activity detection and endpointing to speech-to-text, the
// caller's turns to the conversation (a Session), and the agent's words
// through text-to-speech back to the caller as paced 20 ms frames, with
// barge-in, DTMF, no-input reprompts, fillers for slow services, hang-up
// and transfer.
//
// The runtime knows nothing of integrations, model providers or
// carriers: it consumes the conversation through Session and speech
// through the speech package's contract, and reaches the caller through a
// Line. Transports (telephony/twiliovoice; browser and SIP calls next)
// bring calls to an Answerer, which the Runtime is, and carry their audio;
// telephony/transporttest states what every transport must do.
package telephony

import (
	"context"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/speech"
)

// Session is one call's conversation without audio. The runtime calls its
// methods from one goroutine at a time, never concurrently.
type Session interface {
	// Handle feeds ev to the conversation and returns the agent's answer.
	// Services run within it: as each starts, Handle calls wait with what
	// to say should the service be slow (its wait message), from the
	// goroutine running Handle. Cancelling ctx abandons the services in
	// progress.
	Handle(ctx context.Context, ev dialog.Event, wait func(message string)) Reply
	// Speak calls say with each sentence of r, an answer Handle returned,
	// in order, as it is ready (rephrased by a model for an agent that
	// asks for it). say blocks while the sentence is played.
	Speak(ctx context.Context, r *Reply, say func(sentence string))
	// Spoken tells the session that the agent's words of an answer have
	// finished playing: said is what was said, heard how much of it the
	// caller heard. When the caller interrupted, heard is the sentences
	// played to the end and the words of the next one played; otherwise
	// it is said.
	Spoken(said, heard string, interrupted bool)
	// Deadline is when the caller has been silent too long, in the clock
	// of the events' At (zero: no deadline).
	Deadline() time.Time
	// Close ends the session once the call is over; outcome says how it
	// ended (caller-hangup, agent-hangup, transfer, max-duration,
	// shutdown).
	Close(outcome string)
}

// Watcher, when a Session implements it, is told what the voice runtime
// does beside the conversation, for live views of the call (the browser
// page, call events). Its methods are called from the call's goroutines
// and must return at once.
type Watcher interface {
	// Turn: the agent is now "listening", "thinking" or "speaking".
	Turn(state string)
	// Hearing: the caller's words so far in the turn, as recognised.
	Hearing(words string)
	// Timed: an answer's first audio has left; t says where the time went.
	Timed(t TurnTiming)
}

// Reply is what the agent does in answer to an event.
type Reply struct {
	Actions []dialog.Action
	// External is the time Handle spent waiting for services and models,
	// so the runtime can tell its own share of the reply delay.
	External time.Duration
}

// Conversation is an opened call: its session, its agent and the speech
// providers for the agent's language.
type Conversation struct {
	Session Session
	Agent   *configs.Agent
	// Location is the agent's time zone, for dates in answers; nil means
	// UTC.
	Location *time.Location
	// STT recognises the caller; nil means only keys (DTMF) reach the agent.
	STT speech.STT
	// TTS speaks for the agent; nil means the caller hears nothing.
	TTS speech.TTS
}

// CallInfo describes a call being opened.
type CallInfo struct {
	ID        string // ours, unique
	Agent     string // the agent asked for; "" for the default
	From      string // the caller's number, when known
	Transport string // "twilio"
	Provider  string // the carrier's own id (Twilio's CallSid)
}

// Opener opens conversations. It is safe for concurrent use.
type Opener interface {
	// Open starts the conversation of a new call. An error (an unknown
	// agent) refuses the call.
	Open(ctx context.Context, info CallInfo) (*Conversation, error)
}

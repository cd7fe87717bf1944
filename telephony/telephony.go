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
	"errors"
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

// Ender, when a Session implements it, is told how the call ends just
// before its line is ended (hung up, or transferred to transfer), so that
// whoever the carrier asks next about the call — another instance, when
// a stream ends and Twilio asks what to do — learns it ended. It is not
// told of calls that end here to go on elsewhere (OutcomeHandover,
// OutcomeLost). It may block briefly.
type Ender interface {
	Ending(outcome, transfer string)
}

// Outcomes of a call that ends on this connection but may go on over
// another: handed over by a draining instance, or its connection lost.
const (
	OutcomeHandover = "handover"
	OutcomeLost     = "connection-lost"
)

// ErrHandover, as the cause of a call's cancelled context, ends it as
// OutcomeHandover instead of "shutdown".
var ErrHandover = errors.New("telephony: handed over to another connection")

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
	// Resume: the call is one already in progress, going on over a new
	// connection (its ID is the call's); the conversation is opened from
	// its saved state and the runtime sends dialog.Resume, not Start.
	Resume bool
}

// Continuer finds, for a transport, what became of a call whose
// connection ended without the caller hanging up — on whichever
// instance of the server it ran: the call layer is one. Transports
// consume it to answer their carrier's reconnect hook (Twilio's
// <Connect action>).
type Continuer interface {
	// Continue says how the carrier's call provider on transport goes on.
	// An error (no such call, the store unreachable) means it cannot.
	Continue(ctx context.Context, transport, provider string) (Continuation, error)
}

// Continuation is how a call goes on after its connection ended.
type Continuation struct {
	// Call, when the call is still in progress, is the call to answer over
	// a new connection: its ID, agent and caller, with Resume set.
	Call *CallInfo
	// Transfer, when the call ended by a transfer, is the number.
	Transfer string
}

// Opener opens conversations. It is safe for concurrent use.
type Opener interface {
	// Open starts the conversation of a new call. An error (an unknown
	// agent) refuses the call.
	Open(ctx context.Context, info CallInfo) (*Conversation, error)
}

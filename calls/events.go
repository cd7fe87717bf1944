package calls

import (
	"time"

	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/transcript"
)

// Event is one thing that happened in a call.
//
// Events never carry the caller's personal data in the clear: the values
// of the agent's pii fields (configs.Field.IsPII) and the caller's number
// are masked (configs.Mask) wherever they appear in a field, a state or
// a text, and the words or keys of a turn that gave or answered a pii
// field are withheld. The Transcript of StateChanged and Ended is the
// call as the layer keeps it: masked too with Options.RedactTranscripts,
// whole without.
type Event struct {
	// Call is the call's id (telephony.CallInfo.ID).
	Call string
	// At is when it happened.
	At time.Time
	// What happened: one of Opened, Heard, ServiceStarted,
	// ServiceFinished, FieldSet, StateChanged, Said and Ended.
	What What
}

// What is what happened in an Event; the types in this file are all
// there are.
type What interface{ what() }

// Opened: the call was opened for an agent. Info.From, the caller's
// number, is masked.
type Opened struct {
	Info  telephony.CallInfo
	Agent string // the agent's name
	Ref   string // the agent as the call's transcript names it
	// Started is when the call started: before this connection when it
	// goes on over a new one (Info.Resume), after Handovers of them.
	Started   time.Time
	Handovers int
	// Instance is the server instance the call runs on now.
	Instance string

	firstEvent int64 // the ids of this connection's events start above it
}

// Heard: the caller's turn, as the conversation takes it: words, keys,
// or a silence that lasted too long. It comes once the dialog has read
// the turn, before the turn's services start.
type Heard struct {
	Text    string // what the caller said
	Keys    string // the keys pressed
	Silence bool   // the caller said nothing for too long
	// Private: the words or keys gave or answered a pii field, and Text
	// or Keys reads transcript.Withheld instead.
	Private bool
}

// ServiceStarted: a service the dialog asked for started; WaitMessage is
// what the caller hears should it be slow.
type ServiceStarted struct {
	Intent      string
	WaitMessage string
}

// ServiceFinished: a service answered, or failed (the caller hears the
// fallback message).
type ServiceFinished struct {
	Intent string
	Took   time.Duration
	Failed bool
}

// FieldSet: a field was collected (Was is ""), or changed. Value and Was
// of a pii field are masked.
type FieldSet struct {
	Name, Value, Was string
}

// StateChanged: the conversation after an event: the dialog's state, and
// the call so far as a replayable transcript.
type StateChanged struct {
	State      dialog.State
	Transcript *transcript.Transcript
}

// Said: the agent's words of an answer finished playing. Heard is what
// the caller heard of them: Text, unless they interrupted.
type Said struct {
	Text, Heard string
	Interrupted bool
}

// Ended: the call is over. Outcome says how it ended (caller-hangup,
// agent-hangup, transfer, max-duration, shutdown).
type Ended struct {
	Outcome    string
	Started    time.Time
	State      dialog.State
	Transcript *transcript.Transcript
}

func (Opened) what()          {}
func (Heard) what()           {}
func (ServiceStarted) what()  {}
func (ServiceFinished) what() {}
func (FieldSet) what()        {}
func (StateChanged) what()    {}
func (Said) what()            {}
func (Ended) what()           {}

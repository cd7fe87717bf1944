package dialog

import "time"

// Event is something that happened on the call. The set is closed: Start,
// Utterance, DTMF, Timeout, Result, Hangup.
type Event interface{ isEvent() }

// Start begins the call; the engine greets the caller.
type Start struct{ At time.Time }

// Utterance is what the caller said, as text, and optionally what a
// language model made of it (see Reading).
type Utterance struct {
	At      time.Time
	Text    string
	Reading *Reading
}

// DTMF is keys the caller pressed, already gathered into one entry (the
// runtime ends an entry at # or after a pause).
type DTMF struct {
	At     time.Time
	Digits string
}

// Timeout tells the engine the time is At; sent when the runtime's timer
// for Call.Deadline fires, or by a replay's virtual clock. The engine
// decides whether the caller has been silent too long.
type Timeout struct{ At time.Time }

// Result is the outcome of an Execute action.
type Result struct {
	At     time.Time
	Intent string
	// Message is what the caller hears: the service's response message, a
	// responseCondition's, or the fallback message when Failed.
	Message string
	Failed  bool
}

// Hangup is the caller hanging up.
type Hangup struct{ At time.Time }

// Resume is the call going on over a new connection after its last one
// was lost (another server instance took it over, from a saved state):
// the caller hears a short apology and the pending question again.
type Resume struct{ At time.Time }

// At is when ev happened.
func At(ev Event) time.Time {
	switch ev := ev.(type) {
	case Start:
		return ev.At
	case Utterance:
		return ev.At
	case DTMF:
		return ev.At
	case Timeout:
		return ev.At
	case Result:
		return ev.At
	case Hangup:
		return ev.At
	case Resume:
		return ev.At
	}
	return time.Time{}
}

func (Start) isEvent()     {}
func (Utterance) isEvent() {}
func (DTMF) isEvent()      {}
func (Timeout) isEvent()   {}
func (Result) isEvent()    {}
func (Hangup) isEvent()    {}
func (Resume) isEvent()    {}

// Action is something the runtime must do. The set is closed: Say, Ask,
// Confirm, Execute, End, Transfer.
type Action interface{ isAction() }

// Say speaks text.
type Say struct {
	Text string
	Kind SayKind
}

// SayKind tells what a Say is for, so a runtime can treat them differently
// (a voice runtime may let the caller interrupt some and not others).
type SayKind string

// Kinds of Say.
const (
	Greeting SayKind = "greeting"
	Reply    SayKind = "reply"    // a service's answer
	Info     SayKind = "info"     // capabilities, acknowledgements, goodbyes
	Problem  SayKind = "problem"  // an answer that could not be used, and why
	Reprompt SayKind = "reprompt" // the caller was silent
	Answer   SayKind = "answer"   // a model's reply to a question outside the services
)

// Ask speaks Text to ask the caller for Field.
type Ask struct {
	Field string
	// Type is the field's effective type (one of configs.FieldTypes: a
	// string field named like an email or a phone is "email" or "phone"),
	// or AnswerCode for a string field that takes a code read out. Runtimes
	// adapt to it: Dictation(Type) says to wait longer before ending the
	// caller's turn, Complete(Type, ...) whether the words so far already
	// answer.
	Type string
	Text string
}

// Confirm reads Values back for the caller to confirm before Intent runs;
// the answer awaited is of kind AnswerConfirm.
type Confirm struct {
	Intent string
	Text   string
	Values map[string]string
}

// Execute asks the runtime to run a service with these field values and to
// send back a Result.
type Execute struct {
	Intent string
	Fields map[string]string
}

// End hangs up (after speaking what came before it).
type End struct{}

// Transfer hands the call to a phone number (the agent's transferNumber),
// after speaking what came before it; the call has ended.
type Transfer struct{ Number string }

func (Say) isAction()      {}
func (Ask) isAction()      {}
func (Confirm) isAction()  {}
func (Execute) isAction()  {}
func (End) isAction()      {}
func (Transfer) isAction() {}

// Text returns what an action says aloud, or "".
func Text(a Action) string {
	switch a := a.(type) {
	case Say:
		return a.Text
	case Ask:
		return a.Text
	case Confirm:
		return a.Text
	}
	return ""
}

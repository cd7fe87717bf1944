package dialog

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

// Phase is where a call is in the dialog.
type Phase string

// Phases, as replay output and the call API show them.
const (
	PhaseGreeting   Phase = "greeting"   // before Start
	PhaseListening  Phase = "listening"  // no request in progress
	PhaseCollecting Phase = "collecting" // asking for a service's fields
	PhaseConfirming Phase = "confirming" // a read-back awaits the caller's yes
	PhaseExecuting  Phase = "executing"  // a service is running
	PhaseEnded      Phase = "ended"
)

// State is everything the engine knows about one call. It marshals to JSON
// and back without loss, so another process can take the call over.
type State struct {
	Phase  Phase             `json:"state"`
	Intent string            `json:"intent,omitempty"`
	Slots  map[string]string `json:"slots,omitempty"`
	// Partial holds half a datetime ("date:2024-01-11" or "time:15:00")
	// until the caller says the other half.
	Partial map[string]string `json:"partial,omitempty"`
	// Asking is the field asked last, "" when none.
	Asking string `json:"asking,omitempty"`
	// Attempts counts unusable answers to Asking, or unclear answers to a
	// read-back.
	Attempts int `json:"attempts,omitempty"`
	// Readback holds the values read back for confirmation, frozen: only a
	// yes in a later turn executes them, and only while Slots still equal them.
	Readback *Readback `json:"readback,omitempty"`
	// Choices are the intents offered when the caller's request matched
	// several services.
	Choices []string `json:"choices,omitempty"`
	// ChoiceText is the request that led to Choices, filled in once the
	// caller chooses.
	ChoiceText string `json:"choiceText,omitempty"`
	// Last is the service that ran last, with its fields, so that the
	// caller's next words can build on it ("sí, agéndame a las 11:30"
	// after an availability check; "how about Friday?" after "that time is
	// taken").
	Last *Recent `json:"last,omitempty"`
	// LastPrompt is what "repeat" says again.
	LastPrompt string `json:"lastPrompt,omitempty"`
	// Turn counts caller inputs (utterances and DTMF).
	Turn int `json:"turn"`
	// Silent counts consecutive no-input timeouts.
	Silent int `json:"silent,omitempty"`
	// Since is when the caller was last expected to speak: the end of the
	// last agent output or the last caller input.
	Since time.Time `json:"since"`

	CallID       string `json:"callId,omitempty"`
	CallerNumber string `json:"callerNumber,omitempty"`
}

// Recent is a service that ran, in the turn given.
type Recent struct {
	Intent string            `json:"intent"`
	Fields map[string]string `json:"fields"`
	Turn   int               `json:"turn"`
}

// Readback is a confirmation in progress.
type Readback struct {
	Intent string            `json:"intent"`
	Values map[string]string `json:"values"`
	Turn   int               `json:"turn"`
}

// Call is one conversation: an Engine and the State of the call. A Call is
// not safe for concurrent use; a runtime feeds it one event at a time.
type Call struct {
	e  *Engine
	st State
	// heard is the utterance of the turn being handled, and reading what a
	// model made of it; nil between turns.
	heard   *heard
	reading *Reading
}

// State returns a copy of the call's state.
func (c *Call) State() State {
	st := c.st
	st.Slots = maps.Clone(c.st.Slots)
	st.Partial = maps.Clone(c.st.Partial)
	if c.st.Readback != nil {
		rb := *c.st.Readback
		rb.Values = maps.Clone(rb.Values)
		st.Readback = &rb
	}
	st.Choices = append([]string(nil), c.st.Choices...)
	if c.st.Last != nil {
		last := *c.st.Last
		last.Fields = maps.Clone(last.Fields)
		st.Last = &last
	}
	return st
}

// MarshalJSON encodes the call's state.
func (c *Call) MarshalJSON() ([]byte, error) { return json.Marshal(c.st) }

// Restore continues a call from its JSON state.
func (e *Engine) Restore(data []byte) (*Call, error) {
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadState, err)
	}
	switch st.Phase {
	case PhaseGreeting, PhaseListening, PhaseCollecting, PhaseConfirming, PhaseExecuting, PhaseEnded:
	default:
		return nil, fmt.Errorf("%w: unknown state %q", ErrBadState, st.Phase)
	}
	if st.Intent != "" && e.service(st.Intent) == nil {
		return nil, fmt.Errorf("%w: the agent has no service %q", ErrBadState, st.Intent)
	}
	if st.Slots == nil && st.Intent != "" {
		st.Slots = map[string]string{} // empty slots are not written
	}
	return &Call{e: e, st: st}, nil
}

// Deadline is when the caller will have been silent too long, or the zero
// time when no answer is awaited. A runtime arms a timer for it and sends
// Timeout when it fires.
func (c *Call) Deadline() time.Time {
	switch c.st.Phase {
	case PhaseGreeting, PhaseExecuting, PhaseEnded:
		return time.Time{}
	}
	return c.st.Since.Add(c.e.noInput)
}

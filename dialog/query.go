package dialog

import (
	"time"

	"github.com/voiceagent/voiceagent/configs"
)

// Query is what a language model needs to read one utterance: the agent,
// where the call stands, the last exchanges and what the caller said. A
// runtime builds it; the model's Reading comes back in the Utterance.
type Query struct {
	Agent *configs.Agent
	// State is the call's state before the utterance: the service in
	// progress, the fields collected, the field being asked.
	State State
	// History is the last exchanges, oldest first.
	History []Exchange
	Text    string
	// Now is the time of the utterance.
	Now time.Time
	// Location is the agent's time zone, loaded once with the agent; nil
	// means it is loaded from Agent.Timezone.
	Location *time.Location
}

// Exchange is one caller turn and what the agent said to it.
type Exchange struct {
	Caller string
	Agent  string
}

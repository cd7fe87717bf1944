package expr

import "time"

// Call is a call as the system variables read it.
type Call interface {
	// Now is the call's time, in the agent's time zone.
	Now() time.Time
	CallID() string
	// AgentID is the agent's name.
	AgentID() string
	CallerNumber() string
	// Language is the agent's: "es" or "en".
	Language() string
}

// System resolves the system variable name for the call c: now (a time;
// format it), today (yyyy-MM-dd), call_id, agent_id, caller_number and
// language. It reports false when name is not one of them. It is the one
// place the system variables are read; configs.SystemVars lists their
// names for validation.
func System(name string, c Call) (Value, bool) {
	switch name {
	case "now":
		return TimeValue(c.Now()), true
	case "today":
		return Str(c.Now().Format("2006-01-02")), true
	case "call_id":
		return Str(c.CallID()), true
	case "agent_id":
		return Str(c.AgentID()), true
	case "caller_number":
		return Str(c.CallerNumber()), true
	case "language":
		return Str(c.Language()), true
	}
	return Value{}, false
}

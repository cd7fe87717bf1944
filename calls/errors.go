package calls

import "errors"

// ErrNoAgent: a call, or the default, names an agent that is not loaded.
var ErrNoAgent = errors.New("no such agent")

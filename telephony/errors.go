package telephony

import "errors"

// errLine marks a failure to send to the caller, as opposed to one of
// text-to-speech: the call ends, and the failure is not blamed on speech.
var errLine = errors.New("line")

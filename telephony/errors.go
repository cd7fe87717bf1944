package telephony

import "errors"

// ErrNoOpener is the error of Runtime.Answer when the runtime was made
// without an Opener.
var ErrNoOpener = errors.New("telephony: the runtime has no Opener")

// errLine marks a failure to send to the caller, as opposed to one of
// text-to-speech: the call ends, and the failure is not blamed on speech.
var errLine = errors.New("line")

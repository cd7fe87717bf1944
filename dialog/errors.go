package dialog

import "errors"

// ErrBadState: a saved call state could not be restored (not JSON, an
// unknown phase, or a service the agent no longer has).
var ErrBadState = errors.New("cannot restore call state")

package session

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/transcript"
)

// Snapshot is everything a session needs to go on in another process:
// the dialog's state, the transcript so far, the last exchanges the model
// is shown, and the caller's personal values that are masked. It
// marshals to JSON and back without loss. It holds the caller's data in
// the clear: whoever keeps it must keep it as they keep the call.
type Snapshot struct {
	State      json.RawMessage       `json:"state"`
	Transcript transcript.Transcript `json:"transcript"`
	// Last is when the last event happened.
	Last    time.Time         `json:"last"`
	History []dialog.Exchange `json:"history,omitempty"`
	// Personal are the values masked so far, each as field and value
	// ("" for the caller's number).
	Personal [][2]string `json:"personal,omitempty"`
	// Private says, per turn of the transcript, whether its words or keys
	// were withheld.
	Private []bool `json:"private,omitempty"`
}

// Snapshot returns the session as it stands, for Resume.
func (s *Session) Snapshot() (*Snapshot, error) {
	st, err := s.call.MarshalJSON()
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{State: st, Transcript: *s.Transcript(), Last: s.last,
		History: slices.Clone(s.history), Private: slices.Clone(s.priv.turns)}
	for _, key := range slices.Sorted(func(yield func(string) bool) {
		for k := range s.priv.seen {
			if !yield(k) {
				return
			}
		}
	}) {
		field, v, _ := strings.Cut(key, "\x00")
		snap.Personal = append(snap.Personal, [2]string{field, v})
	}
	return snap, nil
}

// Resume goes on with a call from its snapshot, with the agent a and its
// services run by exec: the session is where Snapshot left it. Its next
// event is usually dialog.Resume.
func Resume(a *Agent, exec Executor, snap *Snapshot) (*Session, error) {
	call, err := a.Engine.Restore(snap.State)
	if err != nil {
		return nil, err
	}
	if len(snap.Private) != len(snap.Transcript.Turns) {
		return nil, fmt.Errorf("%w: %d turns, %d privacy marks", dialog.ErrBadState, len(snap.Transcript.Turns), len(snap.Private))
	}
	from := snap.Transcript.From
	s := &Session{agent: a, exec: exec, call: call, callID: snap.Transcript.CallID, from: from,
		rec: snap.Transcript, last: snap.Last, history: slices.Clone(snap.History), priv: newPrivacy(a, from)}
	s.rec.Turns = slices.Clone(snap.Transcript.Turns)
	for _, p := range snap.Personal {
		s.priv.add(p[0], p[1])
	}
	s.priv.turns = slices.Clone(snap.Private)
	return s, nil
}

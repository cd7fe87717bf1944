package calls

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Store keeps calls where every instance of the server reads them: the
// registry behind /v1/calls, each call's saved state (what another
// instance needs to take the call over), the execution ledger that sends
// a service at most once per confirmation, and the calls' recent events.
// Without one (Options.Store nil) a Layer keeps all of it in its own
// memory (NewMemoryStore); calls/redisstore keeps it in Redis.
//
// Every method is safe for concurrent use and honours ctx. A Store that
// cannot reach its backend returns an error wrapping ErrUnavailable.
type Store interface {
	// Save writes rec unless the store holds a later record of the call:
	// one of a higher Epoch, or of the same Epoch and a Version not lower
	// (ErrStale then, and nothing is written). A record whose Snapshot is
	// nil drops the one stored. The record expires ttl after it is
	// written.
	Save(ctx context.Context, rec *Record, ttl time.Duration) error
	// Load returns the call's record; ErrNotFound when there is none.
	Load(ctx context.Context, id string) (*Record, error)
	// Claim takes a call over for a new connection to instance: in one
	// atomic step it increments the record's Epoch, sets Instance and
	// counts a hand-over (View.Handovers), and returns the record so
	// changed. ErrNotFound when there is none, ErrEnded (with the record)
	// when the call has ended, so that the caller learns its transfer.
	Claim(ctx context.Context, id, instance string) (*Record, error)
	// Lookup returns the id of the call the carrier knows by provider on
	// transport (Twilio's CallSid), saved with Record.View; ErrNotFound.
	Lookup(ctx context.Context, transport, provider string) (string, error)
	// List returns up to n calls, the most recently started first,
	// without their Snapshot and Transcript.
	List(ctx context.Context, n int) ([]*Record, error)
	// Delete removes the call's record, its events and its ledger
	// entries; it says whether there was a record.
	Delete(ctx context.Context, id string) (bool, error)

	// Begin records that the service run named key (LedgerKey) is about
	// to be sent by owner. It returns nil when the run is new, and ours to
	// send; otherwise the entry that was there, untouched: a run finished
	// (Done) or in flight elsewhere or abandoned by an instance that died.
	// The entry expires after ttl.
	Begin(ctx context.Context, call, key, owner string, ttl time.Duration) (*Entry, error)
	// Finish records the run's outcome under key.
	Finish(ctx context.Context, call, key string, e *Entry, ttl time.Duration) error

	// Append adds an encoded event (its SSE text) with its id to the
	// call's recent events, keeping the last maxStreamEvents, and wakes
	// the call's subscribers on every instance.
	Append(ctx context.Context, call string, id int64, data []byte, ttl time.Duration) error
	// Events returns the call's recent events with an id above after, in
	// order.
	Events(ctx context.Context, call string, after int64) ([]StoredEvent, error)
	// Subscribe wakes the channel (without blocking: a full one is
	// already woken) whenever an event is appended to the call's, until
	// cancel is called.
	Subscribe(ctx context.Context, call string) (wake <-chan struct{}, cancel func(), err error)

	// Ping says whether the store can be reached.
	Ping(ctx context.Context) error
}

// Errors of a Store.
var (
	ErrNotFound    = errors.New("no such call")
	ErrStale       = errors.New("a later record of the call is stored")
	ErrEnded       = errors.New("the call has ended")
	ErrUnavailable = errors.New("the call store cannot be reached")
)

// Record is a call as a Store keeps it.
type Record struct {
	// View is the call as the API shows it, without its transcript; its
	// ID is the call's.
	View View `json:"view"`
	// Epoch counts the connections that took the call over (Claim);
	// Version counts the saves within an epoch. Together they order saves
	// from instances that may both think they hold the call.
	Epoch   int64 `json:"epoch"`
	Version int64 `json:"version"`
	// Snapshot is what another instance needs to go on with the call
	// (session.Snapshot, encoded): nil once the call has ended.
	Snapshot []byte `json:"snapshot,omitempty"`
	// Transcript is the call so far as the layer keeps it (redacted with
	// Options.RedactTranscripts), encoded as JSON.
	Transcript []byte `json:"transcript,omitempty"`
	// Outcome is how the call ended, "" while it goes on; Transfer the
	// number an ended call was transferred to.
	Outcome  string `json:"outcome,omitempty"`
	Transfer string `json:"transfer,omitempty"`
}

// Ended says whether the record is of a call that is over.
func (r *Record) Ended() bool { return r.Outcome != "" }

// Entry is a service run in the execution ledger.
type Entry struct {
	// Owner is the instance that sent it.
	Owner string `json:"owner"`
	// Started is when it was sent.
	Started time.Time `json:"started"`
	// Done says whether it finished; Failed and Message are its outcome
	// then (the sentence the caller heard).
	Done    bool   `json:"done,omitempty"`
	Failed  bool   `json:"failed,omitempty"`
	Message string `json:"message,omitempty"`
}

// StoredEvent is an event as a Store keeps it: its id and its SSE text.
type StoredEvent struct {
	ID   int64
	Data []byte
}

// LedgerKey names one run of a service in the execution ledger: the
// call, the caller's turn that confirmed it, the service and the values
// frozen for it. Sent again after a hand-over (the caller confirming the
// same read-back in the same turn of the call), a run has the same key;
// changed in any way, it is a new run. It is also the Idempotency-Key the
// service's API gets.
func LedgerKey(call string, turn int, intent string, fields map[string]string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s\x00%d\x00%d:%s\x00", len(call), call, turn, len(intent), intent)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		fmt.Fprintf(h, "%d:%s=%d:%s\x00", len(k), k, len(fields[k]), fields[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

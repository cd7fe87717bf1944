package calls

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/dialog"
)

// MemoryStore is a Store in this process's memory: what a single
// instance uses without Redis. Expiry is lazy: a record past its time is
// gone when next read, and a write sweeps out everything expired at most
// once a minute. It keeps no reference to a record it is given or
// returns: each is copied, down to the dialog state's maps.
type MemoryStore struct {
	now func() time.Time

	mu        sync.Mutex
	nextSweep time.Time
	recs      map[string]memRecord
	ledger    map[string]memEntry // by call+"\x00"+key
	events    map[string]*memEvents
	byCarry   map[string]string // transport+"\x00"+provider → call
}

type memRecord struct {
	rec     Record
	expires time.Time
}

type memEntry struct {
	e       Entry
	expires time.Time
}

type memEvents struct {
	evs     []StoredEvent
	subs    map[chan struct{}]struct{}
	expires time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{now: time.Now, recs: map[string]memRecord{}, ledger: map[string]memEntry{},
		events: map[string]*memEvents{}, byCarry: map[string]string{}}
}

// copyRecord copies r so that nothing of it is shared: a caller's dialog
// goes on changing its state's maps after a Save, and a record loaded is
// the caller's to change. (View.Transcript, which a Record does not
// carry, is not copied.)
func copyRecord(r *Record) *Record {
	c := *r
	c.View = cloneView(r.View)
	c.Snapshot = bytes.Clone(r.Snapshot)
	c.Transcript = bytes.Clone(r.Transcript)
	return &c
}

func cloneView(v View) View {
	if v.Ended != nil {
		e := *v.Ended
		v.Ended = &e
	}
	v.State = cloneState(v.State)
	return v
}

// cloneState copies the maps, slices and pointers of a dialog state
// (TestCloneStateCoversState fails when State gains one this misses).
func cloneState(s dialog.State) dialog.State {
	s.Slots = maps.Clone(s.Slots)
	s.Partial = maps.Clone(s.Partial)
	s.Choices = slices.Clone(s.Choices)
	if s.Readback != nil {
		r := *s.Readback
		r.Values = maps.Clone(r.Values)
		s.Readback = &r
	}
	if s.Last != nil {
		l := *s.Last
		l.Fields = maps.Clone(l.Fields)
		s.Last = &l
	}
	return s
}

// sweepEvery is how often writes sweep out what expired.
const sweepEvery = time.Minute

// sweep forgets what expired, at most once every sweepEvery: without it
// the records of calls nobody reads again, and their ledger entries and
// events, would stay for the life of the process.
func (m *MemoryStore) sweep() {
	now := m.now()
	if now.Before(m.nextSweep) {
		return
	}
	m.nextSweep = now.Add(sweepEvery)
	for id := range m.recs {
		m.live(id)
	}
	for k, e := range m.ledger {
		if !e.expires.After(now) {
			delete(m.ledger, k)
		}
	}
	for id, s := range m.events {
		if !s.expires.After(now) && len(s.subs) == 0 {
			delete(m.events, id)
		}
	}
}

// live returns the call's record unless it expired (which it forgets).
func (m *MemoryStore) live(id string) (memRecord, bool) {
	r, ok := m.recs[id]
	if ok && !r.expires.After(m.now()) {
		m.forget(id)
		return memRecord{}, false
	}
	return r, ok
}

func (m *MemoryStore) forget(id string) {
	if r, ok := m.recs[id]; ok {
		// Only this call's: the carrier's id may have gone to another.
		if k := r.rec.View.Transport + "\x00" + r.rec.View.ProviderID; m.byCarry[k] == id {
			delete(m.byCarry, k)
		}
	}
	delete(m.recs, id)
	delete(m.events, id)
	prefix := id + "\x00"
	for k := range m.ledger {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			delete(m.ledger, k)
		}
	}
}

func (m *MemoryStore) Save(_ context.Context, rec *Record, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	id := rec.View.ID
	if old, ok := m.live(id); ok {
		if old.rec.Epoch > rec.Epoch || old.rec.Epoch == rec.Epoch && old.rec.Version >= rec.Version {
			return ErrStale
		}
		// The hand-overs count is the store's: Claim keeps it.
		if old.rec.View.Handovers > rec.View.Handovers {
			rec = copyRecord(rec)
			rec.View.Handovers = old.rec.View.Handovers
		}
	}
	m.recs[id] = memRecord{rec: *copyRecord(rec), expires: m.now().Add(ttl)}
	if rec.View.ProviderID != "" {
		m.byCarry[rec.View.Transport+"\x00"+rec.View.ProviderID] = id
	}
	if ev := m.events[id]; ev != nil {
		ev.expires = m.now().Add(ttl)
	}
	return nil
}

func (m *MemoryStore) Load(_ context.Context, id string) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.live(id)
	if !ok {
		return nil, ErrNotFound
	}
	return copyRecord(&r.rec), nil
}

func (m *MemoryStore) Claim(_ context.Context, id, instance string) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.live(id)
	if !ok {
		return nil, ErrNotFound
	}
	if r.rec.Ended() {
		return copyRecord(&r.rec), ErrEnded
	}
	r.rec.Epoch++
	r.rec.Version = 0
	r.rec.View.Instance = instance
	r.rec.View.Handovers++
	m.recs[id] = r
	return copyRecord(&r.rec), nil
}

func (m *MemoryStore) Lookup(_ context.Context, transport, provider string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.byCarry[transport+"\x00"+provider]
	if !ok {
		return "", ErrNotFound
	}
	if _, ok := m.live(id); !ok {
		return "", ErrNotFound
	}
	return id, nil
}

func (m *MemoryStore) List(_ context.Context, n int) ([]*Record, error) {
	if n <= 0 {
		return nil, nil
	}
	m.mu.Lock()
	var out []*Record
	for id := range m.recs {
		if r, ok := m.live(id); ok {
			c := r.rec
			c.View = cloneView(c.View)
			c.Snapshot, c.Transcript = nil, nil
			out = append(out, &c)
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b *Record) int { return b.View.Started.Compare(a.View.Started) })
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

func (m *MemoryStore) Delete(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.live(id)
	m.forget(id)
	return ok, nil
}

func (m *MemoryStore) Begin(_ context.Context, call, key, owner string, ttl time.Duration) (*Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	k := call + "\x00" + key
	if e, ok := m.ledger[k]; ok && e.expires.After(m.now()) {
		c := e.e
		return &c, nil
	}
	m.ledger[k] = memEntry{e: Entry{Owner: owner, Started: m.now()}, expires: m.now().Add(ttl)}
	return nil, nil
}

func (m *MemoryStore) Finish(_ context.Context, call, key string, e *Entry, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	m.ledger[call+"\x00"+key] = memEntry{e: *e, expires: m.now().Add(ttl)}
	return nil
}

func (m *MemoryStore) Append(_ context.Context, call string, id int64, data []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	s := m.events[call]
	if s == nil {
		s = &memEvents{subs: map[chan struct{}]struct{}{}}
		m.events[call] = s
	}
	s.expires = m.now().Add(ttl)
	if len(s.evs) >= maxStreamEvents {
		s.evs = slices.Delete(s.evs, 0, len(s.evs)-maxStreamEvents+1)
	}
	s.evs = append(s.evs, StoredEvent{ID: id, Data: bytes.Clone(data)})
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return nil
}

func (m *MemoryStore) Events(_ context.Context, call string, after int64) ([]StoredEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.events[call]
	if s == nil || !s.expires.After(m.now()) {
		return nil, nil
	}
	var out []StoredEvent
	for _, e := range s.evs {
		if e.ID > after {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *MemoryStore) Subscribe(_ context.Context, call string) (<-chan struct{}, func(), error) {
	ch := make(chan struct{}, 1)
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.events[call]
	if s == nil {
		s = &memEvents{subs: map[chan struct{}]struct{}{}, expires: m.now().Add(time.Hour)}
		m.events[call] = s
	}
	s.subs[ch] = struct{}{}
	return ch, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(s.subs, ch)
	}, nil
}

func (m *MemoryStore) Ping(context.Context) error { return nil }

var _ Store = (*MemoryStore)(nil)

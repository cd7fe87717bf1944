package calls

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is a Store in this process's memory: what a single
// instance uses without Redis. Expiry is lazy: a record past its time is
// gone when next read.
type MemoryStore struct {
	now func() time.Time

	mu      sync.Mutex
	recs    map[string]memRecord
	ledger  map[string]memEntry // by call+"\x00"+key
	events  map[string]*memEvents
	byCarry map[string]string // transport+"\x00"+provider → call
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

func copyRecord(r *Record) *Record {
	c := *r
	c.Snapshot = bytes.Clone(r.Snapshot)
	c.Transcript = bytes.Clone(r.Transcript)
	return &c
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
		delete(m.byCarry, r.rec.View.Transport+"\x00"+r.rec.View.ProviderID)
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
	m.mu.Lock()
	var out []*Record
	for id := range m.recs {
		if r, ok := m.live(id); ok {
			c := r.rec
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
	m.ledger[call+"\x00"+key] = memEntry{e: *e, expires: m.now().Add(ttl)}
	return nil
}

func (m *MemoryStore) Append(_ context.Context, call string, id int64, data []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
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

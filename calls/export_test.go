package calls

import "time"

// NewMemoryStoreAt is NewMemoryStore on the test's clock.
func NewMemoryStoreAt(now func() time.Time) *MemoryStore {
	m := NewMemoryStore()
	m.now = now
	return m
}

package calls_test

import (
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/calls"
	"github.com/voiceagent/voiceagent/calls/storetest"
)

// clock is a test's time, moved on by Advance.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		c := &clock{now: time.Now()}
		s := calls.NewMemoryStoreAt(c.Now)
		return storetest.Backend{Store: s, Peer: s, Advance: c.Advance}
	})
}

package telephony

import (
	"log/slog"
	"sync"
	"time"
)

// Warnings logs a warning per cause (its message) at most once per
// interval, counting the ones it kept back, so that a flood of bad
// requests cannot flood the log. Transports use it for what they refuse.
// The zero value is not usable: set Log.
type Warnings struct {
	Log *slog.Logger
	// Every is the interval; zero means 10 s.
	Every time.Duration

	mu     sync.Mutex
	causes map[string]*warned
}

type warned struct {
	last    time.Time
	dropped int
}

// Warn logs msg with args unless msg was logged less than an interval
// ago; the next line it logs says how many it kept back ("suppressed").
func (w *Warnings) Warn(msg string, args ...any) {
	every := w.Every
	if every <= 0 {
		every = 10 * time.Second
	}
	now := time.Now()
	w.mu.Lock()
	if w.causes == nil {
		w.causes = map[string]*warned{}
	}
	c := w.causes[msg]
	if c == nil {
		c = &warned{}
		w.causes[msg] = c
	}
	if !c.last.IsZero() && now.Sub(c.last) < every {
		c.dropped++
		w.mu.Unlock()
		return
	}
	dropped := c.dropped
	c.last, c.dropped = now, 0
	w.mu.Unlock()
	if dropped > 0 {
		args = append(args, "suppressed", dropped)
	}
	w.Log.Warn(msg, args...)
}

package webrtc

import (
	"log/slog"
	"sync"
	"time"
)

// warnings logs a warning per cause at most once per interval, counting
// the ones it kept back, so that a flood of bad connections cannot flood
// the log.
type warnings struct {
	log   *slog.Logger
	every time.Duration

	mu     sync.Mutex
	causes map[string]*warned
}

type warned struct {
	last    time.Time
	dropped int
}

const warnEvery = 10 * time.Second

// warn logs msg (the cause) with args unless it was logged less than an
// interval ago; the next line it logs says how many it kept back.
func (w *warnings) warn(msg string, args ...any) {
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
	if !c.last.IsZero() && now.Sub(c.last) < w.every {
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
	w.log.Warn(msg, args...)
}

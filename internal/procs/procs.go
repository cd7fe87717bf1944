// Package procs sizes the Go scheduler to the server's load: as many Ps
// (GOMAXPROCS) as the CPU it uses needs, from one to all it was given.
//
// A voice server is busy with many small things — each call's audio
// arrives as fifty messages a second — and mostly idle between them. With
// a P per core, each message that wakes a goroutine while another P is
// idle wakes that P too (a futex, a spin looking for work, a sleep): on a
// 2-core machine at 200 calls that was a sixth to a quarter of the
// server's CPU (BENCHMARKS.md). One P does the same work without the
// hand-offs while it is less than half busy; above that the Ps come back,
// at once, so the latency of a loaded server is what it was.
package procs

import (
	"context"
	"log/slog"
	"math"
	"runtime"
	"time"
)

// The rule, checked every Every on the CPU the process used over it (in
// cores): more Ps as soon as those in use are over Up busy; one fewer
// once the load of the last Down checks, on average, would keep one fewer
// under Low busy. Calls are bursty (turns come together): a second over
// Low is not a reason to keep a P, ten seconds of it are.
const (
	Every = time.Second
	Up    = 0.5
	Low   = 0.35
	Down  = 10 // checks
)

// Sizer decides the Ps from the CPU used. Make one with New.
type Sizer struct {
	max    int // the most Ps
	n      int // the Ps now
	recent [Down]float64
	seen   int // checks in recent since the last change
}

// New starts a Sizer at max Ps (what the process was given: a server
// starts as it would without it).
func New(max int) *Sizer { return &Sizer{max: max, n: max} }

// Next takes the cores used over the last check and returns the Ps to
// have.
func (s *Sizer) Next(used float64) int {
	if used > Up*float64(s.n) && s.n < s.max {
		s.n = min(s.max, max(s.n+1, int(math.Ceil(used/Up))))
		s.seen = 0
		return s.n
	}
	s.recent[s.seen%Down] = used
	if s.seen++; s.seen < Down || s.n == 1 {
		return s.n
	}
	sum := 0.0
	for _, u := range s.recent {
		sum += u
	}
	if sum/Down < Low*float64(s.n-1) {
		s.n--
		s.seen = 0
	}
	return s.n
}

// Run sizes the Ps of this process until ctx is done, then gives it back
// the runtime's own choice. It does nothing when the process has one P, or
// when its CPU time cannot be read (not a Unix system). The most it uses is
// what the runtime gave the process when Run started: once Run has changed
// it, the runtime no longer follows a change of the container's CPU limit.
func Run(ctx context.Context, log *slog.Logger) {
	maxProcs := runtime.GOMAXPROCS(0)
	last, ok := cpuTime()
	if maxProcs <= 1 || !ok {
		return
	}
	defer runtime.SetDefaultGOMAXPROCS()
	s := New(maxProcs)
	tick := time.NewTicker(Every)
	defer tick.Stop()
	at := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			cpu, ok := cpuTime()
			now := time.Now()
			if !ok {
				continue
			}
			used := (cpu - last).Seconds() / now.Sub(at).Seconds()
			last, at = cpu, now
			before := s.n
			if n := s.Next(used); n != before {
				runtime.GOMAXPROCS(n)
				log.Info("scheduler resized", "procs", n, "cores_used", math.Round(used*100)/100)
			}
		}
	}
}

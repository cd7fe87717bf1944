package audio

import "time"

// gridOrigin is where the process's grids of wake-ups start.
var gridOrigin = time.Now()

// OnGrid returns how long to wait from now for at least d to pass and
// then for the next multiple of grid since the process began. Timers set
// this way by many goroutines expire together, and the runtime runs them
// on one wake-up of one thread: a server with hundreds of calls, each
// pacing its own audio, otherwise wakes for each of them apart, and the
// switches in and out of the kernel cost more than the work they wake
// for. Zero grid returns d.
func OnGrid(now time.Time, d, grid time.Duration) time.Duration {
	if grid <= 0 {
		return d
	}
	at := now.Add(d).Sub(gridOrigin)
	if r := at % grid; r != 0 {
		at += grid - r
	}
	return at - now.Sub(gridOrigin)
}

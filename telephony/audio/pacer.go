package audio

import (
	"context"
	"time"
)

// Clock is the time source of a Pacer; tests give a fake one.
type Clock interface {
	// Now returns the current time; it must be monotonic.
	Now() time.Time
	// Sleep waits for d, or until ctx is done and then returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// PacerConfig configures a Pacer. The zero value means the defaults.
type PacerConfig struct {
	// Interval is the time between frames; zero means FrameDuration.
	Interval time.Duration
	// MaxLag bounds catching up: when a frame is released more than MaxLag
	// after its slot, the schedule restarts from it instead of sending the
	// frames behind it in a burst. Zero means 5 intervals (100 ms); a
	// negative value means never restart.
	MaxLag time.Duration
	// Tolerance is the lateness not counted in PacerStats.Late, which a
	// timer waking up a little late causes on every frame; zero means
	// 2 ms, a negative value counts any lateness.
	Tolerance time.Duration
	// Clock is the time source; nil means the system clock.
	Clock Clock
}

// Pacer releases one frame per interval against a fixed schedule: frame
// n is due at start + n*interval, where start is the first Wait, so
// sleeping late or working between frames does not drift the schedule.
// A frame that is due already is released at once, and reported late.
//
// Call Reset when the playout queue runs dry (between utterances) so the
// next frame starts a new schedule instead of counting as late. A Pacer
// is not safe for concurrent use.
type Pacer struct {
	interval time.Duration
	maxLag   time.Duration
	tol      time.Duration
	clock    Clock
	started  bool
	start    time.Time
	n        int64
	stats    PacerStats
}

// PacerStats counts what a Pacer has released since it was made.
type PacerStats struct {
	Frames  int64         // frames released
	Late    int64         // frames released after their slot by more than the tolerance
	MaxLate time.Duration // the latest release, tolerated or not
	Resyncs int64         // schedule restarts after falling behind by more than MaxLag
}

// NewPacer returns a Pacer configured by cfg.
func NewPacer(cfg PacerConfig) *Pacer {
	p := &Pacer{interval: cfg.Interval, maxLag: cfg.MaxLag, tol: cfg.Tolerance, clock: cfg.Clock}
	if p.interval <= 0 {
		p.interval = FrameDuration
	}
	if p.maxLag == 0 {
		p.maxLag = 5 * p.interval
	}
	if p.tol == 0 {
		p.tol = 2 * time.Millisecond
	}
	if p.clock == nil {
		p.clock = &systemClock{}
	}
	return p
}

// Wait blocks until the next frame's slot and returns how late the frame
// is released (zero when on time). The first Wait after NewPacer or Reset
// returns at once and starts the schedule. When ctx is done first, Wait
// returns ctx.Err() and the frame is not counted.
//
// Lateness is measured after sleeping, so with the system clock it
// includes the timer's wake-up delay (tens of microseconds); Stats counts
// a frame as late only beyond PacerConfig.Tolerance.
func (p *Pacer) Wait(ctx context.Context) (time.Duration, error) {
	now := p.clock.Now()
	if !p.started {
		p.started, p.start, p.n = true, now, 0
	}
	due := p.start.Add(time.Duration(p.n) * p.interval)
	if d := due.Sub(now); d > 0 {
		if err := p.clock.Sleep(ctx, d); err != nil {
			return 0, err
		}
		now = p.clock.Now()
	} else if err := ctx.Err(); err != nil {
		return 0, err
	}
	late := max(0, now.Sub(due))
	p.n++
	p.stats.Frames++
	p.stats.MaxLate = max(p.stats.MaxLate, late)
	if late > max(0, p.tol) {
		p.stats.Late++
	}
	if p.maxLag >= 0 && late > p.maxLag {
		p.start, p.n = now, 1
		p.stats.Resyncs++
	}
	return late, nil
}

// Skip counts n frames as released with the last Wait's, in the slots
// after it: frames sent in one message with the frame Wait released. The
// next Wait is for the slot after theirs.
func (p *Pacer) Skip(n int) {
	if n > 0 {
		p.n += int64(n)
		p.stats.Frames += int64(n)
	}
}

// Reset makes the next Wait start a new schedule.
func (p *Pacer) Reset() { p.started = false }

// Stats returns the counts so far.
func (p *Pacer) Stats() PacerStats { return p.stats }

// systemClock sleeps on one reused timer, so pacing allocates nothing per
// frame.
type systemClock struct{ t *time.Timer }

func (c *systemClock) Now() time.Time { return time.Now() }

func (c *systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.t == nil {
		c.t = time.NewTimer(d)
	} else {
		c.t.Reset(d)
	}
	select {
	case <-c.t.C:
		return nil
	case <-ctx.Done():
		c.t.Stop()
		return ctx.Err()
	}
}

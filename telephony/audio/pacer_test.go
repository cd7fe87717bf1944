package audio

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// fakeClock moves only when the Pacer sleeps or the test says so.
type fakeClock struct {
	now      time.Time
	oversl   time.Duration // added to every sleep, like a timer waking late
	slept    time.Duration
	sleeps   int
	released []time.Duration // release times, from the clock's zero
	zero     time.Time
}

func newFakeClock() *fakeClock {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &fakeClock{now: t0, zero: t0}
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps++
	c.slept += d
	c.now = c.now.Add(d + c.oversl)
	return nil
}

func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }

// wait calls p.Wait and records the release time.
func (c *fakeClock) wait(t *testing.T, p *Pacer) time.Duration {
	t.Helper()
	late, err := p.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.released = append(c.released, c.now.Sub(c.zero))
	return late
}

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func TestPacerDoesNotDrift(t *testing.T) {
	// Work between frames and timers that wake late do not push the
	// schedule: frame n leaves at n*20 ms (plus the wake-up delay).
	c := newFakeClock()
	c.oversl = ms(0.3)
	p := NewPacer(PacerConfig{Clock: c})
	for range 100 {
		c.wait(t, p)
		c.advance(ms(7)) // encoding, sending
	}
	for n, at := range c.released {
		want := time.Duration(n) * FrameDuration
		if n > 0 {
			want += ms(0.3)
		}
		if at != want {
			t.Fatalf("frame %d released at %v, want %v", n, at, want)
		}
	}
	// The wake-up delay is within the default tolerance: not late frames.
	st := p.Stats()
	if st.Frames != 100 || st.Late != 0 || st.MaxLate != ms(0.3) || st.Resyncs != 0 {
		t.Errorf("stats = %+v", st)
	}
	p = NewPacer(PacerConfig{Clock: c, Tolerance: -1})
	for range 3 {
		c.wait(t, p)
	}
	if st := p.Stats(); st.Late != 2 {
		t.Errorf("with no tolerance, %d late frames, want 2", st.Late)
	}
}

func TestPacerLateFramesCatchUp(t *testing.T) {
	c := newFakeClock()
	p := NewPacer(PacerConfig{Clock: c})
	var lates []time.Duration
	for n := range 10 {
		if n == 3 {
			c.advance(ms(50)) // a stall before frame 3: due at 60 ms, sent at 90
		}
		lates = append(lates, c.wait(t, p))
	}
	// Frame 3 is 30 ms late, frame 4 (due 80) 10 ms; frame 5 (due 100) is
	// waited for again: the schedule is kept, not shifted by the stall.
	want := []time.Duration{0, 0, 0, ms(30), ms(10), 0, 0, 0, 0, 0}
	if !slices.Equal(lates, want) {
		t.Errorf("lateness = %v, want %v", lates, want)
	}
	if c.released[9] != 9*FrameDuration {
		t.Errorf("frame 9 released at %v, want %v", c.released[9], 9*FrameDuration)
	}
	if st := p.Stats(); st.Late != 2 || st.MaxLate != ms(30) || st.Resyncs != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestPacerResyncsAfterLongStall(t *testing.T) {
	c := newFakeClock()
	p := NewPacer(PacerConfig{Clock: c}) // MaxLag 100 ms
	c.wait(t, p)
	c.advance(ms(500))
	if late := c.wait(t, p); late != ms(480) {
		t.Errorf("late = %v, want 480ms", late)
	}
	// Instead of a burst of 24 frames, the schedule restarts at 500 ms.
	for range 3 {
		if late := c.wait(t, p); late != 0 {
			t.Errorf("late = %v after resync", late)
		}
	}
	want := []time.Duration{0, ms(500), ms(520), ms(540), ms(560)}
	if !slices.Equal(c.released, want) {
		t.Errorf("released at %v, want %v", c.released, want)
	}
	if st := p.Stats(); st.Resyncs != 1 || st.Late != 1 {
		t.Errorf("stats = %+v", st)
	}

	// With MaxLag negative it bursts instead.
	c = newFakeClock()
	p = NewPacer(PacerConfig{Clock: c, MaxLag: -1})
	c.wait(t, p)
	c.advance(ms(100))
	for range 5 {
		c.wait(t, p)
	}
	if c.sleeps != 0 || p.Stats().Resyncs != 0 {
		t.Errorf("catching up slept %d times, resynced %d", c.sleeps, p.Stats().Resyncs)
	}
}

func TestPacerReset(t *testing.T) {
	c := newFakeClock()
	p := NewPacer(PacerConfig{Clock: c, Interval: 10 * time.Millisecond})
	c.wait(t, p)
	c.wait(t, p)
	c.advance(5 * time.Second) // the queue ran dry between utterances
	p.Reset()
	if late := c.wait(t, p); late != 0 {
		t.Errorf("first frame after Reset late by %v", late)
	}
	c.wait(t, p)
	if got, want := c.released, []time.Duration{0, ms(10), ms(5010), ms(5020)}; !slices.Equal(got, want) {
		t.Errorf("released at %v, want %v", got, want)
	}
}

func TestPacerContext(t *testing.T) {
	c := newFakeClock()
	p := NewPacer(PacerConfig{Clock: c})
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after cancel: %v", err)
	}
	c.advance(time.Second) // due already: still refused
	if _, err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait of a due frame after cancel: %v", err)
	}
	if st := p.Stats(); st.Frames != 1 {
		t.Errorf("refused frames were counted: %+v", st)
	}
}

// The system clock, without asserting any time: it paces and it stops.
func TestPacerSystemClock(t *testing.T) {
	p := NewPacer(PacerConfig{Interval: time.Millisecond})
	for range 3 {
		if _, err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p = NewPacer(PacerConfig{Interval: time.Hour})
	if _, err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled ctx = %v", err)
	}
}

// Frames sent together take their slots: after a Wait and Skip(2), the
// next Wait is three slots on, whatever the chunks' sizes.
func TestPacerSkip(t *testing.T) {
	c := newFakeClock()
	p := NewPacer(PacerConfig{Clock: c})
	for _, frames := range []int{3, 3, 1, 2, 3} {
		c.wait(t, p)
		p.Skip(frames - 1)
	}
	want := []time.Duration{0, ms(60), ms(120), ms(140), ms(180)}
	if !slices.Equal(c.released, want) {
		t.Errorf("released at %v, want %v", c.released, want)
	}
	if s := p.Stats(); s.Frames != 12 || s.Late != 0 {
		t.Errorf("stats = %+v", s)
	}
}

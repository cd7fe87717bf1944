package twiliotest

import (
	"context"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/telephony/audio"
)

// Clock steps many calls from one goroutine: every 20 ms it plays a frame
// and sends one for each call attached to it (Config.Clock), in turn. A
// load generator gives all its calls one Clock instead of a goroutine and
// a timer each. A write that blocks holds up every call of the Clock, for
// up to Config.WriteTimeout.
type Clock struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	calls []tickedCall
	stats audio.PacerStats
}

// tickedCall is an attached call and the context that detaches it.
type tickedCall struct {
	c   *Client
	ctx context.Context
}

// NewClock starts a Clock. Stop it once its calls have ended.
func NewClock() *Clock {
	ctx, cancel := context.WithCancel(context.Background())
	k := &Clock{cancel: cancel, done: make(chan struct{})}
	go k.run(ctx)
	return k
}

// Stop stops the Clock; calls still attached stop sending, as if closed.
func (k *Clock) Stop() {
	k.cancel()
	<-k.done
}

// Stats is the Clock's own lateness: a loaded generator shows here.
func (k *Clock) Stats() audio.PacerStats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stats
}

func (k *Clock) attach(c *Client, ctx context.Context) {
	k.mu.Lock()
	defer k.mu.Unlock()
	select {
	case <-k.done:
		close(c.tickDone) // stopped: the call never sends
	default:
		k.calls = append(k.calls, tickedCall{c, ctx})
	}
}

func (k *Clock) run(ctx context.Context) {
	p := audio.NewPacer(audio.PacerConfig{})
	var now []tickedCall
	defer func() {
		k.mu.Lock()
		for _, t := range k.calls {
			close(t.c.tickDone)
		}
		k.calls = nil
		close(k.done)
		k.mu.Unlock()
	}()
	for {
		if _, err := p.Wait(ctx); err != nil {
			return
		}
		k.mu.Lock()
		k.stats = p.Stats()
		now = append(now[:0], k.calls...)
		k.mu.Unlock()
		stats := p.Stats()
		for _, t := range now {
			if t.ctx.Err() == nil {
				if err := t.c.step(time.Now(), stats); err != nil {
					t.c.fail(err)
					t.c.cancel()
				}
			}
		}
		k.detachEnded()
	}
}

// detachEnded lets go of the calls whose context is done: they are
// stepped no more.
func (k *Clock) detachEnded() {
	k.mu.Lock()
	defer k.mu.Unlock()
	kept := k.calls[:0]
	for _, t := range k.calls {
		if t.ctx.Err() != nil {
			close(t.c.tickDone)
			continue
		}
		kept = append(kept, t)
	}
	clear(k.calls[len(kept):])
	k.calls = kept
}

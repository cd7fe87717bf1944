package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// hub is a Store's subscribers: one Pub/Sub connection for all of them
// (a thousand pages watching calls are one connection, not a thousand),
// subscribed to each call's channel while the call has subscribers here
// (and linger after, so that a page reconnecting does not subscribe
// anew). go-redis reconnects the connection and subscribes it again to
// every channel; when Redis confirms a subscription again, the channel's
// subscribers are woken, since events may have been appended meanwhile.
type hub struct {
	c       redis.UniversalClient
	linger  time.Duration
	confirm time.Duration // how long subscribe waits for Redis to confirm

	mu     sync.Mutex
	ps     *redis.PubSub // made by the first subscriber
	topics map[string]*topic
	closed bool
}

type topic struct {
	subs map[chan struct{}]struct{}
	// ready is closed once Redis confirmed the subscription: an event
	// published after that reaches us.
	ready     chan struct{}
	confirmed bool
	idle      time.Time // when the last subscriber left; zero while it has some
}

var errClosed = errors.New("the store is closed")

func newHub(c redis.UniversalClient) *hub {
	return &hub{c: c, linger: 10 * time.Second, confirm: time.Second, topics: map[string]*topic{}}
}

func (h *hub) subscribe(ctx context.Context, channel string) (<-chan struct{}, func(), error) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, nil, unavailable("subscribe", errClosed)
	}
	if h.ps == nil {
		h.ps = h.c.Subscribe(context.Background())
		go h.run(h.ps.ChannelWithSubscriptions(redis.WithChannelSize(1024)))
	}
	t := h.topics[channel]
	if t == nil {
		t = &topic{subs: map[chan struct{}]struct{}{}, ready: make(chan struct{})}
		// Under h.mu, so that SUBSCRIBE and UNSUBSCRIBE of a channel go
		// out in the order of the map's changes.
		if err := h.ps.Subscribe(ctx, channel); err != nil {
			// go-redis would subscribe to it when it reconnects.
			_ = h.ps.Unsubscribe(context.WithoutCancel(ctx), channel)
			h.mu.Unlock()
			return nil, nil, unavailable("subscribe", err)
		}
		h.topics[channel] = t
	}
	t.subs[ch] = struct{}{}
	t.idle = time.Time{}
	h.mu.Unlock()

	var once sync.Once
	cancel := func() { once.Do(func() { h.leave(t, ch) }) }
	timer := time.NewTimer(h.confirm)
	defer timer.Stop()
	select {
	case <-t.ready:
		return ch, cancel, nil
	case <-ctx.Done():
		cancel()
		return nil, nil, unavailable("subscribe", ctx.Err())
	case <-timer.C:
		cancel()
		return nil, nil, unavailable("subscribe", errors.New("no confirmation of the subscription within "+h.confirm.String()))
	}
}

func (h *hub) leave(t *topic, ch chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(t.subs, ch)
	if len(t.subs) == 0 {
		t.idle = time.Now()
	}
}

// run hands the connection's messages out and unsubscribes the channels
// idle for linger, until the connection is closed.
func (h *hub) run(msgs <-chan any) {
	tick := time.NewTicker(h.linger / 2)
	defer tick.Stop()
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				return
			}
			switch m := m.(type) {
			case *redis.Message:
				h.wake(m.Channel, false)
			case *redis.Subscription:
				if m.Kind == "subscribe" {
					h.wake(m.Channel, true)
				}
			}
		case <-tick.C:
			h.sweep()
		}
	}
}

// wake wakes the channel's subscribers: on an event, or on Redis
// confirming the subscription again (after a reconnection). Its first
// confirmation only makes the topic ready.
func (h *hub) wake(channel string, confirmation bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[channel]
	if t == nil {
		return
	}
	if confirmation && !t.confirmed {
		t.confirmed = true
		close(t.ready)
		return
	}
	for ch := range t.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// sweep unsubscribes the channels without subscribers for linger.
func (h *hub) sweep() {
	h.mu.Lock()
	defer h.mu.Unlock()
	var idle []string
	for name, t := range h.topics {
		if len(t.subs) == 0 && !t.idle.IsZero() && time.Since(t.idle) >= h.linger {
			idle = append(idle, name)
			delete(h.topics, name)
		}
	}
	if len(idle) > 0 && !h.closed {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = h.ps.Unsubscribe(ctx, idle...) // forgotten by go-redis even when this fails
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	if h.ps != nil {
		_ = h.ps.Close()
	}
}

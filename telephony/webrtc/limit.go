package webrtc

import (
	"sync"
	"time"
)

// limiter allows each remote address a number of offers a minute: a
// token bucket per address that holds up to perMinute offers and refills
// at that rate.
type limiter struct {
	perMinute int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the addresses remembered; past it, the buckets that
// have refilled (addresses idle for a minute) are forgotten.
const maxBuckets = 10000

func newLimiter(perMinute int) *limiter {
	return &limiter{perMinute: perMinute, buckets: map[string]*bucket{}}
}

// allow takes an offer from addr at now, or reports that its bucket is
// empty.
func (l *limiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	full := float64(l.perMinute)
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.pruneLocked(now)
		}
		b = &bucket{tokens: full, at: now}
		l.buckets[addr] = b
	}
	if dt := now.Sub(b.at); dt > 0 {
		b.tokens = min(full, b.tokens+full*dt.Minutes())
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refund gives addr back an offer allow took (one that turned out not to
// count).
func (l *limiter) refund(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[addr]; b != nil {
		b.tokens = min(float64(l.perMinute), b.tokens+1)
	}
}

func (l *limiter) pruneLocked(now time.Time) {
	for addr, b := range l.buckets {
		if now.Sub(b.at) >= time.Minute {
			delete(l.buckets, addr)
		}
	}
}

package redistest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func client(t *testing.T, url string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries, opt.DialerRetries, opt.DialTimeout = -1, 1, 500*time.Millisecond
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestStart: each test has a prefix of its own, and its keys are gone
// once it ends.
func TestStart(t *testing.T) {
	var url, prefix string
	t.Run("writer", func(t *testing.T) {
		url, prefix = URL(t)
		_, other := URL(t)
		if !strings.HasPrefix(prefix, "vatest:") || !strings.HasSuffix(prefix, ":") || prefix == other {
			t.Errorf("prefixes %q and %q", prefix, other)
		}
		if err := client(t, url).Set(context.Background(), prefix+"k", "v", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	})
	if !Start(t).Real() {
		return // the writer's miniredis is gone with it
	}
	n, err := client(t, url).Exists(context.Background(), prefix+"k").Result()
	if err != nil || n != 0 {
		t.Errorf("the key under the ended test's prefix: %d, %v; want gone", n, err)
	}
}

func TestAdvance(t *testing.T) {
	s := Start(t)
	c := client(t, s.URL)
	ctx := context.Background()
	if err := c.Set(ctx, s.Prefix+"k", "v", 500*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Second)
	if n, err := c.Exists(ctx, s.Prefix+"k").Result(); err != nil || n != 0 {
		t.Errorf("a key past its time: %d, %v; want gone", n, err)
	}
}

func TestStopRestart(t *testing.T) {
	s := Start(t)
	if s.Real() {
		t.Skip("a real Redis is not stopped; TestProcess")
	}
	c := client(t, s.URL)
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Error("PING answered while stopped")
	}
	s.Restart()
	if v, err := c.Get(ctx, "k").Result(); v != "v" || err != nil {
		t.Errorf("after Restart: %q, %v", v, err)
	}
}

func TestProcess(t *testing.T) {
	p := Process(t)
	c := client(t, p.URL())
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	p.Stop()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Error("PING answered while stopped")
	}
	p.Start()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Errorf("PING after Start: %v", err)
	}
}

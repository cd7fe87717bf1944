// Package redistest gives tests a Redis: the one REDIS_URL names (CI runs
// one), under a key prefix of the test's own, or else an embedded
// miniredis. It also starts redis-server processes a test may stop and
// start again, to see what its code does while Redis is down.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Server is a Redis for one test.
type Server struct {
	// URL is the server's address (redis://host:port).
	URL string
	// Prefix starts the name of every key the test writes ("vatest:<random
	// hex>:"), so that test packages running at once on one Redis never
	// meet; the test's cleanup deletes the keys under it.
	Prefix string

	mini *miniredis.Miniredis // nil on a real Redis
}

// URL returns the address of a Redis for the test and a key prefix of its
// own (see Start).
func URL(t testing.TB) (url, prefix string) {
	t.Helper()
	s := Start(t)
	return s.URL, s.Prefix
}

// Start gives the test a Redis: the one REDIS_URL names when it is set
// (the keys under the test's prefix are deleted when the test ends),
// otherwise a miniredis of the test's own, closed when it ends.
func Start(t testing.TB) *Server {
	t.Helper()
	prefix := "vatest:" + randomHex() + ":"
	if u := os.Getenv("REDIS_URL"); u != "" {
		opt, err := redis.ParseURL(u)
		if err != nil {
			t.Fatalf("REDIS_URL: %v", err)
		}
		t.Cleanup(func() {
			if err := deletePrefix(opt, prefix); err != nil {
				t.Logf("redistest: deleting %s*: %v", prefix, err)
			}
		})
		return &Server{URL: u, Prefix: prefix}
	}
	m := miniredis.RunT(t)
	return &Server{URL: "redis://" + m.Addr(), Prefix: prefix, mini: m}
}

// Real says whether the server is a real Redis (REDIS_URL).
func (s *Server) Real() bool { return s.mini == nil }

// Advance lets d pass for the keys' time to live: at once on a miniredis
// (FastForward), by sleeping on a real Redis.
func (s *Server) Advance(d time.Duration) {
	if s.mini != nil {
		s.mini.FastForward(d)
		return
	}
	time.Sleep(d)
}

// Stop shuts an embedded server down, as an outage would (connections
// are refused until Restart); it panics on a real Redis, which a test
// cannot stop: Process starts one it can.
func (s *Server) Stop() {
	if s.mini == nil {
		panic("redistest: Stop of a real Redis; use Process")
	}
	s.mini.Close()
}

// Restart starts a stopped embedded server again on its address, with
// the keys it had.
func (s *Server) Restart() {
	if s.mini == nil {
		panic("redistest: Restart of a real Redis; use Process")
	}
	if err := s.mini.Restart(); err != nil {
		panic("redistest: restarting miniredis: " + err.Error())
	}
}

// deletePrefix deletes the keys under prefix (SCAN and DEL).
func deletePrefix(opt *redis.Options, prefix string) error {
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Proc is a redis-server process of the test's own, on a free port of
// loopback, without persistence: the test can stop it (an outage, its
// keys lost) and start it again on the same port.
type Proc struct {
	t    testing.TB
	port int
	dir  string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Process starts a redis-server for the test, stopped when it ends. It
// skips the test when redis-server is not installed, unless
// VOICEAGENT_REQUIRE_REDIS=1 (then it fails).
//
// redis-server cannot pick a free port itself (--port 0 turns TCP off),
// so Process finds one by listening on :0 and closing the listener, and
// starts on it
//
//	redis-server --port N --bind 127.0.0.1 --save '' --appendonly no
func Process(t testing.TB) *Proc {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("VOICEAGENT_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis-server is not installed (VOICEAGENT_REQUIRE_REDIS=1): %v", err)
		}
		t.Skipf("redis-server is not installed: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p := &Proc{t: t, port: port, dir: t.TempDir()}
	t.Cleanup(p.Stop)
	p.Start()
	return p
}

// URL is the server's address.
func (p *Proc) URL() string { return "redis://" + p.addr() }

func (p *Proc) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// Start starts the server (again) and waits until it answers PING; it
// does nothing while the server runs.
func (p *Proc) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(p.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", p.dir)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("starting redis-server: %v", err)
	}
	p.cmd = cmd
	if err := waitReady(p.addr(), 10*time.Second); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		p.cmd = nil
		p.t.Fatalf("redis-server on port %d: %v\n%s", p.port, err, out.String())
	}
}

// Stop kills the server, as a crash would; it does nothing when the
// server is not running.
func (p *Proc) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// waitReady waits until a PING on addr is answered.
func waitReady(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1, DialerRetries: 1})
	defer c.Close()
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err = c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.Join(fmt.Errorf("no answer within %v", within), err)
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

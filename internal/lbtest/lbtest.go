// Package lbtest runs HAProxy for tests, with exactly the configuration
// docker-compose.yml gives the load balancer (deploy/haproxy.cfg), on a
// free loopback port and in front of the backends a test gives.
//
// It runs Debian's haproxy program (apt-get install haproxy); without it
// the test is skipped with the reason, unless VOICEAGENT_REQUIRE_HAPROXY=1
// (.ci/run sets it), which makes it fail.
package lbtest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvRequire, set to 1, makes a missing haproxy fail the test instead of
// skipping it.
const EnvRequire = "VOICEAGENT_REQUIRE_HAPROXY"

// Config is the configuration file, relative to the module's root.
const Config = "deploy/haproxy.cfg"

// Servers are the names deploy/haproxy.cfg gives the backends, in the
// order Start takes them.
var Servers = []string{"voiceagent-1", "voiceagent-2"}

// LB is a running HAProxy.
type LB struct {
	// URL is where it listens: http://127.0.0.1:PORT.
	URL   string
	stats string // the runtime API's socket
	out   *buffer
}

// Start runs HAProxy with deploy/haproxy.cfg in front of two backends
// (host:port, or http://host:port as httptest.Server.URL gives it), the
// first as voiceagent-1 and the second as voiceagent-2, waits until it
// accepts connections and returns its base URL. It stops when the test
// ends.
func Start(t testing.TB, backends ...string) string {
	t.Helper()
	return Run(t, backends...).URL
}

// Run is Start, returning the LB to ask about its servers.
func Run(t testing.TB, backends ...string) *LB {
	t.Helper()
	if len(backends) != len(Servers) {
		t.Fatalf("lbtest: %s has %d servers; got %d backends", Config, len(Servers), len(backends))
	}
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		// Debian puts it in /usr/sbin, which only root's PATH has.
		bin, err = exec.LookPath("/usr/sbin/haproxy")
	}
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("lbtest: haproxy is not installed and %s=1", EnvRequire)
		}
		t.Skip("lbtest: haproxy is not installed (apt-get install haproxy)")
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatalf("lbtest: %v", err)
	}
	cfg := filepath.Join(root, Config)
	// A unix socket's path is limited to about 100 bytes; t.TempDir's may be
	// longer.
	dir, err := os.MkdirTemp("", "lbtest")
	if err != nil {
		t.Fatalf("lbtest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	stats := filepath.Join(dir, "stats.sock")
	env := append(os.Environ(), "VOICEAGENT_LB_STATS="+stats)
	for i, b := range backends {
		env = append(env, fmt.Sprintf("VOICEAGENT_BACKEND_%d=%s", i+1, strings.TrimPrefix(b, "http://")))
	}
	// The port is free when asked, and may be taken before haproxy binds
	// it: then it says so and exits, and another port is tried.
	var last string
	for range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("lbtest: %v", err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		lb, out, err := run(t, bin, cfg, addr, stats, append(env, "VOICEAGENT_LB_BIND="+addr))
		if err == nil {
			return lb
		}
		last = fmt.Sprintf("%v\n%s", err, out)
		if !strings.Contains(out, "cannot bind") && !strings.Contains(out, "Address already in use") {
			break
		}
	}
	t.Fatalf("lbtest: haproxy -f %s did not start: %s", cfg, last)
	return nil
}

// run starts haproxy in the foreground (-db) and waits until it accepts
// connections on addr and on its runtime API's socket, or exits.
func run(t testing.TB, bin, cfg, addr, stats string, env []string) (*LB, string, error) {
	out := &buffer{}
	cmd := exec.Command(bin, "-db", "-f", cfg)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	accepts := func(network, addr string) bool {
		c, err := net.DialTimeout(network, addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	for !accepts("tcp", addr) || !accepts("unix", stats) {
		select {
		case err := <-exited:
			return nil, out.String(), fmt.Errorf("haproxy exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return nil, out.String(), fmt.Errorf("haproxy does not accept connections on %s and %s after 10s", addr, stats)
		}
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // a hard stop: connections are closed at once
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("haproxy's output:\n%s", out.String())
		}
	})
	return &LB{URL: "http://" + addr, stats: stats, out: out}, "", nil
}

// Log is what haproxy wrote so far: its warnings (servers going up and
// down) and a line per request.
func (lb *LB) Log() string { return lb.out.String() }

// Server is a backend as HAProxy sees it (its runtime API's "show stat").
type Server struct {
	// Status is UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming up),
	// MAINT...
	Status string
	// Sessions is the number of requests and connections sent to it.
	Sessions int
	// ConnErrors counts the connections to it that failed.
	ConnErrors int
	// Retries counts the attempts on it retried; Redispatches those of
	// them sent to another server.
	Retries, Redispatches int
}

// Up says whether the server takes requests.
func (s Server) Up() bool { return s.Status == "UP" || strings.HasPrefix(s.Status, "UP ") }

// Server asks HAProxy about one of its servers (voiceagent-1 or
// voiceagent-2).
func (lb *LB) Server(name string) (Server, error) {
	rows, err := lb.showStat()
	if err != nil {
		return Server{}, err
	}
	for _, r := range rows {
		if r["pxname"] == "voiceagents" && r["svname"] == name {
			n := func(k string) int { v, _ := strconv.Atoi(r[k]); return v }
			return Server{Status: r["status"], Sessions: n("stot"), ConnErrors: n("econ"), Retries: n("wretr"), Redispatches: n("wredis")}, nil
		}
	}
	return Server{}, fmt.Errorf("lbtest: no server %q in haproxy's stats", name)
}

// showStat is "show stat" as one map per line, by column name.
func (lb *LB) showStat() ([]map[string]string, error) {
	c, err := net.DialTimeout("unix", lb.stats, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("lbtest: haproxy's runtime API: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "show stat\n"); err != nil {
		return nil, fmt.Errorf("lbtest: show stat: %w", err)
	}
	data, err := io.ReadAll(bufio.NewReader(c))
	if err != nil {
		return nil, fmt.Errorf("lbtest: show stat: %w", err)
	}
	data = bytes.TrimPrefix(bytes.TrimSpace(data), []byte("# "))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) < 2 {
		return nil, fmt.Errorf("lbtest: show stat: %q: %v", data, err)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, k := range recs[0] {
			if i < len(rec) {
				row[k] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// ModuleRoot is the folder of the go.mod above the working directory (a
// test's is its package's folder).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// buffer is haproxy's output, written by its process and read by tests.
type buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

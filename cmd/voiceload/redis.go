package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A few Redis commands, for --chaos: select and empty the database the
// servers share, and read the server's command counts. RESP over TCP,
// nothing more.

// chaosDB is the database --chaos uses when --redis names none.
const chaosDB = 9

// ownerKey marks a database as voiceload's: it is written right after
// voiceload empties it, and voiceload empties only a database that is
// empty or has it.
const ownerKey = "voiceload:chaos:owner"

// redisTarget is a parsed redis:// URL.
type redisTarget struct {
	addr, user, password string
	db                   int
}

// parseRedisURL reads redis://[user:password@]host[:port][/db]; a URL
// without a database gets chaosDB.
func parseRedisURL(raw string) (redisTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return redisTarget{}, err
	}
	if u.Scheme != "redis" {
		return redisTarget{}, fmt.Errorf("%q: want redis://host:port[/db] (TLS is not supported)", raw)
	}
	t := redisTarget{addr: u.Host, db: chaosDB}
	if u.Port() == "" {
		t.addr = net.JoinHostPort(u.Hostname(), "6379")
	}
	if u.Hostname() == "" {
		return redisTarget{}, fmt.Errorf("%q: no host", raw)
	}
	if u.User != nil {
		t.user = u.User.Username()
		t.password, _ = u.User.Password()
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if t.db, err = strconv.Atoi(p); err != nil || t.db < 0 {
			return redisTarget{}, fmt.Errorf("%q: the database must be a number", raw)
		}
	}
	return t, nil
}

// url is the target as a URL naming its database, for the servers.
func (t redisTarget) url() string {
	u := url.URL{Scheme: "redis", Host: t.addr, Path: "/" + strconv.Itoa(t.db)}
	if t.user != "" || t.password != "" {
		u.User = url.UserPassword(t.user, t.password)
	}
	return u.String()
}

// redacted is url without the password, for reports.
func (t redisTarget) redacted() string {
	u := url.URL{Scheme: "redis", Host: t.addr, Path: "/" + strconv.Itoa(t.db)}
	return u.String()
}

// redisConn is one connection, used by one goroutine.
type redisConn struct {
	c net.Conn
	r *bufio.Reader
}

// dialRedis connects, authenticates and selects the database.
func dialRedis(ctx context.Context, t redisTarget) (*redisConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	rc := &redisConn{c: c, r: bufio.NewReader(c)}
	if t.password != "" {
		args := []string{"AUTH", t.password}
		if t.user != "" {
			args = []string{"AUTH", t.user, t.password}
		}
		if _, err := rc.do(args...); err != nil {
			c.Close()
			return nil, err
		}
	}
	if _, err := rc.do("SELECT", strconv.Itoa(t.db)); err != nil {
		c.Close()
		return nil, err
	}
	return rc, nil
}

func (rc *redisConn) Close() error { return rc.c.Close() }

// do sends one command and reads its reply: a string, an int64, nil, or
// []any; a Redis error is returned as an error.
func (rc *redisConn) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	rc.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := rc.c.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	return readReply(rc.r)
}

// redisError is an error reply.
type redisError string

func (e redisError) Error() string { return "redis: " + string(e) }

func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("redis: empty reply")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, redisError(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("redis: unexpected reply %.40q", line)
}

// claimDB empties the connection's database for the run: only when it is
// empty or voiceload's (it holds ownerKey), so that no one else's data
// goes. It returns how many keys of an earlier run it removed.
func (rc *redisConn) claimDB() (int64, error) {
	n, err := rc.do("DBSIZE")
	if err != nil {
		return 0, err
	}
	size, _ := n.(int64)
	if size > 0 {
		mine, err := rc.do("EXISTS", ownerKey)
		if err != nil {
			return 0, err
		}
		if mine != int64(1) {
			return 0, fmt.Errorf("the database holds %d keys that are not voiceload's: give --redis a database of its own (redis://HOST:PORT/N)", size)
		}
	}
	if _, err := rc.do("FLUSHDB"); err != nil {
		return 0, err
	}
	if _, err := rc.do("SET", ownerKey, "voiceload --chaos empties this database at every run"); err != nil {
		return 0, err
	}
	return max(0, size-1), nil
}

// commandStats is the server's count of each command run so far (INFO
// commandstats), by name.
func (rc *redisConn) commandStats() (map[string]int64, error) {
	v, err := rc.do("INFO", "commandstats")
	if err != nil {
		return nil, err
	}
	s, _ := v.(string)
	return parseCommandStats(s), nil
}

// parseCommandStats reads INFO commandstats' lines,
// cmdstat_NAME:calls=N,usec=…
func parseCommandStats(info string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				out[strings.TrimPrefix(name, "cmdstat_")] = n
			}
		}
	}
	return out
}

// redisMonitor counts the commands clients run in one database, by name,
// with MONITOR: exact, whatever else the server runs for others (commands
// run by scripts are left out: their EVALSHA counts).
type redisMonitor struct {
	rc   *redisConn
	db   string
	done chan struct{}

	mu     sync.Mutex
	counts map[string]int64
}

// startMonitor starts counting the commands run in t's database.
func startMonitor(ctx context.Context, t redisTarget) (*redisMonitor, error) {
	rc, err := dialRedis(ctx, t)
	if err != nil {
		return nil, err
	}
	if _, err := rc.do("MONITOR"); err != nil {
		rc.Close()
		return nil, err
	}
	rc.c.SetDeadline(time.Time{})
	m := &redisMonitor{rc: rc, db: strconv.Itoa(t.db), done: make(chan struct{}), counts: map[string]int64{}}
	go m.read()
	return m, nil
}

func (m *redisMonitor) read() {
	defer close(m.done)
	for {
		line, err := m.rc.r.ReadString('\n')
		if err != nil {
			return
		}
		if db, name, ok := monitorLine(line); ok && db == m.db {
			m.mu.Lock()
			m.counts[name]++
			m.mu.Unlock()
		}
	}
}

// stop ends the count and returns it.
func (m *redisMonitor) stop() map[string]int64 {
	m.rc.Close()
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts
}

// monitorLine reads one line of MONITOR's output,
// +1339518083.107412 [9 127.0.0.1:60866] "SET" "key" "value", into the
// database and the command's name (lower case); false for what is not a
// client's command (a script's, the OK).
func monitorLine(line string) (db, name string, ok bool) {
	_, rest, ok := strings.Cut(line, " [")
	if !ok {
		return "", "", false
	}
	src, rest, ok := strings.Cut(rest, "] \"")
	if !ok {
		return "", "", false
	}
	db, from, _ := strings.Cut(src, " ")
	if from == "lua" || from == "" {
		return "", "", false
	}
	name, _, ok = strings.Cut(rest, "\"")
	return db, strings.ToLower(name), ok && name != ""
}

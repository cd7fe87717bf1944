package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// cluster is what --chaos starts on loopback: the fakes (with the booking
// API), two serve instances sharing Redis, and HAProxy in front of them
// with the repository's configuration.
type cluster struct {
	dir                   string // agent file and logs
	stderr                io.Writer
	fakes, lb             *exec.Cmd
	lbDone                chan struct{} // closed when HAProxy has exited
	fakesOut              *bufio.Scanner
	fakesURL, bookingsURL string
	lbURL, lbLog, lbStats string // lbStats: HAProxy's runtime API socket
	authToken             string
	inst                  [2]*instance
	counts                *fakeCounts
	stopped               bool
}

// instance is one serve of the cluster, across its restarts.
type instance struct {
	name, addr string // a or b; 127.0.0.1:PORT, kept across restarts
	bin        string
	args, env  []string
	log        string

	mu       sync.Mutex
	cmd      *exec.Cmd
	cpuFrom  time.Duration // the running process's CPU when counting began for it
	cpuSpent time.Duration // what the killed processes spent while counted
	counting bool
}

var bookingsReady = regexp.MustCompile(`^voiceload fakes: bookings on (\S+)$`)

// startCluster starts the fakes, the two instances and HAProxy, and waits
// until HAProxy's /readyz answers.
func startCluster(ctx context.Context, o *options, redisURL string, stderr io.Writer) (_ *cluster, err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "voiceload-chaos-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir, stderr: stderr, authToken: o.authToken}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	if c.authToken == "" {
		c.authToken = randomHex()
	}
	c.fakes = exec.Command(self, "fakes", "--chaos", "--stt-delay", o.delays.stt.String(), "--llm-delay", o.delays.llm.String(), "--tts-delay", o.delays.tts.String())
	c.fakes.Stderr = stderr
	if c.fakesURL, c.fakesOut, err = startAndRead(c.fakes, fakesReady); err != nil {
		c.fakes = nil
		return nil, fmt.Errorf("starting the fakes: %w", err)
	}
	if !c.fakesOut.Scan() {
		return nil, errors.New("the fakes did not say where their booking API is")
	}
	m := bookingsReady.FindStringSubmatch(c.fakesOut.Text())
	if m == nil {
		return nil, fmt.Errorf("the fakes said %q, not where their booking API is", c.fakesOut.Text())
	}
	c.bookingsURL = m[1]
	agent, err := writeChaosAgent(dir, c.bookingsURL)
	if err != nil {
		return nil, err
	}

	llm := "off"
	if o.llm {
		llm = "openai"
	}
	secret := randomHex()
	for i, name := range []string{"a", "b"} {
		in := &instance{name: name, bin: o.voiceagent, log: filepath.Join(dir, "serve-"+name+".log")}
		in.args = []string{"serve", "--config", agent, "--max-calls", strconv.Itoa(2*o.calls + 10)}
		in.env = append(os.Environ(),
			"OPENAI_API_KEY=sk-voiceload", "OPENAI_BASE_URL="+c.fakesURL,
			"VOICEAGENT_STT=openai", "VOICEAGENT_TTS=openai", "VOICEAGENT_LLM="+llm,
			"TWILIO_AUTH_TOKEN="+c.authToken, "VOICEAGENT_SECRET="+secret,
			"VOICEAGENT_INSTANCE="+name, "REDIS_URL="+redisURL,
			"VOICEAGENT_PUBLIC_URL=", "VOICEAGENT_RECORD=", "VOICEAGENT_WEBRTC=0")
		c.inst[i] = in
		if err := in.start("127.0.0.1:0"); err != nil {
			return nil, err
		}
	}

	lbAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	c.lbURL = "http://" + lbAddr
	c.lbLog = filepath.Join(dir, "haproxy.log")
	logFile, err := os.Create(c.lbLog)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	c.lbStats = filepath.Join(dir, "haproxy.sock")
	c.lb = exec.Command(o.chaos.haproxy, "-db", "-f", o.chaos.lbConfig)
	c.lb.Env = append(os.Environ(), "VOICEAGENT_LB_BIND="+lbAddr, "VOICEAGENT_LB_STATS="+c.lbStats,
		"VOICEAGENT_BACKEND_1="+c.inst[0].addr, "VOICEAGENT_BACKEND_2="+c.inst[1].addr)
	c.lb.Stdout, c.lb.Stderr = logFile, logFile
	if err := c.lb.Start(); err != nil {
		c.lb = nil
		return nil, fmt.Errorf("starting HAProxy: %w", err)
	}
	c.lbDone = make(chan struct{})
	go func() { c.lb.Wait(); close(c.lbDone) }()
	hc := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); !c.ready(hc); {
		select {
		case <-c.lbDone:
			b, _ := os.ReadFile(c.lbLog)
			return nil, fmt.Errorf("HAProxy (%s -f %s) exited: %.2000s", o.chaos.haproxy, o.chaos.lbConfig, b)
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("HAProxy at %s is not ready (log: %s)", c.lbURL, c.lbLog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := range c.inst {
		c.waitUp(i)
	}
	fmt.Fprintf(stderr, "voiceload: HAProxy at %s in front of serve a at %s and b at %s (logs in %s), fakes at %s\n",
		c.lbURL, c.inst[0].addr, c.inst[1].addr, dir, c.fakesURL)
	return c, nil
}

// ready says whether serve answers /readyz through HAProxy.
func (c *cluster) ready(hc *http.Client) bool {
	resp, err := hc.Get(c.lbURL + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// lbServers are the names deploy/haproxy.cfg gives the instances, a and
// b, in its backend.
var lbServers = []string{"voiceagent-1", "voiceagent-2"}

// waitUp waits (up to 10 s) until HAProxy takes requests to instance i
// again, as its runtime API says; when that cannot be asked (a
// configuration without VOICEAGENT_LB_STATS, or other names), 2 s: its
// health checks' rise at deploy/haproxy.cfg's pace, and some.
func (c *cluster) waitUp(i int) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		status, err := lbStatus(c.lbStats, lbServers[i])
		if err != nil {
			time.Sleep(2 * time.Second)
			return
		}
		if status == "UP" || strings.HasPrefix(status, "UP ") {
			return
		}
	}
}

// lbStatus asks HAProxy's runtime API ("show stat") for a server's
// status in the backend voiceagents: UP, DOWN, "DOWN 1/2" (coming up)...
func lbStatus(socket, server string) (string, error) {
	c, err := net.DialTimeout("unix", socket, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "show stat\n"); err != nil {
		return "", err
	}
	data, err := io.ReadAll(c)
	if err != nil {
		return "", err
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(bytes.TrimSpace(data), []byte("# "))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) < 2 {
		return "", fmt.Errorf("show stat: %q: %v", data, err)
	}
	col := map[string]int{}
	for i, k := range recs[0] {
		col[k] = i
	}
	px, sv, st := col["pxname"], col["svname"], col["status"]
	for _, rec := range recs[1:] {
		if len(rec) > max(px, sv, st) && rec[px] == "voiceagents" && rec[sv] == server {
			return rec[st], nil
		}
	}
	return "", fmt.Errorf("show stat: no server %s in the backend voiceagents", server)
}

func randomHex() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// freePort finds a loopback address with a port nobody listens on.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start starts the instance's serve on addr, appending to its log, and
// waits until it listens.
func (in *instance) start(addr string) error {
	logFile, err := os.OpenFile(in.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(in.bin, append(in.args, "--addr", addr)...)
	cmd.Env = in.env
	cmd.Stderr = logFile
	got, rest, err := startAndRead(cmd, serverReady)
	if err != nil {
		return fmt.Errorf("starting serve %s on %s (log: %s): %w", in.name, addr, in.log, err)
	}
	go func() { // the rest of its start-up report: not needed, but read
		for rest.Scan() {
		}
	}()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.cmd, in.addr = cmd, got
	if in.counting {
		in.cpuFrom = procCPU(cmd.Process.Pid)
	}
	return nil
}

// count starts counting the instance's CPU time from now.
func (in *instance) count() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.counting, in.cpuSpent = true, 0
	if in.cmd != nil {
		in.cpuFrom = procCPU(in.cmd.Process.Pid)
	}
}

// cpu is the CPU time the instance's processes spent while counted.
func (in *instance) cpu() time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	d := in.cpuSpent
	if in.cmd != nil && in.counting {
		d += procCPU(in.cmd.Process.Pid) - in.cpuFrom
	}
	return d
}

// kill SIGKILLs the instance, as a machine that dies would end it.
func (in *instance) kill() error {
	in.mu.Lock()
	cmd := in.cmd
	in.cmd = nil
	if cmd != nil && in.counting {
		in.cpuSpent += procCPU(cmd.Process.Pid) - in.cpuFrom
	}
	in.mu.Unlock()
	if cmd == nil {
		return errors.New("not running")
	}
	err := cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	return err
}

// restart starts the instance again on its address, once the port is
// free again (for up to 10 s).
func (in *instance) restart() error {
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		l, lerr := net.Listen("tcp", in.addr)
		if lerr != nil {
			err = lerr
			continue
		}
		l.Close()
		if err = in.start(in.addr); err == nil {
			return nil
		}
	}
	return err
}

// stop ends HAProxy, the instances and the fakes, and returns what the
// fakes answered (nil if they did not say).
func (c *cluster) stop() *fakeCounts {
	if c == nil || c.stopped {
		if c == nil {
			return nil
		}
		return c.counts
	}
	c.stopped = true
	end := func(cmd *exec.Cmd, beforeWait func()) {
		if cmd == nil || cmd.Process == nil {
			return
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if beforeWait != nil {
			beforeWait()
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	if c.lbDone != nil {
		c.lb.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.lbDone:
		case <-time.After(10 * time.Second):
			c.lb.Process.Kill()
			<-c.lbDone
		}
	}
	for _, in := range c.inst {
		if in == nil {
			continue
		}
		in.mu.Lock()
		cmd := in.cmd
		in.cmd = nil
		in.mu.Unlock()
		end(cmd, nil)
	}
	end(c.fakes, func() {
		for c.fakesOut != nil && c.fakesOut.Scan() {
			var n fakeCounts
			if json.Unmarshal(c.fakesOut.Bytes(), &n) == nil {
				c.counts = &n
			}
		}
	})
	return c.counts
}

// cpu is the CPU time both instances spent since count.
func (c *cluster) cpu() time.Duration { return c.inst[0].cpu() + c.inst[1].cpu() }

// count starts counting both instances' CPU time.
func (c *cluster) count() {
	for _, in := range c.inst {
		in.count()
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/internal/redistest"
	"github.com/voiceagent/voiceagent/replay"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
)

// The chaos agent, run by the real dialog engine on the script's words,
// asks the questions in the order the callers answer them and books
// exactly what expectedBooking says.
func TestChaosAgentBooks(t *testing.T) {
	clips, err := loadScript()
	if err != nil {
		t.Fatal(err)
	}
	if len(clips) != len(questions)-1 {
		t.Fatalf("%d lines for %d questions", len(clips), len(questions))
	}
	dir := t.TempDir()
	if _, err := writeChaosAgent(dir, "http://127.0.0.1:9"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 9, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	var b strings.Builder
	fmt.Fprintf(&b, "agent: %s.yaml\nnow: %q\nstubs:\n  schedule_appointment: {status: 201, body: {id: B-1}}\nturns:\n", chaosAgent, now.Format(time.RFC3339))
	for _, c := range clips {
		fmt.Fprintf(&b, "  - caller: %q\n", c.Text)
	}
	path := filepath.Join(dir, "script.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var run replay.Runner
	defer run.Close()
	res := run.RunFile(context.Background(), path)
	if res.Err != nil || len(res.Turns) != len(clips) {
		t.Fatalf("replay: %v, %d turns", res.Err, len(res.Turns))
	}
	if !strings.Contains(chaosAgentYAML, `greeting: "Hola, Clínica Central. `+questions[0].text+`"`) {
		t.Errorf("the greeting does not end with %q", questions[0].text)
	}
	for i, turn := range res.Turns {
		if q := questions[i+1]; !strings.Contains(turn.Agent, q.text) || q.line != i+1 && q.line != -1 {
			t.Errorf("after %q the agent said %q, want the question %q", turn.Caller, turn.Agent, q.text)
		}
		if got := chaosTone(turn.Agent); got != questions[i+1].tone {
			t.Errorf("%q spoken at %v Hz", turn.Agent, got)
		}
	}
	last := res.Turns[len(res.Turns)-1]
	if len(last.Requests) != 1 {
		t.Fatalf("requests: %+v", last.Requests)
	}
	body, _ := last.Requests[0].Body.(map[string]any)
	want := expectedBooking(clips, "", now) // replay has no caller's number
	if lost := lostFields(body, want); len(lost) > 0 {
		t.Errorf("booked %v, want %v: %v differ", body, want, lost)
	}
	if want["fecha"] != "2026-12-14" || want["email"] != "maria.lopez@gmail.com" || want["hora"] != "10:00" {
		t.Errorf("expected booking %v", want)
	}
}

// The agent's questions are told by their tone, after μ-law and behind
// other speech; the fakes' usual tone, silence and noise are no question.
func TestHeardQuestion(t *testing.T) {
	ulaw := func(pcm []int16) []int16 {
		return audio.DecodeUlaw(nil, audio.EncodeUlaw(nil, pcm))
	}
	apology := twiliotest.Sine(openaitest.SpeechTone, time.Second)
	for _, q := range questions {
		pcm := append(append([]int16(nil), apology...), twiliotest.Sine(q.tone, 600*time.Millisecond)...)
		pcm = append(pcm, make([]int16, 800)...) // 100 ms of silence after
		if got, ok := heardQuestion(ulaw(pcm)); !ok || got.name != q.name {
			t.Errorf("%s at %v Hz heard as %q (%v)", q.name, q.tone, got.name, ok)
		}
	}
	noise := make([]int16, 4000)
	for i := range noise {
		noise[i] = int16((i*7919)%6000 - 3000)
	}
	for name, pcm := range map[string][]int16{"440 Hz": apology, "silence": make([]int16, 8000), "nothing": nil, "noise": noise} {
		if got, ok := heardQuestion(ulaw(pcm)); ok {
			t.Errorf("%s heard as %q", name, got.name)
		}
	}
}

// The fakes speak a question in its tone, and it is told through the
// server's path to the caller: 24 kHz, resampled to 8 kHz, μ-law.
func TestFakesSpeakQuestions(t *testing.T) {
	clips, err := loadScript()
	if err != nil {
		t.Fatal(err)
	}
	f := startFakes(clips, delays{}, true, "openai")
	defer f.Close()
	speak := func(text string) []int16 {
		body, _ := json.Marshal(map[string]string{"model": "tts-1", "voice": "alloy", "input": text, "response_format": "pcm"})
		resp, err := http.Post(f.URL+"/audio/speech", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		pcm := make([]int16, len(raw)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		rs, err := audio.NewResampler(openaitest.SpeechRate, twiliotest.Rate)
		if err != nil {
			t.Fatal(err)
		}
		return audio.DecodeUlaw(nil, audio.EncodeUlaw(nil, rs.Resample(nil, pcm)))
	}
	if q, ok := heardQuestion(speak("Perdona, se ha cortado un momento. ¿Qué día prefieres?")); !ok || q.name != "fecha" {
		t.Errorf("the date's question heard as %q (%v)", q.name, ok)
	}
	if q, ok := heardQuestion(speak("Perdona, no te entendí.")); ok {
		t.Errorf("a sentence with no question heard as %q", q.name)
	}
}

func TestBookingAPI(t *testing.T) {
	srv := httptest.NewServer(newBookingAPI())
	defer srv.Close()
	post := func(key, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/bookings", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct{ ID, Status string }
		json.NewDecoder(resp.Body).Decode(&got)
		return resp.StatusCode, got.ID
	}
	for _, c := range []struct {
		key, body, id string
	}{
		{"k1", `{"nombre":"Ana","llamada":"+34600000001"}`, "B-1"},
		{"k1", `{"nombre":"Ana","llamada":"+34600000001"}`, "B-1"}, // the same key: the same booking
		{"", `{"nombre":"Eva"}`, "B-3"},
		{"k2", `not json`, "B-4"},
	} {
		if code, id := post(c.key, c.body); code != http.StatusCreated || id != c.id {
			t.Errorf("POST %s: %d %q, want 201 %q", c.body, code, id, c.id)
		}
	}
	list, err := fetchBookings(context.Background(), http.DefaultClient, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 || list[0].Key != "k1" || list[1].ID != "B-1" || list[0].Body["nombre"] != "Ana" || list[2].Key != "" || list[3].Body != nil {
		t.Errorf("bookings: %+v", list)
	}
	for _, r := range []struct{ method, path string }{{http.MethodPut, "/bookings"}, {http.MethodGet, "/other"}} {
		req, _ := http.NewRequest(r.method, srv.URL+r.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("%s %s: %d", r.method, r.path, resp.StatusCode)
		}
	}
}

// The report holds the bookings against the calls: fields lost,
// duplicates, keys reused or missing, POSTs of no call.
func TestChaosReport(t *testing.T) {
	clips, err := loadScript()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	call := func(from string, completed bool) *chaosCall {
		return &chaosCall{from: from, start: now, end: now.Add(40 * time.Second), completed: completed, want: expectedBooking(clips, from, now)}
	}
	good := func(from string) map[string]any {
		body := map[string]any{}
		for k, v := range expectedBooking(clips, from, now) {
			body[k] = v
		}
		return body
	}
	lossy := good("+34600000002")
	delete(lossy, "email")
	lossy["fecha"] = "2000-01-01"
	calls := []*chaosCall{call("+34600000001", true), call("+34600000002", true), call("+34600000003", true), call("+34600000004", true), call("+34600000005", false)}
	bookings := []booking{
		{Key: "a", Body: good("+34600000001")},
		{Key: "b", Body: lossy},
		{Key: "c", Body: good("+34600000003")},
		{Key: "c", Body: good("+34600000003")}, // sent again with its key
		{Key: "", Body: good("+34600000003")},  // and again, without
		{Key: "d", Body: good("+34699999999")}, // no call's
	}
	o := &options{calls: 5, ramp: time.Second, hold: 90 * time.Second, chaos: chaosOptions{every: 15 * time.Second, down: time.Second, seed: 7}}
	ch := &chaosRun{o: o, calls: calls, failures: map[string]int{"the server hung up before the booking was done": 1},
		silences: []time.Duration{300 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}, unheardHandOvers: 1, callTime: 200 * time.Second,
		steps: [3][]time.Duration{{10 * time.Millisecond}, {20 * time.Millisecond}, {70 * time.Millisecond}}}
	ch.started.Store(5)
	ch.completed.Store(4)
	ch.failed.Store(1)
	ch.handOvers.Store(4)
	ch.kills.Store(3)
	ch.restarts.Store(3)
	r := ch.report(100*time.Second, 3*time.Second, map[string]int64{"hset": 40, "evalsha": 10}, bookings)
	r.Redis, r.RedisCounted, r.Logs = "redis://127.0.0.1:6379/9", "MONITOR, database 9", "/tmp/x"

	want := chaosReport{
		Mode: "chaos", Callers: 5, RampS: 1, HoldS: 90, RunS: 100, ChaosEveryS: 15, ChaosDownS: 1, Seed: 7,
		Redis: "redis://127.0.0.1:6379/9", RedisCounted: "MONITOR, database 9", Logs: "/tmp/x",
		Started: 5, Completed: 4, Failed: 1, Failures: ch.failures,
		Bookings: 3, NotBooked: 1, FieldsLost: 2, FieldsLostBy: map[string]int{"email": 1, "fecha": 1, "llamada": 1},
		DuplicateCalls: 1, DuplicatePosts: 2, SharedKeyPosts: 1, PostsWithoutKey: 1, StrayPosts: 1,
		HandOvers: 4, UnheardHandOvers: 1, SilenceP50: 200, SilenceP99: 200, SilenceMax: 300,
		ActionP50: 10, ActionP99: 10, OpenP50: 20, OpenP99: 20, FirstAudioP50: 70, FirstAudioP99: 70,
		Kills: 3, Restarts: 3, CallSeconds: 200, ServerCPUS: 3, CPUMsPerCallS: 15,
		RedisOps: 50, RedisOpsPerCall: 10, RedisCommands: map[string]int64{"hset": 40, "evalsha": 10},
	}
	if !reflect.DeepEqual(*r, want) {
		t.Errorf("report\n%+v\nwant\n%+v", *r, want)
	}

	var text bytes.Buffer
	r.print(&text)
	for _, line := range []string{
		"Calls:       5 started, 4 completed, 1 failed (100s run)\n             1× the server hung up before the booking was done\n",
		"Bookings:    3 made, 1 completed calls without one; 2 with fields lost (email 1, fecha 1, llamada 1)\n",
		"Duplicates:  1 calls booked more than once (2 extra POSTs); 1 POSTs reused an Idempotency-Key, 1 had none, 1 were of no call\n",
		"Hand-overs:  4 seen by callers (1 with no agent audio after); silence heard p50 200 ms, p99 200 ms, max 300 ms\n" +
			"             drop to action answered p50 10 ms (p99 10), to new stream open 20 ms (20), to first audio 70 ms (70)\n",
		"Chaos:       3 kills, 3 restarts\n",
		"Cost:        server 15.0 CPU-ms per call-second (3.0 s of CPU, both instances, over 200 call-seconds); Redis 10.0 commands per call (50 in all; MONITOR, database 9)\n             hset 40, evalsha 10\n",
	} {
		if !strings.Contains(text.String(), line) {
			t.Errorf("no line %q in\n%s", line, text.String())
		}
	}
	var js bytes.Buffer
	if err := writeJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"callsStarted", "callsCompleted", "callsFailed", "bookings", "fieldsLost", "duplicateCalls", "postsReusingIdempotencyKey", "handOvers", "handOverSilenceP50Ms", "handOverSilenceP99Ms", "handOverSilenceMaxMs", "kills", "serverCpuMsPerCallSecond", "redisOpsPerCall"} {
		if _, ok := back[k]; !ok {
			t.Errorf("no %q in the JSON report", k)
		}
	}
}

func TestRedisURL(t *testing.T) {
	for _, c := range []struct {
		in, addr, url string
		db            int
	}{
		{"redis://127.0.0.1:6379", "127.0.0.1:6379", "redis://127.0.0.1:6379/9", 9},
		{"redis://localhost", "localhost:6379", "redis://localhost:6379/9", 9},
		{"redis://:pw@127.0.0.1:6380/3", "127.0.0.1:6380", "redis://:pw@127.0.0.1:6380/3", 3},
	} {
		got, err := parseRedisURL(c.in)
		if err != nil || got.addr != c.addr || got.db != c.db || got.url() != c.url {
			t.Errorf("%s: %+v %v, url %s", c.in, got, err, got.url())
		}
		if strings.Contains(got.redacted(), "pw") {
			t.Errorf("%s: redacted %s", c.in, got.redacted())
		}
	}
	for _, bad := range []string{"http://127.0.0.1:6379", "rediss://h:6379", "redis://h/x", "redis:///0", "::"} {
		if _, err := parseRedisURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestRedisStats(t *testing.T) {
	for line, want := range map[string][3]any{
		`+1339518083.107412 [9 127.0.0.1:60866] "SET" "key" "va lue"` + "\r\n": {"9", "set", true},
		`+1339518083.107412 [0 unix:/tmp/redis.sock] "evalsha" "ab"` + "\r\n":  {"0", "evalsha", true},
		`+1339518083.107412 [9 lua] "hset" "k" "f" "v"` + "\r\n":               {"", "", false},
		"+OK\r\n": {"", "", false},
	} {
		db, name, ok := monitorLine(line)
		if db != want[0] || name != want[1] || ok != want[2] {
			t.Errorf("%q: %q %q %v", line, db, name, ok)
		}
	}
	got := parseCommandStats("# Commandstats\r\ncmdstat_hset:calls=12,usec=40,usec_per_call=3.33,rejected_calls=0,failed_calls=0\r\ncmdstat_info:calls=2,usec=1\r\n")
	if !reflect.DeepEqual(got, map[string]int64{"hset": 12, "info": 2}) {
		t.Errorf("commandstats %v", got)
	}
}

// fakeRedis answers DBSIZE, EXISTS, FLUSHDB, SET and SELECT like a
// database with keys, and records the commands.
type fakeRedis struct {
	net.Listener
	mu       sync.Mutex
	keys     map[string]bool
	commands []string
}

func newFakeRedis(t *testing.T, keys ...string) *fakeRedis {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRedis{Listener: l, keys: map[string]bool{}}
	for _, k := range keys {
		f.keys[k] = true
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeRedis) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		v, err := readReply(r) // a command is an array of bulk strings
		if err != nil {
			return
		}
		args, _ := v.([]any)
		if len(args) == 0 {
			return
		}
		name, _ := args[0].(string)
		f.mu.Lock()
		f.commands = append(f.commands, name)
		var reply string
		switch name {
		case "DBSIZE":
			reply = fmt.Sprintf(":%d\r\n", len(f.keys))
		case "EXISTS":
			reply = ":0\r\n"
			if k, _ := args[1].(string); f.keys[k] {
				reply = ":1\r\n"
			}
		case "FLUSHDB":
			clear(f.keys)
			reply = "+OK\r\n"
		case "SET":
			k, _ := args[1].(string)
			f.keys[k] = true
			reply = "+OK\r\n"
		case "SELECT":
			reply = "+OK\r\n"
		default:
			reply = "-ERR unknown command\r\n"
		}
		f.mu.Unlock()
		io.WriteString(c, reply)
	}
}

// A database is emptied only when it is empty or voiceload's.
func TestClaimDB(t *testing.T) {
	for _, c := range []struct {
		name    string
		keys    []string
		removed int64
		ok      bool
	}{
		{"empty", nil, 0, true},
		{"voiceload's", []string{ownerKey, "call:1", "call:2"}, 2, true},
		{"someone else's", []string{"session:1"}, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeRedis(t, c.keys...)
			rt, _ := parseRedisURL("redis://" + f.Addr().String() + "/5")
			rc, err := dialRedis(context.Background(), rt)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			removed, err := rc.claimDB()
			f.mu.Lock()
			defer f.mu.Unlock()
			flushed := strings.Contains(strings.Join(f.commands, " "), "FLUSHDB")
			if (err == nil) != c.ok || removed != c.removed || flushed != c.ok {
				t.Errorf("removed %d, %v; commands %v", removed, err, f.commands)
			}
			if c.ok && (len(f.keys) != 1 || !f.keys[ownerKey]) {
				t.Errorf("keys after: %v", f.keys)
			}
		})
	}
}

// TestChaos runs voiceload --chaos as a user does, against serve built
// from this tree, with a Redis of its own: three callers booking while
// instances are killed under them. No booking may lose a field or be
// made twice, and a hand-over's caller must hear the agent again.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("builds voiceagent, kills servers for a minute")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		haproxy, err = exec.LookPath("/usr/sbin/haproxy")
	}
	if err != nil {
		if os.Getenv("VOICEAGENT_REQUIRE_HAPROXY") == "1" {
			t.Fatal("haproxy is not installed and VOICEAGENT_REQUIRE_HAPROXY=1")
		}
		t.Skip("haproxy is not installed (apt-get install haproxy)")
	}
	bin := voiceagentBin(t)
	if help, _ := exec.Command(bin, "serve", "--help").CombinedOutput(); !bytes.Contains(help, []byte("REDIS_URL")) {
		t.Skip("serve shares no calls through Redis (no REDIS_URL): nothing to hand calls over with")
	}
	redis := redistest.Process(t)
	var stdout, stderr bytes.Buffer
	o := &options{calls: 3, hold: 30 * time.Second, voiceagent: bin, llm: true, json: true, every: 5 * time.Second,
		chaos: chaosOptions{on: true, redis: redis.URL(), every: 6 * time.Second, down: time.Second, drain: 2 * time.Minute, seed: 1,
			lbConfig: "../../deploy/haproxy.cfg", haproxy: haproxy}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := load(ctx, o, &stdout, &stderr); err != nil {
		t.Fatalf("load: %v\n%s", err, stderr.String())
	}
	var r chaosReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("the JSON report: %v\n%s", err, stdout.String())
	}
	t.Logf("report: %s", stdout.String())
	if r.Kills < 2 || r.Restarts != r.Kills {
		t.Errorf("%d kills, %d restarts", r.Kills, r.Restarts)
	}
	if r.Started < 3 || r.Bookings < 1 {
		t.Errorf("%d calls, %d bookings", r.Started, r.Bookings)
	}
	if r.FieldsLost != 0 || r.DuplicateCalls != 0 || r.SharedKeyPosts != 0 || r.PostsWithoutKey != 0 || r.StrayPosts != 0 {
		t.Errorf("bookings: %d with fields lost %v, %d calls booked twice, %d keys reused, %d without one, %d stray",
			r.FieldsLost, r.FieldsLostBy, r.DuplicateCalls, r.SharedKeyPosts, r.PostsWithoutKey, r.StrayPosts)
	}
	if r.HandOvers > int64(r.UnheardHandOvers) && r.SilenceMax <= 0 {
		t.Errorf("hand-overs heard without a silence: %+v", r)
	}
	if r.RedisOps <= 0 || r.CPUMsPerCallS <= 0 {
		t.Errorf("cost: %d Redis commands, %.1f CPU-ms per call-second", r.RedisOps, r.CPUMsPerCallS)
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", stderr.String())
	}
}

// lbStatus reads a server's status from HAProxy's "show stat".
func TestLBStatus(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "haproxy.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			if line == "show stat\n" {
				io.WriteString(c, "# pxname,svname,qcur,status,weight\n"+
					"voiceagent,FRONTEND,,OPEN,\n"+
					"voiceagents,voiceagent-1,0,UP,1\n"+
					"voiceagents,voiceagent-2,0,DOWN 1/2,1\n"+
					"voiceagents,BACKEND,0,UP,1\n\n")
			}
			c.Close()
		}
	}()
	for server, want := range map[string]string{"voiceagent-1": "UP", "voiceagent-2": "DOWN 1/2"} {
		if got, err := lbStatus(sock, server); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", server, got, err, want)
		}
	}
	if _, err := lbStatus(sock, "voiceagent-3"); err == nil {
		t.Error("a server that is not there has a status")
	}
	if _, err := lbStatus(filepath.Join(t.TempDir(), "none.sock"), "voiceagent-1"); err == nil {
		t.Error("no socket, and a status")
	}
}

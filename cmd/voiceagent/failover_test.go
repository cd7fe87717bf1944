package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/calls"
	"github.com/voiceagent/voiceagent/internal/lbtest"
	"github.com/voiceagent/voiceagent/internal/redistest"
	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
)

// buildServe builds this command into a temporary folder, once per test
// binary: the failover test runs it as processes it can kill.
var buildServe = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "voiceagent-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "voiceagent")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// instance is a serve process.
type instance struct {
	name string
	cmd  *exec.Cmd
	addr string
	log  *syncBuffer
}

var listening = regexp.MustCompile(`listening on (\S+)`)

// startInstance runs "voiceagent serve" with env on a free loopback port
// and waits until it listens.
func startInstance(t *testing.T, bin, name string, env []string, args ...string) *instance {
	t.Helper()
	in := &instance{name: name, log: &syncBuffer{}}
	in.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--instance", name}, args...)...)
	in.cmd.Env = env
	in.cmd.Stderr = in.log
	out, err := in.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = in.cmd.Process.Kill()
		_ = in.cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case in.addr = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve %s did not start:\n%s", name, in.log.String())
	}
	return in
}

// TestFailover: two serve processes behind HAProxy (deploy/haproxy.cfg)
// share Redis; a simulated Twilio caller is mid-booking when the instance
// holding the call is killed with SIGKILL. Twilio asks the <Connect>
// action what next, the other instance answers with a new stream, and
// the caller hears an apology and the pending question; the booking
// completes with every field, sent once.
func TestFailover(t *testing.T) {
	speech := e2eSpeech(t)
	bin, err := buildServe()
	if err != nil {
		t.Fatal(err)
	}
	redisURL, prefix := redistest.URL(t)

	// The customer's API: every booking, with its Idempotency-Key.
	var mu sync.Mutex
	var booked []map[string]any
	var keys []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		booked = append(booked, body)
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"A-17"}`))
	}))
	defer api.Close()
	agentFile := filepath.Join(t.TempDir(), "clinica.yaml")
	if err := os.WriteFile(agentFile, fmt.Appendf(nil, e2eAgent, api.URL), 0o644); err != nil {
		t.Fatal(err)
	}

	// What the recogniser hears, in order, whichever instance asks.
	fake := fakeVoice(t, []string{"quiero pedir una cita", "María López", "el lunes", "sí"}, "mmm", 12*time.Millisecond)

	const token = "twilio-auth-token"
	env := append(os.Environ(), "OPENAI_API_KEY=sk-test", "OPENAI_BASE_URL="+fake.URL, "VOICEAGENT_LLM=off",
		"VOICEAGENT_STT=openai", "VOICEAGENT_TTS=openai", "TWILIO_AUTH_TOKEN="+token, "VOICEAGENT_SECRET=shared-secret-of-the-test",
		"REDIS_URL="+redisURL, "VOICEAGENT_REDIS_PREFIX="+prefix, "VOICEAGENT_API_KEY="+testKey, "VOICEAGENT_PUBLIC_URL=",
		"VOICEAGENT_WEBRTC=0", "GOMAXPROCS=1")
	a := startInstance(t, bin, "a", env, "--config", agentFile)
	b := startInstance(t, bin, "b", env, "--config", agentFile)
	base := lbtest.Start(t, a.addr, b.addr)
	byName := map[string]*instance{"a": a, "b": b}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Twilio, as twiliotest.Phone plays it: the webhook, its stream, and,
	// when a stream ends without the caller hanging up, the <Connect>
	// action and the stream its answer opens.
	phone, err := twiliotest.Ring(ctx, twiliotest.PhoneConfig{VoiceURL: base + "/twilio/voice", AuthToken: token,
		AccountSid: "AC1", CallSid: "CA0fa110ver", From: "+34600111222", To: "+34910000000",
		Header: http.Header{"X-Forwarded-Proto": {"http"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Hangup()
	client := phone.Stream()

	answer := func(c *twiliotest.Client, what string, after time.Time) twiliotest.Entry {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		e, err := c.WaitEntry(wctx, func(e twiliotest.Entry) bool { return e.Kind == twiliotest.KindMedia && e.Last.After(after) })
		if err == nil {
			err = c.WaitQuiet(wctx, 300*time.Millisecond)
		}
		if err != nil {
			t.Fatalf("waiting for %s: %v\nlog a:\n%s\nlog b:\n%s", what, err, a.log.String(), b.log.String())
		}
		return e
	}
	// say returns when the caller began: the agent's answer may come
	// before the quiet at the end of the caller's audio has gone, and all
	// of a short answer in one message (its first 600 ms go at once).
	say := func(c *twiliotest.Client, text string) time.Time {
		t.Helper()
		u := c.Say(callerSays(t, speech, text))
		if err := u.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		return u.FirstFrame()
	}
	answer(client, "the greeting", time.Time{})
	answer(client, "the name question", say(client, "quiero pedir una cita"))
	answer(client, "the date question", say(client, "María López"))

	// The instance holding the call dies.
	var list struct{ Calls []calls.View }
	req, _ := http.NewRequest("GET", base+"/v1/calls", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Calls) != 1 || byName[list.Calls[0].Instance] == nil {
		t.Fatalf("calls: %+v", list.Calls)
	}
	holder := byName[list.Calls[0].Instance]
	other := a
	if holder == a {
		other = b
	}
	if err := holder.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-client.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the stream outlived its instance")
	}

	// Twilio asks the <Connect> action; the other instance answers.
	nctx, ncancel := context.WithTimeout(ctx, 10*time.Second)
	client, err = phone.Next(nctx, client)
	ncancel()
	if err != nil {
		t.Fatalf("no new stream after the kill: %v (%+v)", err, phone.Outcome())
	}
	answer(client, "the apology and the date question again", time.Time{})
	answer(client, "the phone question", say(client, "el lunes"))
	for _, k := range "612345678#" {
		if err := client.DTMF(string(k)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(80 * time.Millisecond)
	}
	answer(client, "the read-back", time.Now())
	answer(client, "the booking", say(client, "sí"))
	if err := phone.Hangup(); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(booked) != 1 {
		t.Fatalf("the API got %d bookings: %v\nlog %s:\n%s", len(booked), booked, other.name, other.log.String())
	}
	got := booked[0]
	if got["paciente"] != "María López" || got["telefono"] != "612345678" || got["llamada"] != "+34600111222" || keys[0] == "" {
		t.Errorf("booking %v, Idempotency-Key %q", got, keys[0])
	}
	if d, err := time.Parse("2006-01-02", fmt.Sprint(got["fecha"])); err != nil || d.Weekday() != time.Monday {
		t.Errorf("date %v: want a Monday", got["fecha"])
	}

	// The call, as the survivor shows it: handed over once, ended there.
	var call calls.View
	for deadline := time.Now().Add(5 * time.Second); ; {
		req, _ := http.NewRequest("GET", "http://"+other.addr+"/v1/calls", nil)
		req.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		list.Calls = nil
		_ = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if i := slices.IndexFunc(list.Calls, func(v calls.View) bool { return !v.Live }); i >= 0 {
			call = list.Calls[i]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("calls on %s: %+v", other.name, list.Calls)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if call.Instance != other.name || call.Handovers != 1 || call.Outcome != "caller-hangup" || call.Turns != 5 {
		t.Errorf("call %+v", call)
	}
	for _, h := range phone.HandOvers() {
		t.Logf("the caller heard %v of silence at the hand-over", h.Silence().Round(time.Millisecond))
	}
}

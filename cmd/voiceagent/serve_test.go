package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/calls"
	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/speech/espeak"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio"
	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
	"github.com/voiceagent/voiceagent/telephony/webrtc/webrtctest"
)

const e2eAgent = `name: clinica-telefono
language: es
timezone: Europe/Madrid
greeting: "Hola, gracias por llamar a la clínica. ¿En qué puedo ayudarte?"
voice:
  silence: 500ms
services:
  - intent: pedir_cita
    reference: pedir una cita con el médico
    examples: ["quiero pedir una cita", "necesito una cita"]
    method: POST
    endpoint: %s/appointments
    requiredFields:
      - name: nombre
        type: string
        promptHint: "¿A nombre de quién quieres la cita? Dime tu nombre y tu apellido, por favor."
      - name: fecha
        type: date
        promptHint: "¿Para qué día?"
      - name: telefono
        type: phone
        promptHint: "¿Un teléfono de contacto? Puedes marcarlo en el teclado y terminar con la almohadilla."
    bodyTemplate:
      paciente: "{{nombre}}"
      fecha: "{{fecha}}"
      telefono: "{{telefono}}"
      llamada: "{{caller_number}}"
    confirmation:
      required: true
    responseMapping:
      codigo: "$.id"
    responseMessage: "Listo, tu cita queda reservada con el código {{codigo}}."
`

// bookingAPI is the customer's API the e2e agent books through: it
// answers every request {"id":"A-17"} and keeps the bodies it got.
type bookingAPI struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newBookingAPI(t *testing.T) *bookingAPI {
	b := &bookingAPI{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		b.mu.Lock()
		b.bodies = append(b.bodies, body)
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"A-17"}`))
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// agentFile writes e2eAgent, booking through the API, into dir.
func (b *bookingAPI) agentFile(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "clinica.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, e2eAgent, b.srv.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// bookings are the bodies the API got so far.
func (b *bookingAPI) bookings() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.bodies)
}

// fakeVoice is the OpenAI-compatible fake of the end-to-end tests'
// speech: it transcribes each utterance, whichever server asks, as the
// next of heard (then as after, once they are used up), and speaks a
// tone of perRune for each character of the text.
func fakeVoice(t *testing.T, heard []string, after string, perRune time.Duration) *openaitest.Server {
	var mu sync.Mutex
	fake := openaitest.New(openaitest.Always(openaitest.Reply{}))
	t.Cleanup(fake.Close)
	fake.OnTranscription(func(*openaitest.Transcription) openaitest.AudioReply {
		mu.Lock()
		defer mu.Unlock()
		if len(heard) == 0 {
			return openaitest.AudioReply{Text: after}
		}
		text := heard[0]
		heard = heard[1:]
		return openaitest.AudioReply{Text: text}
	})
	fake.OnSpeech(func(s *openaitest.Speech) openaitest.AudioReply {
		return openaitest.AudioReply{Duration: time.Duration(len([]rune(s.Input))) * perRune}
	})
	return fake
}

// e2eSpeech is espeak-ng, which speaks the caller's words; the test skips
// without it unless VOICEAGENT_REQUIRE_ESPEAK=1.
func e2eSpeech(t *testing.T) *espeak.TTS {
	t.Helper()
	tts, err := espeak.New(espeak.Config{})
	if err != nil {
		if os.Getenv("VOICEAGENT_REQUIRE_ESPEAK") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return tts
}

// callerSays is text spoken by espeak-ng in Spanish, at 8 kHz.
func callerSays(t *testing.T, tts *espeak.TTS, text string) []int16 {
	t.Helper()
	a, err := tts.Synthesize(context.Background(), text, "es")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var pcm audio.PCM16
	buf := make([]int16, 4096)
	for {
		n, err := a.Read(buf)
		pcm = append(pcm, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := audio.NewResampler(tts.SampleRate(), twiliotest.Rate)
	if err != nil {
		t.Fatal(err)
	}
	return r.Resample(nil, pcm)
}

// TestServePhoneCall is a whole phone call through serve: a simulated
// Twilio caller speaks a Spanish booking (espeak-ng audio) to the server,
// which recognises it with a fake OpenAI-compatible transcription server,
// speaks with its fake speech endpoint, books through a local customer API,
// and keeps the call as a transcript that replays green. The caller barges
// in on a question and types the phone number on the keypad.
func TestServePhoneCall(t *testing.T) {
	caller := e2eSpeech(t)

	api := newBookingAPI(t)
	dir := t.TempDir()
	agentFile := api.agentFile(t, dir)

	// What the recogniser hears, in order: one transcription per turn.
	fake := fakeVoice(t, []string{"quiero pedir una cita", "María López", "el lunes", "sí"}, "mmm", 12*time.Millisecond)

	const token = "twilio-auth-token"
	vars := map[string]string{
		"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL, "VOICEAGENT_LLM": "off",
		"VOICEAGENT_STT": "openai", "VOICEAGENT_TTS": "openai", "TWILIO_AUTH_TOKEN": token,
	}
	var logs syncBuffer
	var out bytes.Buffer
	a := &app{stdout: &out, stderr: &out, log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	record := filepath.Join(dir, "calls")
	srv, err := a.newServer(ctx, &serveFlags{configs: []string{agentFile}, drain: 5 * time.Second, record: record}, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.serve(ctx, ln) }()
	host := ln.Addr().String()
	base := "http://" + host

	// Twilio's webhook: refused unsigned, answered with TwiML signed.
	form := url.Values{"CallSid": {"CA0123"}, "From": {"+34600111222"}, "To": {"+34910000000"}}
	post := func(sig string) *http.Response {
		req, _ := http.NewRequest("POST", base+"/twilio/voice", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "http")
		if sig != "" {
			req.Header.Set("X-Twilio-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := post(""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned webhook: %s", resp.Status)
	}
	resp := post(twilio.Signature(token, base+"/twilio/voice", form))
	twiml, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`<Stream url="([^"]+)"><Parameter name="from" value="\+34600111222"/>`).FindSubmatch(twiml)
	if resp.StatusCode != 200 || m == nil || !bytes.Contains(twiml, []byte(`<Connect action="`+base+`/twilio/after">`)) {
		t.Fatalf("webhook: %s\n%s", resp.Status, twiml)
	}
	streamURL := string(m[1])
	tok := regexp.MustCompile(`<Parameter name="token" value="([^"]+)"/>`).FindSubmatch(twiml)
	if tok == nil {
		t.Fatalf("no token for the stream in the TwiML: %s", twiml)
	}

	dialed := time.Now()
	client, err := twiliotest.Dial(ctx, streamURL, twiliotest.Config{
		CallSid:    "CA0123",
		Parameters: map[string]string{"from": "+34600111222", "token": string(tok[1])},
		Header:     http.Header{"X-Twilio-Signature": {twilio.Signature(token, streamURL, nil)}, "X-Forwarded-Proto": {"http"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	// answer waits for the agent's answer to what the caller did at after:
	// its first audio, then the end of it.
	answer := func(what string, after time.Time) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, err := client.WaitEntry(wctx, func(e twiliotest.Entry) bool { return e.Kind == twiliotest.KindMedia && e.Last.After(after) })
		if err == nil {
			err = client.WaitQuiet(wctx, 300*time.Millisecond)
		}
		if err != nil {
			t.Fatalf("waiting for %s: %v; log:\n%s", what, err, logs.String())
		}
	}
	say := func(text string) *twiliotest.Utterance {
		t.Helper()
		u := client.Say(callerSays(t, caller, text))
		if err := u.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		return u
	}

	answer("the greeting", time.Time{})
	greeting, err := client.WaitEntry(ctx, func(e twiliotest.Entry) bool { return e.Kind == twiliotest.KindMedia })
	if err != nil {
		t.Fatal(err)
	}
	first := say("quiero pedir una cita")
	// The agent asks for the name; the caller answers over the question.
	question, err := client.WaitEntry(ctx, func(e twiliotest.Entry) bool {
		return e.Kind == twiliotest.KindMedia && e.At.After(first.LastFrame())
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(question.At.Add(400 * time.Millisecond)))
	name := client.Say(callerSays(t, caller, "María López"))
	clear, err := client.WaitEntry(ctx, func(e twiliotest.Entry) bool {
		return e.Kind == twiliotest.KindClear && e.At.After(question.At)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := name.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	bargeIn := clear.At.Sub(name.FirstFrame())
	if bargeIn < 0 || bargeIn > 250*time.Millisecond {
		t.Errorf("clear came %v after the caller started speaking; want within 250ms", bargeIn)
	}
	answer("the date question", name.LastFrame())
	// From when the caller began: the agent's answer may come before the
	// quiet at the end of the caller's audio has gone, and all of a short
	// answer in one message (its first 600 ms go at once).
	answer("the phone question", say("el lunes").FirstFrame())
	for _, k := range "612345678#" {
		if err := client.DTMF(string(k)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(80 * time.Millisecond)
	}
	answer("the read-back", time.Now())
	answer("the booking", say("sí").FirstFrame())

	bodies := api.bookings()
	if len(bodies) != 1 {
		t.Fatalf("the customer API got %d requests: %v; log:\n%s", len(bodies), bodies, logs.String())
	}
	got := bodies[0]
	if got["paciente"] != "María López" || got["telefono"] != "612345678" || got["llamada"] != "+34600111222" {
		t.Errorf("booking %v", got)
	}
	if d, err := time.Parse("2006-01-02", fmt.Sprint(got["fecha"])); err != nil || d.Weekday() != time.Monday {
		t.Errorf("date %v: want a Monday", got["fecha"])
	}
	if p := client.Played(); twiliotest.Tone(p[len(p)-8000:], twiliotest.Rate, openaitest.SpeechTone) < 0.5 {
		t.Error("the caller did not hear the agent's tone")
	}
	if err := client.Hangup(); err != nil {
		t.Fatal(err)
	}

	// The call, through the API, once it has ended.
	var call calls.View
	for deadline := time.Now().Add(5 * time.Second); ; {
		var list struct{ Calls []calls.View }
		getJSON(t, base+"/v1/calls", &list)
		if len(list.Calls) == 1 && !list.Calls[0].Live {
			call = list.Calls[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("calls: %+v", list.Calls)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if call.Agent != "clinica-telefono" || call.From != "•••• 1222" || call.ProviderID != "CA0123" || call.Turns != 5 {
		t.Errorf("call %+v", call)
	}
	// The phone (pii by default) and the caller's number are masked in the
	// calls API; the transcript, not redacted, keeps them to replay.
	if list := get(t, base+"/v1/calls"); strings.Contains(list, "612345678") || strings.Contains(list, "+34600111222") {
		t.Errorf("the calls API shows the caller's phone numbers:\n%s", list)
	}
	resp, err = http.Get(base + "/v1/calls/" + call.ID + "/transcript")
	if err != nil {
		t.Fatal(err)
	}
	yaml, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	path := filepath.Join(dir, "call.yaml")
	if err := os.WriteFile(path, yaml, 0o644); err != nil {
		t.Fatal(err)
	}
	var rout, rerr bytes.Buffer
	if code := run([]string{"replay", path}, strings.NewReader(""), &rout, &rerr); code != 0 {
		t.Errorf("replay of the call's transcript: exit %d\n%s%s\n%s", code, rout.String(), rerr.String(), yaml)
	}
	if files, _ := filepath.Glob(filepath.Join(record, "*.yaml")); len(files) != 1 {
		t.Errorf("recorded %v", files)
	}

	metrics := get(t, base+"/metrics")
	for _, want := range []string{"voiceagent_active_calls 0", `voiceagent_calls_total{outcome="caller-hangup"} 1`,
		"voiceagent_barge_ins_total 1", `voiceagent_service_duration_seconds_count{agent="clinica-telefono",intent="pedir_cita"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, regexp.MustCompile(`(?m)^voiceagent_(barge|late|calls|active).*$`).FindAllString(metrics, -1))
		}
	}
	t.Logf("greeting's first audio %v after the stream opened", greeting.At.Sub(dialed).Round(100*time.Microsecond))
	t.Logf("reply delay: %s; orchestrator-added: %s; endpointing: %s; barge-in clear after %v; %s",
		histogram(metrics, "voiceagent_reply_delay_seconds"), histogram(metrics, "voiceagent_orchestrator_seconds"),
		histogram(metrics, "voiceagent_endpointing_wait_seconds"), bargeIn,
		regexp.MustCompile(`(?m)^voiceagent_late_frames_total .*$`).FindString(metrics))
	for _, secret := range []string{"María", "612345678", "+34600111222", "sk-test", token} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}

	cancel()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// histogram summarises a Prometheus histogram: count and mean.
func histogram(metrics, name string) string {
	value := func(suffix string) float64 {
		m := regexp.MustCompile(`(?m)^` + name + suffix + ` (\S+)$`).FindStringSubmatch(metrics)
		if m == nil {
			return 0
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	n, sum := value("_count"), value("_sum")
	if n == 0 {
		return "none"
	}
	return fmt.Sprintf("%d turns, mean %v", int(n), time.Duration(sum/n*float64(time.Second)).Round(10*time.Microsecond))
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(get(t, u)), v); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeStartsBare: serve with no flags and no keys runs the embedded
// agents, says what is missing, and answers health, readiness, the calls
// API and, beyond its limit of calls, 503.
func TestServeStartsBare(t *testing.T) {
	var out bytes.Buffer
	var logs syncBuffer
	a := &app{stdout: &out, stderr: &out, log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vars := map[string]string{"VOICEAGENT_TTS": "off", "VOICEAGENT_MAX_CALLS": "1", "VOICEAGENT_DEBUG_ADDR": "127.0.0.1:0",
		"VOICEAGENT_REDACT_TRANSCRIPTS": "true"}
	srv, err := a.newServer(ctx, &serveFlags{drain: 2 * time.Second}, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.printReport(ln.Addr().String())
	for _, want := range []string{"Agent clinica-central (es, default)", "Services: answered by demo stubs",
		"Understanding: rules only", "Speech-to-text: none (set DEEPGRAM_API_KEY or OPENAI_API_KEY", "phone callers can only use the keypad, browser callers type",
		"Text-to-speech: none (VOICEAGENT_TTS=off)", "signatures not checked (set TWILIO_AUTH_TOKEN)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start-up report lacks %q:\n%s", want, out.String())
		}
	}
	served := make(chan error, 1)
	go func() { served <- srv.serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	if got := get(t, base+"/healthz"); got != "ok\n" {
		t.Errorf("healthz %q", got)
	}
	if got := get(t, base+"/readyz"); got != "ready\n" {
		t.Errorf("readyz %q", got)
	}
	if resp, _ := http.Get(base + "/v1/calls/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown call: %s", resp.Status)
	}
	// The profiler is on its own address only.
	if resp, _ := http.Get(base + "/debug/pprof/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the profiler on the public address: %s", resp.Status)
	}
	pprofAt := regexp.MustCompile(`msg="profiler listening" addr=(\S+)`).FindStringSubmatch(logs.String())
	if pprofAt == nil {
		t.Fatalf("no profiler address in the log:\n%s", logs.String())
	}
	if got := get(t, "http://"+pprofAt[1]+"/debug/pprof/"); !strings.Contains(got, "goroutine") {
		t.Errorf("profiler index:\n%.300s", got)
	}

	// A call that asks for an agent that does not exist hears so, in the
	// default agent's language, and is hung up.
	if body := postForm(t, base+"/twilio/voice?agent=nobody", url.Values{"CallSid": {"CA0"}}); !strings.Contains(body, `<Say language="es-ES">`) ||
		!strings.Contains(body, "<Hangup/>") || strings.Contains(body, "<Stream") {
		t.Errorf("webhook for an unknown agent:\n%s", body)
	}
	// One call in progress fills a server with --max-calls 1.
	client := ring(t, ctx, base, "tienda-online", "CA1")
	defer client.Close()
	for deadline := time.Now().Add(5 * time.Second); srv.twilio.Active() != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the call did not start")
		}
	}
	resp, err := http.PostForm(base+"/twilio/voice", url.Values{"CallSid": {"CA2"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("webhook beyond the limit: %s", resp.Status)
	}
	// VOICEAGENT_REDACT_TRANSCRIPTS: the call's transcript says it is redacted.
	var live struct{ Calls []calls.View }
	getJSON(t, base+"/v1/calls", &live)
	if len(live.Calls) != 1 || !strings.HasPrefix(get(t, base+"/v1/calls/"+live.Calls[0].ID+"/transcript"), "redacted: true\n") {
		t.Errorf("calls %+v: want one, its transcript redacted", live.Calls)
	}
	// Shutting down ends the call in progress once the drain time is over;
	// meanwhile the server is not ready.
	cancel()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				break
			}
		}
		if err != nil || time.Now().After(deadline) {
			t.Errorf("readyz while draining: %v %v", resp, err)
			break
		}
	}
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
	<-client.Done()
	var list struct{ Calls []calls.View }
	for _, c := range srv.calls.Calls() {
		if !c.Live {
			list.Calls = append(list.Calls, c)
		}
	}
	if len(list.Calls) != 1 || list.Calls[0].Agent != "tienda-online" {
		t.Errorf("calls %+v", list.Calls)
	}
}

func TestServeHelpListsTheEnvironment(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "--help"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, v := range []string{"VOICEAGENT_ADDR", "VOICEAGENT_PUBLIC_URL", "VOICEAGENT_MAX_CALLS", "VOICEAGENT_RECORD", "TWILIO_AUTH_TOKEN",
		"VOICEAGENT_STT", "VOICEAGENT_TTS", "DEEPGRAM_API_KEY", "DEEPGRAM_URL", "VOICEAGENT_LLM", "OPENAI_API_KEY", "OPENAI_BASE_URL",
		"VOICEAGENT_LLM_MODEL", "VOICEAGENT_STT_MODEL", "VOICEAGENT_TTS_MODEL", "VOICEAGENT_TTS_VOICE", "--record", "--max-calls",
		"VOICEAGENT_REDACT_TRANSCRIPTS", "--redact-transcripts", "VOICEAGENT_WEBRTC", "--webrtc-udp-port", "VOICEAGENT_WEBRTC_PUBLIC_IP",
		"VOICEAGENT_WEBRTC_ORIGINS", "--ice-server", "/webrtc/offer"} {
		if !strings.Contains(out.String(), v) {
			t.Errorf("serve --help lacks %s", v)
		}
	}
}

func TestServeRedactTranscriptsSetting(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	vars := map[string]string{"VOICEAGENT_TTS": "off", "VOICEAGENT_REDACT_TRANSCRIPTS": "maybe"}
	_, err := a.newServer(context.Background(), &serveFlags{}, func(k string) string { return vars[k] })
	if err == nil || !strings.Contains(err.Error(), `VOICEAGENT_REDACT_TRANSCRIPTS "maybe": want true or false`) {
		t.Errorf("a setting that is not a boolean: %v", err)
	}
}

// TestServeBrowserCall: with --webrtc, serve takes a browser's call (a
// pion caller on loopback) through the same runtime and call layer: the
// caller hears the greeting, the call is in the calls API as a webrtc
// call, and its hang-up ends it; an unknown agent is refused with 404.
func TestServeBrowserCall(t *testing.T) {
	fake := openaitest.New(openaitest.Always(openaitest.Reply{}))
	defer fake.Close()
	fake.OnSpeech(func(s *openaitest.Speech) openaitest.AudioReply {
		return openaitest.AudioReply{Duration: time.Duration(len([]rune(s.Input))) * 12 * time.Millisecond}
	})
	vars := map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL, "VOICEAGENT_LLM": "off",
		"VOICEAGENT_STT": "openai", "VOICEAGENT_TTS": "openai", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1"}
	var out bytes.Buffer
	var logs syncBuffer
	a := &app{stdout: &out, stderr: &out, log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := a.newServer(ctx, &serveFlags{drain: 2 * time.Second, webrtc: webrtcFlags{on: true}}, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.printReport(ln.Addr().String())
	if !regexp.MustCompile(`Browser calls: media on UDP 127\.0\.0\.1:\d+\n\nOpen http://localhost:\d+/ in a browser`).MatchString(out.String()) {
		t.Errorf("the start-up report does not say where browser calls go:\n%s", out.String())
	}
	served := make(chan error, 1)
	go func() { served <- srv.serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	var refused *webrtctest.Refused
	if _, err := webrtctest.Dial(ctx, webrtctest.Config{URL: base, Agent: "nobody"}); !errors.As(err, &refused) || refused.Status != http.StatusNotFound {
		t.Errorf("a call for an unknown agent: %v", err)
	}
	client, err := webrtctest.Dial(ctx, webrtctest.Config{URL: base, Agent: "tienda-online"})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if p := client.Played(); len(p) >= 8000 && twiliotest.Tone(p[len(p)-4000:], twiliotest.Rate, openaitest.SpeechTone) > 0.5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the caller did not hear the greeting (%d samples); log:\n%s", len(client.Played()), logs.String())
		}
	}
	var live struct{ Calls []calls.View }
	getJSON(t, base+"/v1/calls", &live)
	if len(live.Calls) != 1 || live.Calls[0].Transport != "webrtc" || live.Calls[0].ID != client.CallID() || live.Calls[0].Agent != "tienda-online" {
		t.Errorf("calls %+v; want the browser's call, %s", live.Calls, client.CallID())
	}
	if err := client.Hangup(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var list struct{ Calls []calls.View }
		getJSON(t, base+"/v1/calls", &list)
		if len(list.Calls) == 1 && !list.Calls[0].Live {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the call did not end: %+v", list.Calls)
		}
	}
	if metrics := get(t, base+"/metrics"); !strings.Contains(metrics, `voiceagent_calls_total{outcome="caller-hangup"} 1`) {
		t.Errorf("metrics lack the caller's hang-up:\n%s", regexp.MustCompile(`(?m)^voiceagent_calls.*$`).FindAllString(metrics, -1))
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// TestServeWebRTCSettings: settings of the browser transport that cannot
// work stop serve with a usage error that names them; without --webrtc
// there is no browser transport.
func TestServeWebRTCSettings(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	for _, tt := range []struct {
		vars map[string]string
		want string // in the error; "" for none
	}{
		{map[string]string{"VOICEAGENT_WEBRTC": "maybe"}, "VOICEAGENT_WEBRTC"},
		{map[string]string{"VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1", "VOICEAGENT_WEBRTC_UDP_PORT": "-1"}, "VOICEAGENT_WEBRTC_UDP_PORT"},
		{map[string]string{"VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1", "VOICEAGENT_WEBRTC_UDP_PORT": "70000"}, "not a port"},
		{map[string]string{"VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1", "VOICEAGENT_WEBRTC_PUBLIC_IP": "example.com"}, "public IP"},
		{map[string]string{"VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1", "VOICEAGENT_WEBRTC_OFFERS_PER_MINUTE": "x"}, "OFFERS_PER_MINUTE"},
		{map[string]string{"VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1", "VOICEAGENT_WEBRTC_ORIGINS": "https://a.example, https://b.example"}, ""},
		{map[string]string{"VOICEAGENT_WEBRTC": "false"}, ""},
	} {
		tt.vars["VOICEAGENT_TTS"] = "off"
		srv, err := a.newServer(context.Background(), &serveFlags{iceServers: []string{"turn:turn.example:3478,u,p"}}, func(k string) string { return tt.vars[k] })
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.vars, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: %v; want an error naming %s", tt.vars, err, tt.want)
		}
		if err == nil {
			if on := tt.vars["VOICEAGENT_WEBRTC"] == "1"; (srv.webrtc != nil) != on {
				t.Errorf("%v: browser transport %v", tt.vars, srv.webrtc != nil)
			}
			if srv.webrtc != nil && len(srv.webrtc.ICEServers()) != 1 {
				t.Errorf("%v: ICE servers %v", tt.vars, srv.webrtc.ICEServers())
			}
			srv.close()
		}
	}
}

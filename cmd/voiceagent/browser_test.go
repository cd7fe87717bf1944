package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/internal/redistest"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// chromium finds Debian's headless browser; the test skips without it
// unless VOICEAGENT_REQUIRE_BROWSER=1 (CI installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("VOICEAGENT_REQUIRE_BROWSER") == "1" {
		t.Fatal("chromium is not installed (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// writeWAV writes 16-bit mono PCM at rate as a WAV file.
func writeWAV(t *testing.T, path string, rate int, pcm []int16) {
	t.Helper()
	var b bytes.Buffer
	data := len(pcm) * 2
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	_ = binary.Write(&b, binary.LittleEndian, pcm)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// artifacts is where the test leaves its screenshots: $VOICEAGENT_ARTIFACTS
// when set, else a folder of the test's.
func artifacts(t *testing.T) string {
	dir := os.Getenv("VOICEAGENT_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// barge is the page-side probe of barge-in. It takes hold of the
// microphone stream the page asks for and of the agent's stream the page
// plays, measures both itself every 5 ms over 5 ms windows, and when the
// caller's voice starts while the agent's audio plays, times how long the
// agent's audio takes to fall silent.
const barge = `(() => {
  window.bargeIns = [];
  const ctx = new AudioContext();
  const probe = (stream) => {
    const an = ctx.createAnalyser();
    an.fftSize = 256;
    ctx.createMediaStreamSource(stream).connect(an);
    const buf = new Float32Array(an.fftSize);
    return () => { an.getFloatTimeDomainData(buf); let e = 0; for (const x of buf) e += x * x; return Math.sqrt(e / buf.length); };
  };
  let mic = null, agent = null;
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => { const s = await gum(c); mic = probe(s); return s; };
  let since = 0, micWas = 0, agentOn = 0;
  setInterval(() => {
    const el = document.getElementById("remote-audio");
    if (!agent && el && el.srcObject) { ctx.resume(); agent = probe(el.srcObject); }
    if (!mic || !agent) return;
    const now = performance.now(), m = mic(), a = agent();
    if (a > 0.02) agentOn = now;
    if (!since && m > 0.02 && micWas <= 0.02 && now - agentOn < 10) since = now;
    if (since && a < 0.002 && now - agentOn > 20) { window.bargeIns.push(Math.round(agentOn - since)); since = 0; }
    if (since && now - since > 3000) { window.bargeIns.push(-1); since = 0; }
    micWas = m;
  }, 5);
})()`

// TestBrowserCall is a call from the real page in headless Chromium: the
// fake microphone says a line every few seconds (espeak-ng), the fake
// recogniser hears in each what the agent is asking for, and the page
// books an appointment through serve's WebRTC transport. The greeting's
// audio reaches the page, the transcript and fields panels show the
// call, the caller's voice over the agent stops the agent's audio within
// 300 ms, and "save as test" downloads a transcript that replays.
func TestBrowserCall(t *testing.T) {
	exe := chromium(t)
	caller := e2eSpeech(t)
	dir := t.TempDir()

	api := newBookingAPI(t)
	agentFile := api.agentFile(t, dir)

	// The recogniser hears what the agent is asking for: the microphone
	// says the same line each time, so the words come from the call.
	var srv *server
	fake := openaitest.New(openaitest.Always(openaitest.Reply{}))
	defer fake.Close()
	fake.OnTranscription(func(*openaitest.Transcription) openaitest.AudioReply {
		st := dialog.State{}
		for _, c := range srv.calls.Calls() {
			if c.Live {
				st = c.State
			}
		}
		text := "gracias"
		switch {
		case st.Phase == dialog.PhaseConfirming:
			text = "sí"
		case st.Asking == "nombre":
			text = "María López"
		case st.Asking == "fecha":
			text = "el lunes"
		case st.Asking == "telefono":
			text = "seis uno dos tres cuatro cinco seis siete ocho"
		case st.Intent == "":
			text = "quiero pedir una cita"
		}
		return openaitest.AudioReply{Text: text}
	})
	fake.OnSpeech(func(s *openaitest.Speech) openaitest.AudioReply {
		return openaitest.AudioReply{Duration: time.Duration(len([]rune(s.Input))) * 60 * time.Millisecond}
	})

	vars := map[string]string{
		"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL, "VOICEAGENT_LLM": "off",
		"VOICEAGENT_STT": "openai", "VOICEAGENT_TTS": "openai",
		"VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1",
	}
	var logs syncBuffer
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var err error
	srv, err = a.newServer(ctx, &serveFlags{configs: []string{agentFile}, drain: time.Second}, func(k string) string { return vars[k] })
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
	page := "http://" + ln.Addr().String() + "/?agent=clinica-telefono"

	// The microphone: 1.5 s of quiet, a line, 2.3 s of quiet, looped.
	line := callerSays(t, caller, "hola, buenos días")
	pcm := make([]int16, 12000)
	pcm = append(pcm, line...)
	pcm = append(pcm, make([]int16, 18400)...)
	up, err := audio.NewResampler(8000, 48000)
	if err != nil {
		t.Fatal(err)
	}
	wav := filepath.Join(dir, "caller.wav")
	writeWAV(t, wav, 48000, up.Resample(nil, pcm))

	downloads := filepath.Join(dir, "downloads")
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.UserDataDir(filepath.Join(dir, "profile")), chromedp.WindowSize(1200, 1000),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("use-fake-ui-for-media-stream", true), chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav), chromedp.Flag("allow-loopback-in-peer-connection", true))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	bctx, cancelT := context.WithTimeout(bctx, 3*time.Minute)
	defer cancelT()
	do := func(what string, action chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(bctx, action); err != nil {
			t.Fatalf("%s: %v; log:\n%s", what, err, logs.String())
		}
	}
	eval := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	until := func(what, expr string, limit time.Duration) {
		t.Helper()
		for deadline := time.Now().Add(limit); ; time.Sleep(50 * time.Millisecond) {
			if ok, _ := eval("!!(" + expr + ")").(bool); ok {
				return
			}
			if time.Now().After(deadline) {
				state, _ := json.Marshal(eval(`(() => { const s = {...window.voiceagentPage.state}; delete s.events; return s })()`))
				t.Fatalf("waiting for %s: %.3000s\nlog:\n%s", what, state, logs.String())
			}
		}
	}
	shot := func(name string) {
		b, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			return
		}
		path := filepath.Join(artifacts(t), name)
		if err := os.WriteFile(path, b, 0o644); err == nil {
			t.Logf("screenshot: %s", path)
		}
	}

	do("open the page", chromedp.Navigate(page))
	until("the page", "window.voiceagentPage && window.voiceagentPage.ready", 10*time.Second)
	do("downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))
	do("the barge-in probe", chromedp.Evaluate[chromedp.Void](barge))
	do("call", chromedp.Click("#call"))
	until("the greeting's audio in the page", "window.voiceagentPage.state.levels.agent > 0.02", 20*time.Second)
	until("the booking", `window.voiceagentPage.state.services.some(s => s.status === "ok")`, 120*time.Second)
	until("the fields panel", `document.querySelector('#fields li[data-field="nombre"] .value')`, 5*time.Second)
	shot("browser-call.png")

	if bodies := api.bookings(); len(bodies) != 1 || bodies[0]["paciente"] != "María López" || bodies[0]["telefono"] != "612345678" {
		t.Errorf("bookings %v", bodies)
	}
	if got := eval(`document.querySelector('#fields li[data-field="nombre"] .value').textContent`); got != "María López" {
		t.Errorf("fields panel: nombre %q", got)
	}
	if n, _ := eval(`document.querySelectorAll('#transcript li[data-who="caller"]').length`).(float64); n < 4 {
		t.Errorf("%v caller turns in the transcript panel", n)
	}
	var bargeIns []float64
	raw, _ := json.Marshal(eval("window.bargeIns"))
	_ = json.Unmarshal(raw, &bargeIns)
	t.Logf("barge-ins measured in the page (ms from the caller's voice to the agent's silence): %.0f", bargeIns)
	if len(bargeIns) == 0 {
		t.Error("the caller never spoke over the agent")
	}
	for _, ms := range bargeIns {
		if ms < 0 || ms > 300 {
			t.Errorf("the agent's audio went on %.0f ms after the caller spoke over it; want within 300 ms (-1: it never stopped)", ms)
		}
	}

	// Save as test: the page downloads the call, which replays.
	do("hang up", chromedp.Click("#hangup"))
	do("save", chromedp.Click("#save"))
	var saved string
	for deadline := time.Now().Add(10 * time.Second); saved == ""; time.Sleep(50 * time.Millisecond) {
		if files, _ := filepath.Glob(filepath.Join(downloads, "*.yaml")); len(files) == 1 {
			saved = files[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("the page saved no transcript")
		}
	}
	shot("browser-call-ended.png")
	var out, errb bytes.Buffer
	if code := run([]string{"replay", saved}, strings.NewReader(""), &out, &errb); code != 0 {
		data, _ := os.ReadFile(saved)
		t.Errorf("replay of the saved call: exit %d\n%s%s\n%s", code, out.String(), errb.String(), data)
	}
	cancel()
	<-served
}

// TestBrowserReconnect: the real page in headless Chromium, on two serve
// instances sharing Redis behind one origin (a proxy that sends the
// page's requests to the first, then, once it drains, to the second).
// Mid-call the first shuts down: the page is told to reconnect, shows it
// is reconnecting, offers again with its call's id and token and goes on
// with the same call on the second — the same id, its transcript kept,
// the apology heard and shown — without the call being shown as ended.
func TestBrowserReconnect(t *testing.T) {
	exe := chromium(t)
	caller := e2eSpeech(t)
	dir := t.TempDir()
	api := newBookingAPI(t)
	agentFile := api.agentFile(t, dir)
	redisURL, prefix := redistest.URL(t)

	fake := fakeVoice(t, []string{"quiero pedir una cita"}, "", 40*time.Millisecond)
	vars := map[string]string{
		"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL, "VOICEAGENT_LLM": "off",
		"VOICEAGENT_STT": "openai", "VOICEAGENT_TTS": "openai", "VOICEAGENT_WEBRTC": "1", "VOICEAGENT_WEBRTC_IPS": "127.0.0.1",
		"REDIS_URL": redisURL, "VOICEAGENT_REDIS_PREFIX": prefix, "VOICEAGENT_SECRET": "shared-secret-of-the-test",
	}
	var logs syncBuffer
	type instance struct {
		url    *url.URL
		stop   context.CancelFunc
		served chan error
	}
	start := func(name string) *instance {
		t.Helper()
		a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, log: slog.New(slog.NewTextHandler(&logs, nil)).With("instance", name)}
		ctx, cancel := context.WithCancel(context.Background())
		srv, err := a.newServer(ctx, &serveFlags{configs: []string{agentFile}, drain: 5 * time.Second, instance: name},
			func(k string) string { return vars[k] })
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		in := &instance{url: &url.URL{Scheme: "http", Host: ln.Addr().String()}, stop: cancel, served: make(chan error, 1)}
		go func() { in.served <- srv.serve(ctx, ln) }()
		t.Cleanup(func() {
			cancel()
			<-in.served
			srv.close()
		})
		return in
	}
	a, b := start("a"), start("b")
	// The page's one origin: requests go to the instance that takes calls.
	var backend atomic.Pointer[url.URL]
	backend.Store(a.url)
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(backend.Load())
		r.Out.Host = r.In.Host // the page's origin is the proxy's
	}, ErrorLog: log.New(io.Discard, "", 0)})
	defer proxy.Close()

	// The microphone: 1.5 s of quiet, a line, 2.3 s of quiet, looped.
	line := callerSays(t, caller, "hola, buenos días")
	pcm := make([]int16, 12000)
	pcm = append(pcm, line...)
	pcm = append(pcm, make([]int16, 18400)...)
	up, err := audio.NewResampler(8000, 48000)
	if err != nil {
		t.Fatal(err)
	}
	wav := filepath.Join(dir, "caller.wav")
	writeWAV(t, wav, 48000, up.Resample(nil, pcm))
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.UserDataDir(filepath.Join(dir, "profile")), chromedp.WindowSize(1200, 1000),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("use-fake-ui-for-media-stream", true), chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav), chromedp.Flag("allow-loopback-in-peer-connection", true))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	bctx, cancelT := context.WithTimeout(bctx, 2*time.Minute)
	defer cancelT()
	do := func(what string, action chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(bctx, action); err != nil {
			t.Fatalf("%s: %v; log:\n%s", what, err, logs.String())
		}
	}
	eval := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	until := func(what, expr string, limit time.Duration) {
		t.Helper()
		for deadline := time.Now().Add(limit); ; time.Sleep(50 * time.Millisecond) {
			if ok, _ := eval("!!(" + expr + ")").(bool); ok {
				return
			}
			if time.Now().After(deadline) {
				state, _ := json.Marshal(eval(`(() => { const s = {...window.voiceagentPage.state}; delete s.events; return s })()`))
				t.Fatalf("waiting for %s: %.3000s\nlog:\n%s", what, state, logs.String())
			}
		}
	}

	do("open the page", chromedp.Navigate(proxy.URL+"/?agent=clinica-telefono"))
	until("the page", "window.voiceagentPage && window.voiceagentPage.ready", 10*time.Second)
	// What the page shows, as it changes: its status line and its
	// connection.
	do("the probe", chromedp.Evaluate[chromedp.Void](`(() => {
  window.seen = [];
  const note = () => window.seen.push(document.getElementById("agent-state").dataset.state + " | " + document.getElementById("status").textContent);
  const o = new MutationObserver(note);
  for (const id of ["status", "agent-state"]) o.observe(document.getElementById(id), { childList: true, characterData: true, subtree: true, attributes: true });
})()`))
	do("call", chromedp.Click("#call"))
	until("the name question", `window.voiceagentPage.state.asking === "nombre" && window.voiceagentPage.state.agentState === "listening"`, 30*time.Second)
	id, _ := eval("window.voiceagentPage.state.callId").(string)
	before, _ := eval(`window.voiceagentPage.state.transcript.length`).(float64)

	// The first instance drains: the second takes calls from now on.
	backend.Store(b.url)
	a.stop()
	until("the page to reconnect", "window.voiceagentPage.reconnects === 1", 30*time.Second)
	until("the apology in the transcript", `window.voiceagentPage.state.transcript.some(e => e.who === "agent" && e.text.startsWith("Perdona, se ha cortado"))`, 20*time.Second)
	until("the agent's voice again", "window.voiceagentPage.state.levels.agent > 0.02", 20*time.Second)
	var seen []string
	raw, _ := json.Marshal(eval("window.seen"))
	_ = json.Unmarshal(raw, &seen)
	if !slices.ContainsFunc(seen, func(s string) bool { return strings.HasPrefix(s, "reconnecting | Reconnecting…") }) {
		t.Errorf("the page never showed it was reconnecting: %q", seen)
	}
	if slices.ContainsFunc(seen, func(s string) bool { return strings.Contains(s, "Call ended") || strings.HasPrefix(s, "ended") }) {
		t.Errorf("the page showed the call as ended: %q", seen)
	}
	if got := eval("window.voiceagentPage.state.callId"); got != id {
		t.Errorf("the call's id is %v after reconnecting; want %s", got, id)
	}
	if got := eval("window.voiceagentPage.state.connection"); got != "connected" {
		t.Errorf("connection %v", got)
	}
	if n, _ := eval(`window.voiceagentPage.state.transcript.length`).(float64); n <= before {
		t.Errorf("the transcript has %v entries after reconnecting, %v before", n, before)
	}
	if got := eval(`document.getElementById("call-id").textContent`); got != id {
		t.Errorf("#call-id shows %v", got)
	}
	if e, _ := eval("window.voiceagentPage.state.lastError").(string); e != "" {
		t.Errorf("the page shows an error: %s", e)
	}
	t.Logf("the page showed: %q", seen)
	do("hang up", chromedp.Click("#hangup"))
	until("the end", `window.voiceagentPage.state.connection === "ended"`, 10*time.Second)
}

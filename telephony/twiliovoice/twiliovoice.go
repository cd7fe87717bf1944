// Package twiliovoice is the Twilio transport: a Twilio number's voice
// webhook (POST /twilio/voice) answers with TwiML that connects the call
// to a bidirectional Media Stream (GET /twilio/stream), whose websocket
// carries the caller's audio and keys to the call and the agent's audio
// and marks back; when the stream ends Twilio asks POST /twilio/after,
// which hangs up or dials the number the agent transferred to. Requests
// are checked against X-Twilio-Signature when an auth token is set, and
// each stream must carry the token its webhook answer minted for that
// call (token.go); calls beyond a limit — counting streams not yet
// started — and new calls while draining are refused with 503 before any
// websocket is opened.
//
// The protocol itself (messages, TwiML, signatures) is telephony/twilio, a
// leaf the simulated caller (telephony/twilio/twiliotest) shares. The
// transport knows nothing of agents, integrations or models: it hands
// each call to a telephony.Answerer and passes the conformance suite of
// telephony/transporttest.
package twiliovoice

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio"
)

// Transport serves a Twilio phone number: the voice webhook that connects
// a call to a Media Stream, the stream itself, and the end of the stream
// (hang up, or transfer with <Dial>).
type Transport struct {
	answer    telephony.Answerer
	authToken string
	publicURL string
	log       *slog.Logger
	warn      *telephony.Warnings
	upgrader  websocket.Upgrader
	clock     *clock // of quiet calls' reads
	agents    func(name string) (lang string, ok bool)
	tokens    *tokens
	startWait time.Duration
	othersFn  func() int
	continuer telephony.Continuer

	mu        sync.Mutex
	calls     map[string]active // by our call id
	pending   int               // streams upgraded, waiting for their start
	pendingAt map[string]int    // the same, by remote address, when not signed
	limit     int
	draining  bool
	transfers map[string]transfer // by CallSid: where the Connect action sends the call
	wg        sync.WaitGroup
}

// active is a call in progress on this instance.
type active struct {
	cancel context.CancelCauseFunc
	call   telephony.Inbound
}

type transfer struct {
	number string
	at     time.Time
}

// Config configures the transport; the zero value means the defaults.
type Config struct {
	// AuthToken, when set, makes every request prove it comes from Twilio
	// with a valid X-Twilio-Signature.
	AuthToken string
	// PublicURL is the server's address as Twilio reaches it, like
	// https://abc.ngrok.app; "" means each request's Host, with the scheme
	// from X-Forwarded-Proto (https by default).
	PublicURL string
	// MaxCalls bounds the calls in progress, counting streams not yet
	// started; beyond it the webhook and the stream answer 503. Zero means
	// 1000.
	MaxCalls int
	// Agents says whether an agent answers calls, and in which language
	// ("" asks for the default agent); nil means every agent does, in
	// Spanish. The webhook of a call for an unknown agent says sorry in the
	// default agent's language and hangs up.
	Agents func(name string) (lang string, ok bool)
	// Secret keys the per-call stream tokens; "" means the AuthToken, or,
	// without one, random bytes of this process (then a stream must reach
	// the instance whose webhook admitted it).
	Secret string
	// StartTimeout bounds the wait for a stream's start message; zero
	// means 5 s.
	StartTimeout time.Duration
	// Others, when set, counts the calls other transports of the same
	// server carry, which MaxCalls bounds too.
	Others func() int
	// Continuer, when set, answers the end of a stream whose call did not
	// end — its connection broke, or a draining instance handed it over —
	// with a new stream that goes on with the call, on whichever instance
	// the new stream reaches.
	Continuer telephony.Continuer
	Logger    *slog.Logger
}

// maxPendingPerAddress bounds the streams one address may hold open
// before their start when requests are not signed (signed ones come from
// Twilio's few media servers).
const maxPendingPerAddress = 8

// New returns the transport, handing its calls to a.
func New(a telephony.Answerer, cfg Config) *Transport {
	t := &Transport{
		answer: a, authToken: cfg.AuthToken, publicURL: strings.TrimRight(cfg.PublicURL, "/"), log: cfg.Logger,
		calls: map[string]active{}, pendingAt: map[string]int{}, limit: cfg.MaxCalls, transfers: map[string]transfer{},
		agents: cfg.Agents, startWait: cfg.StartTimeout, othersFn: cfg.Others, continuer: cfg.Continuer,
		clock: newClock(quietEvery),
		// A call's messages are small (Twilio's under 1 KB, ours 400 ms of
		// audio, 4.4 KB, in one frame); write buffers are shared, held only
		// while a message is written. The read buffer holds what a quiet
		// call's read brings: three media messages of about 350 bytes. It
		// must not be 0: gorilla would then read through net/http's
		// buffered reader, around the quietConn.
		upgrader: websocket.Upgrader{ReadBufferSize: 2048, WriteBufferSize: 8192, WriteBufferPool: &sync.Pool{}},
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.warn = &telephony.Warnings{Log: t.log}
	if t.limit <= 0 {
		t.limit = 1000
	}
	if t.startWait <= 0 {
		t.startWait = 5 * time.Second
	}
	if t.agents == nil {
		t.agents = func(string) (string, bool) { return "es", true }
	}
	secret := cfg.Secret
	if secret == "" {
		secret = cfg.AuthToken
	}
	t.tokens = newTokens(secret)
	return t
}

// Register adds the transport's routes to mux: POST /twilio/voice,
// GET /twilio/stream and POST /twilio/after.
func (t *Transport) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /twilio/voice", t.voice)
	mux.HandleFunc("GET /twilio/stream", t.stream)
	mux.HandleFunc("POST /twilio/after", t.after)
}

// Active is the number of calls in progress.
func (t *Transport) Active() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.calls)
}

// Draining says whether Drain was called: no new calls are taken.
func (t *Transport) Draining() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.draining
}

// Drain refuses new calls from now on and waits for the calls in progress
// to end, until ctx is done; then it ends them and waits for that.
func (t *Transport) Drain(ctx context.Context) {
	t.mu.Lock()
	t.draining = true
	t.mu.Unlock()
	telephony.Settle(ctx, &t.wg, func() { t.cancelAll(nil) })
}

// HandOver refuses new calls from now on and ends the calls in progress
// at their next quiet moment so that they go on elsewhere: each stream
// is closed, Twilio asks the <Connect> action what next, and the answer
// (from this instance or another: they share the calls) opens a stream
// that the load balancer sends to an instance that takes calls. Calls
// still busy when ctx is done are handed over then. It returns once
// every call is gone.
func (t *Transport) HandOver(ctx context.Context) {
	t.mu.Lock()
	t.draining = true
	for _, a := range t.calls {
		if h, ok := a.call.(interface{ HandOver() }); ok {
			h.HandOver()
		}
	}
	t.mu.Unlock()
	telephony.Settle(ctx, &t.wg, func() { t.cancelAll(telephony.ErrHandover) })
}

// cancelAll ends every call in progress, with cause.
func (t *Transport) cancelAll(cause error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range t.calls {
		a.cancel(cause)
	}
}

// base is the server's public address with scheme ("https" or "wss").
func (t *Transport) base(r *http.Request, scheme string) string {
	if t.publicURL != "" {
		u := t.publicURL
		if scheme == "wss" {
			u = strings.Replace(strings.Replace(u, "https://", "wss://", 1), "http://", "ws://", 1)
		}
		return u
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	proto = strings.TrimSpace(proto)
	if proto == "" {
		proto = "https"
	}
	host := r.Host
	if h, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Host"), ","); strings.TrimSpace(h) != "" {
		host = strings.TrimSpace(h)
	}
	if scheme == "wss" {
		proto = map[string]string{"https": "wss", "http": "ws"}[proto]
		if proto == "" {
			proto = "wss"
		}
	}
	return proto + "://" + host
}

// signed checks X-Twilio-Signature when an auth token is set.
func (t *Transport) signed(r *http.Request, scheme string, params url.Values) bool {
	if t.authToken == "" {
		return true
	}
	return twilio.ValidSignature(t.authToken, t.base(r, scheme)+r.URL.RequestURI(), params, r.Header.Get("X-Twilio-Signature"))
}

// full says why no call can be taken now, or "" when one can.
func (t *Transport) full() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fullLocked(t.others())
}

// others is the calls other transports carry; it is read before t.mu is
// taken, as they take their own locks.
func (t *Transport) others() int {
	if t.othersFn == nil {
		return 0
	}
	return t.othersFn()
}

func (t *Transport) fullLocked(others int) string {
	switch {
	case t.draining:
		return "shutting down"
	case len(t.calls)+t.pending+others >= t.limit:
		return "too many calls"
	}
	return ""
}

// voice answers Twilio's webhook for an incoming call with TwiML that
// connects it to /twilio/stream, passing the agent and the caller.
func (t *Transport) voice(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !t.signed(r, "https", r.PostForm) {
		t.warn.Warn("twilio webhook with a bad signature", "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	if why := t.full(); why != "" {
		t.warn.Warn("call refused", "reason", why)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(twilio.Say("Lo sentimos, ahora no podemos atender su llamada. Sorry, we cannot take your call right now.", "es-ES"))
		return
	}
	agent := r.URL.Query().Get("agent")
	if _, ok := t.agents(agent); !ok {
		lang, _ := t.agents("")
		t.warn.Warn("call for an unknown agent", "agent", clip(agent, 64))
		_, _ = w.Write(twilio.Say(sorryNoAgent(lang)))
		return
	}
	from, sid := r.PostForm.Get("From"), r.PostForm.Get("CallSid")
	params := map[string]string{"token": t.tokens.mint(agent, from, sid, "", time.Now())}
	if agent != "" {
		params["agent"] = agent
	}
	if from != "" {
		params["from"] = from
	}
	_, _ = w.Write(twilio.ConnectStream(t.base(r, "wss")+"/twilio/stream", t.base(r, "https")+"/twilio/after", params))
}

// sorryNoAgent is what a call for an agent that does not answer hears,
// in lang, and the language of Twilio's <Say>.
func sorryNoAgent(lang string) (string, string) {
	if lang == "en" {
		return "Sorry, this number is not in service. Goodbye.", "en-US"
	}
	return "Lo sentimos, este número no está disponible. Adiós.", "es-ES"
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// after answers the end of a call's stream (the <Connect> action): a
// <Dial> when the agent transferred the call, else a hang-up.
func (t *Transport) after(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !t.signed(r, "https", r.PostForm) {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	sid := r.PostForm.Get("CallSid")
	t.mu.Lock()
	tr, ok := t.transfers[sid]
	delete(t.transfers, sid)
	t.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	if ok {
		_, _ = w.Write(twilio.Dial(tr.number))
		return
	}
	if t.continuer != nil && sid != "" {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		next, err := t.continuer.Continue(ctx, "twilio", sid)
		cancel()
		switch {
		case err != nil:
			t.log.Debug("a stream ended with no call to go on", "err", err)
		case next.Call != nil:
			// The call goes on over a new stream, signed for it.
			c := next.Call
			params := map[string]string{"token": t.tokens.mint(c.Agent, c.From, sid, c.ID, time.Now()), "resume": c.ID}
			if c.Agent != "" {
				params["agent"] = c.Agent
			}
			if c.From != "" {
				params["from"] = c.From
			}
			t.log.Info("handing a call over to a new stream", "call", c.ID)
			_, _ = w.Write(twilio.ConnectStream(t.base(r, "wss")+"/twilio/stream", t.base(r, "https")+"/twilio/after", params))
			return
		case next.Transfer != "":
			_, _ = w.Write(twilio.Dial(next.Transfer))
			return
		}
	}
	_, _ = w.Write(twilio.Hangup())
}

// stream runs one call over a Media Streams websocket.
func (t *Transport) stream(w http.ResponseWriter, r *http.Request) {
	if !t.signed(r, "wss", nil) {
		t.warn.Warn("twilio stream with a bad signature", "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	// The stream takes its place among the calls before the upgrade, so
	// that connections which never start a call are refused like calls.
	addr := ""
	if t.authToken == "" {
		addr, _, _ = net.SplitHostPort(r.RemoteAddr)
	}
	others := t.others()
	t.mu.Lock()
	why, code := t.fullLocked(others), http.StatusServiceUnavailable
	if why == "" && addr != "" && t.pendingAt[addr] >= maxPendingPerAddress {
		why, code = "too many streams waiting to start from one address", http.StatusTooManyRequests
	}
	if why == "" {
		t.pending++
		if addr != "" {
			t.pendingAt[addr]++
		}
	}
	t.mu.Unlock()
	if why != "" {
		t.warn.Warn("stream refused", "reason", why)
		http.Error(w, why, code)
		return
	}
	w8 := &waiting{t: t, addr: addr, held: true}
	qc := &quietConn{clock: t.clock, phase: t.clock.phase()}
	conn, err := t.upgrader.Upgrade(hijacker{w, qc}, r, nil)
	if err != nil {
		w8.free()
		return // the upgrader answered
	}
	// The call runs on a goroutine of its own, so that the HTTP server's
	// connection state and buffers, of no use to a websocket, are let go.
	go t.serveCall(conn, qc, context.WithoutCancel(r.Context()), w8)
}

// waiting is the place a stream holds among the calls while it waits for
// its start.
type waiting struct {
	t    *Transport
	addr string
	held bool // guarded by t.mu
}

func (w *waiting) freeLocked() {
	if !w.held {
		return
	}
	w.held = false
	w.t.pending--
	if w.addr != "" {
		if w.t.pendingAt[w.addr]--; w.t.pendingAt[w.addr] <= 0 {
			delete(w.t.pendingAt, w.addr)
		}
	}
}

func (w *waiting) free() {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	w.freeLocked()
}

// serveCall runs the call on the websocket conn (over qc) until it ends.
// w8 is the place the stream holds while it waits for its start.
func (t *Transport) serveCall(conn *websocket.Conn, qc *quietConn, base context.Context, w8 *waiting) {
	defer conn.Close()
	defer w8.free()
	conn.SetReadLimit(twilio.MaxMessage)

	start, err := readStart(conn, t.startWait)
	if err != nil {
		t.warn.Warn("twilio stream without a start", "err", err)
		return
	}
	p := start.CustomParameters
	if err := t.tokens.spend(p["token"], p["agent"], p["from"], start.CallSid, p["resume"], time.Now()); err != nil {
		t.warn.Warn("twilio stream refused", "err", err)
		closeWith(conn, websocket.ClosePolicyViolation, "not admitted")
		return
	}
	info := telephony.CallInfo{ID: newID(), Agent: p["agent"], From: p["from"], Transport: "twilio", Provider: start.CallSid}
	if id := p["resume"]; id != "" {
		info.ID, info.Resume = id, true
	}
	ctx, cancel := context.WithCancelCause(base)
	defer cancel(nil)
	t.mu.Lock()
	if t.draining {
		t.mu.Unlock()
		closeWith(conn, websocket.CloseTryAgainLater, "shutting down")
		return
	}
	w8.freeLocked() // the call takes the place over
	t.calls[info.ID] = active{cancel: cancel}
	t.wg.Add(1)
	t.mu.Unlock()
	defer t.wg.Done()
	// The call's place is given up before its stream is closed, so that
	// a caller who hears the end and calls again finds it free.
	release := sync.OnceFunc(func() {
		t.mu.Lock()
		delete(t.calls, info.ID)
		t.mu.Unlock()
	})
	defer release()

	line := newLine(t, conn, start, release)
	call, err := t.answer.Answer(ctx, info, line)
	if err != nil {
		t.warn.Warn("call refused", "err", err)
		release()
		closeWith(conn, websocket.ClosePolicyViolation, "no such agent")
		return
	}
	t.mu.Lock()
	if _, ok := t.calls[info.ID]; ok {
		t.calls[info.ID] = active{cancel: cancel, call: call}
	}
	draining := t.draining
	t.mu.Unlock()
	if h, ok := call.(interface{ HandOver() }); ok && draining {
		h.HandOver() // HandOver came while the call was being answered
	}
	if q, ok := call.(interface{ Quiet() bool }); ok {
		qc.follow(q.Quiet)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		call.Run(ctx)
	}()
	if stopped := t.read(conn, call); !stopped {
		// The connection broke, or was closed by the server (the call is
		// over then, and this changes nothing): the caller did not hang up.
		if l, ok := call.(interface{ Lost() }); ok {
			l.Lost()
		}
	}
	call.Hangup()
	<-done // Run ended the line
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func closeWith(conn *websocket.Conn, code int, text string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
}

// readStart reads up to the stream's start message, for up to wait.
func readStart(conn *websocket.Conn, wait time.Duration) (*twilio.Start, error) {
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	defer conn.SetReadDeadline(time.Time{})
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return nil, err
		}
		ev, err := twilio.Parse(msg)
		if err != nil {
			return nil, err
		}
		switch ev.Event {
		case "connected":
			continue
		case "start":
			if ev.Start == nil || ev.Start.StreamSid == "" {
				return nil, errors.New("start message without a streamSid")
			}
			return ev.Start, nil
		default:
			return nil, fmt.Errorf("stream began with %.20q", ev.Event)
		}
	}
}

// read is the stream's read loop: media (by the fast path, into reused
// buffers) through the inbound chain, ulaw-decode(8000) -> call(8000), and
// every other event to the call.
//
// It says whether the stream ended with Twilio's stop (the caller hung
// up), not a broken connection.
func (t *Transport) read(conn *websocket.Conn, call telephony.Inbound) (stopped bool) {
	var msg bytes.Buffer
	var ulaw []byte
	in := audio.NewUlawDecoder(call)
	var readBy time.Time
	for {
		// Twilio sends media every 20 ms: a silent connection is a dead
		// one. The deadline moves once a second, not for every message.
		if now := time.Now(); readBy.Sub(now) < readWait-time.Second {
			readBy = now.Add(readWait)
			_ = conn.SetReadDeadline(readBy)
		}
		_, r, err := conn.NextReader()
		if err != nil {
			return false
		}
		msg.Reset()
		if _, err := msg.ReadFrom(r); err != nil {
			return false
		}
		if payload, ok := twilio.ParseMedia(ulaw[:0], msg.Bytes()); ok {
			ulaw = payload
			_ = in.WriteSample(audio.Ulaw(payload)) // a call takes audio without fail
			continue
		}
		ev, err := twilio.Parse(msg.Bytes())
		if err != nil {
			t.log.Debug("bad message from twilio", "err", err)
			continue
		}
		switch ev.Event {
		case "dtmf":
			if ev.DTMF != nil && len(ev.DTMF.Digit) == 1 && strings.Contains("0123456789*#", ev.DTMF.Digit) {
				call.DTMF(ev.DTMF.Digit)
			}
		case "mark":
			if ev.Mark != nil {
				call.Marked(ev.Mark.Name)
			}
		case "stop":
			return true
		}
	}
}

// line is a call's telephony.Line over its Media Streams websocket: the
// agent's audio goes through ulaw-encode(8000) -> twilio(8000).
type line struct {
	t                  *Transport
	conn               *websocket.Conn
	streamSid, callSid string
	enc                audio.Writer[audio.PCM16] // the chain to the caller
	writeBy            time.Time                 // the write deadline set
	release            func()                    // gives up the call's place
}

func newLine(t *Transport, conn *websocket.Conn, start *twilio.Start, release func()) *line {
	l := &line{t: t, conn: conn, streamSid: start.StreamSid, callSid: start.CallSid, release: release}
	l.enc = audio.NewUlawEncoder(audio.NewFuncWriter("twilio", telephony.Rate, l.media))
	return l
}

// writeWait bounds a write to Twilio, readWait the silence of a stream.
const (
	writeWait = 5 * time.Second
	readWait  = 10 * time.Second
)

// write sends msg; the deadline for it moves once a second, not for
// every message.
func (l *line) write(msg []byte) error {
	if now := time.Now(); l.writeBy.Sub(now) < writeWait-time.Second {
		l.writeBy = now.Add(writeWait)
		_ = l.conn.SetWriteDeadline(l.writeBy)
	}
	return l.conn.WriteMessage(websocket.TextMessage, msg)
}

// WriteSample sends whole 20 ms frames of PCM16 at 8 kHz as one media
// message.
func (l *line) WriteSample(pcm audio.PCM16) error { return l.enc.WriteSample(pcm) }

// SampleRate is telephony.Rate: Twilio's 8 kHz.
func (l *line) SampleRate() int { return telephony.Rate }

// String is the chain: "ulaw-encode(8000) -> twilio(8000)".
func (l *line) String() string { return l.enc.String() }

// messages are the buffers outbound messages are made in, shared by the
// calls: a call speaks a message every 400 ms, and holds none between.
var messages = sync.Pool{New: func() any { return new([]byte) }}

// send makes a message with appendMsg in a shared buffer and writes it.
func (l *line) send(appendMsg func(dst []byte) []byte) error {
	buf := messages.Get().(*[]byte)
	*buf = appendMsg((*buf)[:0])
	err := l.write(*buf)
	messages.Put(buf)
	return err
}

// media is the end of the chain: μ-law to a media message.
func (l *line) media(ulaw audio.Ulaw) error {
	return l.send(func(dst []byte) []byte { return twilio.AppendMedia(dst, l.streamSid, ulaw) })
}

func (l *line) Mark(name string) error {
	return l.send(func(dst []byte) []byte { return twilio.AppendMark(dst, l.streamSid, name) })
}

func (l *line) Clear() error {
	return l.send(func(dst []byte) []byte { return twilio.AppendClear(dst, l.streamSid) })
}

// End closes the stream; Twilio then asks /twilio/after what to do, which
// answers with a <Dial> to number if one is given.
func (l *line) End(number string) error {
	if number != "" {
		l.t.mu.Lock()
		for sid, tr := range l.t.transfers { // forget transfers Twilio never asked about
			if time.Since(tr.at) > time.Hour {
				delete(l.t.transfers, sid)
			}
		}
		l.t.transfers[l.callSid] = transfer{number: number, at: time.Now()}
		l.t.mu.Unlock()
	}
	l.release()
	closeWith(l.conn, websocket.CloseNormalClosure, "")
	return l.conn.Close()
}

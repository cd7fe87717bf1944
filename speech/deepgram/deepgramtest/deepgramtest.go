// Package deepgramtest is a fake Deepgram live transcription server on
// loopback for tests: GET /v1/listen upgraded to a websocket (gorilla),
// speaking the wire protocol of Deepgram's streaming API. Binary frames are
// the audio, as the handshake's encoding says: linear16 (16-bit
// little-endian PCM) or mulaw (G.711 μ-law, one byte a sample). The
// handshake is refused with 400, as Deepgram does, for an encoding Deepgram
// does not know or one without sample_rate, and, the fake's own limits,
// for containerized audio (no encoding) and the raw encodings it does not
// decode. Text frames are the JSON control messages (KeepAlive, Finalize,
// CloseStream). It answers with Results (interim and final), SpeechStarted,
// UtteranceEnd and, on CloseStream, Metadata before closing.
//
// Recognition is scripted: every utterance is heard as Script.Transcript,
// or Script.Transcripts in turn, or as Script.Recognize names it from its
// audio.
// The fake follows the client's own query parameters the way Deepgram does:
// interim results only with interim_results=true (one more word revealed
// every Script.InterimEvery of speech), a speech_final result after
// endpointing ms of silence following speech (Deepgram's default is 10 ms;
// "false" turns it off), UtteranceEnd after utterance_end_ms of audio with no
// words, SpeechStarted with vad_events=true. Speech and silence are told
// apart by energy, 10 ms at a time, so the tests' tones are speech and zero
// samples silence. Time is the audio's own timeline (samples received), never
// the wall clock, so the fake is deterministic.
//
// Finalize is answered, as Deepgram does, with a final Results carrying
// from_finalize: true, covering the audio not yet finalized; when every
// received sample is already finalized there is nothing to answer and the
// fake sends nothing (Deepgram documents that the answer may not come).
//
// Failures are scripted too: refusing the upgrade with a status, dropping
// the connection (abruptly or with a close code) after some audio, stalling
// (no more reading), closing idle connections (Deepgram's NET-0001) and
// ignoring Finalize. Everything received is recorded for assertions.
package deepgramtest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Key is the API key the fake accepts when Script.Key is empty.
const Key = "dg-test-key"

// Script says how the fake behaves on every connection.
type Script struct {
	// Key is the accepted API key (default Key); the handshake must carry
	// "Authorization: Token <Key>", or the upgrade is refused with 401.
	Key string
	// Transcript is what the fake hears in every utterance.
	Transcript string
	// Transcripts, when set, replace Transcript: the nth utterance (the
	// nth stretch of audio with speech to be finalized, counting from 0)
	// is heard as Transcripts[n % len(Transcripts)].
	Transcripts []string
	// Recognize, when set, replaces both: it names the words of an
	// utterance from its audio. It is called with the utterance's samples
	// from its first speech to the last received (decoded to 16-bit PCM
	// whatever the encoding, at rate Hz) each time its words are needed:
	// with final false for an interim result, as more speech arrives (a
	// real recogniser's interim words change too), and once with final
	// true for its final result, with the whole utterance. It runs on the
	// connection's goroutine, one call at a time per connection, and must
	// be safe for concurrent use across connections; pcm is only valid
	// during the call. An utterance keeps at most its first two minutes of
	// audio for it.
	Recognize func(pcm []int16, rate int, final bool) string
	// KeepAudio records the audio of each connection as received, in
	// Session.Received.
	KeepAudio bool
	// InterimEvery is how much speech reveals one more word in interim
	// results (default 300 ms).
	InterimEvery time.Duration
	// Threshold is the RMS above which 10 ms of audio is speech (default
	// 300).
	Threshold float64
	// Status, when not 0, refuses every upgrade with this HTTP status and a
	// Deepgram error body.
	Status int
	// DropAfter, when positive, ends the connection once this much audio
	// has been received: abruptly (no close frame) when DropCode is 0, else
	// with a close frame carrying DropCode and DropReason.
	DropAfter  time.Duration
	DropCode   int
	DropReason string
	// Stall, once StallAfter of audio has been received (at once when
	// StallAfter is 0), stops reading and answering, as a hung server does,
	// until the server is closed.
	Stall      bool
	StallAfter time.Duration
	// IdleTimeout, when positive, closes a connection that receives neither
	// audio nor KeepAlive for that long with code 1011 and reason NET-0001,
	// as Deepgram does after about 10 s.
	IdleTimeout time.Duration
	// IgnoreFinalize never answers Finalize.
	IgnoreFinalize bool
}

// Session is what one connection received and sent.
type Session struct {
	// Query and Header are the handshake's.
	Query  url.Values
	Header http.Header
	// Audio is how many bytes of audio arrived, in Frames binary messages.
	Audio, Frames int
	// Received are those bytes, with Script.KeepAudio.
	Received []byte
	// Messages are the text messages received, as sent.
	Messages []string
	// Sent are the text messages the fake sent.
	Sent []string
	// CloseStream says whether CloseStream arrived.
	CloseStream bool
}

// Types returns the "type" of every text message received, in order.
func (s Session) Types() []string {
	out := make([]string, 0, len(s.Messages))
	for _, m := range s.Messages {
		var v struct {
			Type string `json:"type"`
		}
		json.Unmarshal([]byte(m), &v)
		out = append(out, v.Type)
	}
	return out
}

// Count returns how many messages of type typ were received.
func (s Session) Count(typ string) int {
	n := 0
	for _, t := range s.Types() {
		if t == typ {
			n++
		}
	}
	return n
}

// Server is the fake. Its zero value is not usable; call New.
type Server struct {
	// URL is the base URL clients use (http://127.0.0.1:port); the
	// websocket endpoint is URL + "/v1/listen".
	URL string

	script Script
	srv    *httptest.Server
	quit   chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex
	conns    map[*websocket.Conn]bool
	sessions []*Session
	accepted int
	rejected int
	closed   bool
	forget   bool // Unrecorded
}

// New starts a fake that behaves as script says. Close stops it.
func New(script Script) *Server {
	if script.Key == "" {
		script.Key = Key
	}
	if script.InterimEvery <= 0 {
		script.InterimEvery = 300 * time.Millisecond
	}
	if script.Threshold <= 0 {
		script.Threshold = 300
	}
	s := &Server{script: script, quit: make(chan struct{}), conns: map[*websocket.Conn]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/listen", s.listen)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close ends every connection and stops the server, waiting for its
// goroutines. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.quit)
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
	s.wg.Wait()
}

// Sessions returns copies of the connections' records so far, in the order
// they were accepted.
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, len(s.sessions))
	for i, r := range s.sessions {
		out[i] = *r
		out[i].Messages = append([]string(nil), r.Messages...)
		out[i].Sent = append([]string(nil), r.Sent...)
		out[i].Received = append([]byte(nil), r.Received...)
	}
	return out
}

// Unrecorded stops the server keeping a Session of each connection (its
// messages pile up under load): Sessions returns those that came before.
// Accepted still counts.
func (s *Server) Unrecorded() {
	s.mu.Lock()
	s.forget = true
	s.mu.Unlock()
}

// Accepted returns how many connections were accepted.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Rejected returns how many upgrades were refused.
func (s *Server) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// Wait polls the sessions until ok holds for them or timeout passes, and
// reports whether it held.
func (s *Server) Wait(timeout time.Duration, ok func([]Session) bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if ok(s.Sessions()) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// refuse answers the handshake with status and a body shaped like
// Deepgram's errors.
func (s *Server) refuse(w http.ResponseWriter, status int, code, msg string) {
	s.mu.Lock()
	s.rejected++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("dg-error", msg)
	w.Header().Set("dg-request-id", "00000000-0000-4000-8000-000000000000")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{
		"err_code":   code,
		"err_msg":    msg,
		"request_id": "00000000-0000-4000-8000-000000000000",
	})
}

// params are the query parameters the fake acts on.
type params struct {
	rate         int
	mulaw        bool // else linear16
	interim      bool
	vad          bool
	endpointing  int // samples of silence; 0 = off
	utteranceEnd int // samples without words; 0 = off
}

// encodings are Deepgram's raw audio encodings; the fake decodes two.
var encodings = map[string]bool{
	"linear16": true, "mulaw": true,
	"linear32": false, "flac": false, "alaw": false, "amr-nb": false, "amr-wb": false,
	"opus": false, "ogg-opus": false, "speex": false, "g729": false,
}

func (s *Server) params(q url.Values) (params, string) {
	enc := q.Get("encoding")
	switch decodes, known := encodings[enc]; {
	case enc == "":
		return params{}, "the fake takes raw audio: give encoding and sample_rate"
	case !known:
		return params{}, fmt.Sprintf("encoding %q is not one of Deepgram's", enc)
	case !decodes:
		return params{}, fmt.Sprintf("encoding %q is not supported by the fake (linear16 and mulaw only)", enc)
	}
	rate, err := strconv.Atoi(q.Get("sample_rate"))
	if err != nil || rate < 8000 || rate > 48000 {
		return params{}, fmt.Sprintf("sample_rate %q must be given with encoding", q.Get("sample_rate"))
	}
	if ch := q.Get("channels"); ch != "" && ch != "1" {
		return params{}, "the fake takes one channel"
	}
	p := params{rate: rate, mulaw: enc == "mulaw", interim: q.Get("interim_results") == "true", vad: q.Get("vad_events") == "true"}
	ms := 10 // Deepgram's default endpointing
	if e := q.Get("endpointing"); e == "false" {
		ms = 0
	} else if e != "" {
		if ms, err = strconv.Atoi(e); err != nil || ms < 0 {
			return params{}, fmt.Sprintf("endpointing %q", e)
		}
	}
	p.endpointing = ms * rate / 1000
	if u := q.Get("utterance_end_ms"); u != "" {
		ms, err := strconv.Atoi(u)
		if err != nil || ms < 0 {
			return params{}, fmt.Sprintf("utterance_end_ms %q", u)
		}
		if !p.interim {
			return params{}, "utterance_end_ms requires interim_results=true"
		}
		p.utteranceEnd = ms * rate / 1000
	}
	return p, ""
}

func (s *Server) listen(w http.ResponseWriter, r *http.Request) {
	if s.script.Status != 0 {
		s.refuse(w, s.script.Status, "SCRIPTED", http.StatusText(s.script.Status))
		return
	}
	scheme, key, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "token") || key != s.script.Key {
		s.refuse(w, http.StatusUnauthorized, "INVALID_AUTH", "Invalid credentials.")
		return
	}
	p, bad := s.params(r.URL.Query())
	if bad != "" {
		s.refuse(w, http.StatusBadRequest, "Bad Request", bad)
		return
	}
	// Recorded before the upgrade, so a client sees its session as soon
	// as its dial returns.
	rec := &Session{Query: r.URL.Query(), Header: r.Header.Clone()}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closing", http.StatusServiceUnavailable)
		return
	}
	record := !s.forget
	if record {
		s.sessions = append(s.sessions, rec)
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.conns[conn] = true
	s.accepted++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	c := &session{srv: s, conn: conn, rec: rec, record: record, p: p}
	c.next()
	c.run()
}

// session is one connection's recogniser. Positions are in samples of the
// received audio.
type session struct {
	srv    *Server
	conn   *websocket.Conn
	rec    *Session
	record bool // rec is kept (not Unrecorded)
	p      params
	words  []string
	heard  []int16 // the utterance from its first speech, for Recognize

	utterance    int  // utterances finalized
	pos          int  // samples received
	segStart     int  // first sample not finalized
	speech       int  // samples of speech since segStart
	speechStart  int  // first sample of speech since segStart
	speechEnd    int  // end of the last speech since segStart
	shown        int  // words shown in interims of this segment
	revealed     int  // words the speech of this segment may show
	silence      int  // samples of silence since the last speech
	inSpeech     bool // for SpeechStarted
	lastWordEnd  int  // end of the last finalized speech
	wordsPending bool // an UtteranceEnd is owed
	stalled      bool
}

// next sets the words of the coming utterance (with Recognize, once they
// are needed: recognize).
func (c *session) next() {
	c.heard = c.heard[:0]
	if c.srv.script.Recognize != nil {
		c.words = nil
		return
	}
	text := c.srv.script.Transcript
	if ts := c.srv.script.Transcripts; len(ts) > 0 {
		text = ts[c.utterance%len(ts)]
	}
	c.words = strings.Fields(text)
}

// maxHeard bounds the audio of an utterance kept for Recognize.
const maxHeard = 120 // seconds

// recognize, with Script.Recognize, names the words of the utterance so
// far.
func (c *session) recognize(final bool) {
	if r := c.srv.script.Recognize; r != nil {
		c.words = strings.Fields(r(c.heard, c.p.rate, final))
	}
}

func (c *session) run() {
	script := c.srv.script
	for {
		if script.Stall && c.pos >= c.samples(script.StallAfter) {
			c.stalled = true
		}
		if c.stalled {
			<-c.srv.quit
			return
		}
		if script.IdleTimeout > 0 {
			c.conn.SetReadDeadline(time.Now().Add(script.IdleTimeout))
		}
		typ, data, err := c.conn.ReadMessage()
		if err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				c.closeWith(websocket.CloseInternalServerErr, "NET-0001")
			}
			return
		}
		switch typ {
		case websocket.BinaryMessage:
			if c.record {
				c.srv.mu.Lock()
				c.rec.Audio += len(data)
				c.rec.Frames++
				if script.KeepAudio {
					c.rec.Received = append(c.rec.Received, data...)
				}
				c.srv.mu.Unlock()
			}
			if !c.audio(data) {
				return
			}
		case websocket.TextMessage:
			if c.record {
				c.srv.mu.Lock()
				c.rec.Messages = append(c.rec.Messages, string(data))
				c.srv.mu.Unlock()
			}
			if !c.control(data) {
				return
			}
		}
	}
}

// closeWith sends a close frame and gives the client a moment to answer.
func (c *session) closeWith(code int, reason string) {
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

func (c *session) send(v any) bool {
	b, _ := json.Marshal(v)
	if c.record {
		c.srv.mu.Lock()
		c.rec.Sent = append(c.rec.Sent, string(b))
		c.srv.mu.Unlock()
	}
	return c.conn.WriteMessage(websocket.TextMessage, b) == nil
}

func (c *session) seconds(samples int) float64 {
	return math.Round(float64(samples)/float64(c.p.rate)*1000) / 1000
}

// sample is the jth sample of data, in the connection's encoding.
func (c *session) sample(data []byte, j int) int16 {
	if c.p.mulaw {
		return ulawTable[data[j]]
	}
	return int16(binary.LittleEndian.Uint16(data[2*j:]))
}

// audio processes received audio 10 ms at a time; false ends the
// connection.
func (c *session) audio(data []byte) bool {
	script := c.srv.script
	chunk := c.p.rate / 100
	samples := len(data) / 2
	if c.p.mulaw {
		samples = len(data)
	}
	for i := 0; i < samples; i += chunk {
		n := min(chunk, samples-i)
		var sum float64
		for j := i; j < i+n; j++ {
			v := float64(c.sample(data, j))
			sum += v * v
		}
		start := c.pos
		c.pos += n
		speech := math.Sqrt(sum/float64(n)) >= script.Threshold
		if script.Recognize != nil && (speech || len(c.heard) > 0) && len(c.heard) < maxHeard*c.p.rate {
			for j := i; j < i+n; j++ {
				c.heard = append(c.heard, c.sample(data, j))
			}
		}
		if speech {
			if !c.speechChunk(start) {
				return false
			}
		} else if !c.silenceChunk(n) {
			return false
		}
		if script.DropAfter > 0 && c.pos >= c.samples(script.DropAfter) {
			if script.DropCode != 0 {
				c.closeWith(script.DropCode, script.DropReason)
			}
			return false
		}
		if script.Stall && c.pos >= c.samples(script.StallAfter) {
			c.stalled = true
			return true
		}
	}
	return true
}

func (c *session) samples(d time.Duration) int {
	return int(d.Seconds() * float64(c.p.rate))
}

func (c *session) speechChunk(start int) bool {
	if !c.inSpeech && c.p.vad {
		if !c.send(map[string]any{"type": "SpeechStarted", "channel": []int{0}, "timestamp": c.seconds(start)}) {
			return false
		}
	}
	c.inSpeech = true
	if c.speech == 0 {
		c.speechStart = start
	}
	c.speech += c.pos - start
	c.speechEnd = c.pos
	c.silence = 0
	if len(c.words) > 0 || c.srv.script.Recognize != nil {
		c.lastWordEnd, c.wordsPending = c.pos, true
	}
	if !c.p.interim {
		return true
	}
	if k := c.speech / c.samples(c.srv.script.InterimEvery); k > c.revealed {
		c.revealed = k
		c.recognize(false)
		if k = min(k, len(c.words)); k > c.shown {
			c.shown = k
			return c.results(c.words[:k], false, false, false)
		}
	}
	return true
}

func (c *session) silenceChunk(n int) bool {
	c.silence += n
	if c.silence >= c.p.rate/10 {
		c.inSpeech = false
	}
	if c.speech > 0 && c.p.endpointing > 0 && c.silence >= c.p.endpointing {
		if !c.final(true, false) {
			return false
		}
	}
	if c.wordsPending && c.p.utteranceEnd > 0 && c.pos-c.lastWordEnd >= c.p.utteranceEnd {
		c.wordsPending = false
		return c.send(map[string]any{"type": "UtteranceEnd", "channel": []int{0, 1}, "last_word_end": c.seconds(c.lastWordEnd)})
	}
	return true
}

// final finalizes the audio since segStart.
func (c *session) final(speechFinal, fromFinalize bool) bool {
	var words []string
	if c.speech > 0 {
		c.recognize(true)
		words = c.words
	}
	ok := c.results(words, true, speechFinal, fromFinalize)
	if c.speech > 0 {
		c.utterance++
		c.next()
	}
	c.segStart, c.speech, c.shown, c.revealed = c.pos, 0, 0, 0
	return ok
}

// results sends a Results message with words spread evenly over the
// speech since segStart.
func (c *session) results(words []string, isFinal, speechFinal, fromFinalize bool) bool {
	conf := 0.0
	if len(words) > 0 {
		conf = 0.98
	}
	timed := make([]any, len(words))
	for i, w := range words {
		span := float64(c.speechEnd-c.speechStart) / float64(len(words))
		start := float64(c.speechStart) + float64(i)*span
		timed[i] = map[string]any{
			"word": strings.ToLower(w), "punctuated_word": w, "confidence": conf,
			"start": c.seconds(int(start)), "end": c.seconds(int(start + span)),
		}
	}
	text := strings.Join(words, " ")
	m := map[string]any{
		"type":          "Results",
		"channel_index": []int{0, 1},
		"duration":      c.seconds(c.pos - c.segStart),
		"start":         c.seconds(c.segStart),
		"is_final":      isFinal,
		"speech_final":  speechFinal,
		"channel": map[string]any{"alternatives": []any{map[string]any{
			"transcript": text, "confidence": conf, "words": timed,
		}}},
		"metadata": map[string]any{
			"request_id": "00000000-0000-4000-8000-000000000000",
			"model_info": map[string]any{"name": "general-nova-3", "version": "fake", "arch": "nova-3"},
			"model_uuid": "00000000-0000-4000-8000-000000000001",
		},
	}
	if fromFinalize {
		m["from_finalize"] = true
	}
	return c.send(m)
}

// control handles a text message; false ends the connection.
func (c *session) control(data []byte) bool {
	var m struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		c.closeWith(websocket.ClosePolicyViolation, "DATA-0000")
		return false
	}
	switch m.Type {
	case "KeepAlive":
	case "Finalize":
		if c.srv.script.IgnoreFinalize || c.pos == c.segStart {
			return true
		}
		return c.final(false, true)
	case "CloseStream":
		if c.record {
			c.srv.mu.Lock()
			c.rec.CloseStream = true
			c.srv.mu.Unlock()
		}
		if c.pos > c.segStart && !c.final(false, false) {
			return false
		}
		c.send(map[string]any{
			"type":            "Metadata",
			"transaction_key": "deprecated",
			"request_id":      "00000000-0000-4000-8000-000000000000",
			"sha256":          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			"created":         time.Now().UTC().Format(time.RFC3339Nano),
			"duration":        c.seconds(c.pos),
			"channels":        1,
		})
		c.closeWith(websocket.CloseNormalClosure, "")
		// Wait briefly for the client's close frame, as a polite server does.
		c.conn.SetReadDeadline(time.Now().Add(time.Second))
		for {
			if _, _, err := c.conn.ReadMessage(); err != nil {
				return false
			}
		}
	}
	return true
}

// ulawTable decodes G.711 μ-law: G.191's ulaw_expand for each code.
var ulawTable = func() (t [256]int16) {
	for i := range t {
		m := ^byte(i)
		exp := int32(m>>4) & 7
		step := int32(4) << (exp + 1)
		v := int32(0x80)<<exp + step*int32(m&0x0F) + step/2 - 4*33
		if i < 0x80 {
			v = -v
		}
		t[i] = int16(v)
	}
	return t
}()

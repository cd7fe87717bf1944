package openaitest

// The audio endpoints: POST /v1/audio/transcriptions (multipart/form-data
// with a WAV file, answered with its text) and POST /v1/audio/speech (JSON,
// answered with raw 24 kHz PCM of a tone, streamed in chunks), with the
// same scripted errors, delays and hangs as the chat endpoint. Requests are
// decoded strictly, as the real API does: unknown JSON fields, a file that
// is not a WAV, less than 0.1 s of audio and a missing field are 400s.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultHeard is what the fake recognises in any audio that is not
// silence, unless a test scripts otherwise.
const DefaultHeard = "quiero una cita"

// SpeechRate is the sample rate of the PCM the speech endpoint answers.
const SpeechRate = 24000

// SpeechTone is the frequency in Hz of the tone the speech endpoint
// answers, so that tests can assert the audio by frequency.
const SpeechTone = 440

// Transcription is a request to /v1/audio/transcriptions as the server
// received it, with its WAV file decoded.
type Transcription struct {
	Model, Language, Prompt, ResponseFormat string
	// Filename and ContentType are those of the file part.
	Filename, ContentType string
	// SampleRate, Channels and Bits are what the WAV header says; PCM holds
	// its samples (interleaved, if there were several channels).
	SampleRate, Channels, Bits int
	PCM                        []int16
	Duration                   time.Duration
	Header                     http.Header
	Path                       string
}

// Speech is a request to /v1/audio/speech as the server received it.
type Speech struct {
	Model          string      `json:"model"`
	Input          string      `json:"input"`
	Voice          string      `json:"voice"`
	ResponseFormat string      `json:"response_format"`
	Instructions   string      `json:"instructions"`
	Speed          *float64    `json:"speed"`
	StreamFormat   string      `json:"stream_format"`
	Header         http.Header `json:"-"`
	Path           string      `json:"-"`
}

// AudioReply scripts the server's answer to one audio request.
type AudioReply struct {
	// Status, when not 0 or 200, answers with that HTTP status and an
	// OpenAI error body with Message (default the status text; 429 carries
	// Retry-After: RetryAfter seconds).
	Status     int
	RetryAfter int
	Message    string
	// Text is the transcription (default DefaultHeard, or "" for audio
	// whose loudest sample is below -30 dBFS).
	Text string
	// Raw, when set, is written as the whole body with status 200.
	Raw string
	// Delay comes before the first byte.
	Delay time.Duration
	// Hang never answers: the handler returns when the client gives up.
	Hang bool

	// Speech only. Tone is the tone's frequency in Hz (default SpeechTone),
	// Duration its length (default 60 ms per character of input, at most
	// 30 s). It is written Chunk bytes at a time
	// (default 4800, 100 ms; odd sizes split samples), flushed, with Gap
	// between chunks.
	Tone     float64
	Duration time.Duration
	Chunk    int
	Gap      time.Duration
	// Hold, when not nil, is waited for after the first chunk: the client
	// must be able to read it before the rest is sent.
	Hold <-chan struct{}
	// CutAfter, when positive, breaks the connection after that many bytes
	// of audio, without ending the body properly.
	CutAfter int
}

// audioFake holds the audio endpoints' state; it is the handler of their
// routes.
type audioFake struct {
	mu             sync.Mutex
	transcriptions []*Transcription
	speeches       []*Speech
	onTranscribe   func(*Transcription) AudioReply
	onSpeech       func(*Speech) AudioReply
	forget         bool // requests are not kept (Server.Unrecorded)
}

// audioRoutes registers the audio endpoints on mux.
func (s *Server) audioRoutes(mux *http.ServeMux) {
	s.audio = &audioFake{}
	for _, prefix := range []string{"/v1", "/openai/deployments/{deployment}"} {
		mux.Handle("POST "+prefix+"/audio/transcriptions", s.audio)
		mux.Handle("POST "+prefix+"/audio/speech", s.audio)
	}
}

// OnTranscription scripts the answers to transcription requests; nil
// restores the default (DefaultHeard for audio that is not silence). f
// runs on the server's goroutines and must be safe for concurrent use.
func (s *Server) OnTranscription(f func(*Transcription) AudioReply) {
	a := s.audio
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onTranscribe = f
}

// OnSpeech scripts the answers to speech requests; nil restores the
// default (a tone 60 ms per character long). f runs on the server's
// goroutines and must be safe for concurrent use.
func (s *Server) OnSpeech(f func(*Speech) AudioReply) {
	a := s.audio
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onSpeech = f
}

// Transcriptions returns the transcription requests received so far,
// valid or not.
func (s *Server) Transcriptions() []*Transcription {
	a := s.audio
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*Transcription(nil), a.transcriptions...)
}

// Speeches returns the speech requests received so far, valid or not.
func (s *Server) Speeches() []*Speech {
	a := s.audio
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*Speech(nil), a.speeches...)
}

// Limits of the real API.
const (
	maxAudioFile  = 25 << 20 // bytes of an uploaded file
	minAudio      = 100 * time.Millisecond
	maxInput      = 4096 // characters of text to speak
	maxSpeech     = 30 * time.Second
	speechPerChar = 60 * time.Millisecond
	silencePeak   = 1036 // -30 dBFS
)

func (a *audioFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/audio/speech") {
		a.speak(w, r)
	} else {
		a.transcribe(w, r)
	}
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf(format, args...), 0)
}

// answer handles what every scripted reply may say before the body: a
// hang, a delay, an error status or a raw body. It reports whether the
// handler should go on.
func answer(w http.ResponseWriter, r *http.Request, rep AudioReply) bool {
	if rep.Hang {
		<-r.Context().Done()
		return false
	}
	if !sleep(r, rep.Delay) {
		return false
	}
	switch {
	case rep.Raw != "":
		io.WriteString(w, rep.Raw)
		return false
	case rep.Status != 0 && rep.Status != http.StatusOK:
		kind := "invalid_request_error"
		switch {
		case rep.Status == http.StatusTooManyRequests:
			kind = "rate_limit_exceeded"
		case rep.Status >= 500:
			kind = "server_error"
		}
		msg := rep.Message
		if msg == "" {
			msg = http.StatusText(rep.Status)
		}
		writeError(w, rep.Status, kind, msg, rep.RetryAfter)
		return false
	}
	return true
}

func (a *audioFake) transcribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAudioFile+1<<20)
	req := &Transcription{Header: r.Header.Clone(), Path: r.URL.Path}
	a.mu.Lock()
	if !a.forget {
		a.transcriptions = append(a.transcriptions, req)
	}
	a.mu.Unlock()
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "Maximum content size limit exceeded.", 0)
			return
		}
		badRequest(w, "could not parse multipart form: %v", err)
		return
	}
	defer r.MultipartForm.RemoveAll()
	value := func(name string) string {
		if v := r.MultipartForm.Value[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	req.Model, req.Language, req.Prompt, req.ResponseFormat = value("model"), value("language"), value("prompt"), value("response_format")
	files := r.MultipartForm.File["file"]
	if len(files) == 0 {
		badRequest(w, "you must provide a file")
		return
	}
	req.Filename, req.ContentType = files[0].Filename, files[0].Header.Get("Content-Type")
	if req.Model == "" {
		badRequest(w, "you must provide a model parameter")
		return
	}
	f, err := files[0].Open()
	if err != nil {
		badRequest(w, "could not read the file: %v", err)
		return
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		badRequest(w, "could not read the file: %v", err)
		return
	}
	if !strings.HasSuffix(strings.ToLower(req.Filename), ".wav") {
		badRequest(w, "Invalid file format. The fake server reads only wav.")
		return
	}
	wav, err := parseWAV(data)
	if err != nil {
		badRequest(w, "Invalid file format: %v", err)
		return
	}
	a.mu.Lock()
	req.SampleRate, req.Channels, req.Bits, req.PCM = wav.rate, wav.channels, wav.bits, wav.pcm
	req.Duration = time.Duration(len(wav.pcm)/wav.channels) * time.Second / time.Duration(wav.rate)
	onTranscribe := a.onTranscribe
	a.mu.Unlock()
	if req.Duration < minAudio {
		badRequest(w, "Audio file is too short. Minimum audio length is 0.1 seconds.")
		return
	}
	if req.Language != "" && len(req.Language) != 2 {
		badRequest(w, "Invalid language %q. Language parameter must be specified in ISO-639-1 format.", req.Language)
		return
	}
	rep := AudioReply{}
	if onTranscribe != nil {
		rep = onTranscribe(req)
	}
	if !answer(w, r, rep) {
		return
	}
	text := rep.Text
	if text == "" && peak(wav.pcm) >= silencePeak {
		text = DefaultHeard
	}
	switch req.ResponseFormat {
	case "", "json":
		writeJSON(w, obj{"text": text})
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, text+"\n")
	case "verbose_json":
		writeJSON(w, obj{"task": "transcribe", "language": req.Language, "duration": req.Duration.Seconds(), "text": text, "segments": []obj{}})
	default:
		badRequest(w, "response_format %q is not supported by the fake server", req.ResponseFormat)
	}
}

func peak(pcm []int16) int {
	m := 0
	for _, s := range pcm {
		m = max(m, abs(int(s)))
	}
	return m
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

type wavData struct {
	rate, channels, bits int
	pcm                  []int16
}

// parseWAV reads a whole RIFF/WAVE file of 16-bit PCM strictly: the RIFF
// size must be the file's, the fmt chunk consistent and before the data,
// and the data chunk whole.
func parseWAV(b []byte) (wavData, error) {
	var w wavData
	le := binary.LittleEndian
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return w, errors.New("no RIFF/WAVE header")
	}
	if n := le.Uint32(b[4:8]); int64(n) != int64(len(b))-8 {
		return w, fmt.Errorf("RIFF size %d for a file of %d bytes", n, len(b))
	}
	haveFmt := false
	for rest := b[12:]; ; {
		if len(rest) < 8 {
			return w, errors.New("no data chunk")
		}
		id, size := string(rest[0:4]), int64(le.Uint32(rest[4:8]))
		rest = rest[8:]
		if size > int64(len(rest)) {
			return w, fmt.Errorf("chunk %q of %d bytes in %d", id, size, len(rest))
		}
		body := rest[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return w, fmt.Errorf("fmt chunk of %d bytes", size)
			}
			format, channels, rate := le.Uint16(body[0:2]), int(le.Uint16(body[2:4])), int(le.Uint32(body[4:8]))
			byteRate, align, bits := int(le.Uint32(body[8:12])), int(le.Uint16(body[12:14])), int(le.Uint16(body[14:16]))
			if format != 1 || bits != 16 {
				return w, fmt.Errorf("format %d with %d bits, want PCM (1) with 16", format, bits)
			}
			if channels < 1 || rate < 1000 || rate > 192000 || align != channels*2 || byteRate != rate*align {
				return w, fmt.Errorf("inconsistent fmt: %d channels at %d Hz, block %d, %d bytes/s", channels, rate, align, byteRate)
			}
			w.rate, w.channels, w.bits, haveFmt = rate, channels, bits, true
		case "data":
			if !haveFmt {
				return w, errors.New("data before fmt")
			}
			if size%int64(2*w.channels) != 0 {
				return w, fmt.Errorf("data of %d bytes is not whole frames", size)
			}
			w.pcm = make([]int16, size/2)
			for i := range w.pcm {
				w.pcm[i] = int16(le.Uint16(body[2*i:]))
			}
			return w, nil
		}
		rest = rest[size+size%2:]
	}
}

func (a *audioFake) speak(w http.ResponseWriter, r *http.Request) {
	req := &Speech{Header: r.Header.Clone(), Path: r.URL.Path}
	a.mu.Lock()
	if !a.forget {
		a.speeches = append(a.speeches, req)
	}
	a.mu.Unlock()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		badRequest(w, "could not read the body: %v", err)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var got Speech
	if err := dec.Decode(&got); err != nil {
		badRequest(w, "could not parse the JSON body: %v", err)
		return
	}
	a.mu.Lock()
	got.Header, got.Path = req.Header, req.Path
	*req = got
	onSpeech := a.onSpeech
	a.mu.Unlock()
	switch {
	case req.Model == "":
		badRequest(w, "you must provide a model parameter")
		return
	case req.Input == "":
		badRequest(w, "input is required")
		return
	case utf8.RuneCountInString(req.Input) > maxInput:
		badRequest(w, "input is longer than %d characters", maxInput)
		return
	case req.Voice == "":
		badRequest(w, "voice is required")
		return
	case req.ResponseFormat != "pcm":
		badRequest(w, "response_format %q: the fake server speaks only pcm", req.ResponseFormat)
		return
	case req.Speed != nil && (*req.Speed < 0.25 || *req.Speed > 4):
		badRequest(w, "speed %v out of [0.25, 4]", *req.Speed)
		return
	}
	rep := AudioReply{}
	if onSpeech != nil {
		rep = onSpeech(req)
	}
	if !answer(w, r, rep) {
		return
	}
	d := rep.Duration
	if d <= 0 {
		d = min(maxSpeech, time.Duration(utf8.RuneCountInString(req.Input))*speechPerChar)
	}
	pcm := make([]byte, 2*int(d.Seconds()*SpeechRate))
	if rep.Tone > 0 && rep.Tone != SpeechTone {
		for i := 0; i < len(pcm); i += 2 {
			v := int16(math.Round(8000 * math.Sin(2*math.Pi*rep.Tone*float64(i/2)/SpeechRate)))
			binary.LittleEndian.PutUint16(pcm[i:], uint16(v))
		}
	} else {
		for i := 0; i < len(pcm); i += len(tonePeriod) {
			copy(pcm[i:], tonePeriod)
		}
	}
	chunk := rep.Chunk
	if chunk <= 0 {
		chunk = 4800
	}
	w.Header().Set("Content-Type", "audio/pcm")
	w.Header().Set("X-Sample-Rate", strconv.Itoa(SpeechRate))
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	for sent := 0; sent < len(pcm); {
		if sent > 0 && !sleep(r, rep.Gap) {
			return
		}
		n := min(chunk, len(pcm)-sent)
		if rep.CutAfter > 0 && sent+n >= rep.CutAfter {
			w.Write(pcm[sent:rep.CutAfter])
			if flusher != nil {
				flusher.Flush()
			}
			panic(http.ErrAbortHandler) // the connection breaks mid-body
		}
		if _, err := w.Write(pcm[sent : sent+n]); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		if sent == 0 && rep.Hold != nil {
			select {
			case <-rep.Hold:
			case <-r.Context().Done():
				return
			}
		}
		sent += n
	}
}

// tonePeriod is the speech tone's shortest whole period of samples, as
// little-endian PCM: 600 samples at 24 kHz hold 11 cycles of 440 Hz.
var tonePeriod = func() []byte {
	n := SpeechRate / gcd(SpeechRate, SpeechTone)
	b := make([]byte, 2*n)
	for i := range n {
		v := int16(math.Round(8000 * math.Sin(2*math.Pi*SpeechTone*float64(i)/SpeechRate)))
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}()

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

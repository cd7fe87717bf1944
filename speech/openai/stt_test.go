package openai_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/speech/openai"
	"github.com/voiceagent/voiceagent/speech/speechtest"
)

const key = "sk-test-SECRET-0123456789"

// logs is a logger that keeps what it logs, for assertions.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logs) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// newSTT returns a client of srv with c's settings and the test key.
func newSTT(t *testing.T, srv *openaitest.Server, c openai.Config) (*openai.STT, *logs) {
	t.Helper()
	l := &logs{}
	if c.BaseURL == "" {
		c.BaseURL = srv.URL
	}
	c.APIKey, c.Logger = key, l.logger()
	stt, err := openai.NewSTT(c)
	if err != nil {
		t.Fatal(err)
	}
	return stt, l
}

// open starts a stream closed at the end of t.
func open(t *testing.T, stt speech.STT, rate int) speech.Stream {
	t.Helper()
	s, err := stt.Stream(context.Background(), rate)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// say writes d of a 440 Hz tone in 20 ms frames and flushes.
func say(t *testing.T, s speech.Stream, rate int, d time.Duration) {
	t.Helper()
	pcm := speechtest.Tone(rate, d)
	for i := 0; i < len(pcm); i += rate / 50 {
		if err := s.Write(pcm[i:min(i+rate/50, len(pcm))]); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// recv is Recv with a deadline.
func recv(t *testing.T, s speech.Stream) (speech.Transcript, error) {
	t.Helper()
	type result struct {
		tr  speech.Transcript
		err error
	}
	c := make(chan result, 1)
	go func() {
		tr, err := s.Recv()
		c <- result{tr, err}
	}()
	select {
	case r := <-c:
		return r.tr, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Recv blocked for 10s")
	}
	return speech.Transcript{}, nil
}

// The request is the API's: multipart/form-data with a WAV file of the
// utterance at the stream's rate, the model, the language, the prompt and
// response_format json, the key as a bearer token.
func TestSTTRequest(t *testing.T) {
	for _, c := range []struct {
		name       string
		cfg        openai.Config
		rate       int
		model      string
		language   string
		authHeader string
		path       string
	}{
		{"defaults", openai.Config{}, 16000, "whisper-1", "", "Bearer " + key, "/v1/audio/transcriptions"},
		{"es at 8 kHz", openai.Config{Model: "gpt-4o-mini-transcribe", Language: "es", Prompt: "Citas, DNI"}, 8000, "gpt-4o-mini-transcribe", "es", "Bearer " + key, "/v1/audio/transcriptions"},
		{"en at 24 kHz", openai.Config{Language: "en"}, 24000, "whisper-1", "en", "Bearer " + key, "/v1/audio/transcriptions"},
		{"azure", openai.Config{Azure: true, Model: "my-whisper"}, 16000, "my-whisper", "", "", "/openai/deployments/my-whisper/audio/transcriptions"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := fake(t)
			cfg := c.cfg
			if cfg.Azure {
				cfg.BaseURL = strings.TrimSuffix(srv.URL, "/v1")
			}
			stt, _ := newSTT(t, srv, cfg)
			s := open(t, stt, c.rate)
			say(t, s, c.rate, 800*time.Millisecond)
			if tr, err := recv(t, s); err != nil || tr.Text != openaitest.DefaultHeard || !tr.Final {
				t.Fatalf("Recv = %+v, %v", tr, err)
			}
			reqs := srv.Transcriptions()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Path != c.path {
				t.Errorf("path %q, want %q", r.Path, c.path)
			}
			if got := r.Header.Get("Authorization"); got != c.authHeader {
				t.Errorf("Authorization %q, want %q", got, c.authHeader)
			}
			if cfg.Azure && r.Header.Get("api-key") != key {
				t.Errorf("api-key %q, want the key", r.Header.Get("api-key"))
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data; boundary=") {
				t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
			}
			if r.Model != c.model || r.Language != c.language || r.Prompt != cfg.Prompt || r.ResponseFormat != "json" {
				t.Errorf("model %q language %q prompt %q format %q", r.Model, r.Language, r.Prompt, r.ResponseFormat)
			}
			if r.Filename != "utterance.wav" || r.ContentType != "audio/wav" {
				t.Errorf("file %q of type %q", r.Filename, r.ContentType)
			}
			if r.SampleRate != c.rate || r.Channels != 1 || r.Bits != 16 {
				t.Errorf("WAV %d Hz, %d channels, %d bits", r.SampleRate, r.Channels, r.Bits)
			}
			if r.Duration != 800*time.Millisecond {
				t.Errorf("WAV of %v, want 800ms", r.Duration)
			}
			if f := dominant(r.PCM, r.SampleRate); f != 440 {
				t.Errorf("the WAV holds a %v Hz tone, want 440", f)
			}
		})
	}
}

// dominant returns which of a few frequencies is strongest in pcm.
func dominant(pcm []int16, rate int) float64 {
	best, bestAmp := 0.0, 0.0
	for _, f := range []float64{220, 330, 440, 550, 880, 1000} {
		if a := goertzel(pcm, rate, f); a > bestAmp {
			best, bestAmp = f, a
		}
	}
	return best
}

// goertzel is the amplitude of the freq component of x.
func goertzel(x []int16, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	return 2 * math.Hypot(s1-s2*math.Cos(w), s2*math.Sin(w)) / float64(len(x))
}

// Flushes of nothing, of silence and of less than 100 ms give empty
// finals without a request (the API refuses less than 0.1 s, and models
// invent words out of silence).
func TestSTTSilenceIsNotSent(t *testing.T) {
	srv := fake(t)
	stt, _ := newSTT(t, srv, openai.Config{})
	s := open(t, stt, 16000)
	quiet := speechtest.Tone(16000, time.Second)
	for i := range quiet {
		quiet[i] /= 40 // 200: below -40 dBFS
	}
	s.Flush()
	s.Write(make([]int16, 16000))
	s.Flush()
	s.Write(quiet)
	s.Flush()
	s.Write(speechtest.Tone(16000, 90*time.Millisecond))
	s.Flush()
	for i := range 4 {
		if tr, err := recv(t, s); err != nil || tr.Text != "" || !tr.Final {
			t.Errorf("flush %d: %+v, %v; want an empty final", i+1, tr, err)
		}
	}
	if n := len(srv.Transcriptions()); n != 0 {
		t.Errorf("%d requests for silence", n)
	}
}

// Finals come in the order of the Flushes even when the first request is
// the last to finish, and requests overlap: the first one's answer waits
// until the third has arrived.
func TestSTTOrder(t *testing.T) {
	srv := fake(t)
	third := make(chan struct{})
	srv.OnTranscription(func(r *openaitest.Transcription) openaitest.AudioReply {
		switch r.Duration {
		case 400 * time.Millisecond:
			select {
			case <-third:
			case <-time.After(5 * time.Second):
				return openaitest.AudioReply{Text: "the requests did not overlap"}
			}
		case 200 * time.Millisecond:
			close(third)
		}
		return openaitest.AudioReply{Text: r.Duration.String()}
	})
	stt, _ := newSTT(t, srv, openai.Config{})
	s := open(t, stt, 16000)
	durations := []time.Duration{400 * time.Millisecond, 300 * time.Millisecond, 200 * time.Millisecond}
	for _, d := range durations {
		say(t, s, 16000, d)
	}
	for i, d := range durations {
		if tr, err := recv(t, s); err != nil || tr.Text != d.String() {
			t.Errorf("final %d: %q, %v; want %q", i+1, tr.Text, err, d)
		}
	}
}

// An utterance that fails for a reason of its own or a passing one gives
// an empty final, logged without the key, and the stream goes on; a wrong
// key or model ends the stream with an error that says so.
func TestSTTFailures(t *testing.T) {
	for _, c := range []struct {
		name  string
		reply openaitest.AudioReply
		ends  error // nil: the stream survives
	}{
		{"500", openaitest.AudioReply{Status: 500}, nil},
		{"503", openaitest.AudioReply{Status: 503, Message: "overloaded"}, nil},
		{"429", openaitest.AudioReply{Status: 429, RetryAfter: 3}, nil},
		{"400", openaitest.AudioReply{Status: 400, Message: "Audio file might be corrupted or unsupported"}, nil},
		{"malformed", openaitest.AudioReply{Raw: `{"txt": "hola"}`}, nil},
		{"not json", openaitest.AudioReply{Raw: `<html>oops ` + key + `</html>`}, nil},
		{"timeout", openaitest.AudioReply{Hang: true}, nil},
		{"401", openaitest.AudioReply{Status: 401, Message: "Incorrect API key provided: " + key + "."}, openai.ErrAuth},
		{"403", openaitest.AudioReply{Status: 403, Message: "Project does not have access to model"}, openai.ErrAuth},
		{"404", openaitest.AudioReply{Status: 404, Message: "The model `whisper-9` does not exist"}, openai.ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := fake(t)
			var mu sync.Mutex
			first := true
			srv.OnTranscription(func(*openaitest.Transcription) openaitest.AudioReply {
				mu.Lock()
				defer mu.Unlock()
				if first {
					first = false
					return c.reply
				}
				return openaitest.AudioReply{}
			})
			timeout := time.Duration(0) // the default, for a machine under load
			if c.reply.Hang {
				timeout = 300 * time.Millisecond
			}
			stt, l := newSTT(t, srv, openai.Config{Timeout: timeout})
			s := open(t, stt, 16000)
			say(t, s, 16000, 300*time.Millisecond)
			tr, err := recv(t, s)
			if c.ends != nil {
				if !errors.Is(err, c.ends) {
					t.Fatalf("Recv = %+v, %v; want %v", tr, err, c.ends)
				}
				if strings.Contains(err.Error(), key) {
					t.Errorf("the error shows the key: %v", err)
				}
				if _, err2 := recv(t, s); !errors.Is(err2, c.ends) {
					t.Errorf("second Recv: %v, want the same error", err2)
				}
				if err := s.Write(make([]int16, 320)); !errors.Is(err, c.ends) {
					t.Errorf("Write after the end: %v", err)
				}
				if err := s.Flush(); !errors.Is(err, c.ends) {
					t.Errorf("Flush after the end: %v", err)
				}
			} else {
				if err != nil || tr.Text != "" || !tr.Final {
					t.Fatalf("Recv = %+v, %v; want an empty final", tr, err)
				}
				say(t, s, 16000, 300*time.Millisecond)
				if tr, err := recv(t, s); err != nil || tr.Text != openaitest.DefaultHeard {
					t.Errorf("the next utterance: %+v, %v", tr, err)
				}
			}
			if out := l.String(); !strings.Contains(out, "transcription failed") || strings.Contains(out, key) {
				t.Errorf("log (want the failure, without the key):\n%s", out)
			}
		})
	}
}

// An unreachable server is a temporary failure.
func TestSTTUnreachable(t *testing.T) {
	srv := openaitest.New(openaitest.Always(openaitest.Reply{}))
	url := srv.URL
	srv.Close()
	stt, l := newSTT(t, srv, openai.Config{BaseURL: url})
	s := open(t, stt, 16000)
	say(t, s, 16000, 300*time.Millisecond)
	if tr, err := recv(t, s); err != nil || tr.Text != "" {
		t.Fatalf("Recv = %+v, %v", tr, err)
	}
	if !strings.Contains(l.String(), "temporary=true") {
		t.Errorf("log:\n%s", l)
	}
}

// Audio beyond MaxUtterance is dropped: the request holds the start.
func TestSTTMaxUtterance(t *testing.T) {
	srv := fake(t)
	stt, l := newSTT(t, srv, openai.Config{MaxUtterance: 500 * time.Millisecond})
	s := open(t, stt, 8000)
	say(t, s, 8000, 2*time.Second)
	if tr, err := recv(t, s); err != nil || tr.Text != openaitest.DefaultHeard {
		t.Fatalf("Recv = %+v, %v", tr, err)
	}
	if d := srv.Transcriptions()[0].Duration; d != 500*time.Millisecond {
		t.Errorf("sent %v, want 500ms", d)
	}
	if !strings.Contains(l.String(), "utterance too long") {
		t.Errorf("log:\n%s", l)
	}
	// The next utterance starts afresh.
	say(t, s, 8000, 200*time.Millisecond)
	recv(t, s)
	if d := srv.Transcriptions()[1].Duration; d != 200*time.Millisecond {
		t.Errorf("sent %v, want 200ms", d)
	}
}

// The quiet before the caller speaks (the agent talking, say) is not
// sent, but for the 300 ms just before the voice.
func TestSTTLeadingQuiet(t *testing.T) {
	srv := fake(t)
	stt, _ := newSTT(t, srv, openai.Config{})
	s := open(t, stt, 8000)
	quiet := make([]int16, 160)
	for range 150 { // 3 s
		s.Write(quiet)
	}
	say(t, s, 8000, 500*time.Millisecond)
	if tr, err := recv(t, s); err != nil || tr.Text != openaitest.DefaultHeard {
		t.Fatalf("Recv = %+v, %v", tr, err)
	}
	// Less than the pre-roll of quiet, then voice: all of it is sent.
	for range 5 {
		s.Write(quiet)
	}
	say(t, s, 8000, 200*time.Millisecond)
	recv(t, s)
	got := srv.Transcriptions()
	if len(got) != 2 || got[0].Duration != 800*time.Millisecond || got[1].Duration != 300*time.Millisecond {
		for _, r := range got {
			t.Errorf("sent %v", r.Duration)
		}
		t.Fatal("want 800ms (300ms of quiet and the voice), then 300ms")
	}
	for i, v := range got[0].PCM[:2400] {
		if v != 0 {
			t.Fatalf("sample %d of the pre-roll is %d, want the quiet", i, v)
		}
	}
}

// Write copies: the caller may reuse its frame.
func TestSTTWriteCopies(t *testing.T) {
	srv := fake(t)
	stt, _ := newSTT(t, srv, openai.Config{})
	s := open(t, stt, 16000)
	tone := speechtest.Tone(16000, 500*time.Millisecond)
	frame := make([]int16, 320)
	for i := 0; i < len(tone); i += 320 {
		copy(frame, tone[i:])
		s.Write(frame)
		clear(frame)
	}
	s.Flush()
	recv(t, s)
	if f := dominant(srv.Transcriptions()[0].PCM, 16000); f != 440 {
		t.Errorf("sent a %v Hz tone, want 440", f)
	}
}

// Flush never blocks: with MaxPending utterances hanging, the next one is
// refused with ErrBacklog.
func TestSTTBacklog(t *testing.T) {
	srv := fake(t)
	srv.OnTranscription(openaitestHang)
	stt, _ := newSTT(t, srv, openai.Config{MaxPending: 2, Timeout: time.Minute})
	s := open(t, stt, 16000)
	var err error
	start := time.Now()
	for range 10 {
		s.Write(speechtest.Tone(16000, 200*time.Millisecond))
		if err = s.Flush(); err != nil {
			break
		}
	}
	if !errors.Is(err, openai.ErrBacklog) {
		t.Errorf("Flush: %v, want ErrBacklog", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Flush blocked for %v", d)
	}
	// Close cancels the hanging requests and waits for them.
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on hanging requests")
	}
}

func openaitestHang(*openaitest.Transcription) openaitest.AudioReply {
	return openaitest.AudioReply{Hang: true}
}

// Cancelling the context delivers the finals already made, then ends
// the stream with the context's error.
func TestSTTContextDeliversPending(t *testing.T) {
	srv := fake(t)
	stt, _ := newSTT(t, srv, openai.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	s, err := stt.Stream(ctx, 16000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	say(t, s, 16000, 300*time.Millisecond)
	for len(srv.Transcriptions()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the answer has come back
	cancel()
	if tr, err := recv(t, s); err != nil || tr.Text != openaitest.DefaultHeard {
		t.Errorf("Recv after cancel = %+v, %v; want the pending final", tr, err)
	}
	if _, err := recv(t, s); !errors.Is(err, context.Canceled) {
		t.Errorf("Recv = %v, want context.Canceled", err)
	}
	if err := s.Write(make([]int16, 320)); !errors.Is(err, context.Canceled) {
		t.Errorf("Write after cancel: %v", err)
	}
}

func TestSTTStreamRate(t *testing.T) {
	stt, _ := newSTT(t, fake(t), openai.Config{})
	for _, rate := range []int{0, -16000, 7999, 96000} {
		if _, err := stt.Stream(context.Background(), rate); !errors.Is(err, openai.ErrSampleRate) {
			t.Errorf("Stream(%d): %v, want ErrSampleRate", rate, err)
		}
	}
}

// The client sends what the fake reads: check it through a real decoder
// of multipart bodies, on a server of our own.
func TestSTTMultipartByHand(t *testing.T) {
	got := make(chan http.Header, 1)
	srv := httpServer(t, func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			t.Errorf("ParseMultipartForm: %v", err)
		}
		got <- http.Header(r.MultipartForm.Value)
		w.Write([]byte(`{"text": "  hola  "}`))
	})
	stt, _ := newSTT(t, nil, openai.Config{BaseURL: srv, Language: "es"})
	s := open(t, stt, 16000)
	say(t, s, 16000, 200*time.Millisecond)
	if tr, err := recv(t, s); err != nil || tr.Text != "hola" {
		t.Errorf("Recv = %+v, %v; want the text trimmed", tr, err)
	}
	v := <-got
	for _, f := range []string{"model", "language", "response_format"} {
		if len(v[f]) != 1 {
			t.Errorf("field %s: %q", f, v[f])
		}
	}
}

// MaxFailures utterances failing in a row end the stream with the last
// failure; a success in between starts the count again, silence does not.
func TestSTTGivesUp(t *testing.T) {
	srv := fake(t)
	var mu sync.Mutex
	script := []int{500, 500, 200, 503, 429, 500}
	srv.OnTranscription(func(*openaitest.Transcription) openaitest.AudioReply {
		mu.Lock()
		defer mu.Unlock()
		status := script[0]
		script = script[1:]
		return openaitest.AudioReply{Status: status}
	})
	stt, l := newSTT(t, srv, openai.Config{})
	s := open(t, stt, 16000)
	next := func(silent bool) (speech.Transcript, error) {
		if silent {
			s.Write(make([]int16, 16000))
			s.Flush()
		} else {
			say(t, s, 16000, 200*time.Millisecond)
		}
		return recv(t, s)
	}
	for i, want := range []string{"", "", openaitest.DefaultHeard, "", ""} {
		if tr, err := next(false); err != nil || tr.Text != want {
			t.Fatalf("utterance %d: %+v, %v; want %q", i+1, tr, err, want)
		}
		if i == 4 {
			if tr, err := next(true); err != nil || tr.Text != "" {
				t.Fatalf("silence: %+v, %v", tr, err)
			}
		}
	}
	_, err := next(false)
	if !errors.Is(err, openai.ErrUnavailable) || !openai.Temporary(err) || !strings.Contains(err.Error(), "3 utterances in a row") {
		t.Errorf("the third failure in a row: %v, want the stream to end with ErrUnavailable", err)
	}
	if !strings.Contains(l.String(), "keep failing") {
		t.Errorf("log:\n%s", l)
	}
}

// A stream runs no goroutine of its own: none while it waits for the
// caller to speak, nor for Flushes of silence or of audio too short to
// send, whose empty finals need no request; a request's goroutine ends
// with it.
func TestSTTIdleStreamsHoldNoGoroutine(t *testing.T) {
	srv := fake(t)
	stt, _ := newSTT(t, srv, openai.Config{})
	const n = 200
	streams := make([]speech.Stream, n)
	base, before := speechtest.Goroutines(pkg), runtime.NumGoroutine()
	for i := range streams {
		s, err := stt.Stream(context.Background(), 8000)
		if err != nil {
			t.Fatal(err)
		}
		streams[i] = s
		s.Write(make([]int16, 8000))
		s.Flush()
		s.Write(speechtest.Tone(8000, 60*time.Millisecond))
		s.Flush()
	}
	if grew := runtime.NumGoroutine() - before; grew >= n/10 {
		t.Errorf("%d streams between utterances run %d more goroutines", n, grew)
	}
	for i, s := range streams {
		for j := range 2 {
			if tr, err := recv(t, s); err != nil || tr.Text != "" || !tr.Final {
				t.Fatalf("stream %d, flush %d: %+v, %v; want an empty final", i, j+1, tr, err)
			}
		}
	}
	if got := len(srv.Transcriptions()); got != 0 {
		t.Errorf("%d requests for silence", got)
	}
	// Utterances transcribed and delivered leave no goroutine behind.
	spoke := streams[:20]
	for _, s := range spoke {
		say(t, s, 8000, 200*time.Millisecond)
	}
	for i, s := range spoke {
		if tr, err := recv(t, s); err != nil || tr.Text != openaitest.DefaultHeard {
			t.Fatalf("stream %d: %+v, %v", i, tr, err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); speechtest.Goroutines(pkg) > base; {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines 10s after the finals:\n%s", speechtest.Goroutines(pkg)-base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, s := range streams {
		s.Close()
	}
}

// A request under way runs in a goroutine of the stream's, and Close
// cancels and waits for all of them: none is left once it returns.
func TestSTTCloseLeavesNoGoroutine(t *testing.T) {
	srv := fake(t)
	arrived := make(chan struct{}, 10)
	srv.OnTranscription(func(*openaitest.Transcription) openaitest.AudioReply {
		arrived <- struct{}{}
		return openaitest.AudioReply{Hang: true}
	})
	stt, _ := newSTT(t, srv, openai.Config{MaxPending: 3, Timeout: time.Minute})
	before := speechtest.Goroutines(pkg)
	s := open(t, stt, 16000)
	for range 5 { // 3 under way, 2 waiting
		say(t, s, 16000, 200*time.Millisecond)
	}
	for range 3 {
		<-arrived
	}
	if n := speechtest.Goroutines(pkg) - before; n < 3 {
		t.Errorf("%d goroutines for 3 requests under way", n)
	}
	s.Close()
	if n := speechtest.Goroutines(pkg) - before; n != 0 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines left after Close:\n%s", n, buf[:runtime.Stack(buf, true)])
	}
	if n := len(srv.Transcriptions()); n != 3 {
		t.Errorf("%d requests, want the 3 under way: the waiting ones are not sent", n)
	}
}

// MaxPending utterances are transcribed at once and as many wait behind
// them; the next Flush is refused until they move on, and every
// utterance accepted gives its final, in order.
func TestSTTBacklogCounts(t *testing.T) {
	srv := fake(t)
	release := make(chan struct{})
	srv.OnTranscription(func(r *openaitest.Transcription) openaitest.AudioReply {
		<-release
		return openaitest.AudioReply{Text: r.Duration.String()}
	})
	stt, _ := newSTT(t, srv, openai.Config{MaxPending: 1})
	s := open(t, stt, 16000)
	say(t, s, 16000, 200*time.Millisecond) // under way
	say(t, s, 16000, 300*time.Millisecond) // waiting
	s.Write(speechtest.Tone(16000, 400*time.Millisecond))
	if err := s.Flush(); !errors.Is(err, openai.ErrBacklog) {
		t.Fatalf("third Flush: %v, want ErrBacklog", err)
	}
	close(release)
	for _, want := range []string{"200ms", "300ms"} {
		if tr, err := recv(t, s); err != nil || tr.Text != want {
			t.Fatalf("Recv = %+v, %v; want %q", tr, err, want)
		}
	}
}

// A failure whose final waits for Recv to take the one before it is
// counted once, however often the stream moves on meanwhile: with
// MaxFailures 2, one failure between successes does not end the stream.
func TestSTTFailureWaitingCountsOnce(t *testing.T) {
	srv := fake(t)
	first := make(chan struct{})
	srv.OnTranscription(func(r *openaitest.Transcription) openaitest.AudioReply {
		switch r.Duration {
		case 200 * time.Millisecond:
			<-first
			return openaitest.AudioReply{Text: "uno"}
		case 300 * time.Millisecond:
			return openaitest.AudioReply{Status: 500}
		}
		return openaitest.AudioReply{Text: "tres"}
	})
	stt, _ := newSTT(t, srv, openai.Config{MaxPending: 1, MaxFailures: 2})
	s := open(t, stt, 16000)
	say(t, s, 16000, 200*time.Millisecond)
	say(t, s, 16000, 300*time.Millisecond)
	close(first)
	// The first's final waits for Recv; the second, sent after it, has
	// failed once no request is under way.
	for deadline := time.Now().Add(10 * time.Second); len(srv.Transcriptions()) < 2 || speechtest.Goroutines(pkg) > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the second request still under way after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	say(t, s, 16000, 400*time.Millisecond)
	for _, want := range []string{"uno", "", "tres"} {
		if tr, err := recv(t, s); err != nil || tr.Text != want {
			t.Fatalf("Recv = %+v, %v; want %q", tr, err, want)
		}
	}
}

// What finished before the end of the stream is delivered, and nothing
// after it: the first utterance's final comes out, then the 401 of the
// second ends the stream, even though it came back first, and the third,
// answered too, is not delivered.
func TestSTTEndDeliversWhatCameBefore(t *testing.T) {
	srv := fake(t)
	second := make(chan struct{})
	srv.OnTranscription(func(r *openaitest.Transcription) openaitest.AudioReply {
		switch r.Duration {
		case 300 * time.Millisecond:
			<-second
			return openaitest.AudioReply{Text: "uno"}
		case 200 * time.Millisecond:
			defer close(second)
			return openaitest.AudioReply{Status: 401}
		}
		return openaitest.AudioReply{Text: "tres"}
	})
	stt, _ := newSTT(t, srv, openai.Config{})
	s := open(t, stt, 16000)
	for _, d := range []time.Duration{300 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		say(t, s, 16000, d)
	}
	if tr, err := recv(t, s); err != nil || tr.Text != "uno" {
		t.Fatalf("Recv = %+v, %v; want uno", tr, err)
	}
	for range 2 {
		if tr, err := recv(t, s); !errors.Is(err, openai.ErrAuth) {
			t.Fatalf("Recv = %+v, %v; want ErrAuth", tr, err)
		}
	}
	if err := s.Flush(); !errors.Is(err, openai.ErrAuth) {
		t.Errorf("Flush after the end: %v", err)
	}
}

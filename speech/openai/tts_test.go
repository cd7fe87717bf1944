package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/speech/openai"
)

// httpServer starts a server of h for the duration of t and returns its
// base URL.
func httpServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

func newTTS(t *testing.T, srv *openaitest.Server, c openai.Config) *openai.TTS {
	t.Helper()
	if c.BaseURL == "" {
		c.BaseURL = srv.URL
	}
	c.APIKey = key
	tts, err := openai.NewTTS(c)
	if err != nil {
		t.Fatal(err)
	}
	return tts
}

// readAll reads a to the end with a buffer of n samples.
func readAll(a speech.Audio, n int) ([]int16, error) {
	var all []int16
	buf := make([]int16, n)
	for {
		m, err := a.Read(buf)
		all = append(all, buf[:m]...)
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return all, err
		}
	}
}

// The request is the API's: JSON with the model, the input, the voice of
// the language and response_format pcm, the key as a bearer token.
func TestTTSRequest(t *testing.T) {
	srv := fake(t)
	speed := 1.25
	tts := newTTS(t, srv, openai.Config{Model: "tts-1", Voices: map[string]string{"es": "nova"}, Instructions: "cálido", Speed: speed})
	for _, c := range []struct{ lang, voice string }{{"es", "nova"}, {"en", "alloy"}} {
		a, err := tts.Synthesize(context.Background(), "  Hola, ¿qué tal?  ", c.lang)
		if err != nil {
			t.Fatal(err)
		}
		pcm, err := readAll(a, 1000)
		a.Close()
		if err != nil {
			t.Fatal(err)
		}
		// 15 characters of 60 ms at 24 kHz, a 440 Hz tone.
		if want := 15 * 60 * 24; len(pcm) != want {
			t.Errorf("%d samples, want %d", len(pcm), want)
		}
		if f := dominant(pcm, 24000); f != 440 {
			t.Errorf("a %v Hz tone, want 440", f)
		}
		r := srv.Speeches()[len(srv.Speeches())-1]
		if r.Model != "tts-1" || r.Voice != c.voice || r.Input != "Hola, ¿qué tal?" || r.ResponseFormat != "pcm" || r.Instructions != "cálido" || r.Speed == nil || *r.Speed != speed {
			t.Errorf("%s: request %+v", c.lang, r)
		}
		if r.Header.Get("Authorization") != "Bearer "+key || r.Header.Get("Content-Type") != "application/json" || r.Path != "/v1/audio/speech" {
			t.Errorf("%s: headers %v, path %s", c.lang, r.Header, r.Path)
		}
	}
	if tts.SampleRate() != 24000 {
		t.Errorf("SampleRate %d", tts.SampleRate())
	}
}

// Defaults: gpt-4o-mini-tts, alloy, and no optional fields at all.
func TestTTSRequestDefaults(t *testing.T) {
	body := make(chan map[string]any, 1)
	url := httpServer(t, func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		body <- m
		w.Write([]byte{1, 0, 2, 0})
	})
	tts := newTTS(t, nil, openai.Config{BaseURL: url})
	a, err := tts.Synthesize(context.Background(), "Hola", "es")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if pcm, err := readAll(a, 10); err != nil || len(pcm) != 2 || pcm[0] != 1 || pcm[1] != 2 {
		t.Errorf("read %v, %v", pcm, err)
	}
	m := <-body
	want := map[string]any{"model": "gpt-4o-mini-tts", "input": "Hola", "voice": "alloy", "response_format": "pcm"}
	if len(m) != len(want) {
		t.Errorf("body %v, want %v", m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
}

// Samples arrive as the server sends them: the first chunk is readable
// while the server holds the rest back.
func TestTTSStreams(t *testing.T) {
	srv := fake(t)
	hold := make(chan struct{})
	srv.OnSpeech(func(*openaitest.Speech) openaitest.AudioReply {
		return openaitest.AudioReply{Chunk: 960, Hold: hold}
	})
	tts := newTTS(t, srv, openai.Config{})
	a, err := tts.Synthesize(context.Background(), strings.Repeat("larga ", 20), "es")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	got := 0
	buf := make([]int16, 4800)
	for got < 480 {
		n, err := a.Read(buf)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		got += n
	}
	if got != 480 {
		t.Errorf("read %d samples of the first chunk, want 480", got)
	}
	close(hold)
	rest, err := readAll(a, 4800)
	if err != nil {
		t.Fatal(err)
	}
	if total, want := got+len(rest), 119*60*24; total != want { // trimmed: 119 characters
		t.Errorf("%d samples in all, want %d", total, want)
	}
}

// Chunks of odd sizes split samples between reads; the samples are the
// same as in one piece, whatever the reader's buffer.
func TestTTSOddSplits(t *testing.T) {
	srv := fake(t)
	tts := newTTS(t, srv, openai.Config{})
	const d = 50 * time.Millisecond // 2400 bytes
	whole := func() []int16 {
		srv.OnSpeech(func(*openaitest.Speech) openaitest.AudioReply { return openaitest.AudioReply{Duration: d} })
		a, err := tts.Synthesize(context.Background(), "Hola, buenos días", "es")
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		pcm, err := readAll(a, 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		return pcm
	}()
	if len(whole) != 1200 {
		t.Fatalf("%d samples, want 1200", len(whole))
	}
	for _, chunk := range []int{1, 3, 479, 1201} {
		for _, buf := range []int{1, 7, 160, 4096} {
			srv.OnSpeech(func(*openaitest.Speech) openaitest.AudioReply {
				return openaitest.AudioReply{Duration: d, Chunk: chunk}
			})
			a, err := tts.Synthesize(context.Background(), "Hola, buenos días", "es")
			if err != nil {
				t.Fatal(err)
			}
			pcm, err := readAll(a, buf)
			a.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !equal(pcm, whole) {
				t.Errorf("chunks of %d bytes read %d at a time: %d samples differ from the whole %d", chunk, buf, len(pcm), len(whole))
			}
		}
	}
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Error statuses come back from Synthesize, matched to their sentinel,
// without the key.
func TestTTSErrors(t *testing.T) {
	for _, c := range []struct {
		reply     openaitest.AudioReply
		want      error
		temporary bool
	}{
		{openaitest.AudioReply{Status: 401, Message: "Incorrect API key provided: " + key}, openai.ErrAuth, false},
		{openaitest.AudioReply{Status: 404, Message: "no such model"}, openai.ErrNotFound, false},
		{openaitest.AudioReply{Status: 400, Message: "bad voice"}, openai.ErrRejected, false},
		{openaitest.AudioReply{Status: 429, RetryAfter: 2}, openai.ErrRateLimited, true},
		{openaitest.AudioReply{Status: 500, Message: strings.Repeat("long ", 1000) + key}, openai.ErrUnavailable, true},
		{openaitest.AudioReply{Status: 503}, openai.ErrUnavailable, true},
		{openaitest.AudioReply{Hang: true}, openai.ErrTimeout, true},
	} {
		srv := fake(t)
		srv.OnSpeech(func(*openaitest.Speech) openaitest.AudioReply { return c.reply })
		tts := newTTS(t, srv, openai.Config{Timeout: 300 * time.Millisecond})
		a, err := tts.Synthesize(context.Background(), "Hola", "es")
		if a != nil || !errors.Is(err, c.want) {
			t.Errorf("%+v: Synthesize = %v, %v; want %v", c.reply.Status, a, err, c.want)
			continue
		}
		if openai.Temporary(err) != c.temporary {
			t.Errorf("%v: Temporary = %v", err, !c.temporary)
		}
		if strings.Contains(err.Error(), key) || len(err.Error()) > 500 {
			t.Errorf("error of %d bytes, with the key or too long: %v", len(err.Error()), err)
		}
		var se *openai.StatusError
		if c.reply.Status != 0 && (!errors.As(err, &se) || se.Status != c.reply.Status) {
			t.Errorf("%v: not a StatusError of %d", err, c.reply.Status)
		}
		if c.reply.RetryAfter > 0 && se.RetryAfter != time.Duration(c.reply.RetryAfter)*time.Second {
			t.Errorf("RetryAfter %v", se.RetryAfter)
		}
	}
}

// A connection that breaks mid-audio is an error, not a short answer.
func TestTTSConnectionBreaks(t *testing.T) {
	srv := fake(t)
	srv.OnSpeech(func(*openaitest.Speech) openaitest.AudioReply {
		return openaitest.AudioReply{Chunk: 1000, CutAfter: 3001}
	})
	tts := newTTS(t, srv, openai.Config{})
	a, err := tts.Synthesize(context.Background(), strings.Repeat("larga ", 20), "es")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	pcm, err := readAll(a, 160)
	if !errors.Is(err, openai.ErrUnavailable) || !openai.Temporary(err) {
		t.Errorf("Read: %v, want ErrUnavailable", err)
	}
	if len(pcm) != 1500 {
		t.Errorf("read %d samples before the break, want 1500", len(pcm))
	}
}

// A server that stops sending for Timeout fails the read.
func TestTTSStall(t *testing.T) {
	srv := fake(t)
	srv.OnSpeech(func(*openaitest.Speech) openaitest.AudioReply {
		return openaitest.AudioReply{Chunk: 480, Hold: make(chan struct{})}
	})
	tts := newTTS(t, srv, openai.Config{Timeout: 300 * time.Millisecond})
	a, err := tts.Synthesize(context.Background(), "Hola, buenos días", "es")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	start := time.Now()
	pcm, err := readAll(a, 1000)
	if !errors.Is(err, openai.ErrTimeout) || len(pcm) != 240 {
		t.Errorf("Read: %d samples, %v; want 240 and ErrTimeout", len(pcm), err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("gave up after %v", d)
	}
}

// Cancelling ctx or closing the audio ends a Read that waits, at once.
func TestTTSCancelWhileReading(t *testing.T) {
	for _, how := range []string{"cancel", "close"} {
		t.Run(how, func(t *testing.T) {
			srv := fake(t)
			srv.OnSpeech(func(*openaitest.Speech) openaitest.AudioReply {
				return openaitest.AudioReply{Chunk: 480, Hold: make(chan struct{})}
			})
			tts := newTTS(t, srv, openai.Config{Timeout: time.Minute})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, err := tts.Synthesize(ctx, "Hola, buenos días", "es")
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			buf := make([]int16, 1000)
			if n, err := a.Read(buf); n != 240 || err != nil {
				t.Fatalf("first Read: %d, %v", n, err)
			}
			done := make(chan error, 1)
			go func() { _, err := a.Read(buf); done <- err }()
			time.Sleep(50 * time.Millisecond)
			want := speech.ErrClosed
			if how == "cancel" {
				cancel()
				want = context.Canceled
			} else {
				a.Close()
			}
			select {
			case err := <-done:
				if !errors.Is(err, want) {
					t.Errorf("Read: %v, want %v", err, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Read still blocked")
			}
			if _, err := a.Read(buf); err == nil {
				t.Error("Read after the end succeeded")
			}
		})
	}
}

// A context already done sends nothing.
func TestTTSCancelledBefore(t *testing.T) {
	srv := fake(t)
	tts := newTTS(t, srv, openai.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tts.Synthesize(ctx, "Hola", "es"); !errors.Is(err, context.Canceled) {
		t.Errorf("Synthesize: %v, want context.Canceled", err)
	}
}

func TestTTSText(t *testing.T) {
	srv := fake(t)
	tts := newTTS(t, srv, openai.Config{})
	a, err := tts.Synthesize(context.Background(), " \n ", "es")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := a.Read(make([]int16, 10)); n != 0 || err != io.EOF {
		t.Errorf("blank text: Read = %d, %v; want io.EOF", n, err)
	}
	a.Close()
	a.Close()
	if _, err := tts.Synthesize(context.Background(), strings.Repeat("ñ", 4097), "es"); !errors.Is(err, openai.ErrTextTooLong) {
		t.Errorf("4097 characters: %v, want ErrTextTooLong", err)
	}
	if a, err := tts.Synthesize(context.Background(), strings.Repeat("ñ", 4096), "es"); err != nil {
		t.Errorf("4096 characters: %v", err)
	} else {
		a.Close()
	}
	if n := len(srv.Speeches()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

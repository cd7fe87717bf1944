// Package speechtest is the conformance suite every speech provider runs
// against its fake (or, for offline providers, the real engine): the same
// checks of the speech contract for each STT and each TTS, in the manner
// of testing/slogtest.
package speechtest

import (
	"context"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech"
)

// STTConfig is a provider under test.
type STTConfig struct {
	// New returns the provider, talking to its fake. It is called once per
	// check.
	New func(t *testing.T) speech.STT
	// Heard is the text the fake recognises in any utterance.
	Heard string
	// Rate is the sample rate to stream (default 16000).
	Rate int
	// Package is the provider's import path, to find goroutines it leaves
	// behind.
	Package string
}

// Tone returns d of a 440 Hz tone at rate: audio that is not silence.
func Tone(rate int, d time.Duration) []int16 {
	n := int(d.Seconds() * float64(rate))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
	}
	return out
}

// writeFrames writes pcm in 20 ms frames.
func writeFrames(t *testing.T, s speech.Stream, pcm []int16, rate int) {
	t.Helper()
	frame := rate / 50
	for i := 0; i < len(pcm); i += frame {
		if err := s.Write(pcm[i:min(i+frame, len(pcm))]); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
}

// final receives until a final transcript.
func final(t *testing.T, s speech.Stream) speech.Transcript {
	t.Helper()
	type result struct {
		tr  speech.Transcript
		err error
	}
	done := make(chan result, 1)
	go func() {
		for {
			tr, err := s.Recv()
			if err != nil || tr.Final {
				done <- result{tr, err}
				return
			}
		}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Recv: %v", r.err)
		}
		return r.tr
	case <-time.After(10 * time.Second):
		t.Fatal("no final transcript in 10s")
	}
	return speech.Transcript{}
}

// drain receives until Recv fails and sends that error.
func drain(s speech.Stream) <-chan error {
	recvErr := make(chan error, 1)
	go func() {
		for {
			if _, err := s.Recv(); err != nil {
				recvErr <- err
				return
			}
		}
	}()
	return recvErr
}

// TestSTT runs the conformance checks of a speech-to-text provider.
func TestSTT(t *testing.T, c STTConfig) {
	rate := c.Rate
	if rate == 0 {
		rate = 16000
	}
	open := func(t *testing.T, ctx context.Context) speech.Stream {
		t.Helper()
		s, err := c.New(t).Stream(ctx, rate)
		if err != nil {
			t.Fatalf("Stream: %v", err)
		}
		return s
	}
	t.Run("utterances", func(t *testing.T) {
		s := open(t, context.Background())
		defer s.Close()
		for i := range 2 {
			writeFrames(t, s, Tone(rate, 800*time.Millisecond), rate)
			if err := s.Flush(); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if tr := final(t, s); !strings.Contains(strings.ToLower(tr.Text), strings.ToLower(c.Heard)) {
				t.Errorf("utterance %d: final %q, want %q", i+1, tr.Text, c.Heard)
			}
		}
	})
	t.Run("close", func(t *testing.T) {
		s := open(t, context.Background())
		writeFrames(t, s, Tone(rate, 200*time.Millisecond), rate)
		recvErr := drain(s)
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		select {
		case err := <-recvErr:
			if !errors.Is(err, speech.ErrClosed) {
				t.Errorf("Recv after Close: %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Recv still blocked 5s after Close")
		}
		if err := s.Write(Tone(rate, 20*time.Millisecond)); err == nil {
			t.Error("Write after Close succeeded")
		}
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s := open(t, ctx)
		defer s.Close()
		writeFrames(t, s, Tone(rate, 200*time.Millisecond), rate)
		recvErr := drain(s)
		cancel()
		select {
		case err := <-recvErr:
			if err == nil {
				t.Error("Recv returned no error after cancel")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Recv still blocked 5s after the context ended")
		}
	})
	t.Run("no goroutines left", func(t *testing.T) {
		before := Goroutines(c.Package)
		s := open(t, context.Background())
		writeFrames(t, s, Tone(rate, 300*time.Millisecond), rate)
		s.Flush()
		final(t, s)
		s.Close()
		NoneLeft(t, c.Package, before)
	})
}

// TTSConfig is a provider under test.
type TTSConfig struct {
	New func(t *testing.T) speech.TTS
	// Package is the provider's import path, to find goroutines it leaves
	// behind.
	Package string
}

// TestTTS runs the conformance checks of a text-to-speech provider.
func TestTTS(t *testing.T, c TTSConfig) {
	read := func(a speech.Audio) ([]int16, error) {
		var all []int16
		buf := make([]int16, 1000)
		for {
			n, err := a.Read(buf)
			all = append(all, buf[:n]...)
			if errors.Is(err, io.EOF) {
				return all, nil
			}
			if err != nil {
				return all, err
			}
		}
	}
	for _, tc := range []struct{ lang, text string }{{"es", "Hola, ¿en qué puedo ayudarte?"}, {"en", "Hello, how can I help you?"}} {
		t.Run("speaks "+tc.lang, func(t *testing.T) {
			tts := c.New(t)
			if tts.SampleRate() < 8000 {
				t.Fatalf("SampleRate %d", tts.SampleRate())
			}
			a, err := tts.Synthesize(context.Background(), tc.text, tc.lang)
			if err != nil {
				t.Fatalf("Synthesize: %v", err)
			}
			defer a.Close()
			pcm, err := read(a)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if d := time.Duration(len(pcm)) * time.Second / time.Duration(tts.SampleRate()); d < 300*time.Millisecond {
				t.Errorf("%s of audio for %q", d, tc.text)
			}
			if rms(pcm) < 100 {
				t.Errorf("the audio is silent (rms %.0f)", rms(pcm))
			}
		})
	}
	t.Run("close early", func(t *testing.T) {
		before := Goroutines(c.Package)
		a, err := c.New(t).Synthesize(context.Background(), strings.Repeat("Una frase bastante larga para hablar un rato. ", 10), "es")
		if err != nil {
			t.Fatalf("Synthesize: %v", err)
		}
		buf := make([]int16, 160)
		if _, err := a.Read(buf); err != nil {
			t.Fatalf("Read: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		NoneLeft(t, c.Package, before)
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		a, err := c.New(t).Synthesize(ctx, strings.Repeat("Otra frase larga para cortar a la mitad. ", 10), "es")
		if err != nil {
			t.Fatalf("Synthesize: %v", err)
		}
		defer a.Close()
		cancel()
		done := make(chan error, 1)
		go func() { _, err := read(a); done <- err }()
		select {
		case <-done: // an error, or the end of what was already produced
		case <-time.After(5 * time.Second):
			t.Fatal("Read still going 5s after the context ended")
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		tts := c.New(t)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				a, err := tts.Synthesize(context.Background(), "Un momento, por favor.", "es")
				if err != nil {
					t.Errorf("Synthesize: %v", err)
					return
				}
				defer a.Close()
				if pcm, err := read(a); err != nil || len(pcm) == 0 {
					t.Errorf("Read: %d samples, %v", len(pcm), err)
				}
			})
		}
		wg.Wait()
	})
}

func rms(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// Goroutines counts the goroutines whose stack runs code of pkg (an
// import path).
func Goroutines(pkg string) int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if pkg != "" && strings.Contains(g, pkg+".") {
			n++
		}
	}
	return n
}

// NoneLeft fails t unless, within 3 s, no more goroutines run code of
// pkg than before did.
func NoneLeft(t *testing.T, pkg string, before int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for Goroutines(pkg) > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines of %s left behind:\n%s", Goroutines(pkg)-before, pkg, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

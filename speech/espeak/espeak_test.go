package espeak_test

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/speech/espeak"
	"github.com/voiceagent/voiceagent/speech/speechtest"
)

// requireEspeak skips the test when espeak-ng is missing, unless
// VOICEAGENT_REQUIRE_ESPEAK=1 (CI) makes that a failure.
func requireEspeak(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		if os.Getenv("VOICEAGENT_REQUIRE_ESPEAK") == "1" {
			t.Fatalf("espeak-ng is required (VOICEAGENT_REQUIRE_ESPEAK=1): %v", err)
		}
		t.Skipf("espeak-ng is not installed (apt-get install espeak-ng): %v", err)
	}
}

func newTTS(t *testing.T, c espeak.Config) *espeak.TTS {
	t.Helper()
	tts, err := espeak.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return tts
}

func TestConformance(t *testing.T) {
	requireEspeak(t)
	speechtest.TestTTS(t, speechtest.TTSConfig{
		New:     func(t *testing.T) speech.TTS { return newTTS(t, espeak.Config{}) },
		Package: "github.com/voiceagent/voiceagent/speech/espeak",
	})
}

func readAll(t *testing.T, a speech.Audio) []int16 {
	t.Helper()
	var all []int16
	buf := make([]int16, 1024)
	for {
		n, err := a.Read(buf)
		all = append(all, buf[:n]...)
		if err == io.EOF {
			return all
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
}

func speak(t *testing.T, tts *espeak.TTS, text, lang string) []int16 {
	t.Helper()
	a, err := tts.Synthesize(context.Background(), text, lang)
	if err != nil {
		t.Fatalf("Synthesize(%q, %s): %v", text, lang, err)
	}
	defer a.Close()
	return readAll(t, a)
}

func seconds(pcm []int16) float64 { return float64(len(pcm)) / espeak.SampleRate }

// band is the share of pcm's energy between lo and hi Hz, by a DFT of
// 20 ms frames.
func band(pcm []int16, lo, hi float64) float64 {
	const n = 441
	var in, all float64
	for start := 0; start+n <= len(pcm); start += n {
		for k := 1; k < n/2; k++ {
			var re, im float64
			for i, s := range pcm[start : start+n] {
				w := 2 * math.Pi * float64(k) * float64(i) / n
				re += float64(s) * math.Cos(w)
				im -= float64(s) * math.Sin(w)
			}
			e := re*re + im*im
			all += e
			if f := float64(k) * espeak.SampleRate / n; f >= lo && f <= hi {
				in += e
			}
		}
	}
	return in / all
}

// Speech sounds like speech: seconds long for a sentence, longer for a
// longer one, its energy in the voice band.
func TestSpeaks(t *testing.T) {
	requireEspeak(t)
	tts := newTTS(t, espeak.Config{})
	for _, lang := range []string{"es", "en"} {
		short := speak(t, tts, "Hola.", lang)
		long := speak(t, tts, "Hola, quiero pedir una cita para el martes por la mañana.", lang)
		if seconds(short) < 0.3 || seconds(long) < 2*seconds(short) {
			t.Errorf("%s: %.2fs for a word, %.2fs for a sentence", lang, seconds(short), seconds(long))
		}
		if b := band(long[:min(len(long), 22050)], 80, 4000); b < 0.8 {
			t.Errorf("%s: %.0f%% of the energy in 80-4000 Hz, want most", lang, 100*b)
		}
	}
}

// The text is spoken, never read as options: it goes to standard input.
func TestTextIsNotOptions(t *testing.T) {
	requireEspeak(t)
	tts := newTTS(t, espeak.Config{})
	dir := t.TempDir()
	for _, text := range []string{"-w " + filepath.Join(dir, "x.wav") + " hola", "--help", "--version", "-v en", "-hola", "--voices", "[[h@'loU]] $(touch " + filepath.Join(dir, "y") + ")"} {
		if pcm := speak(t, tts, text, "es"); seconds(pcm) < 0.1 {
			t.Errorf("%q: %.2fs of audio", text, seconds(pcm))
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the text made files: %v", entries)
	}
}

func TestVoices(t *testing.T) {
	requireEspeak(t)
	tts := newTTS(t, espeak.Config{Voices: map[string]string{"es": "es-419", "en": "en-us"}, Speed: 160})
	for _, lang := range []string{"es", "en", "fr"} {
		if pcm := speak(t, tts, "Uno, dos, tres.", lang); seconds(pcm) < 0.5 {
			t.Errorf("%s: %.2fs", lang, seconds(pcm))
		}
	}
	// A language espeak-ng does not know: its own message.
	_, err := tts.Synthesize(context.Background(), "hola", "xx")
	if !errors.Is(err, espeak.ErrFailed) || !strings.Contains(err.Error(), "voice") {
		t.Errorf("language xx: %v, want ErrFailed about the voice", err)
	}
	for _, lang := range []string{"", "-v", "es en", "../es", "es;rm"} {
		if _, err := tts.Synthesize(context.Background(), "hola", lang); !errors.Is(err, espeak.ErrVoice) {
			t.Errorf("language %q: %v, want ErrVoice", lang, err)
		}
	}
}

// A faster speed gives shorter audio.
func TestSpeed(t *testing.T) {
	requireEspeak(t)
	text := "Uno, dos, tres, cuatro, cinco, seis, siete, ocho."
	slow := speak(t, newTTS(t, espeak.Config{Speed: 100}), text, "es")
	fast := speak(t, newTTS(t, espeak.Config{Speed: 300}), text, "es")
	if seconds(fast) > 0.6*seconds(slow) {
		t.Errorf("%.2fs at 300 wpm, %.2fs at 100", seconds(fast), seconds(slow))
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := espeak.New(espeak.Config{Path: filepath.Join(t.TempDir(), "espeak-ng")}); !errors.Is(err, espeak.ErrNotInstalled) {
		t.Errorf("missing program: %v, want ErrNotInstalled", err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := espeak.New(espeak.Config{}); !errors.Is(err, espeak.ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install espeak-ng") {
		t.Errorf("no espeak-ng on PATH: %v, want ErrNotInstalled with a hint", err)
	}
	self, _ := os.Executable()
	for _, c := range []espeak.Config{
		{Path: self, Speed: 20},
		{Path: self, Speed: 1000},
		{Path: self, Voices: map[string]string{"es": "-s 900"}},
		{Path: self, Voices: map[string]string{"es": ""}},
	} {
		if _, err := espeak.New(c); err == nil || errors.Is(err, espeak.ErrNotInstalled) {
			t.Errorf("%+v: %v, want ErrConfig or ErrVoice", c, err)
		}
	}
}

func TestBlankText(t *testing.T) {
	requireEspeak(t)
	a, err := newTTS(t, espeak.Config{}).Synthesize(context.Background(), " \n\t ", "es")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := a.Read(make([]int16, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read = %d, %v; want io.EOF", n, err)
	}
	a.Close()
}

func TestString(t *testing.T) {
	requireEspeak(t)
	path, _ := exec.LookPath("espeak-ng")
	if got := newTTS(t, espeak.Config{}).String(); got != "espeak-ng at "+path {
		t.Errorf("String() = %q", got)
	}
}

// Cancelling the context kills a long synthesis at once.
func TestCancelStopsSpeaking(t *testing.T) {
	requireEspeak(t)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newTTS(t, espeak.Config{}).Synthesize(ctx, strings.Repeat("Una frase muy larga que no termina nunca. ", 200), "es")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	buf := make([]int16, 441)
	if _, err := a.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	start := time.Now()
	for {
		_, err := a.Read(buf)
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Read: %v, want context.Canceled", err)
		}
		break
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v to stop", d)
	}
}

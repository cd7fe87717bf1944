package telephony

import (
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

var testVoice = configs.Voice{
	Silence:          configs.Duration(600 * time.Millisecond),
	DictationSilence: configs.Duration(1500 * time.Millisecond),
	EarlySilence:     configs.Duration(200 * time.Millisecond),
}

// step is one stretch of a turn: voice or silence for a while, or a
// transcript arriving.
type step struct {
	voice   time.Duration // frames of voice
	silence time.Duration // frames of silence
	final   string        // a final transcript arrives (for the oldest Flush)
	interim string        // an interim transcript arrives
}

// run feeds steps to an Endpointer and returns when the turn ended (from
// the last voiced frame) and its text; ended is false if it never did.
func runEndpointer(t *testing.T, e *Endpointer, steps []step) (wait time.Duration, text string, flushes int, ended bool) {
	t.Helper()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	act := func(d Decision) bool {
		if d.Flush {
			flushes++
		}
		if d.End {
			wait, text, ended = at.Sub(e.LastVoice()), e.Text(), true
		}
		return d.End
	}
	for _, s := range steps {
		switch {
		case s.voice > 0:
			for i := time.Duration(0); i < s.voice; i += audio.FrameDuration {
				at = at.Add(audio.FrameDuration)
				v := audio.VADResult{Active: true, Speech: i >= 40*time.Millisecond}
				if i == 40*time.Millisecond {
					v.Event = audio.SpeechStart
				}
				if act(e.Frame(at, v)) {
					return
				}
			}
		case s.silence > 0:
			for i := time.Duration(0); i < s.silence; i += audio.FrameDuration {
				at = at.Add(audio.FrameDuration)
				if act(e.Frame(at, audio.VADResult{Speech: i < 200*time.Millisecond})) {
					return
				}
			}
		case s.final != "" || s.interim != "":
			tr := speech.Transcript{Text: s.final, Final: true}
			if s.interim != "" {
				tr = speech.Transcript{Text: s.interim}
			}
			if s.final == "-" {
				tr.Text = ""
			}
			if act(e.Transcript(at, tr)) {
				return
			}
		}
	}
	return
}

func TestEndpointer(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name     string
		ask      string
		lang     string
		steps    []step
		wantWait time.Duration // 0: never ends
		wantText string
	}{
		{
			name:     "an open question waits for the plain pause",
			steps:    []step{{voice: ms(800)}, {silence: ms(300)}, {final: "quiero una cita"}, {silence: ms(600)}},
			wantWait: ms(600), wantText: "quiero una cita",
		},
		{
			name: "a yes to a read-back ends after the early pause",
			ask:  dialog.AnswerConfirm, steps: []step{{voice: ms(300)}, {silence: ms(200)}, {final: "sí"}, {silence: ms(600)}},
			wantWait: ms(200), wantText: "sí",
		},
		{
			name: "a full date ends early",
			ask:  "date", steps: []step{{voice: ms(900)}, {silence: ms(200)}, {final: "el lunes 9 de marzo"}, {silence: ms(600)}},
			wantWait: ms(200), wantText: "el lunes 9 de marzo",
		},
		{
			name: "a phone number being dictated gets the long pause",
			ask:  "phone", steps: []step{{voice: ms(900)}, {silence: ms(200)}, {final: "seis uno dos"}, {silence: ms(1000)}},
			wantWait: 0,
		},
		{
			name: "dictation resumed after a pause: the pieces join",
			ask:  "phone",
			steps: []step{{voice: ms(900)}, {silence: ms(200)}, {final: "seis uno dos"}, {silence: ms(700)},
				{voice: ms(1200)}, {silence: ms(200)}, {final: "tres cuatro cinco seis siete ocho"}, {silence: ms(600)}},
			wantWait: ms(200), wantText: "seis uno dos tres cuatro cinco seis siete ocho",
		},
		{
			name:     "an unfinished phone number ends after the dictation pause",
			ask:      "phone",
			steps:    []step{{voice: ms(900)}, {silence: ms(200)}, {final: "seis uno dos"}, {silence: ms(1400)}},
			wantWait: ms(1500), wantText: "seis uno dos",
		},
		{
			name:     "a day of the month waits for its month",
			ask:      "date",
			steps:    []step{{voice: ms(600)}, {silence: ms(200)}, {final: "el quince"}, {silence: ms(300)}},
			wantWait: 0,
		},
		{
			name: "the month comes: the date ends early",
			ask:  "date",
			steps: []step{{voice: ms(600)}, {silence: ms(200)}, {final: "el quince"}, {silence: ms(300)},
				{voice: ms(500)}, {silence: ms(200)}, {final: "de marzo"}, {silence: ms(600)}},
			wantWait: ms(200), wantText: "el quince de marzo",
		},
		{
			name:     "words that lead on get the dictation pause",
			steps:    []step{{voice: ms(1200)}, {silence: ms(200)}, {final: "llamaba para"}, {silence: ms(1000)}},
			wantWait: 0,
		},
		{
			name:     "words that lead on end after the dictation pause",
			steps:    []step{{voice: ms(1200)}, {silence: ms(200)}, {final: "llamaba para"}, {silence: ms(1400)}},
			wantWait: ms(1500), wantText: "llamaba para",
		},
		{
			name:     "a spelled email ends early at its end",
			ask:      "email",
			lang:     "en",
			steps:    []step{{voice: ms(2000)}, {silence: ms(200)}, {final: "john dot smith at gmail dot com"}, {silence: ms(600)}},
			wantWait: ms(200), wantText: "john dot smith at gmail dot com",
		},
		{
			name:     "the turn waits for a late final",
			steps:    []step{{voice: ms(500)}, {silence: ms(900)}, {final: "hola"}},
			wantWait: ms(900), wantText: "hola",
		},
		{
			name:     "interim words are enough to end early",
			ask:      dialog.AnswerConfirm,
			steps:    []step{{voice: ms(300)}, {interim: "yes"}, {silence: ms(200)}, {final: "yes"}},
			wantWait: ms(200), wantText: "yes", lang: "en",
		},
		{
			name:     "noise: an empty final ends an empty turn",
			steps:    []step{{voice: ms(200)}, {silence: ms(200)}, {final: "-"}, {silence: ms(600)}},
			wantWait: ms(600), wantText: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lang := tt.lang
			if lang == "" {
				lang = "es"
			}
			e := NewEndpointer(testVoice, lang, time.UTC)
			e.Expect(tt.ask)
			wait, text, _, ended := runEndpointer(t, e, tt.steps)
			if tt.wantWait == 0 {
				if ended {
					t.Fatalf("ended after %v with %q; want the turn to go on", wait, text)
				}
				return
			}
			if !ended {
				t.Fatalf("never ended; text so far %q", e.Text())
			}
			if wait != tt.wantWait || text != tt.wantText {
				t.Errorf("ended %v after the voice with %q; want %v with %q", wait, text, tt.wantWait, tt.wantText)
			}
		})
	}
}

// TestEndpointerFlushesOncePerPause: one Flush for each stretch of speech,
// however long the pause after it, and Reset forgets the words.
func TestEndpointerFlushesOncePerPause(t *testing.T) {
	e := NewEndpointer(testVoice, "es", time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	_, text, flushes, _ := runEndpointer(t, e, []step{{voice: ms(400)}, {silence: ms(300)}, {voice: ms(400)}, {silence: ms(300)},
		{final: "uno"}, {final: "dos"}, {silence: ms(400)}})
	if flushes != 2 || text != "uno dos" {
		t.Errorf("flushes %d text %q; want 2 and %q", flushes, text, "uno dos")
	}
	e.Reset()
	if e.InTurn() || e.Text() != "" || strings.Contains(e.Text(), "uno") {
		t.Errorf("after Reset: in turn %v text %q", e.InTurn(), e.Text())
	}
}

// Undecided is, at every frame of a pause, never more than the audio
// still to come before the first decision (a Flush or an End), so the
// frames it covers may be read late without delaying anything; with the
// usual pauses it is exactly that.
func TestUndecided(t *testing.T) {
	ms := func(n int) configs.Duration { return configs.Duration(time.Duration(n) * time.Millisecond) }
	for _, tt := range []struct {
		name  string
		voice configs.Voice
		exact bool
	}{
		{"the usual pauses", testVoice, true},
		{"early as long as the silence", configs.Voice{Silence: ms(300), DictationSilence: ms(900), EarlySilence: ms(300)}, true},
		{"dictation shortest (not asked for)", configs.Voice{Silence: ms(500), DictationSilence: ms(100), EarlySilence: ms(400)}, false},
		{"no early pause", configs.Voice{Silence: ms(300), DictationSilence: ms(900)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEndpointer(tt.voice, "es", nil)
			at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
			if got := e.Undecided(at); got != 0 {
				t.Fatalf("outside a turn: %v", got)
			}
			for range 15 {
				at = at.Add(audio.FrameDuration)
				e.Frame(at, audio.VADResult{Active: true, Speech: true})
			}
			var pause []time.Time
			var undecided []time.Duration
			for range 200 {
				pause, undecided = append(pause, at), append(undecided, e.Undecided(at))
				at = at.Add(audio.FrameDuration)
				if d := e.Frame(at, audio.VADResult{}); d.Flush || d.End {
					for i, u := range undecided {
						if want := at.Sub(pause[i]); u > want || tt.exact && u != want {
							t.Errorf("%v into the pause: undecided %v, the first decision came %v later", pause[i].Sub(pause[0]), u, want)
						}
					}
					return
				}
			}
			t.Fatal("no decision in 4 s of silence")
		})
	}
}

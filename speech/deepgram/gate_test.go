package deepgram_test

import (
	"context"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/speech/deepgram"
	"github.com/voiceagent/voiceagent/speech/deepgram/deepgramtest"
	"github.com/voiceagent/voiceagent/speech/speechtest"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// hush is d of quiet at rate whose samples differ from one another (a
// slow ramp, -20 dBFS below the gate's -40), so the audio on the wire
// tells which of them were sent; from is where the ramp starts.
func hush(rate int, d time.Duration, from int) []int16 {
	out := make([]int16, int(d.Seconds()*float64(rate)))
	for i := range out {
		out[i] = int16((from+i)%301 - 150)
	}
	return out
}

// murmur writes quiet 20 ms frames, a few milliseconds apart, until the
// fake has received n KeepAlives, and returns what it wrote: the
// KeepAlive counts from the last audio sent, not from the last Write.
func murmur(t *testing.T, srv *deepgramtest.Server, s speech.Stream, rate, n, from int) []int16 {
	t.Helper()
	var out []int16
	for deadline := time.Now().Add(10 * time.Second); srv.Sessions()[0].Count("KeepAlive") < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d KeepAlives in 10 s of quiet frames, want %d: %q", srv.Sessions()[0].Count("KeepAlive"), n, srv.Sessions()[0].Types())
		}
		f := hush(rate, 20*time.Millisecond, from+len(out))
		if err := s.Write(f); err != nil {
			t.Fatalf("Write: %v", err)
		}
		out = append(out, f...)
		time.Sleep(5 * time.Millisecond)
	}
	return out
}

func linear16(pcm []int16) []byte {
	out := make([]byte, 0, 2*len(pcm))
	for _, v := range pcm {
		out = binary.LittleEndian.AppendUint16(out, uint16(v))
	}
	return out
}

// TestOnlySpeechSent: of a call's audio, Deepgram receives only each
// utterance, from the 300 ms before its first loud frame (oldest first)
// to its Flush; the quiet outside is not sent, KeepAlives hold the
// connection instead, and a Flush in the quiet gives an empty Final
// without a Finalize.
func TestOnlySpeechSent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rate   int
		encode func([]int16) []byte
	}{
		{"mulaw-8k", 8000, func(p []int16) []byte { return audio.EncodeUlaw(nil, p) }},
		{"linear16-16k", 16000, linear16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fake(t, deepgramtest.Script{Transcripts: []string{"uno dos", "tres"}, KeepAudio: true})
			stt := newSTT(t, srv, func(c *deepgram.Config) { c.KeepAlive = 20 * time.Millisecond })
			s, err := stt.Stream(context.Background(), tc.rate)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			lead := func(quiet []int16) []int16 { return quiet[len(quiet)-int(0.3*float64(tc.rate)):] }
			received := func() []byte { return srv.Sessions()[0].Received }

			// The caller listens: nothing is sent, KeepAlives are.
			quiet := hush(tc.rate, time.Second, 0)
			writeAt(t, s, tc.rate, quiet)
			quiet = append(quiet, murmur(t, srv, s, tc.rate, 2, len(quiet))...)
			if n := len(received()); n != 0 {
				t.Fatalf("%d bytes of quiet sent before the caller spoke", n)
			}

			// The caller speaks: the last 300 ms of quiet, then the voice.
			voice := speechtest.Tone(tc.rate, 500*time.Millisecond)
			writeAt(t, s, tc.rate, voice)
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := untilFinal(t, s); got[len(got)-1].Text != "uno dos" {
				t.Errorf("first final %+v, want %q", got[len(got)-1], "uno dos")
			}
			want := append(tc.encode(lead(quiet)), tc.encode(voice)...)
			if got := received(); !slices.Equal(got, want) {
				t.Fatalf("%d bytes received, want the %d of the lead and the voice, in order", len(got), len(want))
			}

			// After the Flush, quiet again; a Flush in it gives an empty
			// Final and sends no Finalize.
			kept := srv.Sessions()[0].Count("KeepAlive")
			writeAt(t, s, tc.rate, hush(tc.rate, 700*time.Millisecond, 7))
			murmur(t, srv, s, tc.rate, kept+2, 7)
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := untilFinal(t, s); len(got) != 1 || got[0].Text != "" {
				t.Errorf("a Flush in the quiet: %+v, want one empty final", got)
			}
			if got := received(); len(got) != len(want) {
				t.Fatalf("%d bytes of quiet sent after the Flush", len(got)-len(want))
			}
			if n := srv.Sessions()[0].Count("Finalize"); n != 1 {
				t.Errorf("%d Finalize sent, want 1: none for the Flush in the quiet", n)
			}

			// The next utterance, with the quiet before it since that
			// Flush (200 ms: the Flush emptied the lead).
			quiet = hush(tc.rate, 200*time.Millisecond, 11)
			writeAt(t, s, tc.rate, quiet)
			voice = speechtest.Tone(tc.rate, 300*time.Millisecond)
			writeAt(t, s, tc.rate, voice)
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := untilFinal(t, s); got[len(got)-1].Text != "tres" {
				t.Errorf("second final %+v, want %q", got[len(got)-1], "tres")
			}
			want = append(want, tc.encode(quiet)...)
			want = append(want, tc.encode(voice)...)
			if got := received(); !slices.Equal(got, want) {
				t.Errorf("%d bytes received, want %d: the second utterance's lead and voice", len(got), len(want))
			}
		})
	}
}

// TestFlushWhileQuiet: a Flush with nothing loud since the previous one
// gives one empty Final, in order after the Finals before it, without a
// Finalize and without waiting for Deepgram.
func TestFlushWhileQuiet(t *testing.T) {
	type step func(t *testing.T, s speech.Stream)
	speak := func(d time.Duration) step { return func(t *testing.T, s speech.Stream) { write(t, s, tone(d)) } }
	quiet := func(d time.Duration) step {
		return func(t *testing.T, s speech.Stream) { write(t, s, hush(rate, d, 0)) }
	}
	hear := func(text string) step { return func(t *testing.T, s speech.Stream) { until(t, s, text) } }
	flush := func(t *testing.T, s speech.Stream) {
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name     string
		script   deepgramtest.Script
		finalize time.Duration
		steps    []step
		finals   []string
		sent     int // Finalize messages
	}{
		{
			// Deepgram never answers, and the timeout is an hour: the
			// Final cannot be waiting for it.
			name:     "nothing said",
			script:   deepgramtest.Script{Transcript: "uno", IgnoreFinalize: true},
			finalize: time.Hour,
			steps:    []step{quiet(time.Second), flush},
			finals:   []string{""},
		},
		{
			name:   "after an utterance",
			script: deepgramtest.Script{Transcript: "uno"},
			steps:  []step{speak(400 * time.Millisecond), flush, quiet(time.Second), flush},
			finals: []string{"uno", ""},
			sent:   1,
		},
		{
			// The Flush before it waits for its timeout: the empty Final
			// waits too, and comes second.
			name:     "behind an unanswered Flush",
			script:   deepgramtest.Script{Transcript: "uno dos tres", IgnoreFinalize: true, InterimEvery: 100 * time.Millisecond},
			finalize: 300 * time.Millisecond,
			steps:    []step{speak(400 * time.Millisecond), hear("uno dos tres"), flush, quiet(time.Second), flush},
			finals:   []string{"uno dos tres", ""},
			sent:     1,
		},
		{
			name:   "between utterances",
			script: deepgramtest.Script{Transcripts: []string{"uno", "dos"}},
			steps: []step{speak(400 * time.Millisecond), flush, quiet(time.Second), flush,
				quiet(time.Second), speak(400 * time.Millisecond), flush},
			finals: []string{"uno", "", "dos"},
			sent:   2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fake(t, tc.script)
			s := open(t, newSTT(t, srv, func(c *deepgram.Config) { c.FinalizeTimeout = tc.finalize }))
			for _, st := range tc.steps {
				st(t, s)
			}
			var finals []string
			for len(finals) < len(tc.finals) {
				for _, tr := range untilFinal(t, s) {
					if tr.Final {
						finals = append(finals, tr.Text)
					}
				}
			}
			if !slices.Equal(finals, tc.finals) {
				t.Errorf("finals %q, want %q", finals, tc.finals)
			}
			if n := srv.Sessions()[0].Count("Finalize"); n != tc.sent {
				t.Errorf("%d Finalize sent, want %d", n, tc.sent)
			}
		})
	}
}

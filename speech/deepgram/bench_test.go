package deepgram

import (
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech/speechtest"
)

var writeCases = []struct {
	name string
	rate int
	ulaw bool
}{
	{"mulaw-8k", 8000, true},
	{"linear16-8k", 8000, false},
	{"linear16-16k", 16000, false},
}

// frameCases are the frames Write takes: quiet ones while the gate is
// closed (kept in its ring, nothing queued), loud ones while it is open
// (queued and sent), and an utterance's first loud frame, which takes the
// 300 ms of quiet before it along (the gate closed again after it, as a
// Flush does).
var frameCases = []struct {
	name  string
	frame func(rate int) []int16
	lead  bool // 300 ms of quiet frames before each frame, the gate closed after
}{
	{"quiet", quiet, false},
	{"loud", loud, false},
	{"first-loud", loud, true},
}

func quiet(rate int) []int16 { return make([]int16, rate/50) }
func loud(rate int) []int16  { return speechtest.Tone(rate, 20*time.Millisecond) }

// writer is one frame at a time through Write and the writer's queue
// (the socket's send left out).
type writer struct {
	s     *stream
	frame []int16
	quiet []int16 // written 15 times before each frame, for first-loud
	batch []item
}

func newWriter(s *stream, frame func(int) []int16, lead bool) *writer {
	w := &writer{s: s, frame: frame(s.rate)}
	if lead {
		w.quiet = quiet(s.rate)
	}
	return w
}

func (w *writer) step() error {
	if w.quiet != nil {
		for range 15 {
			if err := w.s.Write(w.quiet); err != nil {
				return err
			}
		}
	}
	if err := w.s.Write(w.frame); err != nil {
		return err
	}
	var err error
	w.batch, _, err = w.s.drain(w.batch, nil)
	if w.quiet != nil {
		w.s.mu.Lock()
		w.s.gate.Reset()
		w.s.mu.Unlock()
	}
	return err
}

// BenchmarkWrite is one 20 ms frame through Write and the writer's queue
// (the socket's send left out); its bytes are the audio sent for it.
func BenchmarkWrite(b *testing.B) {
	for _, c := range writeCases {
		for _, f := range frameCases {
			b.Run(c.name+"/"+f.name, func(b *testing.B) {
				s, sent := queueOnly(c.rate, c.ulaw, 5*time.Second)
				w := newWriter(s, f.frame, f.lead)
				if err := w.step(); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(*sent))
				b.ReportAllocs()
				for b.Loop() {
					if err := w.step(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

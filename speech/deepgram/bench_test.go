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

// BenchmarkWrite is one 20 ms frame through Write and the writer's queue
// (the socket's send left out); its bytes are the audio sent for it.
func BenchmarkWrite(b *testing.B) {
	for _, c := range writeCases {
		b.Run(c.name, func(b *testing.B) {
			s, _ := queueOnly(c.rate, c.ulaw, 5*time.Second)
			frame := speechtest.Tone(c.rate, 20*time.Millisecond)
			bytes := len(frame)
			if !c.ulaw {
				bytes *= 2
			}
			b.SetBytes(int64(bytes))
			b.ReportAllocs()
			var batch []item
			for b.Loop() {
				if err := s.Write(frame); err != nil {
					b.Fatal(err)
				}
				batch, _, _ = s.drain(batch, nil)
			}
		})
	}
}

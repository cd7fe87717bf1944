//go:build !race

package deepgram

import (
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech/speechtest"
)

// Zero allocations per 20 ms frame in steady state: Write, and the
// writer's handling of the queue up to the socket. (The race detector
// allocates, hence the tag. Sending is gorilla/websocket's, whose client
// allocates one small writer per message.)
func TestWriteAllocs(t *testing.T) {
	for _, c := range writeCases {
		s, _ := queueOnly(c.rate, c.ulaw, 5*time.Second)
		frame := speechtest.Tone(c.rate, 20*time.Millisecond)
		var batch []item
		step := func() {
			if err := s.Write(frame); err != nil {
				t.Fatal(err)
			}
			var err error
			if batch, _, err = s.drain(batch, nil); err != nil {
				t.Fatal(err)
			}
		}
		step() // warm up: buffers grow to their steady size
		if n := testing.AllocsPerRun(100, step); n != 0 {
			t.Errorf("%s: %v allocations per frame, want 0", c.name, n)
		}
	}
}

//go:build !race

package deepgram

import (
	"testing"
	"time"
)

// Zero allocations per 20 ms frame in steady state, quiet or loud: Write,
// and the writer's handling of the queue up to the socket. (The race
// detector allocates, hence the tag. Sending is gorilla/websocket's, whose
// client allocates one small writer per message.)
func TestWriteAllocs(t *testing.T) {
	for _, c := range writeCases {
		for _, f := range frameCases {
			s, sent := queueOnly(c.rate, c.ulaw, 5*time.Second)
			w := newWriter(s, f.frame, f.lead)
			step := func() {
				if err := w.step(); err != nil {
					t.Fatal(err)
				}
			}
			step() // warm up: the ring and the queue's buffers grow to their steady size
			if n := testing.AllocsPerRun(100, step); n != 0 {
				t.Errorf("%s, %s: %v allocations per frame, want 0", c.name, f.name, n)
			}
			if loud := f.name != "quiet"; loud != (*sent > 0) {
				t.Errorf("%s, %s: %d bytes sent", c.name, f.name, *sent)
			}
		}
	}
}

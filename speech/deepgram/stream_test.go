package deepgram

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech/speechtest"
)

// The quiet the gate holds back is neither queued nor counted: an
// utterance's first frame comes with its lead, the two count together
// against MaxBuffered, and a Flush is placed on the audio sent (the clock
// of Deepgram's results), not on the audio written.
func TestGateInQueue(t *testing.T) {
	for _, tc := range []struct {
		name     string
		buffered time.Duration
		frames   int   // loud 20 ms frames after a second of quiet
		refused  []int // the frames Write refuses
		at       float64
	}{
		// 300 ms of lead and the first frame, then four more: 400 ms.
		{"the lead and its frame fit", 400 * time.Millisecond, 6, []int{5}, 0.4},
		// The first frame and its lead do not fit: both are dropped, the
		// next frames go.
		{"the lead does not fit", 300 * time.Millisecond, 3, []int{0}, 0.04},
	} {
		for _, ulaw := range []bool{true, false} {
			s, sent := queueOnly(8000, ulaw, tc.buffered)
			for range 50 {
				if err := s.Write(make([]int16, 160)); err != nil {
					t.Fatal(err)
				}
			}
			if s.queued != 0 || s.streamed != 0 || len(s.out) != 0 {
				t.Fatalf("%s, ulaw %v: a second of quiet queued: %d bytes, %d samples", tc.name, ulaw, s.queued, s.streamed)
			}
			frame := speechtest.Tone(8000, 20*time.Millisecond)
			var refused []int
			for i := range tc.frames {
				switch err := s.Write(frame); {
				case errors.Is(err, ErrQueueFull):
					refused = append(refused, i)
				case err != nil:
					t.Fatal(err)
				}
			}
			if !slices.Equal(refused, tc.refused) {
				t.Errorf("%s, ulaw %v: frames %v refused, want %v", tc.name, ulaw, refused, tc.refused)
			}
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			if len(s.asm.flushes) != 1 || math.Abs(s.asm.flushes[0].at-tc.at) > 1e-9 {
				t.Errorf("%s, ulaw %v: Flushes %+v, want one at %vs", tc.name, ulaw, s.asm.flushes, tc.at)
			}
			if _, _, err := s.drain(nil, nil); err != nil {
				t.Fatal(err)
			}
			want := int(tc.at * 8000)
			if !ulaw {
				want *= 2
			}
			want += len(msgFinalize)
			if *sent != want || s.queued != 0 {
				t.Errorf("%s, ulaw %v: %d bytes sent, want %d (%d still queued)", tc.name, ulaw, *sent, want, s.queued)
			}
			// Quiet again after the Flush.
			if err := s.Write(make([]int16, 160)); err != nil || len(s.out) != 0 {
				t.Errorf("%s, ulaw %v: quiet after the Flush: %v, %d queued", tc.name, ulaw, err, len(s.out))
			}
		}
	}
}

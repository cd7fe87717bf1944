package deepgram

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	// Only the tests import telephony/audio (ARCHITECTURE.md keeps the
	// provider itself from it): the encoder must be the phone line's,
	// code for code.
	"github.com/voiceagent/voiceagent/speech/speechtest"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// Every 16-bit sample encodes as telephony/audio encodes it for the phone
// line.
func TestUlawIsTheLines(t *testing.T) {
	pcm := make([]int16, 0, 1<<16)
	for v := math.MinInt16; v <= math.MaxInt16; v++ {
		pcm = append(pcm, int16(v))
	}
	got, want := appendUlaw(nil, pcm), audio.EncodeUlaw(nil, pcm)
	for i := range pcm {
		if got[i] != want[i] {
			t.Fatalf("sample %d: code %#02x, the line's is %#02x", pcm[i], got[i], want[i])
		}
	}
	// What the caller said, decoded by the runtime, goes to Deepgram as
	// the very codes the caller sent (0x7F, "negative zero", is 0xFF).
	for c := range 256 {
		pcm := audio.DecodeUlaw(nil, audio.Ulaw{byte(c)})
		want := byte(c)
		if c == 0x7F {
			want = 0xFF
		}
		if got := appendUlaw(nil, pcm); got[0] != want {
			t.Errorf("code %#02x decoded and encoded again: %#02x", c, got[0])
		}
	}
	// Appending keeps what was there.
	if got := appendUlaw([]byte{1, 2}, []int16{0, -1}); len(got) != 4 || got[0] != 1 || got[1] != 2 || got[2] != 0xFF || got[3] != 0x7F {
		t.Errorf("appendUlaw: % x", got)
	}
}

func TestLinear16(t *testing.T) {
	pcm := []int16{0, 1, -1, math.MaxInt16, math.MinInt16, 12345}
	got := appendLinear16([]byte{9}, pcm)
	if len(got) != 1+2*len(pcm) || got[0] != 9 {
		t.Fatalf("% x", got)
	}
	for i, v := range pcm {
		if s := int16(binary.LittleEndian.Uint16(got[1+2*i:])); s != v {
			t.Errorf("sample %d: %d, want %d", i, s, v)
		}
	}
}

// queueOnly is a stream without a connection whose writer's sends are
// counted, not made.
func queueOnly(rate int, ulaw bool, buffered time.Duration) (*stream, *int) {
	s := newStream(Config{MaxBuffered: buffered, FinalizeTimeout: time.Second}, rate, ulaw, "")
	sent := new(int)
	s.transmit = func(_ int, data []byte) error { *sent += len(data); return nil }
	return s, sent
}

// The queue holds Config.MaxBuffered of audio, whatever the encoding.
func TestQueueHoldsMaxBuffered(t *testing.T) {
	for _, ulaw := range []bool{true, false} {
		s, sent := queueOnly(8000, ulaw, 100*time.Millisecond)
		frame := speechtest.Tone(8000, 20*time.Millisecond)
		for i := range 5 {
			if err := s.Write(frame); err != nil {
				t.Fatalf("ulaw %v: frame %d: %v", ulaw, i, err)
			}
		}
		if err := s.Write(frame); !errors.Is(err, ErrQueueFull) {
			t.Errorf("ulaw %v: a sixth 20 ms frame in 100 ms: %v", ulaw, err)
		}
		if _, _, err := s.drain(nil, nil); err != nil {
			t.Fatal(err)
		}
		want := 5 * 160
		if !ulaw {
			want *= 2
		}
		if *sent != want || s.queued != 0 {
			t.Errorf("ulaw %v: %d bytes sent (want %d), %d still queued", ulaw, *sent, want, s.queued)
		}
		if err := s.Write(frame); err != nil {
			t.Errorf("ulaw %v: after the queue was sent: %v", ulaw, err)
		}
	}
}

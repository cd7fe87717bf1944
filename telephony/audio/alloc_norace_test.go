//go:build !race

package audio

import (
	"context"
	"testing"
	"time"
)

// Zero allocations per 20 ms frame in steady state, stage by stage and
// through whole chains. (The race detector allocates, hence the tag.)

func TestAllocsPerFrame(t *testing.T) {
	ulawFrame := EncodeUlaw(nil, sine(8000, 440, 8000, 160))
	pcm8 := sine(8000, 440, 8000, 160)
	pcm24 := sine(24000, 440, 8000, 480)
	pcm16 := make(PCM16, 0, 480)
	bytes := make([]byte, 0, 480)

	up, _ := NewResampler(8000, 16000)
	down, _ := NewResampler(24000, 8000)
	vad, _ := NewVAD(8000, VADConfig{})
	framer, _ := NewFramer[byte](160)
	chunk := make([]byte, 333)

	clock := &tickClock{now: time.Unix(0, 0)}
	pacer := NewPacer(PacerConfig{Clock: clock})
	ctx := context.Background()

	stt := NewFuncWriter("stt", 16000, func(PCM16) error { return nil })
	toSTT, _ := NewResampleWriter(stt, 8000)
	inbound := NewUlawDecoder(toSTT)
	playout := NewFuncWriter("playout", 8000, func(b Ulaw) error { framer.Write(b); return nil })
	toPlayout, _ := NewResampleWriter(NewUlawEncoder(playout), 24000)
	outbound := NewPCM16LEDecoder(toPlayout)
	ttsChunk := EncodePCM16LE(nil, pcm24)[:701]

	cases := []struct {
		name string
		fn   func()
	}{
		{"DecodeUlaw", func() { pcm16 = DecodeUlaw(pcm16[:0], ulawFrame) }},
		{"EncodeUlaw", func() { bytes = EncodeUlaw(bytes[:0], pcm8) }},
		{"DecodeAlaw", func() { pcm16 = DecodeAlaw(pcm16[:0], Alaw(ulawFrame)) }},
		{"EncodeAlaw", func() { bytes = EncodeAlaw(bytes[:0], pcm8) }},
		{"DecodePCM16LE", func() { pcm16 = DecodePCM16LE(pcm16[:0], ulawFrame) }},
		{"Resample 8k to 16k", func() { pcm16 = up.Resample(pcm16[:0], pcm8) }},
		{"Resample 24k to 8k", func() { pcm16 = down.Resample(pcm16[:0], pcm24) }},
		{"VAD", func() { vad.Process(pcm8) }},
		{"LevelDB", func() { LevelDB(pcm8) }},
		{"Framer", func() {
			framer.Write(chunk)
			for {
				if _, ok := framer.Next(); !ok {
					break
				}
			}
		}},
		{"Pacer", func() {
			if _, err := pacer.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}},
		{"inbound chain", func() {
			if err := inbound.WriteSample(ulawFrame); err != nil {
				t.Fatal(err)
			}
		}},
		{"outbound chain", func() {
			if err := outbound.WriteSample(ttsChunk); err != nil {
				t.Fatal(err)
			}
			for {
				if _, ok := framer.Next(); !ok {
					break
				}
			}
		}},
	}
	for _, c := range cases {
		c.fn() // warm up: buffers grow to their steady size
		if n := testing.AllocsPerRun(100, c.fn); n != 0 {
			t.Errorf("%s: %v allocations per frame, want 0", c.name, n)
		}
	}
}

// tickClock is a fake clock that allocates nothing.
type tickClock struct{ now time.Time }

func (c *tickClock) Now() time.Time { return c.now }
func (c *tickClock) Sleep(_ context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return nil
}

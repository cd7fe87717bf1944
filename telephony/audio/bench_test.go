package audio

import (
	"fmt"
	"testing"
)

// Per-frame costs of the two paths of a call and of each stage:
//
//	go test -run '^$' -bench . -benchmem ./telephony/audio/

// BenchmarkInbound: 160 mu-law bytes from Twilio, decoded, through the
// VAD, resampled to 16 kHz for speech-to-text.
func BenchmarkInbound(b *testing.B) {
	frame := EncodeUlaw(nil, sine(8000, 440, 8000, 160))
	vad, _ := NewVAD(8000, VADConfig{})
	up, _ := NewResampler(8000, 16000)
	pcm8, pcm16 := make(PCM16, 0, 160), make(PCM16, 0, 320)
	for b.Loop() {
		pcm8 = DecodeUlaw(pcm8[:0], frame)
		vad.Process(pcm8)
		pcm16 = up.Resample(pcm16[:0], pcm8)
	}
}

// BenchmarkOutbound: 20 ms of 24 kHz text-to-speech (480 samples),
// resampled to 8 kHz and mu-law encoded.
func BenchmarkOutbound(b *testing.B) {
	tts := sine(24000, 440, 8000, 480)
	down, _ := NewResampler(24000, 8000)
	pcm8, out := make(PCM16, 0, 160), make(Ulaw, 0, 160)
	for b.Loop() {
		pcm8 = down.Resample(pcm8[:0], tts)
		out = EncodeUlaw(out[:0], pcm8)
	}
}

func BenchmarkDecodeUlaw(b *testing.B) {
	frame, dst := EncodeUlaw(nil, noise(1, 8000, 160)), make(PCM16, 0, 160)
	for b.Loop() {
		dst = DecodeUlaw(dst[:0], frame)
	}
}

func BenchmarkEncodeUlaw(b *testing.B) {
	pcm, dst := noise(1, 8000, 160), make(Ulaw, 0, 160)
	for b.Loop() {
		dst = EncodeUlaw(dst[:0], pcm)
	}
}

func BenchmarkDecodeAlaw(b *testing.B) {
	frame, dst := EncodeAlaw(nil, noise(1, 8000, 160)), make(PCM16, 0, 160)
	for b.Loop() {
		dst = DecodeAlaw(dst[:0], frame)
	}
}

func BenchmarkEncodeAlaw(b *testing.B) {
	pcm, dst := noise(1, 8000, 160), make(Alaw, 0, 160)
	for b.Loop() {
		dst = EncodeAlaw(dst[:0], pcm)
	}
}

// BenchmarkResample: one 20 ms frame, for each pair of rates.
func BenchmarkResample(b *testing.B) {
	for _, pair := range ratePairs {
		b.Run(fmt.Sprintf("%dto%d", pair[0]/1000, pair[1]/1000), func(b *testing.B) {
			r, _ := NewResampler(pair[0], pair[1])
			in, dst := noise(1, 8000, FrameSize(pair[0])), make(PCM16, 0, FrameSize(pair[1]))
			for b.Loop() {
				dst = r.Resample(dst[:0], in)
			}
		})
	}
}

func BenchmarkVAD(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		b.Run(fmt.Sprint(rate/1000, "k"), func(b *testing.B) {
			v, _ := NewVAD(rate, VADConfig{})
			frames := [][]int16{noise(1, 30, FrameSize(rate)), sine(rate, 440, 3000, FrameSize(rate))}
			i := 0
			for b.Loop() {
				v.Process(frames[i/40%2]) // alternate silence and tone every 800 ms
				i++
			}
		})
	}
}

// BenchmarkFramer: 20 ms of mu-law written in chunks of odd sizes and
// taken out as frames.
func BenchmarkFramer(b *testing.B) {
	f, _ := NewFramer[byte](160)
	chunk := make([]byte, 160)
	sizes := []int{37, 123, 160, 1, 159}
	i := 0
	for b.Loop() {
		f.Write(chunk[:sizes[i%len(sizes)]])
		i++
		for {
			if _, ok := f.Next(); !ok {
				break
			}
		}
	}
}

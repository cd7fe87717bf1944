package audio_test

import (
	"fmt"

	"github.com/voiceagent/voiceagent/telephony/audio"
)

// The outbound chain of a call: text-to-speech bytes at 24 kHz become
// 20 ms mu-law frames for Twilio.
func Example() {
	framer, _ := audio.NewFramer[byte](audio.FrameSize(8000))
	playout := audio.NewFuncWriter("playout", 8000, func(b audio.Ulaw) error {
		framer.Write(b)
		return nil
	})
	resample, err := audio.NewResampleWriter(audio.NewUlawEncoder(playout), 24000)
	if err != nil {
		panic(err)
	}
	tts := audio.NewPCM16LEDecoder(resample)
	fmt.Println(tts)

	// 100 ms of silence from the TTS, in chunks of 1001 bytes.
	body := make([]byte, 2*2400)
	for len(body) > 0 {
		n := min(1001, len(body))
		if err := tts.WriteSample(body[:n]); err != nil {
			panic(err)
		}
		body = body[n:]
	}
	frames := 0
	for {
		frame, ok := framer.Next()
		if !ok {
			break
		}
		frames++
		_ = frame // send to Twilio, after pacer.Wait(ctx)
	}
	fmt.Println(frames, "frames of", audio.FrameSize(8000), "bytes")
	// Output:
	// pcm16le(24000) -> resample(24000->8000) -> ulaw-encode(8000) -> playout(8000)
	// 5 frames of 160 bytes
}

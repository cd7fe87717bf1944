package deepgram_test

import (
	"context"
	"fmt"
	"time"

	"github.com/voiceagent/voiceagent/speech/deepgram"
	"github.com/voiceagent/voiceagent/speech/deepgram/deepgramtest"
	"github.com/voiceagent/voiceagent/speech/speechtest"
)

func ExampleSTT_String() {
	stt, err := deepgram.New(deepgram.Config{APIKey: "dg-secret", Model: "nova-2", Language: "es"})
	if err != nil {
		panic(err)
	}
	fmt.Println(stt)
	// Output: deepgram nova-2 at api.deepgram.com
}

// One utterance against the fake server: audio in 20 ms frames, then Flush
// for its final transcript.
func Example() {
	srv := deepgramtest.New(deepgramtest.Script{Transcript: "quiero agendar una cita"})
	defer srv.Close()
	stt, err := deepgram.New(deepgram.Config{URL: srv.URL, APIKey: deepgramtest.Key})
	if err != nil {
		panic(err)
	}
	s, err := stt.Stream(context.Background(), 16000)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	audio := speechtest.Tone(16000, time.Second)
	for i := 0; i < len(audio); i += 320 {
		s.Write(audio[i : i+320])
	}
	s.Flush()
	for {
		tr, err := s.Recv()
		if err != nil {
			panic(err)
		}
		if tr.Final {
			fmt.Println(tr.Text)
			return
		}
	}
	// Output: quiero agendar una cita
}

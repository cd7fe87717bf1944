package openai

import (
	"context"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/voiceagent/voiceagent/internal/openaitest"
)

// An utterance's audio is let go once its request's body is made: while
// the server takes its time, the stream holds the audio only as WAV.
func TestSTTLetsAudioGoWhileSending(t *testing.T) {
	srv := openaitest.New(openaitest.Always(openaitest.Reply{}))
	defer srv.Close()
	arrived := make(chan struct{}, 1)
	srv.OnTranscription(func(*openaitest.Transcription) openaitest.AudioReply {
		arrived <- struct{}{}
		return openaitest.AudioReply{Hang: true}
	})
	stt, err := NewSTT(Config{BaseURL: srv.URL, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	st, err := stt.Stream(context.Background(), 16000)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*stream)
	tone := make([]int16, 16000)
	for i := range tone {
		tone[i] = int16(8000 * (i % 2))
	}
	s.Write(tone)
	audio := weak.Make(&s.buf[0])
	s.Flush()
	<-arrived
	runtime.GC()
	runtime.GC()
	if audio.Value() != nil {
		t.Error("the utterance's audio is still held while its request is under way")
	}
}

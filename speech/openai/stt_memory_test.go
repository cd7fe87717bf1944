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

// A transcription request's body is allocated once, at its size: the WAV
// file is made in it, not apart and copied (that was twice an utterance's
// audio, in a slice grown many times over).
func TestFormAllocatesTheBodyOnce(t *testing.T) {
	stt, err := NewSTT(Config{BaseURL: "http://127.0.0.1:1", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 3*16000) // three seconds at 16 kHz: a 96 KB file
	for i := range pcm {
		pcm[i] = int16(i)
	}
	body, _ := stt.form(pcm, 16000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 10
	for range n {
		body, _ = stt.form(pcm, 16000)
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > uint64(len(body))+8<<10 {
		t.Errorf("%d bytes allocated for a body of %d", per, len(body))
	}
}

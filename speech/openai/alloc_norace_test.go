//go:build !race

package openai

import (
	"runtime"
	"testing"
	"time"
)

// The race detector allocates beside the code it watches: this file's
// counts hold without it.

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

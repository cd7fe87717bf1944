//go:build !race

package telephony

import (
	"context"
	"testing"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio"
)

// nopStream is a recogniser that takes audio and says nothing.
type nopStream struct{}

func (nopStream) Write([]int16) error              { return nil }
func (nopStream) Flush() error                     { return nil }
func (nopStream) Recv() (speech.Transcript, error) { return speech.Transcript{}, speech.ErrClosed }
func (nopStream) Close() error                     { return nil }

// TestInboundAllocs pins the inbound path at zero allocations per frame:
// a Twilio media message through the fast parser, the transport's chain
// (ulaw-decode(8000) -> call(8000)), the call's framing, voice activity,
// recognition and endpointing.
func TestInboundAllocs(t *testing.T) {
	frame := inbound(t)
	for range 200 { // warm up: buffers grow to size
		frame()
	}
	if avg := testing.AllocsPerRun(500, frame); avg != 0 {
		t.Errorf("%.2f allocations per inbound frame; want 0", avg)
	}
}

// BenchmarkInbound is the cost of one inbound frame, from the Twilio
// message to endpointing, for a caller who speaks 400 ms a second.
func BenchmarkInbound(b *testing.B) {
	frame := inbound(b)
	b.ReportAllocs()
	for b.Loop() {
		frame()
	}
}

// inbound returns a function that takes one Twilio media message through
// a call's inbound path.
func inbound(t testing.TB) func() {
	rt := NewRuntime(Options{})
	agent := &configs.Agent{Name: "a", Language: "es", Voice: testVoice}
	c := rt.NewCall(&Conversation{Session: &fakeSession{}, Agent: agent}, CallInfo{ID: "x"}, newFakeLine(false))
	c.stream = nopStream{}
	c.loopCtx, c.looping = context.Background(), true // frames are taken at once, as while the loop runs

	speech := voiceFrame()
	msgs := [][]byte{
		twilio.AppendMedia(nil, "MZ1", audio.EncodeUlaw(nil, make(audio.PCM16, frameLen))), // silence
		twilio.AppendMedia(nil, "MZ1", audio.EncodeUlaw(nil, speech)),
	}
	var ulaw []byte
	in := audio.NewUlawDecoder(c)
	n := 0
	frame := func() {
		msg := msgs[0]
		if n%50 >= 10 && n%50 < 30 { // 400 ms of speech a second: turns start and pause
			msg = msgs[1]
		}
		n++
		payload, ok := twilio.ParseMedia(ulaw[:0], msg)
		if !ok {
			t.Fatal("not media")
		}
		ulaw = payload
		_ = in.WriteSample(audio.Ulaw(payload))
	}
	return frame
}

package main

import (
	"sync/atomic"
	"time"

	"github.com/voiceagent/voiceagent/internal/openaitest"
)

// delays are the fake providers' latencies.
type delays struct {
	stt, llm, tts time.Duration
}

// fakeCounts is what the fake providers answered.
type fakeCounts struct {
	Transcriptions int64 `json:"transcriptions"`
	Unmatched      int64 `json:"unmatched"` // transcriptions no line of the script matched
	Speeches       int64 `json:"speeches"`
	Chats          int64 `json:"chats"`
}

// matchTolerance is how far an utterance's voice may last from a line's
// for the fake recogniser to hear that line; the script's lines are at
// least 180 ms apart.
const matchTolerance = 80 * time.Millisecond

// fakes is an OpenAI-compatible server on loopback that transcribes the
// script's lines (told apart by how long their voice lasts), speaks a
// tone, and answers every chat by calling the booking service with no
// arguments: the model picks the service, and the agent's rules read the
// caller's words.
type fakes struct {
	*openaitest.Server
	chats, transcriptions, unmatched, speeches atomic.Int64
}

// startFakes starts the fakes; with tones, each of the chaos agent's
// questions is spoken in a tone of its own (chaosTone).
func startFakes(clips []clip, d delays, tones bool) *fakes {
	f := &fakes{}
	f.Server = openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		f.chats.Add(1)
		return openaitest.Reply{Delay: d.llm, ToolCalls: []openaitest.ToolCall{{ID: "call_1", Name: service(r), Arguments: "{}"}}}
	})
	f.Unrecorded()
	f.OnTranscription(func(t *openaitest.Transcription) openaitest.AudioReply {
		f.transcriptions.Add(1)
		c, off := nearest(clips, voiced(t.PCM, t.SampleRate))
		if off > matchTolerance {
			f.unmatched.Add(1)
			return openaitest.AudioReply{Text: "eh", Delay: d.stt}
		}
		return openaitest.AudioReply{Text: c.Text, Delay: d.stt}
	})
	f.OnSpeech(func(s *openaitest.Speech) openaitest.AudioReply {
		f.speeches.Add(1)
		if tones {
			return openaitest.AudioReply{Delay: d.tts, Tone: chaosTone(s.Input)}
		}
		return openaitest.AudioReply{Delay: d.tts}
	})
	return f
}

// counts is what the fakes have answered so far.
func (f *fakes) counts() fakeCounts {
	return fakeCounts{Transcriptions: f.transcriptions.Load(), Unmatched: f.unmatched.Load(), Speeches: f.speeches.Load(), Chats: f.chats.Load()}
}

// bookingService is the function the fake model calls: the script is a
// booking at Clínica Central.
const bookingService = "schedule_appointment"

// service is the function the fake model calls: the booking, or the first
// function offered when there is no booking.
func service(r *openaitest.Request) string {
	for _, t := range r.Tools {
		if t.Function.Name == bookingService {
			return bookingService
		}
	}
	if len(r.Tools) > 0 {
		return r.Tools[0].Function.Name
	}
	return bookingService
}

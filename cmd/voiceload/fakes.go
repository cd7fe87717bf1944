package main

import (
	"sync/atomic"
	"time"

	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/speech/deepgram/deepgramtest"
)

// delays are the fake providers' latencies.
type delays struct {
	stt, llm, tts time.Duration
}

// fakeCounts is what the fake providers answered.
type fakeCounts struct {
	Transcriptions int64 `json:"transcriptions"`
	// With --stt deepgram: the fake Deepgram's streams, and the
	// utterances it finalized with speech.
	DeepgramStreams    int64 `json:"deepgramStreams,omitempty"`
	DeepgramUtterances int64 `json:"deepgramUtterances,omitempty"`
	Unmatched          int64 `json:"unmatched"` // transcriptions or utterances no line of the script matched
	Speeches           int64 `json:"speeches"`
	Chats              int64 `json:"chats"`
}

// recognised is how many of the callers' utterances the fake recogniser
// finalized: transcriptions or, with --stt deepgram, the fake Deepgram's
// utterances.
func (c *fakeCounts) recognised() int64 { return c.Transcriptions + c.DeepgramUtterances }

// matchTolerance is how far an utterance's voice may last from a line's
// for the fake recogniser to hear that line; the script's lines are at
// least 180 ms apart.
const matchTolerance = 80 * time.Millisecond

// fakes is an OpenAI-compatible server on loopback that transcribes the
// script's lines (told apart by how long their voice lasts), speaks a
// tone, and answers every chat by calling the booking service with no
// arguments: the model picks the service, and the agent's rules read the
// caller's words. With --stt deepgram a fake Deepgram live server beside it
// recognises the lines the same way, as they stream.
type fakes struct {
	*openaitest.Server
	deepgram                                   *deepgramtest.Server // nil unless --stt deepgram
	chats, transcriptions, unmatched, speeches atomic.Int64
	utterances                                 atomic.Int64 // finalized by the fake Deepgram
}

// deepgramKey is the key the fake Deepgram takes, and serve is given.
const deepgramKey = "dg-voiceload"

// startFakes starts the fakes; with tones, each of the chaos agent's
// questions is spoken in a tone of its own (chaosTone); with stt
// "deepgram", the fake Deepgram too.
func startFakes(clips []clip, d delays, tones bool, stt string) *fakes {
	f := &fakes{}
	if stt == "deepgram" {
		f.deepgram = deepgramtest.New(deepgramtest.Script{Key: deepgramKey, Recognize: f.recognise(clips)})
		f.deepgram.Unrecorded()
	}
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

// recognise names an utterance streamed to the fake Deepgram: its final
// words are the line whose voice lasts nearest to the utterance's, as the
// transcriptions'; its interim words, while the voice goes on, the
// shortest line at least as long as the voice so far.
func (f *fakes) recognise(clips []clip) func(pcm []int16, rate int, final bool) string {
	return func(pcm []int16, rate int, final bool) string {
		v := voiced(pcm, rate)
		if !final {
			return atLeast(clips, v).Text
		}
		f.utterances.Add(1)
		c, off := nearest(clips, v)
		if off > matchTolerance {
			f.unmatched.Add(1)
			return "eh"
		}
		return c.Text
	}
}

// Close stops the fakes.
func (f *fakes) Close() {
	if f.deepgram != nil {
		f.deepgram.Close()
	}
	f.Server.Close()
}

// counts is what the fakes have answered so far.
func (f *fakes) counts() fakeCounts {
	c := fakeCounts{Transcriptions: f.transcriptions.Load(), Unmatched: f.unmatched.Load(), Speeches: f.speeches.Load(), Chats: f.chats.Load(),
		DeepgramUtterances: f.utterances.Load()}
	if f.deepgram != nil {
		c.DeepgramStreams = int64(f.deepgram.Accepted())
	}
	return c
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

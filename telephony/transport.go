package telephony

import (
	"context"
	"sync"

	"github.com/voiceagent/voiceagent/telephony/audio"
)

// The contract between the runtime and transports: a transport takes a
// call from its carrier, hands it to an Answerer with a Line to the
// caller, feeds the Inbound it gets back from its read loop, and runs it.
// telephony/transporttest checks a transport against it.

// Rate is the sample rate of a call's audio, both ways: 8 kHz, the rate of
// the telephone network. A transport converts its carrier's audio to and
// from it.
const Rate = 8000

// Line is a call's connection to the caller. WriteSample, Mark and Clear
// are called from one goroutine at a time; End once, at the end.
type Line interface {
	// WriteSample queues audio for the caller: one or more whole 20 ms
	// frames of PCM16 at Rate (its SampleRate), as one message. It must
	// not block for long (the runtime paces the audio itself) and must not
	// keep the slice. String names the chain the audio goes through to
	// the caller, as audio.Writer's do.
	audio.Writer[audio.PCM16]
	// Mark queues a label after the audio sent so far; when the caller has
	// heard up to it, or the audio before it was cleared, the transport
	// calls the call's Marked with the name.
	Mark(name string) error
	// Clear drops the audio queued and not yet played.
	Clear() error
	// End finishes the call: hangs up, or transfers it to number when
	// number is not "".
	End(number string) error
}

// Inbound is an answered call as its transport feeds it, from its read
// loop, while Run drives the call.
type Inbound interface {
	// WriteSample takes the caller's audio: PCM16 at Rate (its SampleRate),
	// of any length, in order, from one goroutine. It does not keep the
	// slice. It takes each frame there and then, so it may wait while the
	// call handles something else (the audio then waits in the
	// connection); frames that come before the call runs, beyond half a
	// second, are dropped and counted, and those after it ends let go.
	audio.Writer[audio.PCM16]
	// DTMF takes a key the caller pressed: 0-9, *, #.
	DTMF(digit string)
	// Marked tells the call that the caller has heard the audio up to the
	// mark named name (or that it was cleared).
	Marked(name string)
	// Hangup tells the call that the caller hung up, or the transport is
	// gone. It is idempotent, and none of these methods blocks once the
	// call is over.
	Hangup()
	// Run drives the call until it ends: the caller hangs up, the agent
	// hangs up or transfers (Line.End), the call lasts too long, or ctx is
	// done. It returns when everything it started has finished; Line.End
	// has been called once by then.
	Run(ctx context.Context)
}

// Typist is an Inbound that also takes text: a browser caller's typed
// words, or words their browser recognised. *Call is one.
type Typist interface {
	Typed(text string)
}

// Answerer answers the calls transports bring. It is safe for concurrent
// use; a Runtime is one.
type Answerer interface {
	// Answer opens a new call on line. An error (an unknown agent) refuses
	// it: the transport then closes its connection without Line.End.
	Answer(ctx context.Context, info CallInfo, line Line) (Inbound, error)
}

// Settle waits for a transport's calls (wg) to end until ctx is done;
// then it ends them with end and waits for that: what a transport's Drain
// and HandOver do once they have stopped taking calls.
func Settle(ctx context.Context, wg *sync.WaitGroup, end func()) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	end()
	<-done
}

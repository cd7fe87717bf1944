package telephony

import (
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// Endpointer decides when a caller's turn is over, from the voice activity
// of each frame and the words recognised so far. It is slot-aware: while a
// phone number, digits or an email is asked, or the words so far lead on
// to more ("para", "de", "um": dialog.LeadsOn), it allows the longer
// DictationSilence, and as soon as the words hold a complete answer of the
// kind asked (a full date, a yes or no, every digit of a phone number, an
// email address to its end) a pause of EarlySilence is enough.
//
// The words come from the recogniser: interim transcripts where it gives
// them, and finals, which the Endpointer asks for itself (Decision.Flush)
// after EarlySilence of pause, so that a recogniser that transcribes per
// utterance can tell too whether the answer is complete. Each Flush gives
// exactly one final (speech.Stream's contract); the turn ends only once
// all of them are in.
//
// It is pure: time comes in with each call. It is not safe for concurrent
// use.
type Endpointer struct {
	silence, dictation, early time.Duration
	lang                      string
	loc                       *time.Location

	ask       string // the kind of answer expected: a field type, dialog.AnswerConfirm, or ""
	inTurn    bool   // speech started since the last End
	lastVoice time.Time
	unflushed bool     // speech since the last Flush
	pending   int      // Flushes whose final has not come
	finals    []string // final texts of this turn
	interim   string   // the words after the last final, from an interim transcript
	endingAt  time.Time

	// whether the words so far are a complete answer, or lead on to more,
	// worked out again only when they or the answer expected change
	words      int // changes to the words or the expected answer
	judged     int // the value of words when they were judged
	isComplete bool
	leadsOn    bool
}

// FinalsWait bounds how long a turn decided over waits for the
// recogniser's finals; past it, the turn ends with what was heard.
const FinalsWait = 3 * time.Second

// Decision is what the runtime must do after a frame or a transcript.
type Decision struct {
	// Flush: ask the recogniser for the final of the audio so far.
	Flush bool
	// End: the turn is over; Text is what the caller said.
	End bool
}

// NewEndpointer returns an Endpointer with an agent's pauses, for words in
// lang; dates in answers are read in loc.
func NewEndpointer(v configs.Voice, lang string, loc *time.Location) *Endpointer {
	if loc == nil {
		loc = time.UTC
	}
	return &Endpointer{silence: v.Silence.Std(), dictation: v.DictationSilence.Std(), early: v.EarlySilence.Std(), lang: lang, loc: loc}
}

// Expect says what the agent has just asked for, for the next turn: a
// field type (dialog.Ask.Type), dialog.AnswerConfirm for a read-back, or ""
// for anything.
func (e *Endpointer) Expect(ask string) { e.ask, e.words = ask, e.words+1 }

// InTurn reports whether the caller has started speaking and the turn is
// not over.
func (e *Endpointer) InTurn() bool { return e.inTurn }

// LastVoice is when the caller's voice was last heard in this turn.
func (e *Endpointer) LastVoice() time.Time { return e.lastVoice }

// Text is what the caller has said in this turn so far.
func (e *Endpointer) Text() string {
	words := e.finals
	if e.interim != "" {
		words = append(words[:len(words):len(words)], e.interim)
	}
	return strings.Join(words, " ")
}

// Frame takes the voice activity of the 20 ms frame that ended at at.
func (e *Endpointer) Frame(at time.Time, v audio.VADResult) Decision {
	if v.Event == audio.SpeechStart || v.Active && v.Speech {
		e.inTurn, e.unflushed, e.lastVoice = true, true, at
		e.endingAt = time.Time{} // speaking again: the turn goes on
		return Decision{}
	}
	return e.decide(at)
}

// Transcript takes what the recogniser heard.
func (e *Endpointer) Transcript(at time.Time, t speech.Transcript) Decision {
	if !e.inTurn && e.pending == 0 {
		return Decision{} // words between turns (the television, the agent's own echo): not the caller's answer
	}
	e.words++
	if !t.Final {
		e.interim = strings.TrimSpace(t.Text)
		return e.decide(at)
	}
	if e.pending > 0 {
		e.pending--
	}
	if text := strings.TrimSpace(t.Text); text != "" {
		e.finals = append(e.finals, text)
	}
	e.interim = ""
	return e.decide(at)
}

// Abandon ends the turn at once with the words heard so far: the
// recogniser is gone and no final will come.
func (e *Endpointer) Abandon(at time.Time) Decision {
	if !e.inTurn {
		return Decision{}
	}
	if e.endingAt.IsZero() {
		e.endingAt = at
	}
	e.unflushed, e.pending = false, 0
	return Decision{End: true}
}

// FlushFailed says a Flush will bring no final (the recogniser failed).
func (e *Endpointer) FlushFailed(at time.Time) Decision {
	if e.pending > 0 {
		e.pending--
	}
	return e.decide(at)
}

// Reset starts a new turn; the words so far are forgotten.
func (e *Endpointer) Reset() {
	e.inTurn, e.unflushed, e.pending = false, false, 0
	e.finals, e.interim, e.endingAt = e.finals[:0], "", time.Time{}
	e.words++
}

// EndedAt is when the turn was decided over (zero while it is not): from
// then on only the recogniser's finals were waited for.
func (e *Endpointer) EndedAt() time.Time { return e.endingAt }

// Expecting is what the agent asked for last (see Expect).
func (e *Endpointer) Expecting() string { return e.ask }

// Undecided is how much more of the caller's audio, after the frame that
// ended at at, must come before anything could be decided in the turn (a
// Flush or its End): the shortest pause that does either, less the pause
// so far. It is 0 outside a turn.
func (e *Endpointer) Undecided(at time.Time) time.Duration {
	if !e.inTurn {
		return 0
	}
	return max(0, min(e.early, e.silence, e.dictation)-at.Sub(e.lastVoice))
}

// Wait is the pause that ends the turn now, given the words so far.
func (e *Endpointer) Wait(at time.Time) time.Duration {
	e.judge(at)
	wait := e.silence
	if dialog.Dictation(e.ask) || e.leadsOn {
		wait = e.dictation
	}
	if e.isComplete {
		wait = min(wait, e.early)
	}
	return wait
}

// judge works out whether the words so far are a complete answer and
// whether they lead on, when they or the answer expected have changed.
func (e *Endpointer) judge(at time.Time) {
	if e.judged == e.words {
		return
	}
	text := e.Text()
	e.judged = e.words
	e.isComplete = text != "" && dialog.Complete(e.ask, e.lang, text, at, e.loc)
	e.leadsOn = dialog.LeadsOn(e.lang, text)
}

func (e *Endpointer) decide(at time.Time) Decision {
	if !e.inTurn {
		return Decision{}
	}
	var d Decision
	silence := at.Sub(e.lastVoice)
	if e.unflushed && silence >= e.early {
		d.Flush, e.unflushed = true, false
		e.pending++
	}
	if e.endingAt.IsZero() && silence >= e.Wait(at) {
		e.endingAt = at
		if e.unflushed { // a pause shorter than earlySilence (an agent not loaded through configs)
			d.Flush, e.unflushed = true, false
			e.pending++
		}
	}
	if !e.endingAt.IsZero() && (e.pending == 0 || at.Sub(e.endingAt) >= FinalsWait) {
		e.pending = 0 // a final that did not come in time is not waited for
		d.End = true
	}
	return d
}

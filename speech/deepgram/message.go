package deepgram

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/speech"
)

// The server's messages, decoded: a closed set of event types.
type (
	// results is a "Results" message: the best alternative of one span of
	// audio, Start and Duration in seconds of the stream's audio.
	results struct {
		Start, Duration float64
		Text            string
		// Words are the alternative's words with their start times, when
		// Deepgram gave them all.
		Words        []word
		IsFinal      bool
		SpeechFinal  bool
		FromFinalize bool
	}
	// utteranceEnd is an "UtteranceEnd" message: no words for
	// utterance_end_ms after LastWordEnd.
	utteranceEnd struct{ LastWordEnd float64 }
	// speechStarted is a "SpeechStarted" message (vad_events).
	speechStarted struct{ Timestamp float64 }
	// metadata is a "Metadata" message, sent last after CloseStream.
	metadata struct{ RequestID string }
	// serverError is an "Error" message: the stream is over.
	serverError struct{ Code, Message string }
	// unknown is any other message, ignored.
	unknown struct{ Type string }
)

// word is one recognised word and when it starts, in seconds.
type word struct {
	Text  string
	Start float64
}

// maxSeconds bounds the times accepted from the server (a year of audio):
// larger ones, or negative ones, make the message malformed.
const maxSeconds = 365 * 24 * 3600

// errMalformed: a message from the server could not be understood; it is
// ignored.
var errMalformed = errors.New("deepgram: malformed message")

// wire is the union of the fields of the messages we read.
type wire struct {
	Type         string   `json:"type"`
	Start        *float64 `json:"start"`
	Duration     *float64 `json:"duration"`
	IsFinal      bool     `json:"is_final"`
	SpeechFinal  bool     `json:"speech_final"`
	FromFinalize bool     `json:"from_finalize"`
	// channel is an object in Results and an array in UtteranceEnd.
	Channel     json.RawMessage `json:"channel"`
	LastWordEnd *float64        `json:"last_word_end"`
	Timestamp   *float64        `json:"timestamp"`
	RequestID   string          `json:"request_id"`
	// Error messages: the fields Deepgram's errors use.
	ErrCode     string `json:"err_code"`
	ErrMsg      string `json:"err_msg"`
	Description string `json:"description"`
	Message     string `json:"message"`
	Variant     string `json:"variant"`
}

// seconds checks a time from the server.
func seconds(name string, v *float64) (float64, error) {
	if v == nil {
		return 0, fmt.Errorf("%w: no %s", errMalformed, name)
	}
	if math.IsNaN(*v) || *v < 0 || *v > maxSeconds {
		return 0, fmt.Errorf("%w: %s %v", errMalformed, name, *v)
	}
	return *v, nil
}

// decode reads one text message from the server. It never panics; an error
// means the message is to be ignored.
func decode(data []byte) (any, error) {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	switch w.Type {
	case "Results":
		start, err := seconds("start", w.Start)
		if err != nil {
			return nil, err
		}
		dur, err := seconds("duration", w.Duration)
		if err != nil {
			return nil, err
		}
		var ch struct {
			Alternatives []struct {
				Transcript string `json:"transcript"`
				Words      []struct {
					Word           string   `json:"word"`
					PunctuatedWord string   `json:"punctuated_word"`
					Start          *float64 `json:"start"`
				} `json:"words"`
			} `json:"alternatives"`
		}
		if err := json.Unmarshal(w.Channel, &ch); err != nil {
			return nil, fmt.Errorf("%w: channel: %v", errMalformed, err)
		}
		r := results{Start: start, Duration: dur, IsFinal: w.IsFinal, SpeechFinal: w.SpeechFinal, FromFinalize: w.FromFinalize}
		if len(ch.Alternatives) > 0 {
			alt := ch.Alternatives[0]
			r.Text = strings.Join(strings.Fields(alt.Transcript), " ")
			for _, w := range alt.Words {
				t, err := seconds("word start", w.Start)
				text := strings.Join(strings.Fields(firstOf(w.PunctuatedWord, w.Word)), " ")
				if err != nil || text == "" {
					r.Words = nil // timings we cannot trust: none
					break
				}
				r.Words = append(r.Words, word{Text: text, Start: t})
			}
		}
		return r, nil
	case "UtteranceEnd":
		end, err := seconds("last_word_end", w.LastWordEnd)
		if err != nil {
			return nil, err
		}
		return utteranceEnd{LastWordEnd: end}, nil
	case "SpeechStarted":
		ts, _ := seconds("timestamp", w.Timestamp)
		return speechStarted{Timestamp: ts}, nil
	case "Metadata":
		return metadata{RequestID: w.RequestID}, nil
	case "Error":
		e := serverError{Code: firstOf(w.ErrCode, w.Variant), Message: firstOf(w.Description, w.ErrMsg, w.Message)}
		return e, nil
	default:
		return unknown{Type: w.Type}, nil
	}
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

const (
	// eps is the slack when comparing times: a 20 ms frame.
	eps = 0.02
	// tiny is the rounding of Deepgram's times (milliseconds).
	tiny = 0.005
)

// flushMark is a Flush waiting for its final transcript.
type flushMark struct {
	seq  uint64
	at   float64 // seconds of audio streamed before the Flush (Deepgram's times)
	prev float64 // at of the Flush before it
	// deadline is set when the Finalize has been sent: past it, the Flush
	// completes with what is known.
	deadline time.Time
}

// assembler turns the server's messages into transcripts: it is the
// protocol mapping, with no I/O, no goroutines and the clock passed in.
//
// Final results (is_final) are collected; a Flush completes, giving one
// Final transcript of what was collected, when Deepgram's results reach the
// audio written before it (a final result ending there, or any result
// starting there), when the answer to its Finalize (from_finalize) arrives,
// or when that answer has not come within the timeout (Deepgram documents
// that it may not come when little audio is buffered): then the interim
// words spoken before the Flush (by Deepgram's word times; all of them
// without times) are taken as final. When a later result covers audio a
// Final already delivered, only its words starting after that audio are
// new.
type assembler struct {
	finals   []string // final texts since the last Final
	finalEnd float64  // end of the last final result
	interim  results  // the current interim result
	consumed float64  // audio delivered in Finals up to here
	flushes  []flushMark
	lastAt   float64 // at of the last Flush
	words    bool    // words heard since the last Final or end of utterance
	shown    string  // the text of the last interim transcript given
}

// text is what was heard since the last Final.
func (a *assembler) text() string {
	t := strings.Join(a.finals, " ")
	if a.interim.Text != "" {
		if t != "" {
			t += " "
		}
		t += a.interim.Text
	}
	return t
}

// flush records a Flush after at seconds of audio; it completes at once
// when everything before it is already final.
func (a *assembler) flush(seq uint64, at float64) []speech.Transcript {
	a.flushes = append(a.flushes, flushMark{seq: seq, at: at, prev: a.lastAt})
	a.lastAt = at
	return a.complete(nil)
}

// sent arms the timeout of Flush seq, whose Finalize has been sent.
func (a *assembler) sent(seq uint64, deadline time.Time) {
	for i := range a.flushes {
		if a.flushes[i].seq == seq {
			a.flushes[i].deadline = deadline
		}
	}
}

// deadline is when the oldest Flush times out (zero: none armed).
func (a *assembler) deadline() time.Time {
	if len(a.flushes) == 0 {
		return time.Time{}
	}
	return a.flushes[0].deadline
}

// expire completes the Flushes whose Finalize went unanswered until now.
func (a *assembler) expire(now time.Time) []speech.Transcript {
	var out []speech.Transcript
	for len(a.flushes) > 0 && !a.flushes[0].deadline.IsZero() && !now.Before(a.flushes[0].deadline) {
		a.takeInterim(a.flushes[0].at)
		out = append(out, a.final())
	}
	return append(out, a.complete(nil)...)
}

// takeInterim makes final the interim words spoken before at: by their
// times when Deepgram gave them, else all of them.
func (a *assembler) takeInterim(at float64) {
	r := a.interim
	if r.Text == "" {
		return
	}
	if len(r.Words) == 0 {
		a.finals = append(a.finals, r.Text)
		a.consumed = max(a.consumed, r.Start+r.Duration)
		a.interim = results{}
		return
	}
	var before, rest []string
	var later []word
	for _, w := range r.Words {
		if w.Start < at-tiny {
			before = append(before, w.Text)
		} else {
			rest = append(rest, w.Text)
			later = append(later, w)
		}
	}
	if len(before) > 0 {
		a.finals = append(a.finals, strings.Join(before, " "))
	}
	a.consumed = max(a.consumed, at)
	a.interim.Text, a.interim.Words = strings.Join(rest, " "), later
}

// final pops the oldest Flush and gives its transcript.
func (a *assembler) final() speech.Transcript {
	a.flushes = a.flushes[1:]
	t := speech.Transcript{Text: strings.Join(a.finals, " "), Final: true}
	a.finals = nil
	a.consumed = max(a.consumed, a.finalEnd)
	a.words = false
	a.shown = ""
	return t
}

// complete gives the Finals of the Flushes now covered. r, when not nil,
// is a result being handled, after it was collected.
func (a *assembler) complete(r *results) []speech.Transcript {
	var out []speech.Transcript
	for len(a.flushes) > 0 {
		f := a.flushes[0]
		switch {
		case a.finalEnd >= f.at-eps, f.at <= f.prev+eps:
		case r != nil && r.FromFinalize && r.Start+r.Duration > f.prev+eps:
			r = nil // answers one Finalize only
		default:
			return out
		}
		out = append(out, a.final())
	}
	return out
}

// handle takes one decoded message and gives the transcripts it makes.
func (a *assembler) handle(ev any) []speech.Transcript {
	switch ev := ev.(type) {
	case results:
		return a.results(ev)
	case utteranceEnd:
		if !a.words || ev.LastWordEnd <= a.consumed+eps {
			return nil
		}
		return a.endOfUtterance()
	}
	return nil
}

func (a *assembler) endOfUtterance() []speech.Transcript {
	a.words = false
	a.shown = a.text()
	return []speech.Transcript{{Text: a.shown, EndOfUtterance: true}}
}

// after keeps r's words starting at t or later; without word times,
// none.
func (r results) after(t float64) results {
	var text []string
	var words []word
	for _, w := range r.Words {
		if w.Start >= t-tiny {
			text = append(text, w.Text)
			words = append(words, w)
		}
	}
	r.Text, r.Words = strings.Join(text, " "), words
	return r
}

func (a *assembler) results(r results) []speech.Transcript {
	end := r.Start + r.Duration
	if r.Start < a.consumed-tiny {
		// The result covers audio a Final already delivered (it came after
		// its Flush timed out): only the words after it are new.
		r = r.after(a.consumed)
	}
	var out []speech.Transcript
	// A result starting after a Flush's audio means all that audio is
	// final already.
	for len(a.flushes) > 0 && r.Start >= a.flushes[0].at-eps {
		out = append(out, a.final())
	}
	if r.IsFinal {
		if r.Text != "" {
			a.finals = append(a.finals, r.Text)
			a.words = true
		}
		a.finalEnd = max(a.finalEnd, end)
		a.interim = results{}
		if done := a.complete(&r); len(done) > 0 {
			return append(out, done...)
		}
		if r.SpeechFinal && a.words {
			return append(out, a.endOfUtterance()...)
		}
	} else {
		a.interim = r
		if r.Text != "" {
			a.words = true
		}
	}
	if t := a.text(); t != "" && t != a.shown {
		a.shown = t
		out = append(out, speech.Transcript{Text: t})
	}
	return out
}

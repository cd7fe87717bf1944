package deepgram

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech"
)

// step is one thing happening to an assembler.
type step func(a *assembler, seq *uint64) []speech.Transcript

var t0 = time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)

func flush(at float64) step {
	return func(a *assembler, seq *uint64) []speech.Transcript {
		*seq++
		out := a.flush(*seq, at)
		a.sent(*seq, t0) // the Finalize went out at once
		return out
	}
}

// timeout lets the oldest Flush's Finalize go unanswered.
func timeout() step {
	return func(a *assembler, _ *uint64) []speech.Transcript { return a.expire(t0) }
}

// res is a Results message; flags: "final", "speech_final",
// "from_finalize", "timed" (words spread over the span).
func res(start, end float64, text string, flags ...string) step {
	return func(a *assembler, _ *uint64) []speech.Transcript {
		r := results{Start: start, Duration: end - start, Text: text}
		for _, f := range flags {
			switch f {
			case "final":
				r.IsFinal = true
			case "speech_final":
				r.IsFinal, r.SpeechFinal = true, true
			case "from_finalize":
				r.IsFinal, r.FromFinalize = true, true
			case "timed":
				ws := strings.Fields(text)
				for i, w := range ws {
					r.Words = append(r.Words, word{Text: w, Start: start + float64(i)*(end-start)/float64(len(ws))})
				}
			}
		}
		return a.handle(r)
	}
}

func uttEnd(lastWordEnd float64) step {
	return func(a *assembler, _ *uint64) []speech.Transcript {
		return a.handle(utteranceEnd{LastWordEnd: lastWordEnd})
	}
}

func I(s string) speech.Transcript { return speech.Transcript{Text: s} }
func F(s string) speech.Transcript { return speech.Transcript{Text: s, Final: true} }
func E(s string) speech.Transcript { return speech.Transcript{Text: s, EndOfUtterance: true} }

func TestAssembler(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []step
		want  []speech.Transcript
	}{
		{"interims then the answer to Finalize", []step{
			res(0, .3, "hola"), res(0, .6, "hola que"), flush(.8), res(0, .8, "hola que tal", "from_finalize"),
		}, []speech.Transcript{I("hola"), I("hola que"), F("hola que tal")}},
		{"finals collected until the Flush", []step{
			res(0, 1, "uno", "final"), res(1, 1.5, "dos"), flush(2), res(1, 2, "dos tres", "from_finalize"),
		}, []speech.Transcript{I("uno"), I("uno dos"), F("uno dos tres")}},
		{"empty results show nothing", []step{res(0, .5, ""), res(0, 1, "", "final")}, nil},
		{"a Flush with nothing", []step{flush(0)}, []speech.Transcript{F("")}},
		{"a Flush already covered completes at once", []step{
			res(0, 1, "uno", "speech_final"), flush(1.01),
		}, []speech.Transcript{E("uno"), F("uno")}},
		{"Flushes in a row, answered in order", []step{
			flush(.5), flush(1), flush(1), res(0, .5, "a", "from_finalize"), res(.5, 1, "b", "from_finalize"),
		}, []speech.Transcript{F("a"), F("b"), F("")}},
		{"an answer short of the Flush point", []step{
			flush(1), res(0, .9, "a", "from_finalize"),
		}, []speech.Transcript{F("a")}},
		{"a result after the Flush point completes it", []step{
			res(0, .95, "a", "final"), flush(1), res(1, 1.4, "b"),
		}, []speech.Transcript{I("a"), F("a"), I("b")}},
		{"timeout: the interim words before the Flush are final", []step{
			res(0, 1.5, "uno dos tres", "timed"), flush(1), timeout(),
			res(0, 1.5, "uno dos tres", "speech_final", "timed"), flush(1.5), res(1.5, 1.6, "", "from_finalize"),
		}, []speech.Transcript{I("uno dos tres"), F("uno dos"), E("tres"), F("tres")}},
		{"timeouts in a row: an interim repeating delivered words", []step{
			res(0, 1.5, "uno dos tres", "timed"), flush(1), timeout(),
			res(0, 2, "uno dos tres cuatro", "timed"), flush(2), timeout(),
		}, []speech.Transcript{I("uno dos tres"), F("uno dos"), I("tres cuatro"), F("tres cuatro")}},
		{"timeout without word times takes the whole interim", []step{
			res(0, .5, "a"), flush(.5), timeout(), res(.5, 1, "b"), flush(1),
			res(0, .5, "a", "from_finalize"), // late, for the first Flush
			res(.5, 1, "b", "from_finalize"),
		}, []speech.Transcript{I("a"), F("a"), I("b"), F("b")}},
		{"timeout with nothing heard", []step{flush(1), timeout()}, []speech.Transcript{F("")}},
		{"end of utterance once per stretch of words", []step{
			res(0, .5, "hola"), res(0, .6, "hola", "speech_final"), uttEnd(.6),
			res(1.5, 2, "otra"), uttEnd(2), uttEnd(2.5),
		}, []speech.Transcript{I("hola"), E("hola"), I("hola otra"), E("hola otra")}},
		{"no end of utterance without words", []step{uttEnd(1), res(0, 1, "", "speech_final")}, nil},
		{"no end of utterance for words already final", []step{
			res(0, 1, "sí", "from_finalize"), flush(1), uttEnd(1),
		}, []speech.Transcript{I("sí"), F("sí")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a assembler
			var seq uint64
			var got []speech.Transcript
			for _, s := range tc.steps {
				got = append(got, s(&a, &seq)...)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`{"type":"Results","channel_index":[0,1],"duration":1.98,"start":5.99,"is_final":true,"speech_final":true,
		  "channel":{"alternatives":[{"transcript":"Hola,  ¿en qué  puedo ayudarte?","confidence":0.98,
		  "words":[{"word":"hola","start":6.0,"end":6.3,"confidence":0.9,"punctuated_word":"Hola,"},
		           {"word":"en","start":6.4,"end":6.5,"confidence":0.9}]}]},
		  "metadata":{"request_id":"x","model_info":{"name":"general","version":"1","arch":"nova-3"},"model_uuid":"y"},
		  "from_finalize":false}`,
			results{Start: 5.99, Duration: 1.98, Text: "Hola, ¿en qué puedo ayudarte?", IsFinal: true, SpeechFinal: true,
				Words: []word{{"Hola,", 6.0}, {"en", 6.4}}}},
		{`{"type":"Results","start":0,"duration":0.5,"channel":{"alternatives":[]},"from_finalize":true}`,
			results{Duration: .5, FromFinalize: true}},
		{`{"type":"Results","start":0,"duration":1,"channel":{"alternatives":[{"transcript":"a b","words":[{"word":"a","start":-1},{"word":"b","start":0.5}]}]}}`,
			results{Duration: 1, Text: "a b"}},
		{`{"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.395}`, utteranceEnd{LastWordEnd: 2.395}},
		{`{"type":"SpeechStarted","channel":[0],"timestamp":1.5}`, speechStarted{Timestamp: 1.5}},
		{`{"type":"Metadata","transaction_key":"deprecated","request_id":"r1","duration":0,"channels":0}`, metadata{RequestID: "r1"}},
		{`{"type":"Error","variant":"DATA-0000","description":"bad audio"}`, serverError{Code: "DATA-0000", Message: "bad audio"}},
		{`{"type":"Welcome"}`, unknown{Type: "Welcome"}},
		{`{}`, unknown{}},
		{`not json`, nil},
		{`{"type":"Results","duration":1,"channel":{"alternatives":[]}}`, nil},
		{`{"type":"Results","start":-1,"duration":1,"channel":{}}`, nil},
		{`{"type":"Results","start":1e300,"duration":1,"channel":{}}`, nil},
		{`{"type":"Results","start":0,"duration":1,"channel":[0,1]}`, nil},
		{`{"type":"UtteranceEnd","channel":[0,1]}`, nil},
		{`{"type":7}`, nil},
	} {
		got, err := decode([]byte(tc.in))
		if tc.want == nil {
			if !errors.Is(err, errMalformed) {
				t.Errorf("decode(%s) = %+v, %v; want errMalformed", tc.in, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decode(%s)\n got  %#v, %v\n want %#v", tc.in, got, err, tc.want)
		}
	}
}

func TestPushCoalescesInterims(t *testing.T) {
	s := &stream{changed: make(chan struct{})}
	s.push(I("a"), I("b"), F("c"), I("d"), E("e"), I("f"))
	s.push(I("g"))
	want := []speech.Transcript{I("b"), F("c"), I("d"), E("e"), I("g")}
	if !reflect.DeepEqual(s.q, want) {
		t.Errorf("queue %+v, want %+v", s.q, want)
	}
}

func TestRedact(t *testing.T) {
	err := redact(fmt.Errorf("%w: GET wss://x?token=k3y-123: refused (k3y-123)", ErrConnect), "k3y-123")
	if strings.Contains(err.Error(), "k3y-123") || !errors.Is(err, ErrConnect) {
		t.Errorf("redact: %v", err)
	}
	plain := errors.New("nothing secret")
	if redact(plain, "k3y") != plain || redact(plain, "") != plain {
		t.Error("redact changed an error without the key")
	}
}

func TestHandshakeErrorKinds(t *testing.T) {
	// Bare and wrapped, the sentinel tells the caller what to do.
	for _, tc := range []struct {
		err  error
		kind error
	}{
		{fmt.Errorf("%w: 401 Unauthorized", ErrUnauthorized), ErrUnauthorized},
		{fmt.Errorf("stt: %w", fmt.Errorf("%w: 503", ErrConnect)), ErrConnect},
		{fmt.Errorf("call: %w", lost("receive", errors.New("EOF"))), ErrConnection},
	} {
		if !errors.Is(tc.err, tc.kind) {
			t.Errorf("%v is not %v", tc.err, tc.kind)
		}
	}
}

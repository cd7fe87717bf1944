package dialog

import (
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog/extract"
)

// Answer kinds a voice runtime passes to Complete and Dictation besides the
// field types of Ask.Type.
const (
	// AnswerConfirm is a read-back (a Confirm action) awaiting yes or no.
	AnswerConfirm = "confirm"
	// AnswerCode is the Ask.Type of a string field that takes a code read
	// out (an order number, a ticket id: a field named like an id, or with
	// a pattern).
	AnswerCode = "code"
)

// Minimum digits of a phone number said whole, by language; the engine
// itself accepts 7 to 15 (local numbers, extensions), but a caller
// dictating may pause after any of them.
var completePhone = map[string]int{"es": 9, "en": 10}

// Complete reports whether text, the caller's words so far, already holds
// a complete answer of the kind asked, so that a voice runtime may end the
// caller's turn after a short pause (voice.earlySilence) instead of the
// usual one. ask is an Ask.Type (a field type, or AnswerCode) or
// AnswerConfirm for a read-back; lang is "es" or "en" (anything else reads
// as English); now and loc resolve
// relative dates ("mañana", "el lunes"); a nil loc keeps now's.
//
// It is true only when the engine would accept the words as a whole value
// of that type, by the same readers and checks: a yes or a no (for
// AnswerConfirm, a yes with nothing but affirming words beside it, or a no
// with nothing after it), a date that resolves, a time, a datetime with
// both, a number, a phone number with at least 9 digits in Spanish and 10
// in English. Emails, codes and free text are never complete: the caller may
// still be spelling them. Complete is pure and safe for concurrent use.
func Complete(ask, lang, text string, now time.Time, loc *time.Location) bool {
	if strings.TrimSpace(text) == "" {
		return false
	}
	e := answerEngines["en"]
	if lang == "es" {
		e = answerEngines["es"]
	}
	if loc != nil {
		now = now.In(loc)
	}
	switch ask {
	case AnswerConfirm:
		a, rest := extract.YesNo(text, e.lang)
		return a == extract.Yes && onlyAffirms(rest) || a == extract.No && !hasContent(rest)
	case configs.TypeBoolean, configs.TypeDate, configs.TypeTime, configs.TypeDateTime,
		configs.TypeNumber, configs.TypeInteger, configs.TypePhone:
		c := &Call{e: e}
		v, _, problem := c.parse(&field{typ: ask}, text, now)
		if problem != "" {
			return false
		}
		return ask != configs.TypePhone || len(v) >= completePhone[e.lang]
	}
	return false
}

// Dictation reports whether answers of the kind asked (an Ask.Type) are
// dictated piece by piece, with pauses in between: phone numbers, emails
// and codes. A voice runtime waits longer (voice.dictationSilence) before
// ending such a turn.
func Dictation(ask string) bool {
	switch ask {
	case configs.TypePhone, configs.TypeEmail, AnswerCode:
		return true
	}
	return false
}

// answerEngines read answers for Complete: an agent with no services in
// each language, immutable once built.
var answerEngines = map[string]*Engine{"es": answerEngine("es"), "en": answerEngine("en")}

func answerEngine(lang string) *Engine {
	a := &configs.Agent{Language: lang, Timezone: configs.DefaultTimezone}
	book, _ := compilePhrases(a) // the built-in phrases are tested to parse
	return &Engine{agent: a, lang: lang, loc: time.UTC, phrases: book, intents: &intentIndex{}, maxAttempts: 1}
}

// askType is the Ask.Type of a field: its effective type, or AnswerCode for
// a code read out.
func (f *field) askType() string {
	if f.ident && f.typ == configs.TypeString {
		return AnswerCode
	}
	return f.typ
}

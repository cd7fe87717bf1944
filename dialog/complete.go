package dialog

import (
	"slices"
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
// of that type, by the same readers and checks, and nothing the caller
// commonly adds after a pause would change it: a yes or a no (for
// AnswerConfirm, a yes with nothing but affirming words beside it, or a no
// with nothing after it), a date that resolves and that a month said next
// would not change ("el lunes", "el 15 de marzo"; not "el quince", which
// may go on "… de marzo"), a time that is more than an hour said last ("a
// las cinco de la tarde", "ten thirty"; not "a las cinco", which may go on
// "… y media"), a datetime with both, a number, a phone number with at
// least 9 digits in Spanish and 10 in English, an email address whose
// domain cannot go on (see emailEnds). Codes and free text are never
// complete, nor are words that lead on (LeadsOn). Complete is pure and
// safe for concurrent use.
func Complete(ask, lang, text string, now time.Time, loc *time.Location) bool {
	if strings.TrimSpace(text) == "" || LeadsOn(lang, text) {
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
		configs.TypeNumber, configs.TypeInteger, configs.TypePhone, configs.TypeEmail:
		c := &Call{e: e}
		v, _, problem := c.parse(&field{typ: ask}, text, now)
		if problem != "" {
			return false
		}
		switch ask {
		case configs.TypePhone:
			return len(v) >= completePhone[e.lang]
		case configs.TypeEmail:
			return emailEnds(v, e.lang)
		case configs.TypeDate, configs.TypeDateTime, configs.TypeTime:
			return !dayOpen(ask, e.lang, text, now) && !hourOpen(ask, e.lang, text, now)
		}
		return true
	}
	return false
}

// dayOpen reports whether a date is asked and the one in text is a day of
// the month that a month said next would change: "el quince" (… de marzo),
// "the fifteenth", "el martes 16".
func dayOpen(ask, lang, text string, now time.Time) bool {
	if ask != configs.TypeDate && ask != configs.TypeDateTime {
		return false
	}
	d, err := extract.FindDate(text, lang, now)
	if err != nil {
		return false
	}
	next := monthsAfter[lang][0]
	if d.Month == time.January {
		next = monthsAfter[lang][1]
	}
	o, err := extract.FindDate(text+" "+next, lang, now)
	return err == nil && (o.Year != d.Year || o.Month != d.Month || o.Day != d.Day)
}

// monthsAfter are two months as said after a day, for dayOpen.
var monthsAfter = map[string][2]string{"es": {"de enero", "de julio"}, "en": {"of January", "of July"}}

// hourOpen reports whether a time is asked and the one in text is a whole
// hour whose number is the last word, so that minutes or a part of the day
// may follow: "a las cinco" (… y media), "at ten", "el lunes a las 9".
func hourOpen(ask, lang, text string, now time.Time) bool {
	if ask != configs.TypeTime && ask != configs.TypeDateTime {
		return false
	}
	t, err := extract.FindTime(text, lang, now)
	if err != nil || t.Minute != 0 {
		return false
	}
	words := splitWords(text)
	if len(words) == 0 {
		return false
	}
	n, ok := extract.Number(words[len(words)-1], lang)
	return ok && n.Value >= 1 && int(n.Value)%12 == t.Hour%12 // not "12:00"'s minutes
}

// emailEnds reports whether an address, spelled so far, has reached its
// end: its top-level domain is a country code ("hotmail.es",
// "empresa.com.mx") other than "co" (which goes on in ".co.uk"), its
// domain is a mailbox provider's that has no country versions
// ("gmail.com"), or, in English, its top-level domain is generic
// (".com", ".org"). In Spanish a generic one often goes on with a country
// code ("yahoo.com.mx", "empresa.com.ar").
func emailEnds(addr, lang string) bool {
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	tld := domain[strings.LastIndexByte(domain, '.')+1:]
	switch {
	case len(tld) == 2:
		return tld != "co"
	case slices.Contains(providerDomains, domain):
		return true
	}
	return lang == "en" && slices.Contains(genericTLDs, tld)
}

// providerDomains are mailbox providers' domains that have no country
// versions.
var providerDomains = []string{"gmail.com", "googlemail.com", "outlook.com", "icloud.com", "me.com", "proton.me", "protonmail.com"}

// genericTLDs end an address said in English.
var genericTLDs = []string{"com", "org", "net", "edu", "gov"}

// LeadsOn reports whether text ends in a word that leads on to more: a
// conjunction, a preposition, an article or a hesitation ("quiero pedir
// una cita para", "el veinte de", "a las diez y", "my name is, uh"). A
// caller who pauses after one has not finished: a voice runtime waits as
// for a dictation (voice.dictationSilence) and never ends the turn early.
// lang is "es" or "en" (anything else reads as English). LeadsOn is pure
// and safe for concurrent use.
func LeadsOn(lang, text string) bool {
	words := splitWords(text)
	if len(words) == 0 {
		return false
	}
	if lang != "es" {
		lang = "en"
	}
	return slices.Contains(leadOnWords[lang], words[len(words)-1])
}

// leadOnWords are the words, folded, that an answer does not end with.
// Words that may also end one are left out: "que" (¿por qué?), "mi" (para
// mí), "este" (este, el azul), "on" (hold on), "that", "bueno".
var leadOnWords = map[string][]string{
	"es": {"y", "e", "o", "u", "ni", "pero", "porque", "de", "del", "a", "al", "en", "con", "por", "para", "sin",
		"sobre", "hasta", "desde", "entre", "el", "la", "los", "las", "eh", "ehm", "em", "mmm", "pues"},
	"en": {"and", "or", "but", "because", "of", "at", "in", "to", "for", "with", "from", "about", "the", "a", "an",
		"my", "your", "um", "umm", "uh", "uhm", "er", "erm", "hmm"},
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
	lex, _ := compileLexicon(lang, nil, nil)
	return &Engine{agent: a, lang: lang, loc: time.UTC, phrases: book, lex: lex, intents: &intentIndex{}, maxAttempts: 1}
}

// askType is the Ask.Type of a field: its effective type, or AnswerCode for
// a code read out.
func (f *field) askType() string {
	if f.ident && f.typ == configs.TypeString {
		return AnswerCode
	}
	return f.typ
}

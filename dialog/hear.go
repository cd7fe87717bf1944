package dialog

import (
	"slices"
	"strings"

	"github.com/voiceagent/voiceagent/dialog/extract"
)

// An utterance is read once per turn into a heard: its words folded, with
// their places in the caller's text, the dialog acts they make (found with
// the lexicon) and the verbs of any request in them. Every reader of the
// turn — acts, intents, values — shares it.

// hword is a word of an utterance, folded for matching.
type hword struct {
	v      string // folded, without apostrophes
	s, e   int    // byte range in the folded text
	clause int    // which clause it is in: punctuation starts a new one
	// sentence is which sentence it is in: ".", "?" and "!" start one,
	// and no phrase reaches across them ("¿Cómo? ¿Qué me preguntó?").
	sentence int
	// asked: the word's sentence is a question.
	asked bool
}

// heard is one caller utterance, read.
type heard struct {
	text  string
	ft    foldedText
	words []hword
	// tag is, per word, the act of the phrase covering it; actNone for the
	// words that give information.
	tag []act
	// said is, per word, the act of the phrase covering it before weak
	// phrases among other words were let go: "nomás" is still a filler.
	said []act
	acts uint32 // the acts found, as a set
	// alone: every word belongs to an act phrase (fillers included); the
	// utterance does something and says nothing else.
	alone    bool
	verbs    verbSet
	denied   verbSet // verbs said negated: "no la bloquee"
	question bool
	// declined: the acts were not taken as such (a "sí" that answers a
	// boolean field, "un agente" that picks an option); the words stay.
	declined bool
	// reads are the typed readings (numbers, dates, codes…) of the texts
	// the turn's readers look at: the utterance and the parts of it left
	// when values are claimed, each read once.
	reads map[string]*extract.Text
}

// hear reads an utterance.
func (e *Engine) hear(text string) *heard {
	h := &heard{text: text, ft: foldText(text)}
	h.words = splitHeard(h.ft.s)
	h.question = strings.ContainsAny(text, "?¿")
	n := len(h.words)
	h.tag = make([]act, n)
	weak := make([]bool, n)
	covered := 0
	for i := 0; i < n; {
		m, p := e.lex.acts.longest(h.words, i, actRank)
		if m == 0 || act(p.tag) == actCancel && insteadOf(h.words, i) {
			i++ // "rather than cancel it, can I change it?" drops nothing
			continue
		}
		for k := i; k < i+m; k++ {
			h.tag[k], weak[k] = act(p.tag), p.weak
		}
		covered += m
		i += m
	}
	h.alone = n > 0 && covered == n
	h.said = slices.Clone(h.tag)
	for i := range h.tag {
		if h.tag[i] == actNone {
			continue
		}
		if weak[i] && !h.alone || h.tag[i] == actFiller && !h.alone {
			h.tag[i] = actNone // a weak word among others: content ("para cuatro")
			continue
		}
		h.acts |= 1 << h.tag[i]
	}
	h.readVerbs(e.lex)
	return h
}

// readVerbs finds what the caller asks to be done in the words that are
// not acts: in "never mind the refund, can someone call me back?" the
// refund is what is dropped.
func (h *heard) readVerbs(lx *lexicon) {
	skip := h.tag
	if slices.Contains(h.said, actFiller) {
		// no verb starts inside a filler: "a ver, quería que me devolvierais…"
		// does not ask to see anything
		skip = slices.Clone(h.tag)
		for i, a := range h.said {
			if a == actFiller && skip[i] == actNone {
				skip[i] = actFiller
			}
		}
	}
	h.verbs, h.denied = lx.verbsIn(h.words, skip)
}

// verbsIn finds the verbs in words, skipping those tagged as acts (tags
// may be nil); those negated ("sin cambiar nada", "no la bloquee") are
// returned apart.
func (lx *lexicon) verbsIn(ws []hword, tags []act) (vs, denied verbSet) {
	for i := 0; i < len(ws); {
		if tags != nil && tags[i] != actNone {
			i++
			continue
		}
		m, p := lx.verbs.longest(ws, i, nil)
		if m == 0 {
			i++
			continue
		}
		if v := verb(p.tag); possessed(ws, i) && possessable[v] {
			// "ya tengo la cotización", "I've got a file open", "I have a
			// booking": what the caller has, not what they ask for
		} else if v == verbSymptom && ws[i].asked {
			// "¿se corta el agua ese día?" asks what will happen; it
			// reports nothing
		} else if v == verbSymptom {
			vs.add(verbSymptom) // "no funciona": negation is what is wrong
			vs.add(verbReport)  // a problem is reported…
			vs.add(verbRepair)  // …to have it fixed
		} else if !negated(ws, i) {
			vs.add(v)
		} else {
			denied.add(v)
		}
		i += m
	}
	return vs, denied
}

// possessable verbs are said by nouns a caller may have: a booking, a
// quote, an order, a file.
var possessable = map[verb]bool{verbBook: true, verbQuote: true, verbBuy: true, verbRequest: true, verbOpen: true}

// haveWords say what a caller has.
var haveWords = wordSet("tengo", "tenia", "tenemos", "teniamos", "tiene", "have", "had", "has", "got", "ive", "weve",
	"hes", "shes", "theres")

// possessed reports whether a have-word stands up to three words before
// word i, in its clause, with no "to"/"que" between ("I have to pay" asks).
func possessed(ws []hword, i int) bool {
	for k := i - 1; k >= 0 && k >= i-3 && ws[k].clause == ws[i].clause; k-- {
		switch w := ws[k].v; {
		case w == "to" || w == "que" || w == "de":
			return false
		case haveWords[w]:
			return true
		}
	}
	return false
}

// negators deny the verb that follows them: "sin cambiar nada", "no quiero
// cancelar", "I don't want to cancel".
var negators = wordSet("no", "sin", "nunca", "jamas", "tampoco", "not", "dont", "without", "never", "doesnt", "didnt",
	"wont", "cant", "cannot", "shouldnt", "wouldnt")

// negated reports whether a negator stands up to three words before word
// i, in its clause.
func negated(ws []hword, i int) bool {
	for k := i - 1; k >= 0 && k >= i-3 && ws[k].clause == ws[i].clause; k-- {
		if negators[ws[k].v] {
			return true
		}
	}
	return insteadOf(ws, i)
}

// insteadOf reports whether word i is what the caller wants done instead
// of something else: "move it instead of cancelling", "rather than cancel
// it", "en vez de cancelarla".
func insteadOf(ws []hword, i int) bool {
	for k := i - 1; k >= 0 && k >= i-3 && ws[k].clause == ws[i].clause; k-- {
		switch {
		case ws[k].v == "instead",
			k > 0 && (ws[k].v == "vez" || ws[k].v == "lugar") && ws[k-1].v == "en",
			k > 0 && ws[k].v == "than" && ws[k-1].v == "rather":
			return true
		}
	}
	return false
}

// has reports whether the utterance does a.
func (h *heard) has(a act) bool { return h.acts&(1<<a) != 0 }

// doesAny reports whether the utterance does anything besides giving
// information, fillers, greetings and thanks aside.
func (h *heard) doesAny() bool {
	return h.acts&^(1<<actFiller|1<<actGreeting|1<<actThanks|1<<actAffirm|1<<actDeny) != 0
}

// inform is the caller's text with the act phrases blanked out (offsets
// kept), for the readers of values.
func (h *heard) inform() string {
	if h.acts == 0 || h.declined {
		return h.text
	}
	b := []byte(h.text)
	for i, w := range h.words {
		if h.tag[i] == actNone || h.tag[i] == actAffirm || h.tag[i] == actDeny {
			continue
		}
		sp := h.ft.span(w.s, w.e)
		for k := sp.Start; k < sp.End; k++ {
			b[k] = ' '
		}
	}
	return strings.ToValidUTF8(string(b), " ")
}

// splitHeard cuts folded text into words (letters and digits; apostrophes
// dropped) and numbers their clauses.
func splitHeard(s string) []hword {
	var out []hword
	clause, sentence := 0, 0
	start := -1
	var b strings.Builder
	flush := func(end int) {
		if start >= 0 {
			v := b.String()
			if v != "" {
				out = append(out, hword{v: v, s: start, e: end, clause: clause, sentence: sentence})
			}
			b.Reset()
			start = -1
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80:
			if start < 0 {
				start = i
			}
			b.WriteByte(c)
		case c == '\'' && start >= 0:
			// "that's": one word
		default:
			flush(i)
			if c == '?' { // the sentence ending here was asked, if it starts as a question
				first := len(out) - 1
				for first > 0 && out[first-1].sentence == sentence {
					first--
				}
				if first >= 0 && out[first].sentence == sentence && interrogatives[out[first].v] {
					for k := first; k < len(out); k++ {
						out[k].asked = true
					}
				}
			}
			if strings.IndexByte(",.;:?!\"()", c) >= 0 && len(out) > 0 && out[len(out)-1].clause == clause {
				clause++
			}
			if strings.IndexByte(".?!", c) >= 0 && len(out) > 0 && out[len(out)-1].sentence == sentence &&
				!(c == '.' && i+1 < len(s) && s[i+1] != ' ') { // not the dot of "2.5"
				sentence++
			}
		}
	}
	flush(len(s))
	return out
}

// interrogatives start a question said without "¿": uptalk ("it's
// jammed and, like, humming?") is no question.
var interrogatives = wordSet("will", "would", "is", "are", "was", "does", "do", "did", "can", "could", "should", "what",
	"when", "where", "why", "how", "who", "which", "se", "va", "van", "hay", "sera", "cuando", "que", "como", "donde",
	"quien", "cual", "cuanto", "cuanta", "por")

// actRank orders acts for phrases of the same length: "let me talk to a
// human" asks for a person before it puts anything off.
func actRank(tag uint8) int {
	switch act(tag) {
	case actHuman:
		return 0
	case actCancel:
		return 1
	case actGoodbye, actFarewell:
		return 2
	case actHold:
		return 3
	case actRepeat:
		return 4
	}
	return 5
}

// endsWith reports whether the last act the caller does, fillers and
// thanks aside, is a.
func (h *heard) endsWith(a act) bool {
	for i := len(h.words) - 1; i >= 0; i-- {
		switch h.tag[i] {
		case actFiller, actThanks:
			continue
		case a:
			return true
		}
		return false
	}
	return false
}

// saysNo reports whether the caller says a plain no anywhere: "no",
// "nope", "nada", "nothing".
func (h *heard) saysNo() bool {
	for _, w := range h.words {
		switch w.v {
		case "no", "nope", "nah", "nada", "nothing":
			return true
		}
	}
	return false
}

// drop forgets an act: its words give information after all.
func (h *heard) drop(a act, lx *lexicon) {
	defer h.readVerbs(lx)
	for i := range h.tag {
		if h.tag[i] == a {
			h.tag[i] = actNone
		}
	}
	h.acts &^= 1 << a
	h.alone = false
}

// questionWords start a question: "¿y tienen estacionamiento?", "what
// time do you close?".
var questionWords = wordSet("que", "cuanto", "cuanta", "cuantos", "cuantas", "cuando", "donde", "como", "cual", "cuales",
	"quien", "tienen", "tiene", "hay", "puedo", "puede", "pueden", "aceptan", "venden", "what", "when", "where", "how",
	"which", "who", "why", "do", "does", "can", "could", "is", "are", "will", "would")

// asksSomething reports whether the caller asks a question: a question
// mark and a question word at the start of its clause.
func (h *heard) asksSomething() bool {
	if !h.question {
		return false
	}
	for i, w := range h.words {
		start := i == 0 || h.words[i-1].clause != w.clause
		if !start && i > 0 && (h.words[i-1].v == "y" || h.words[i-1].v == "and" || h.words[i-1].v == "oye") {
			start = true // "¿y tienen…?"
		}
		if start && questionWords[w.v] && h.tag[i] == actNone {
			return true
		}
	}
	return false
}

// without is the caller's text with the phrases of the given acts blanked
// out.
func (h *heard) without(acts ...act) string {
	b := []byte(h.text)
	for i, w := range h.words {
		if slices.Contains(acts, h.tag[i]) {
			sp := h.ft.span(w.s, w.e)
			for k := sp.Start; k < sp.End; k++ {
				b[k] = ' '
			}
		}
	}
	return strings.ToValidUTF8(string(b), " ")
}

// read is the typed reading of text, shared by the turn's readers: read
// once per turn (and per part of the utterance), or, between turns, anew.
func (c *Call) read(text string) *extract.Text {
	h := c.heard
	if h == nil {
		return extract.Read(text, c.e.lang)
	}
	if t, ok := h.reads[text]; ok {
		return t
	}
	if h.reads == nil {
		h.reads = map[string]*extract.Text{}
	}
	t := extract.Read(text, c.e.lang)
	h.reads[text] = t
	return t
}

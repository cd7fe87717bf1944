package dialog

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog/extract"
)

// Intent detection without a model: what the caller wants done (the verbs
// of the lexicon: "apartar", "sacar una cita", "call off", "my package
// never arrived") against what each service does (the verbs in its intent
// name, reference and examples), and the caller's other words, folded
// (lowercase, no accents), without stop-words and stemmed, against each
// service's words, weighted by how rare each word is among the services.
// Services that share a noun ("reserva", "order") are told apart by the
// verb. Values (enum options, dates, times, numbers) never count: "una
// cita con el dermatólogo" is about an appointment, whichever service
// lists dermatology in its examples. Each example adds a bonus in
// proportion to how much of it the caller said.

const (
	// minScore is the score an utterance needs to select a service: about
	// one word that only that service has.
	minScore = 1.0
	// closeRatio: when the second service scores at least this share of the
	// first, the engine asks which one the caller means.
	closeRatio = 0.8
	// exampleBonus is added for an example said whole; part of it for part.
	exampleBonus = 2.0
	// verbBonus is added when the caller asks for what the service does.
	verbBonus = 1.5
	// verbMismatch scales the score of a service that does something else
	// than the caller asks ("mover mi reserva" and a service that makes
	// reservations).
	verbMismatch = 0.4
)

type intentIndex struct {
	services []*intentEntry
	ignore   []string // stems of enum options: they never select a service
	// availability: some service checks availability; otherwise a caller
	// asking "¿tienen mesa?" wants to book one.
	availability bool
}

type intentEntry struct {
	intent   string
	words    []string   // stems, each once
	actions  []string   // stems of the intent name and reference: what it does
	context  []string   // stems of its own questions: field names, descriptions, prompts
	examples [][]string // the stems of each example
	verbs    verbSet    // what it does, by the lexicon
	disabled bool
}

func newIntentIndex(lang string, entries []*intentEntry, values []string) *intentIndex {
	ix := &intentIndex{}
	// The words of options are values, not requests ("Canberra" in "I need
	// tickets to Canberra"), unless a service's name or reference says them
	// too: "lectura" names what enviar_lectura does though "lectura
	// incorrecta" is a reason to complain.
	options := stems(strings.Join(values, " "), lang)
	said := func(w string) bool {
		for _, e := range entries {
			if containsStem(e.actions, w) {
				return true
			}
		}
		return false
	}
	for _, w := range options {
		if !slices.Contains(ix.ignore, w) && !said(w) {
			ix.ignore = append(ix.ignore, w)
		}
	}
	for _, e := range entries {
		e.words = ix.keep(e.words)
		e.actions = ix.keep(e.actions)
		e.context = ix.keep(e.context)
		for i, ex := range e.examples {
			e.examples[i] = slices.DeleteFunc(ix.keep(ex), func(w string) bool {
				return containsStem(options, w) && !containsStem(e.actions, w)
			})
		}
		if e.verbs.has(verbAvailability) && !e.disabled {
			ix.availability = true
		}
	}
	ix.services = entries
	return ix
}

// keep drops the stems of values.
func (ix *intentIndex) keep(words []string) []string {
	var out []string
	for _, w := range words {
		if !containsStem(ix.ignore, w) && !isDigits(w) {
			out = append(out, w)
		}
	}
	return out
}

// timeWords name days, months and moments: values of date and time
// fields. They are left out as said, before stemming, so that a noun
// whose stem is a month's ("mesa", "mayor") still counts.
var timeWords = wordSet(strings.Fields(`lunes martes miercoles jueves viernes sabado domingo enero febrero marzo
	abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre manana hoy ayer anoche pasado
	tarde tardes noche noches mediodia semana semanas mes meses proximo proxima siguiente monday tuesday wednesday
	thursday friday saturday sunday january february march april june july august september october november
	december tomorrow today tonight yesterday morning afternoon evening night noon week weeks month months next uno
	dos tres cuatro cinco seis siete ocho nueve diez once doce veinte treinta one two three four five six seven
	eight nine ten eleven twelve twenty thirty`)...)

// intentWords returns the stems of texts, each once.
func intentWords(lang string, texts ...string) []string {
	return (*lexicon)(nil).intentWords(lang, texts...)
}

// intentWords returns the stems of texts, each once, a noun of one of the
// lexicon's object groups standing for its group.
func (lx *lexicon) intentWords(lang string, texts ...string) []string {
	var out []string
	for _, w := range lx.stems(strings.NewReplacer("_", " ", "-", " ", ".", " ").Replace(strings.Join(texts, " ")), lang) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

type match struct {
	intent   string
	score    float64
	disabled bool
}

// rank scores every service for an utterance, best first; services under
// minScore are left out. Disabled services rank too, so that a request for
// one is told it is not available rather than sent elsewhere.
func (c *Call) rank(text string) []match {
	return c.e.intents.rankWords(c.e.intents.keep(c.e.lex.callerStems(text, c.e.lang)), c.verbsOf(text))
}

// verbsOf is what text asks to be done, by the lexicon: the turn's reading
// when text is the turn's utterance.
func (c *Call) verbsOf(text string) verbSet {
	if c.heard != nil && c.heard.text == text {
		return c.heard.verbs
	}
	return c.e.hear(text).verbs
}

// rankWords is rank of words already stemmed and kept, and of the verbs
// the caller used. When some services do what the caller asks, they
// compete among themselves: a word weighs by how rare it is among them
// (two services that book tell "room" from "shuttle"), and the others are
// scaled down. A verb no service does changes nothing.
func (ix *intentIndex) rankWords(words []string, verbs verbSet) []match {
	if len(words) == 0 && verbs == 0 {
		return nil
	}
	if verbs.has(verbAvailability) && !ix.availability {
		verbs.add(verbBook) // "¿tienen mesa?" where nothing checks availability: a booking
	}
	words = ix.resolve(words)
	// How pressing the request is, apart from what it asks: a service for
	// emergencies takes a problem only when the caller says it presses
	// ("water everywhere"); a sink that drains slowly is a regular visit.
	urgent := verbs.has(verbUrgent)
	verbs &^= 1 << verbUrgent
	does := func(s *intentEntry) verbSet {
		if s.verbs.has(verbUrgent) && !urgent {
			return s.verbs &^ (1<<verbSymptom | 1<<verbReport | 1<<verbRepair)
		}
		return s.verbs
	}
	var doers verbSet // the caller's verbs some service does
	for _, s := range ix.services {
		doers |= verbs.and(does(s))
	}
	// A caller who asks only for what no service does ("¿cuánto cuesta una
	// consulta?" where nothing gives prices) is not asking for what the
	// services do; a verb no service does beside one some do changes nothing.
	asksElse := verbs != 0 && doers == 0
	verbs = doers
	matches := func(s *intentEntry) bool { return verbs != 0 && verbs.and(does(s)) != 0 }
	// df counts, for each word, the services that have it: among those
	// that do what the caller asks when some do, else among all.
	df := make([]float64, len(words))
	dfAll := make([]float64, len(words))
	peers := 0
	for _, s := range ix.services {
		if matches(s) {
			peers++
		}
	}
	for i, w := range words {
		for _, s := range ix.services {
			if containsStem(s.words, w) {
				dfAll[i]++
				if matches(s) {
					df[i]++
				}
			}
		}
	}
	n := float64(len(ix.services))
	var out []match
	for _, s := range ix.services {
		score := 0.0
		for i, w := range words {
			if !containsStem(s.words, w) {
				continue
			}
			// 1 for a word only this service has, less the more share it.
			if matches(s) && peers > 1 {
				score += math.Log((float64(peers)+1)/df[i]) / math.Log(float64(peers)+1)
			} else {
				score += math.Log((n+1)/dfAll[i]) / math.Log(n+1)
			}
		}
		best := 0.0 // the share of an example said: all of it, or two words or more
		for _, ex := range s.examples {
			if len(ex) == 0 {
				continue
			}
			said := 0
			for _, w := range ex {
				if containsStem(words, w) {
					said++
				}
			}
			if said == len(ex) || said >= 2 {
				best = max(best, float64(said)/float64(len(ex)))
			}
		}
		if best >= 0.5 {
			score += exampleBonus * best
		}
		switch {
		case asksElse && s.verbs != 0:
			score *= verbMismatch
		case verbs == 0 || s.verbs == 0:
		case matches(s):
			score += verbBonus
		default:
			score *= verbMismatch
		}
		if urgent && s.verbs.has(verbUrgent) && !(asksElse && s.verbs != 0) {
			score += verbBonus / 2 // "a pipe just burst": the emergency service
		}
		if score >= minScore {
			out = append(out, match{s.intent, score, s.disabled})
		}
	}
	slices.SortStableFunc(out, func(a, b match) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	return out
}

// resolve picks, for each word said that stands for its object group too
// ("turn|cit"), the word itself when some service has it, else the group.
func (ix *intentIndex) resolve(words []string) []string {
	var out []string
	for i, w := range words {
		own, group, ok := strings.Cut(w, "|")
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(words)
		}
		out[i] = group
		for _, s := range ix.services {
			if containsStem(s.words, own) {
				out[i] = own
				break
			}
		}
	}
	if out == nil {
		return words
	}
	return out
}

// entry returns a service's entry.
func (ix *intentIndex) entry(intent string) *intentEntry {
	for _, s := range ix.services {
		if s.intent == intent {
			return s
		}
	}
	return nil
}

// enabled returns the enabled services' entries.
func (ix *intentIndex) enabled() []*intentEntry {
	var out []*intentEntry
	for _, s := range ix.services {
		if !s.disabled {
			out = append(out, s)
		}
	}
	return out
}

// containsStem reports whether list holds w or a word of the same root: one
// is a prefix of the other, they share at least five letters and the longer
// has at most three more.
func containsStem(list []string, w string) bool {
	if a, b, ok := strings.Cut(w, "|"); ok {
		return containsStem(list, a) || containsStem(list, b)
	}
	for _, x := range list {
		if a, b, ok := strings.Cut(x, "|"); ok {
			if containsStem([]string{a, b}, w) {
				return true
			}
			continue
		}
		if x == w {
			return true
		}
		short, long := x, w
		if len(short) > len(long) {
			short, long = long, short
		}
		if len(short) >= 5 && len(long)-len(short) <= 3 && strings.HasPrefix(long, short) {
			return true // "confirm", "confirmed"; not "member", "membership"
		}
	}
	return false
}

// stems splits folded text into words, drops stop-words and the words of
// days, months and moments, and strips common inflections.
func stems(text, lang string) []string { return (*lexicon)(nil).stems(text, lang) }

// stems is stems with the lexicon's object groups: a noun of a group
// stands for itself and for its group ("turno" for "cita"), as the two
// stems, or as one word with both ("turn|cit") for the words of a caller,
// which count once whichever matches.
func (lx *lexicon) stems(text, lang string) []string { return lx.stemsAs(text, lang, false) }

func (lx *lexicon) callerStems(text, lang string) []string { return lx.stemsAs(text, lang, true) }

func (lx *lexicon) stemsAs(text, lang string, joined bool) []string {
	stop := stopEN
	if lang == "es" {
		stop = stopES
	}
	var out []string
	for _, w := range strings.FieldsFunc(extract.Fold(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if len(w) < 2 || stop[w] || timeWords[w] {
			continue
		}
		st := stem(w, lang)
		if lx != nil {
			if g, ok := lx.objects[w]; ok && stem(g, lang) != st {
				if joined {
					st += "|" + stem(g, lang) // "turno" is also a "cita"
				} else {
					out = append(out, stem(g, lang))
				}
			}
		}
		out = append(out, st)
	}
	return out
}

var suffixesES = []string{"aciones", "acion", "amientos", "amiento", "idades", "idad", "mente", "ando", "iendo",
	"ados", "idos", "adas", "idas", "ado", "ido", "ada", "ida", "ar", "er", "ir", "as", "es", "os", "a", "e", "o", "s"}
var suffixesEN = []string{"ations", "ation", "ments", "ment", "ings", "ing", "edly", "ed", "ies", "es", "ly", "s"}

// stem strips the longest known suffix, keeping at least three letters.
func stem(w, lang string) string {
	suffixes := suffixesEN
	if lang == "es" {
		suffixes = suffixesES
		w = withoutVerbClitic(w) // "cortarme" is "cortar", "peinándola" "peinando"
	}
	for _, suf := range suffixes {
		if len(w)-len(suf) >= 3 && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

// verbClitics are the pronouns Spanish joins to an infinitive or a
// gerund, longest first.
var verbClitics = []string{"selos", "selas", "melos", "melas", "noslo", "nosla", "telos", "telas", "selo", "sela",
	"melo", "mela", "telo", "tela", "nos", "los", "las", "les", "me", "te", "se", "lo", "la", "le", "os"}

// withoutVerbClitic drops the pronoun joined to an infinitive or gerund:
// "cortarme" → "cortar", "revisarlo" → "revisar", "peinandola" →
// "peinando". Other words are kept as they are.
func withoutVerbClitic(w string) string {
	for _, c := range verbClitics {
		base, ok := strings.CutSuffix(w, c)
		if !ok || len(base) < 4 {
			continue
		}
		if strings.HasSuffix(base, "ar") || strings.HasSuffix(base, "er") || strings.HasSuffix(base, "ir") ||
			strings.HasSuffix(base, "ando") || strings.HasSuffix(base, "iendo") {
			return base
		}
	}
	return w
}

func wordSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Stop-words carry no intent: articles, pronouns, politeness, and the verbs
// of wanting that start most requests.
var stopES = wordSet(strings.Fields(`a al algo alguna algun alguno ante antes aqui asi
	bien bueno buenas buenos como con cual cuando de del desde donde dos el ella en entre era es esa ese eso esta
	estas este esto estos favor fue gracias gustaria ha hay hola la las le les lo los me mi mis mucho muy
	nada necesito ni no nos o otra otro para pero poco podria por porque puedo puede puedes que quiero
	quisiera se ser si sin sobre su sus tambien te tengo ti tu tus un una uno unos unas usted y ya yo
	dias tardes noches senor senora senorita vale ok oye mire mira pues entonces ahora hoy queria querria quisieramos
	queremos podrian podrias podria dar saber tiene tener ir`)...)

var stopEN = wordSet(strings.Fields(`a about an and any are as at be been but by can could do does for from
	get got had has have hello hey hi how i i'd i'm id im in is it it's its just let like me my need no not of
	ok okay on or our please so some that the their them then there this to up us want was we what when
	where which who will with would you your yes hmm um uh well thanks thank good morning afternoon evening
	now today sir madam something anything everything nothing someone anyone somebody anybody stuff thing things`)...)

// Warnings are what an author should know about the agent though it
// loads: services whose references are too alike for a caller's words to
// tell them apart (the seed's advice: the more each reference differs,
// the better the agent understands the intent). Two enabled services are
// too alike when their references ask for the same thing to be done (the
// same verbs, or none) and share most of their other words.
func (e *Engine) Warnings() configs.Problems {
	var out configs.Problems
	type ref struct {
		s     *service
		verbs verbSet
		words []string
	}
	var refs []ref
	for _, s := range e.services {
		if s.cfg.IsEnabled() && strings.TrimSpace(s.cfg.Reference) != "" {
			refs = append(refs, ref{s, e.lex.hearVerbs(s.cfg.Reference), e.intents.keep(e.lex.intentWords(e.lang, s.cfg.Reference))})
		}
	}
	for i, a := range refs {
		for _, b := range refs[i+1:] {
			if a.verbs != b.verbs || overlap(a.words, b.words) < 0.5 {
				continue
			}
			out = append(out, e.agent.Source.Problem(prefixPath(b.s.cfg.Path)+"reference",
				fmt.Sprintf("warning: %q and %q (line %d) are too alike to tell apart by what callers say; say in each reference what it does that the other does not",
					b.s.cfg.Intent, a.s.cfg.Intent, e.agent.Source.Line(prefixPath(a.s.cfg.Path)+"reference"))))
		}
	}
	return out
}

// overlap is the share of words two lists have in common (by root), of all
// the words either has.
func overlap(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	common := 0
	for _, w := range a {
		if containsStem(b, w) {
			common++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

func prefixPath(p string) string {
	if p == "" {
		return ""
	}
	return p + "."
}

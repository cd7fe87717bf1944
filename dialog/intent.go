package dialog

import (
	"math"
	"slices"
	"strings"

	"github.com/voiceagent/voiceagent/dialog/extract"
)

// Intent detection without a model: the words of an utterance, folded
// (lowercase, no accents), without stop-words and stemmed, are scored
// against each enabled service's words — from its intent name, reference
// and examples — weighted by how rare each word is among the services. A
// caller phrase that contains one of the examples whole scores higher still.

const (
	// minScore is the score an utterance needs to select a service: about
	// one word that only that service has.
	minScore = 1.0
	// closeRatio: when the second service scores at least this share of the
	// first, the engine asks which one the caller means.
	closeRatio = 0.8
	// exampleBonus is added when the utterance contains a whole example.
	exampleBonus = 2.0
)

type intentIndex struct {
	services []*intentEntry
}

type intentEntry struct {
	intent   string
	words    []string // stems, each once
	examples []string // folded example phrases
}

func newIntentIndex(entries []*intentEntry) *intentIndex {
	return &intentIndex{services: entries}
}

// intentWords returns the stems of a service's describing texts.
func intentWords(lang, intent, reference string, examples []string) []string {
	text := strings.NewReplacer("_", " ", "-", " ", ".", " ").Replace(intent) + " " + reference + " " + strings.Join(examples, " ")
	var out []string
	for _, w := range stems(text, lang) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

type match struct {
	intent string
	score  float64
}

// rank scores every service for an utterance, best first; services under
// minScore are left out.
func (ix *intentIndex) rank(text, lang string) []match {
	words := stems(text, lang)
	if len(words) == 0 {
		return nil
	}
	folded := " " + strings.Join(strings.Fields(extract.Fold(text)), " ") + " "
	n := float64(len(ix.services))
	var out []match
	for _, s := range ix.services {
		score := 0.0
		for _, w := range words {
			if !containsStem(s.words, w) {
				continue
			}
			df := 0.0
			for _, other := range ix.services {
				if containsStem(other.words, w) {
					df++
				}
			}
			// 1 for a word only this service has, less the more share it.
			score += math.Log((n+1)/df) / math.Log(n+1)
		}
		for _, ex := range s.examples {
			if ex != "" && strings.Contains(folded, " "+ex+" ") {
				score += exampleBonus
				break
			}
		}
		if score >= minScore {
			out = append(out, match{s.intent, score})
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

// containsStem reports whether list holds w or a word of the same root: one
// is a prefix of the other and they share at least five letters.
func containsStem(list []string, w string) bool {
	for _, x := range list {
		if x == w {
			return true
		}
		short, long := x, w
		if len(short) > len(long) {
			short, long = long, short
		}
		if len(short) >= 5 && strings.HasPrefix(long, short) {
			return true
		}
	}
	return false
}

// stems splits folded text into words, drops stop-words and strips common
// inflections.
func stems(text, lang string) []string {
	stop := stopEN
	if lang == "es" {
		stop = stopES
	}
	var out []string
	for _, w := range strings.FieldsFunc(extract.Fold(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if len(w) < 2 || stop[w] {
			continue
		}
		out = append(out, stem(w, lang))
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
	}
	for _, suf := range suffixes {
		if len(w)-len(suf) >= 3 && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
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
	dias tardes noches senor senora senorita vale ok oye mire mira pues entonces ahora hoy`)...)

var stopEN = wordSet(strings.Fields(`a about an and any are as at be been but by can could do does for from
	get got had has have hello hey hi how i i'd i'm id im in is it it's its just let like me my need no not of
	ok okay on or our please so some that the their them then there this to up us want was we what when
	where which who will with would you your yes hmm um uh well thanks thank good morning afternoon evening
	now today sir madam`)...)

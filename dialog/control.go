package dialog

import (
	"slices"
	"strings"

	"github.com/voiceagent/voiceagent/dialog/extract"
)

// phraseSet is a list of phrases, each a sequence of folded words.
type phraseSet [][]string

func phraseList(lines ...string) phraseSet {
	var out phraseSet
	for _, l := range lines {
		out = append(out, strings.Fields(l))
	}
	return out
}

// neutral words may stand beside a control phrase without changing it:
// "no, olvídalo", "perfecto, adiós", "no, I'm good, thanks".
var neutral = phraseList("no", "si", "yes", "ok", "okay", "vale", "bien", "muy bien", "perfecto", "listo", "bueno",
	"alright", "all right", "great", "good", "i'm good", "im good", "estoy bien", "nope", "nada", "nothing", "fine",
	"genial", "de acuerdo", "entonces", "pues")

// politeness and fillers are dropped before classifying.
var politeness = phraseList("gracias", "muchas gracias", "mil gracias", "por favor", "please", "thanks", "thank you",
	"thank you very much", "thanks a lot", "muy amable", "senorita", "senor")

var fillerWords = []string{"eh", "ehm", "mmm", "mm", "hmm", "um", "umm", "uh", "oh", "ah", "ay", "este", "mira",
	"oye", "oiga", "mejor", "perdon", "perdona", "disculpa", "disculpe", "sabes", "actually", "well", "so", "hey",
	"look", "va", "dale", "bueno", "pues", "you", "know", "just"}

// yesToCancellation reports whether an utterance is a yes to the read-back of
// a service that itself cancels something: "sí, cancélala", "yes, cancel
// it" — a yes word, and nothing else but the cancelling and words that affirm.
func yesToCancellation(h *heard) bool {
	yes := false
	for i, w := range h.words {
		switch {
		case yesNoWord(w.v) == actAffirm || w.v == "correcto" || w.v == "confirmo" || w.v == "exacto":
			yes = true
		case h.tag[i] == actCancel || h.tag[i] == actAffirm || h.tag[i] == actFiller || h.tag[i] == actThanks:
		default:
			return false
		}
	}
	return yes
}

// longestMatch returns the length of the longest phrase of set that starts
// words, or 0.
func longestMatch(words []string, set phraseSet) int {
	best := 0
	for _, p := range set {
		if len(p) > best && len(p) <= len(words) && slices.Equal(words[:len(p)], p) {
			best = len(p)
		}
	}
	return best
}

// dropPhrases removes every occurrence of the set's phrases.
func dropPhrases(words []string, set phraseSet) []string {
	var out []string
	for i := 0; i < len(words); {
		if n := longestMatch(words[i:], set); n > 0 {
			i += n
			continue
		}
		out = append(out, words[i])
		i++
	}
	return out
}

// nothingToChangeWords answer "what would you like to change?" with nothing.
var nothingToChangeWords = phraseList("nada", "nothing", "todo bien", "esta bien", "todo esta bien", "todo correcto",
	"esta todo bien", "esta correcto", "es correcto", "todo ok", "all good", "it's fine", "its fine", "it's all correct",
	"it's correct", "that's correct", "everything is fine", "everything's fine", "all correct", "no changes", "ninguno",
	"ninguna", "none", "never mind that")

func nothingToChange(text string) bool {
	words := bareWords(text)
	if len(words) == 0 {
		return false
	}
	for i := 0; i < len(words); {
		n := max(longestMatch(words[i:], nothingToChangeWords), longestMatch(words[i:], neutral))
		if n == 0 && !slices.Contains(fillerWords, words[i]) {
			return false
		}
		i += max(n, 1)
	}
	return true
}

// affirming words may stand beside a yes without changing it.
var affirming = []string{"asi", "ahora", "ahorita", "ya", "todo", "bien", "esta", "es", "eso", "correcto", "perfecto", "exacto",
	"claro", "vale", "ok", "okay", "dale", "adelante", "confirmo", "confirmado", "confirma", "si", "yes", "that", "it",
	"is", "that's", "it's", "right", "now", "all", "good", "fine", "great", "correct", "go", "ahead", "confirm",
	"sure", "do", "please", "perfect", "exactly", "absolutely", "definitely", "de", "acuerdo", "hazlo", "procede",
	"and", "y", "then", "entonces", "mismo", "away", "lo", "la", "los", "las", "them", "this", "esa", "ese"}

// onlyAffirms reports whether what is left beside a yes only affirms it.
func onlyAffirms(rest string) bool {
	words := bareWords(rest)
	for _, w := range words {
		if !slices.Contains(affirming, w) && !slices.Contains(fillerWords, w) {
			return false
		}
	}
	return true
}

// splitWords splits folded text into words, keeping apostrophes ("that's").
func splitWords(text string) []string {
	return strings.FieldsFunc(extract.Fold(text), func(r rune) bool { return isSeparator(r) && r != '\'' })
}

// bareWords are the words of text without politeness ("por favor", "thanks").
func bareWords(text string) []string { return dropPhrases(splitWords(text), politeness) }

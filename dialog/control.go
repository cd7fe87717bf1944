package dialog

import (
	"slices"
	"strings"

	"github.com/voiceagent/voiceagent/dialog/extract"
)

// control is what an utterance asks of the conversation itself rather than
// of a service.
type control int

const (
	ctlNone    control = iota
	ctlRepeat          // say the last question again
	ctlCancel          // drop the request in progress
	ctlGoodbye         // end the call
	ctlWait            // the caller needs a moment
	ctlHuman           // the caller asks for a person (transfer.go)
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

// controls are the phrases of each kind, folded, in both languages: a
// caller mixes languages more often than one would think.
var controls = map[control]phraseSet{
	ctlRepeat: phraseList(
		"repite", "repitelo", "repita", "repitemelo", "como", "como dice", "como dices", "como dijiste", "que", "que dijiste",
		"que dice", "no te entendi", "no entendi", "no te escuche", "no escuche", "no le escuche", "no se escucho", "otra vez",
		"puedes repetir", "puedes repetirlo", "podrias repetir", "podria repetir", "me lo repites", "me lo repite",
		"de nuevo", "mande", "perdon", "eh", "que que", "a que hora dijiste", "que hora dijiste", "que dia dijiste",
		"cuando dijiste", "que fecha dijiste", "cuanto dijiste",
		"repeat", "repeat that", "repeat please", "say that again", "can you say that again", "could you say that again",
		"what", "what was that", "what did you say", "pardon", "pardon me", "sorry", "come again", "huh",
		"i didn't catch that", "i didnt catch that", "again", "can you repeat", "can you repeat that", "could you repeat",
		"could you repeat that", "one more time", "what time did you say", "which day did you say", "when did you say",
		"how much did you say"),
	ctlCancel: phraseList(
		"cancelar", "cancela", "cancelalo", "cancelala", "cancela eso", "cancelar eso", "cancela todo", "cancelalo todo",
		"olvidalo", "olvida", "olvida eso", "olvidate", "dejalo", "dejalo asi", "dejalo ahi", "deja", "ya no", "ya no quiero",
		"ya no quiero nada", "no quiero nada", "ya no lo quiero", "no lo quiero", "no importa", "mejor no", "anula",
		"anulalo", "detente", "para",
		"cancel", "cancel that", "cancel it", "cancel everything", "never mind", "nevermind", "forget it",
		"forget about it", "lets forget about it", "let's forget about it", "stop", "skip it", "scratch that",
		"drop it", "i changed my mind", "not anymore"),
	ctlGoodbye: phraseList(
		"adios", "chao", "chau", "hasta luego", "hasta pronto", "nos vemos", "eso es todo", "eso seria todo", "es todo",
		"nada mas", "ya esta", "eso era todo", "llamo despues", "llamo luego", "llamo mas tarde", "te llamo despues",
		"bye", "goodbye", "bye bye", "good bye", "that's all", "thats all", "that is all", "that's it", "thats it",
		"that's everything", "nothing else", "i'm done", "we're done", "i'll call back", "i'll call back later",
		"i will call back later", "that's all for today", "have a good day", "have a nice day"),
	ctlWait: phraseList(
		"espera", "esperame", "espere", "un momento", "un momentito", "un segundo", "dame un segundo", "dame un momento",
		"permiteme", "un minuto", "wait", "wait a second", "wait a moment", "hold on", "one moment", "one second",
		"just a second", "give me a second", "hang on"),
}

// neutral words may stand beside a control phrase without changing it:
// "no, olvídalo", "perfecto, adiós", "no, I'm good, thanks".
var neutral = phraseList("no", "si", "yes", "ok", "okay", "vale", "bien", "muy bien", "perfecto", "listo", "bueno",
	"alright", "all right", "great", "good", "i'm good", "im good", "estoy bien", "nope", "nada", "nothing", "fine",
	"genial", "de acuerdo", "entonces", "pues")

// greetings may open a control phrase without changing it.
var greetings = phraseList("hola", "buenas", "buenos dias", "buenas tardes", "buenas noches", "hello", "hi",
	"good morning", "good afternoon", "good evening")

// politeness and fillers are dropped before classifying.
var politeness = phraseList("gracias", "muchas gracias", "mil gracias", "por favor", "please", "thanks", "thank you",
	"thank you very much", "thanks a lot", "muy amable", "senorita", "senor")

var fillerWords = []string{"eh", "ehm", "mmm", "mm", "hmm", "um", "umm", "uh", "oh", "ah", "ay", "este", "mira",
	"oye", "oiga", "mejor", "perdon", "perdona", "disculpa", "disculpe", "sabes", "actually", "well", "so", "hey",
	"look", "va", "dale", "bueno", "pues", "you", "know", "just"}

// strongGoodbyes end a call in any state when they close the utterance.
var strongGoodbyes = phraseList("adios", "chao", "chau", "hasta luego", "hasta pronto", "bye", "goodbye", "bye bye", "good bye")

// classify says what control an utterance is, if it is only that.
func classify(text string, listening bool) control {
	words := splitWords(text)
	if len(words) == 0 {
		return ctlNone
	}
	if endsWith(words, strongGoodbyes) {
		return ctlGoodbye
	}
	bare := dropPhrases(words, politeness)
	if len(bare) == 0 {
		return ctlNone // "gracias" alone answers nothing
	}
	if k := segmentKind(bare, listening); k != ctlNone {
		return k
	}
	content := slices.DeleteFunc(slices.Clone(bare), func(w string) bool { return slices.Contains(fillerWords, w) })
	if len(content) == 0 {
		return segmentKind(bare[len(bare)-1:], listening) // "¿eh?"
	}
	if k := segmentKind(content, listening); k != ctlNone {
		return k
	}
	// "cancela el pedido", "cancel the refund": a cancel verb and a short object.
	if len(content) <= 4 && slices.Contains([]string{"cancela", "cancelar", "cancelame", "anula", "anular", "cancel", "olvida"}, content[0]) {
		return ctlCancel
	}
	return ctlNone
}

// precedence decides between kinds said together: "forget it, I'll call
// back later" drops the request (and the caller may still say goodbye);
// "no, olvídalo, pásame con una persona" asks for a person.
var precedence = []control{ctlHuman, ctlCancel, ctlGoodbye, ctlWait, ctlRepeat}

// matchControl returns the length of the phrase of kind k that starts
// words, or 0.
func matchControl(words []string, k control) int {
	if k == ctlHuman {
		return humanMatch(words)
	}
	return longestMatch(words, controls[k])
}

// segmentKind splits words entirely into control phrases and neutral words
// and reports the kind that wins, or ctlNone when something else is said.
// While listening, a bare "no" is a goodbye (a no to "anything else?").
func segmentKind(words []string, listening bool) control {
	found := map[control]bool{}
	for i := 0; i < len(words); {
		best, kind := 0, ctlNone
		for _, k := range precedence {
			if n := matchControl(words[i:], k); n > best {
				best, kind = n, k
			}
		}
		if n := longestMatch(words[i:], greetings); n > best {
			i += n // "hola, quiero hablar con una persona"
			continue
		}
		if n := longestMatch(words[i:], neutral); n > best {
			if listening && (words[i] == "no" || words[i] == "nope" || words[i] == "nada" || words[i] == "nothing") {
				found[ctlGoodbye] = true
			}
			i += n
			continue
		}
		if best == 0 {
			return ctlNone
		}
		found[kind] = true
		i += best
	}
	for _, k := range precedence {
		if found[k] {
			return k
		}
	}
	return ctlNone
}

// yesToCancellation reports whether an utterance is a yes to the read-back of
// a service that itself cancels something: "sí, cancélala", "yes, cancel it".
func yesToCancellation(text string) bool {
	words := bareWords(text)
	yes := false
	for i := 0; i < len(words); {
		if slices.Contains([]string{"si", "yes", "claro", "correcto", "confirmo", "exacto"}, words[i]) {
			yes = true
		}
		if n := max(longestMatch(words[i:], controls[ctlCancel]), longestMatch(words[i:], neutral)); n > 0 {
			i += n
			continue
		}
		if words[i] == "si" || words[i] == "claro" || words[i] == "confirmo" || words[i] == "exacto" || words[i] == "correcto" {
			i++
			continue
		}
		return false
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

func endsWith(words []string, set phraseSet) bool {
	for _, p := range set {
		if len(p) <= len(words) && slices.Equal(words[len(words)-len(p):], p) {
			return true
		}
	}
	return false
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

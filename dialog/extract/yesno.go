package extract

import (
	"sort"
	"strings"
)

// Answer classifies a reply to a yes/no question.
type Answer int

const (
	// Unclear is anything that is not a clear yes or a clear no, including
	// mixed signals and a yes followed by a change or a question.
	Unclear Answer = iota
	// Yes is a clear affirmation.
	Yes
	// No is a clear negation (including "wait" / "espera").
	No
)

// String returns "unclear", "yes" or "no".
func (a Answer) String() string {
	switch a {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "unclear"
}

// YesNo classifies an utterance as a reply to a yes/no question.
//
// Yes only when the caller clearly affirms (es "sí", "claro", "correcto",
// "de acuerdo", "vale", "está bien", "dale", "sí, confírmalo"…; en "yes",
// "yeah", "sure", "that's right", "go ahead", "please do"…). No for "no",
// "nope", "negativo", "incorrecto", "para nada", "todavía no", "espera", "no
// quiero", "wrong", "not really", "wait", "don't", "no thanks", and for a
// negated yes ("no es correcto", "that's not right"). Unclear for anything
// else: no yes/no word, doubt ("no sé", "maybe"), mixed signals ("sí… no,
// espera"), a yes followed by a change or a condition ("sí, pero cambia la
// fecha", "yes but the email is wrong", "sí, si es el lunes") or by a
// question, and a bare "¿no?". Words of both languages are recognised
// whatever lang says (callers code-switch). An unaccented "si" counts as yes
// only where it cannot be the conjunction "if": before punctuation or at the
// end, after "que"/"claro"/"pues", or before another yes word or a filler
// ("si claro", "si por favor"); "si quieres…" and "si es correcto" are
// Unclear.
//
// rest is the original text without the yes/no words and fillers ("pues",
// "por favor", "gracias", "um", "please"…), with leading connectors ("pero",
// "but", "y") and edge punctuation trimmed: "" for "sí, por favor", "la fecha
// es el 20" for "no, la fecha es el 20".
func YesNo(text, lang string) (a Answer, rest string) {
	return analyze(text, lang).yesNo()
}

func (an *analysis) yesNo() (a Answer, rest string) {
	n := len(an.toks)
	cat := make([]ynCat, n) // per token; 0 = content
	var yes, no, unclear, contrast, question bool
	firstYes := -1
	for i := 0; i < n; {
		if an.toks[i].kind != tWord {
			i++
			continue
		}
		c, e := ynMatch(an, i)
		if c == 0 {
			i++
			continue
		}
		if c == cYes && e == i+1 && an.toks[i].v == "si" && !an.accentedSi(i) && !an.siIsYes(i) {
			c = cContrast // "si" = "if"
		}
		for k := i; k < e; k++ {
			cat[k] = c
		}
		i = e
	}
	// a negator right before a yes word turns it into a no: "no es correcto",
	// "no me parece bien", "that's not right", "isn't correct"
	for i := 0; i < n; i++ {
		if cat[i] != cYes || (i > 0 && cat[i-1] == cYes) {
			continue
		}
		for back := 1; back <= 3 && i-back >= 0; back++ {
			k := i - back
			if an.toks[k].kind != tWord {
				break
			}
			if negators[an.toks[k].v] {
				for x := k; x < n && (x <= i || cat[x] == cYes); x++ {
					if an.toks[x].kind == tWord {
						cat[x] = cNo
					}
				}
				break
			}
			if cat[k] != 0 && cat[k] != cNo {
				break
			}
		}
	}
	for i := 0; i < n; i++ {
		switch cat[i] {
		case cYes:
			yes = true
			if firstYes < 0 {
				firstYes = i
			}
		case cNo:
			no = true
		case cUnclear:
			unclear = true
		}
	}
	for i := 0; i < n; i++ {
		switch cat[i] {
		case cContrast, cChange:
			if firstYes >= 0 && i > firstYes || conditionals[an.toks[i].v] {
				contrast = true
			}
		case cQuestion:
			question = true
		}
	}
	if an.hasQuestion() {
		question = true
	}
	rest = ynRest(an, cat)
	switch {
	case unclear, yes && no:
		return Unclear, rest
	case yes:
		if contrast || question {
			return Unclear, rest
		}
		return Yes, rest
	case no:
		if question && rest == "" {
			return Unclear, rest
		}
		return No, rest
	}
	return Unclear, rest
}

type ynCat uint8

const (
	cYes ynCat = iota + 1
	cNo
	cUnclear
	cFiller
	cContrast
	cChange
	cQuestion
	cNeutral // kept in rest, counts as nothing: "right now"
)

// accentedSi reports whether token i was written "sí" (with the accent).
func (a *analysis) accentedSi(i int) bool {
	sp := a.spanTok(i, i+1)
	o := a.orig[sp.Start:sp.End]
	return strings.ContainsAny(o, "íÍ") || strings.Contains(o, "\u0301")
}

// conditionals make any yes Unclear, wherever they are: "si es correcto".
var conditionals = map[string]bool{"si": true, "if": true, "unless": true}

// siIsYes decides whether an unaccented "si" is "yes" rather than "if": it
// is yes before punctuation or at the end, right after "que"/"claro"/"pues"…,
// or before another yes word or a filler ("si claro", "si por favor").
// "si quieres…" stays "if".
func (a *analysis) siIsYes(i int) bool {
	if i+1 >= len(a.toks) || a.toks[i+1].kind == tPunct {
		return true
	}
	if i > 0 && a.toks[i-1].kind == tWord {
		switch a.toks[i-1].v {
		case "que", "pues", "eh", "ah", "bueno", "claro", "ok", "vale", "oh", "mmm", "yo", "dije":
			return true
		}
	}
	switch c, _ := ynMatch(a, i+1); c {
	case cFiller:
		return true
	case cYes:
		// "si claro", "si, de acuerdo" — but "si es correcto", "si está
		// bien" read as "if it is…"
		switch a.toks[i+1].v {
		case "es", "esta", "eso", "asi", "me", "como", "todo":
			return false
		}
		return true
	}
	return false
}

var negators = map[string]bool{
	"no": true, "not": true, "never": true, "nunca": true, "isn't": true, "isnt": true,
	"don't": true, "dont": true, "doesn't": true, "doesnt": true, "ain't": true,
	"wasn't": true, "aren't": true, "tampoco": true,
}

var ynPhrases = map[ynCat][]string{
	cYes: {
		// es
		"si", "sip", "claro", "claro que si", "correcto", "es correcto", "esta correcto", "todo correcto",
		"exacto", "exactamente", "efectivamente", "de acuerdo", "estoy de acuerdo", "vale", "ok", "okey",
		"okay", "oki", "confirmo", "lo confirmo", "confirmado", "confirma", "confirmalo", "confirmelo",
		"confirmar", "afirmativo", "esta bien", "todo bien", "muy bien", "bien", "adelante", "perfecto",
		"asi es", "por supuesto", "por supuesto que si", "dale", "eso es", "eso mismo", "aja", "cierto",
		"listo", "de una", "desde luego", "sin duda", "obvio", "como no", "hazlo", "hagalo", "procede",
		"proceda", "acepto", "me parece bien", "me parece perfecto", "genial", "excelente", "seguro",
		"andale", "orale", "no hay problema", "sin problema", "ningun problema", "creo que si",
		"si senor", "si senora", "por favor hazlo",
		// en
		"yes", "yeah", "yea", "yep", "yup", "sure", "sure thing", "correct", "that's correct",
		"thats correct", "that is correct", "right", "that's right", "thats right", "that is right",
		"you're right", "exactly", "confirm", "confirmed", "i confirm", "go ahead", "go for it", "do it",
		"proceed", "affirmative", "absolutely", "of course", "certainly", "definitely", "please do",
		"sounds good", "sounds great", "perfect", "great", "fine", "that's fine", "all right",
		"alright", "agreed", "indeed", "uh huh", "mhm", "mm hmm", "totally", "you bet", "that works",
		"works for me", "no problem", "yes sir", "yes please", "i do", "that's it", "why not",
	},
	cNo: {
		// es
		"no", "nop", "nope", "negativo", "incorrecto", "para nada", "de ninguna manera", "nunca",
		"jamas", "todavia no", "aun no", "espera", "espere", "esperate", "esperame", "un momento",
		"un segundo", "no quiero", "no gracias", "mejor no", "creo que no", "claro que no",
		"por supuesto que no", "esta mal", "mal", "falso", "equivocado", "equivocada", "ni hablar",
		"tampoco", "ahorita no", "ya no", "no lo confirmo", "no es correcto", "no es asi",
		// en
		"nope", "nah", "negative", "wrong", "that's wrong", "thats wrong", "incorrect", "not really",
		"not yet", "wait", "hold on", "hang on", "one moment", "one second", "just a moment",
		"don't", "dont", "do not", "no thanks", "no thank you", "never", "no way", "not at all",
		"i don't think so", "i dont think so", "of course not", "absolutely not", "certainly not",
		"definitely not", "stop", "not correct", "not right", "no sir", "not", "i do not",
		"that's not right", "thats not right", "that's not correct", "that is not correct",
		"that is not right", "that's incorrect", "that is incorrect", "that's wrong", "that is wrong",
		"eso no", "eso esta mal", "no es eso",
	},
	cUnclear: {
		"no se", "no lo se", "no estoy seguro", "no estoy segura", "quizas", "quiza", "tal vez",
		"a lo mejor", "puede ser", "no importa", "me da igual", "da igual", "depende", "mas o menos",
		"no sabria", "ni idea", "no tengo idea", "no entiendo",
		"maybe", "perhaps", "not sure", "i'm not sure", "im not sure", "i am not sure",
		"i don't know", "i dont know", "dunno", "i guess", "whatever", "doesn't matter",
		"it depends", "depends", "kind of", "sort of", "possibly", "probably",
		"i don't understand", "no idea",
	},
	cFiller: {
		"pues", "bueno", "eh", "em", "emm", "mmm", "mm", "hmm", "ah", "oh", "oye", "mira",
		"por favor", "porfa", "porfavor", "gracias", "muchas gracias", "senor", "senora", "senorita",
		"joven", "entonces", "um", "uh", "er", "erm", "well", "please", "thanks", "thank you",
		"thank you very much", "sir", "ma'am", "so",
	},
	cContrast: {
		"pero", "but", "aunque", "although", "though", "sin embargo", "however", "excepto", "except",
		"salvo", "solo que", "only", "if", "unless", "a menos que", "siempre que", "sino", "mientras",
		"as long as",
	},
	cChange: {
		"cambia", "cambiar", "cambie", "cambien", "cambialo", "cambiala", "cambiame", "change",
		"modify", "modifica", "modificar", "corrige", "corregir", "corrija", "update", "actualiza",
		"instead", "en vez", "en lugar", "mejor", "actually", "rather", "en realidad", "perdon",
		"sorry", "digo", "i mean", "otra", "another", "different", "distinto", "distinta",
	},
	cNeutral: {"right now", "right away", "ahora mismo", "all right then"},
	cQuestion: {
		"cuanto", "cuanta", "cuantos", "cuantas", "cuando", "donde", "por que", "puedo", "podria",
		"how", "when", "where", "why", "which", "can i", "could i", "could you", "can you",
		"do you", "is it", "are you", "que hora", "que dia", "what",
	},
}

type ynPhrase struct {
	words []string
	cat   ynCat
}

// ynIndex maps a first word to its phrases, longest first. Built once at
// package initialisation and never modified.
var ynIndex = func() map[string][]ynPhrase {
	idx := map[string][]ynPhrase{}
	for c, list := range ynPhrases {
		for _, p := range list {
			w := strings.Fields(p)
			idx[w[0]] = append(idx[w[0]], ynPhrase{w, c})
		}
	}
	for k := range idx {
		l := idx[k]
		sort.SliceStable(l, func(i, j int) bool {
			if len(l[i].words) != len(l[j].words) {
				return len(l[i].words) > len(l[j].words)
			}
			return l[i].cat < l[j].cat
		})
	}
	return idx
}()

// ynMatch finds the longest phrase starting at word token i; it returns its
// category (0 if none) and end token.
func ynMatch(a *analysis, i int) (ynCat, int) {
	for _, p := range ynIndex[a.toks[i].v] {
		k := i
		ok := true
		for _, w := range p.words {
			if k >= len(a.toks) || a.toks[k].kind != tWord || a.toks[k].v != w {
				ok = false
				break
			}
			k++
		}
		if ok {
			return p.cat, k
		}
	}
	return 0, i
}

var leadConnectors = map[string]bool{
	"pero": true, "but": true, "y": true, "and": true, "que": true, "so": true, "entonces": true,
	"then": true, "o": true, "or": true,
}

// ynRest rebuilds the original text without yes/no words and fillers.
func ynRest(a *analysis, cat []ynCat) string {
	n := len(a.toks)
	keep := make([]bool, n)
	for i := 0; i < n; i++ {
		switch cat[i] {
		case cYes, cNo, cFiller:
			continue
		}
		if a.toks[i].kind == tPunct {
			// punctuation stays only between kept words
			prevKept := i > 0 && keep[i-1]
			nextKept := i+1 < n && a.toks[i+1].kind != tPunct && !(cat[i+1] == cYes || cat[i+1] == cNo || cat[i+1] == cFiller)
			keep[i] = prevKept && nextKept || a.toks[i].v == "@" || a.toks[i].v == "." && prevKept && i+1 < n && a.toks[i+1].glued
			continue
		}
		keep[i] = true
	}
	// leading connectors
	for i := 0; i < n; i++ {
		if !keep[i] {
			continue
		}
		if a.toks[i].kind == tWord && leadConnectors[a.toks[i].v] {
			keep[i] = false
			continue
		}
		break
	}
	var b strings.Builder
	for i := 0; i < n; {
		if !keep[i] {
			i++
			continue
		}
		j := i
		for j+1 < n && keep[j+1] {
			j++
		}
		sp := a.spanTok(i, j+1)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.orig[sp.Start:sp.End])
		i = j + 1
	}
	return strings.Trim(b.String(), " ,.;:!?¡¿-")
}

package extract

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Email finds an email address, written ("juan.perez@gmail.com", with
// surrounding text) or spoken: es "juan arroba gmail punto com", "guion bajo"
// = "_", "guion" = "-", "punto" = "."; en "juan at gmail dot com",
// "underscore", "dash"/"hyphen", "dot". Letters spelled out with spaces ("j u
// a n arroba …") and words before the "@" are joined until a lead-in word
// ("mi correo es", "my email is") or punctuation other than a comma; spoken
// single digits ("cinco", "five") become digits. The result is lowercased
// and accents are folded; it must look like local@domain.tld with a TLD of 2+
// letters. Both languages' keywords are accepted whatever lang says. It
// returns the address and the span it came from.
func Email(text, lang string) (string, Span, bool) {
	f := foldWithMap(text)
	atoms := withoutRespelling(atTheRate(emailAtoms(f.s)))
	for k := range atoms {
		if atoms[k].kind != aAt {
			continue
		}
		if addr, s, e, ok := assembleEmail(f.s, lang, atoms, k); ok {
			return addr, f.span(s, e), true
		}
	}
	return "", Span{}, false
}

type atomKind uint8

const (
	aLit atomKind = iota + 1
	aAt
	aDot
	aDash
	aUnder
	aStop
)

type atom struct {
	kind  atomKind
	text  string
	s, e  int  // folded range
	hard  bool // a hard separator (not a space) precedes this atom
	comma bool // that separator was only a comma: "j, p, e" may be spelled
	// stopword marks lead-in and function words ("es", "my", "correo"):
	// they end the local part but may be domain labels ("punto es").
	stopword bool
	// spelled: letters joined by hyphens ("s-e-a-n"), read as one word.
	spelled bool
}

func isEmailChar(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		c == '%' || c == '+' || c == '-' || c == '@' || c == '\''
}

// emailAtoms cuts folded text into chunks of email characters and classifies
// them.
func emailAtoms(s string) []atom {
	var atoms []atom
	hard, comma := true, false
	for i := 0; i < len(s); {
		c := s[i]
		if !isEmailChar(c) {
			if c >= utf8.RuneSelf {
				r, w := utf8.DecodeRuneInString(s[i:])
				if isLetter(r) { // a non-ASCII letter: a word an address cannot hold
					j := i + w
					for j < len(s) {
						r2, w2 := utf8.DecodeRuneInString(s[j:])
						if !isLetter(r2) && !(j < len(s) && isEmailChar(s[j]) && s[j] != '@') {
							break
						}
						j += w2
					}
					atoms = append(atoms, atom{kind: aStop, s: i, e: j, hard: hard})
					hard = false
					i = j
					continue
				}
				hard = hard || !isSpaceRune(r)
				i += w
				continue
			}
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				comma = c == ',' && (!hard || comma) // a comma too: in transcribed speech it ends a clause
				hard = true
			}
			i++
			continue
		}
		j := i
		for j < len(s) && isEmailChar(s[j]) {
			j++
		}
		chunk := s[i:j]
		e := j
		// sentence punctuation glued at the end: "com." "com.."
		for len(chunk) > 1 && (chunk[len(chunk)-1] == '.' || chunk[len(chunk)-1] == '\'') {
			chunk = chunk[:len(chunk)-1]
			e--
		}
		n0 := len(atoms)
		atoms = appendChunk(atoms, chunk, i, e, hard)
		atoms[n0].comma = hard && comma
		hard, comma = false, false
		if e < j { // the stripped period ends a sentence
			hard = true
		}
		i = j
	}
	// two-word keywords: "guion bajo", "under score", "barra baja"
	out := atoms[:0]
	for k := 0; k < len(atoms); k++ {
		at := atoms[k]
		if k+1 < len(atoms) && at.kind != aStop && atoms[k+1].kind == aLit && !atoms[k+1].hard {
			pair := at.text + " " + atoms[k+1].text
			switch pair {
			case "guion bajo", "under score", "barra baja", "guion abajo":
				at.kind, at.e = aUnder, atoms[k+1].e
				k++
			case "guion medio":
				at.kind, at.e = aDash, atoms[k+1].e
				k++
			case "at sign":
				at.kind, at.e = aAt, atoms[k+1].e
				k++
			}
		}
		out = append(out, at)
	}
	return out
}

func isSpaceRune(r rune) bool {
	return r == ' ' || r == '\u00a0' || r == '\u2009' || r == '\u3000'
}

// appendChunk classifies one chunk, splitting it at '@'.
func appendChunk(atoms []atom, chunk string, s, e int, hard bool) []atom {
	if strings.IndexByte(chunk, '@') >= 0 {
		if strings.Count(chunk, "@") > 1 || strings.IndexByte(chunk, '\'') >= 0 {
			return append(atoms, atom{kind: aStop, s: s, e: e, hard: hard})
		}
		k := strings.IndexByte(chunk, '@')
		if k > 0 {
			atoms = append(atoms, atom{kind: aLit, text: chunk[:k], s: s, e: s + k, hard: hard})
			hard = false
		}
		atoms = append(atoms, atom{kind: aAt, text: "@", s: s + k, e: s + k + 1, hard: hard})
		if k+1 < len(chunk) {
			atoms = append(atoms, atom{kind: aLit, text: chunk[k+1:], s: s + k + 1, e: e})
		}
		return atoms
	}
	at := atom{kind: aLit, text: chunk, s: s, e: e, hard: hard}
	if l, ok := hyphenSpelled(chunk); ok {
		at.text, at.spelled = l, true // "b-e-l-l-e" is "belle"
		return append(atoms, at)
	}
	switch chunk {
	case "arroba", "at":
		at.kind = aAt
	case "punto", "dot", ".":
		at.kind = aDot
	case "guion", "dash", "hyphen", "-":
		at.kind = aDash
	case "underscore", "subrayado", "subguion", "_":
		at.kind = aUnder
	default:
		if d, ok := digitWords[chunk]; ok {
			at.text = string([]byte{d})
		} else if strings.IndexByte(chunk, '\'') >= 0 {
			at.kind = aStop
		} else if len(chunk) > 1 && emailStop[chunk] {
			at.stopword = true
		}
	}
	return append(atoms, at)
}

// emailStop are lead-in and function words that end the local part.
var emailStop = map[string]bool{
	// es
	"es": true, "mi": true, "correo": true, "email": true, "e-mail": true, "mail": true,
	"electronico": true, "direccion": true, "de": true, "del": true, "el": true, "la": true,
	"los": true, "las": true, "seria": true, "son": true, "este": true, "esta": true,
	"pues": true, "bueno": true, "si": true, "no": true, "claro": true, "vale": true,
	"ok": true, "okay": true, "okey": true, "hola": true, "gracias": true, "por": true,
	"favor": true, "para": true, "al": true, "con": true, "en": true, "que": true,
	"tu": true, "su": true, "le": true, "lo": true, "me": true, "te": true, "se": true,
	"envia": true, "enviame": true, "envie": true, "escribe": true, "escribeme": true,
	"manda": true, "mandame": true, "ahi": true, "aqui": true, "nuevo": true, "ese": true,
	"eso": true, "correcto": true, "tengo": true, "usa": true, "usar": true, "mejor": true,
	"cambia": true, "cambialo": true, "perdon": true, "digo": true, "entonces": true,
	"ya": true, "tambien": true, "sino": true, "pero": true, "sí": true, "un": true,
	"una": true, "otro": true, "mis": true, "datos": true,
	// en
	"is": true, "my": true, "address": true, "its": true, "it": true, "the": true,
	"and": true, "or": true, "that": true, "this": true, "to": true, "send": true,
	"please": true, "yes": true, "yeah": true, "sure": true, "hi": true, "hello": true,
	"thanks": true, "use": true, "new": true, "change": true, "instead": true,
	"actually": true, "sorry": true, "mean": true, "contact": true, "reach": true,
	"write": true, "us": true, "our": true, "your": true, "his": true, "her": true,
	"be": true, "would": true, "should": true, "could": true, "can": true, "you": true,
	"on": true, "in": true, "for": true, "with": true, "from": true, "of": true,
	"by": true, "so": true, "well": true, "um": true, "uh": true, "eh": true,
	"an": true, "email's": true, "it's": true, "i'm": true, "im": true, "now": true,
}

// assembleEmail builds the address around the '@' atom k.
func assembleEmail(s, lang string, atoms []atom, k int) (string, int, int, bool) {
	// local part, right to left; a written @ glued to its local part takes
	// only what is glued to it ("Juan Pérez juan@x.com" is juan@x.com)
	lo := k
	written := k > 0 && atoms[k-1].e == atoms[k].s
	if !atoms[k].hard || softComma(atoms, k) {
		for j := k - 1; j >= 0 && k-j <= 40; j-- {
			at := atoms[j]
			if at.kind == aStop || at.kind == aAt || at.stopword || written && at.e != atoms[j+1].s {
				break
			}
			lo = j
			if at.hard && !(at.comma && spelledAtom(at) && j > 0 && spelledAtom(atoms[j-1])) && !softComma(atoms, j) {
				break // a comma between spelled letters, or beside "dot", does not end them
			}
		}
	}
	for lo < k && atoms[lo].kind != aLit { // no leading ".", "-", "_"
		lo++
	}
	if lo == k {
		return "", 0, 0, false
	}
	// domain, left to right
	hi := k // last included atom
	seenDot := false
	for j := k + 1; j < len(atoms) && j-k <= 40; j++ {
		at := atoms[j]
		if at.hard && !softComma(atoms, j) {
			break
		}
		prev := atoms[hi].kind
		stop := false
		switch at.kind {
		case aLit:
			if prev == aLit && seenDot || !domainChars(at.text) {
				stop = true
				break
			}
			if strings.IndexByte(at.text, '.') >= 0 {
				seenDot = true
			}
		case aDot:
			if prev == aDot || prev == aAt {
				stop = true
			}
			seenDot = true
		case aDash:
			if prev != aLit {
				stop = true
			}
		default:
			stop = true
		}
		if stop {
			break
		}
		hi = j
	}
	for hi > k && atoms[hi].kind != aLit {
		hi--
	}
	if hi == k {
		return "", 0, 0, false
	}
	spelled := spelledRun(atoms[lo:k])
	var b strings.Builder
	for j := lo; j <= hi; j++ {
		if j < k && atoms[j].kind == aLit {
			if n := numberRun(s, atoms, j, k); n > 0 { // "carmen ochenta y cinco"
				// One number for the whole run ("twenty five"), else the words
				// are digits one by one ("one two").
				run := s[atoms[j].s:atoms[j+n-1].e]
				if ns := Numbers(run, lang); len(ns) == 1 && ns[0].Span == (Span{0, len(run)}) && ns[0].Value == float64(int(ns[0].Value)) {
					b.WriteString(strconv.Itoa(int(ns[0].Value)))
					j += n - 1
					continue
				}
			}
			if l, ok := letterNames[atoms[j].text]; ok && spelled {
				b.WriteString(l) // "jota pe e erre e zeta"
				continue
			}
		}
		switch atoms[j].kind {
		case aLit:
			b.WriteString(atoms[j].text)
		case aAt:
			b.WriteByte('@')
		case aDot:
			b.WriteByte('.')
		case aDash:
			b.WriteByte('-')
		case aUnder:
			b.WriteByte('_')
		}
	}
	addr := strings.TrimRight(b.String(), ".")
	if !validEmail(addr) {
		return "", 0, 0, false
	}
	return addr, atoms[lo].s, atoms[hi].e, true
}

func domainChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validEmail checks local@domain.tld (TLD of 2+ letters).
func validEmail(addr string) bool {
	if len(addr) > 254 {
		return false
	}
	at := strings.IndexByte(addr, '@')
	if at <= 0 || at != strings.LastIndexByte(addr, '@') {
		return false
	}
	local, domain := addr[:at], addr[at+1:]
	if len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strings.IndexByte("._%+-", c) >= 0) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' || !domainChars(l) || strings.IndexByte(l, '.') >= 0 {
			return false
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return false
		}
	}
	return true
}

// letterNames are the Spanish (and English) names of letters, read when a
// caller spells an address out: "jota pe e erre e zeta arroba…".
var letterNames = map[string]string{
	"a": "a", "be": "b", "ce": "c", "de": "d", "e": "e", "efe": "f", "ge": "g", "hache": "h", "i": "i", "jota": "j",
	"ka": "k", "ele": "l", "eme": "m", "ene": "n", "o": "o", "pe": "p", "cu": "q", "erre": "r", "ere": "r", "ese": "s",
	"te": "t", "u": "u", "uve": "v", "ve": "v", "equis": "x", "ye": "y", "zeta": "z", "seta": "z",
	"bee": "b", "cee": "c", "dee": "d", "ef": "f", "gee": "g", "aitch": "h", "jay": "j", "kay": "k", "el": "l",
	"em": "m", "en": "n", "pee": "p", "cue": "q", "ar": "r", "ess": "s", "tee": "t", "vee": "v", "ex": "x",
	"wye": "y", "zee": "z", "zed": "z",
}

// spelledAtom: a single letter or digit, or a letter's name.
func spelledAtom(a atom) bool {
	if a.kind != aLit {
		return false
	}
	_, named := letterNames[a.text]
	return len(a.text) == 1 || named
}

// spelledRun reports whether a local part is spelled out: three or more
// atoms, each a letter, a digit or a letter's name.
func spelledRun(atoms []atom) bool {
	if len(atoms) < 3 {
		return false
	}
	for _, a := range atoms {
		if !spelledAtom(a) {
			return false
		}
	}
	return true
}

// numberRun returns how many atoms from j (before k) say a number in words
// of two words or more ("ochenta y cinco"), or 0.
func numberRun(s string, atoms []atom, j, k int) int {
	n := 0
	for i := j; i < k && atoms[i].kind == aLit; i++ {
		w := s[atoms[i].s:atoms[i].e]
		_, es := esNumWords[w]
		_, en := enNumWords[w]
		if !es && !en && !(n > 0 && (w == "y" || w == "and")) {
			break
		}
		n = i - j + 1
	}
	for n > 0 && (s[atoms[j+n-1].s:atoms[j+n-1].e] == "y" || s[atoms[j+n-1].s:atoms[j+n-1].e] == "and") {
		n--
	}
	if n < 2 {
		return 0
	}
	return n
}

// softComma reports whether the separator before atom j is only a comma
// beside a spoken symbol: "pato.gonzalez, arroba, gmail, punto, com", as a
// recogniser punctuates a dictation.
func softComma(atoms []atom, j int) bool {
	symbol := func(k atomKind) bool { return k == aAt || k == aDot || k == aDash || k == aUnder }
	return atoms[j].comma && (symbol(atoms[j].kind) || j > 0 && symbol(atoms[j-1].kind))
}

// hyphenSpelled reads letters joined by hyphens as a word: "b-e-l-l-e".
func hyphenSpelled(chunk string) (string, bool) {
	if len(chunk) < 3 || len(chunk)%2 == 0 {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(chunk); i++ {
		c := chunk[i]
		if i%2 == 1 {
			if c != '-' {
				return "", false
			}
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// withoutRespelling drops the spelling a caller gives right after a word,
// so it is not written twice: "fiona, F I O N A, dot mcleod", "Sean,
// S-E-A-N, dot Gallagher". The separator after the spelling stays.
func withoutRespelling(atoms []atom) []atom {
	for i := 0; i < len(atoms); i++ {
		if atoms[i].kind != aLit || len(atoms[i].text) < 2 || atoms[i].spelled {
			continue
		}
		word := atoms[i].text
		j := i + 1
		var b strings.Builder
		switch {
		case j < len(atoms) && atoms[j].spelled:
			b.WriteString(atoms[j].text)
			j++
		default:
			for j < len(atoms) && atoms[j].kind == aLit && len(atoms[j].text) == 1 && b.Len() < len(word) {
				b.WriteString(atoms[j].text)
				j++
			}
		}
		if b.String() != word {
			continue
		}
		if j < len(atoms) {
			atoms[j].hard, atoms[j].comma = atoms[j].hard || atoms[i+1].hard, atoms[j].comma || atoms[i+1].comma
		}
		atoms = append(atoms[:i+1], atoms[j:]...)
	}
	return atoms
}

// atTheRate reads "at the rate (of)", as Indian English says "@", as one
// "at".
func atTheRate(atoms []atom) []atom {
	for i := 0; i+2 < len(atoms); i++ {
		if atoms[i].kind != aAt || atoms[i].text != "at" || atoms[i+1].text != "the" || atoms[i+2].text != "rate" {
			continue
		}
		n := 3
		if i+3 < len(atoms) && atoms[i+3].text == "of" {
			n = 4
		}
		atoms[i].e = atoms[i+n-1].e
		atoms = append(atoms[:i+1], atoms[i+n:]...)
	}
	return atoms
}

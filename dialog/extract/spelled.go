package extract

import (
	"strconv"
	"strings"
)

// SpelledCode is a code a caller spelled out, with where it was said.
type SpelledCode struct {
	Code string // capitals and digits, with "-" where a dash was said
	Span Span
}

// Spelled finds codes spelled out piece by piece, the way callers read
// booking and order codes: letters said alone ("x k seven p two"), by
// their names ("erre guion cuatro ocho dos uno", "jota") or by the
// spelling alphabet ("X-ray, kilo, seven, papa, two"), digits as digits or
// words ("doble cinco", "double oh"), a dash said as "guion", "dash" or
// "hyphen", and "A as in apple" / "A de avión". A run needs three pieces
// or more and a letter in it; runs of digits alone are Digits' to read.
func Spelled(text, lang string) []SpelledCode {
	return analyze(text, lang).spelled()
}

func (a *analysis) spelled() []SpelledCode {
	var out []SpelledCode
	for i := 0; i < len(a.toks); {
		code, end, ok := a.spelledAt(i)
		if !ok {
			i++
			continue
		}
		out = append(out, SpelledCode{Code: code, Span: a.spanTok(i, end)})
		i = end
	}
	return out
}

// spelledAt reads a spelled run starting at token i.
func (a *analysis) spelledAt(i int) (string, int, bool) {
	var b strings.Builder
	pieces, letters, end := 0, 0, i
	k := i
	for k < len(a.toks) {
		piece, n, letter := a.spelledPiece(k, pieces > 0)
		if n == 0 {
			// separators between pieces: a comma, "y"/"and" never
			if pieces > 0 && a.p(k) == "," || pieces > 0 && a.p(k) == "." && k+1 < len(a.toks) && !a.toks[k+1].glued {
				k++
				continue
			}
			break
		}
		b.WriteString(piece)
		if piece != "-" {
			pieces++
		}
		if letter {
			letters++
		}
		k += n
		end = k
		// "A as in apple", "A de avión", "B for boy"
		if letter && n == 1 {
			if e, ok := a.anySeq(k, "as in", "como en"); ok && e < len(a.toks) && a.toks[e].kind == tWord {
				k, end = e+1, e+1
			} else if (a.w(k) == "de" || a.w(k) == "for") && len(a.w(k+1)) > 2 && !isSpelledWord(a.w(k+1)) {
				k, end = k+2, k+2
			}
		}
	}
	code := strings.Trim(b.String(), "-")
	if pieces < 3 || letters == 0 || strings.Contains(code, "--") {
		return "", i, false
	}
	return code, end, true
}

// spelledPiece reads one piece of a spelled code at token k: its text, how
// many tokens it took (0: not a piece) and whether it is a letter.
func (a *analysis) spelledPiece(k int, inRun bool) (string, int, bool) {
	t := a.toks[k]
	switch t.kind {
	case tNum:
		if len(t.v) > 6 {
			return "", 0, false
		}
		return t.v, 1, false
	case tPunct:
		if inRun && (t.v == "-" || t.v == "–") {
			return "-", 1, false
		}
		return "", 0, false
	}
	w := t.v
	switch w {
	case "guion", "dash", "hyphen", "raya":
		if inRun {
			return "-", 1, false
		}
		return "", 0, false
	case "doble", "double", "triple":
		if k+1 >= len(a.toks) {
			return "", 0, false
		}
		if nw := a.w(k + 1); nw == "doble" || nw == "double" || nw == "triple" {
			return "", 0, false
		}
		if d, n, _ := a.spelledPiece(k+1, inRun); n == 1 && d != "-" {
			times := 2
			if w == "triple" {
				times = 3
			}
			return strings.Repeat(d, times), 2, isLetterPiece(d)
		}
		if w == "doble" && (a.w(k+1) == "ve" || a.w(k+1) == "u" || a.w(k+1) == "uve") {
			return "W", 2, true
		}
		return "", 0, false
	case "x":
		if a.p(k+1) == "-" && a.w(k+2) == "ray" {
			return "X", 3, true
		}
	}
	if d, ok := codeDigit(w, a.lang); ok {
		return d, 1, false
	}
	if nw, ok := esNumWords[w]; a.lang == "es" && ok && nw.kind == wTeen && (inRun || a.nextIsPiece(k+1)) {
		return strconv.Itoa(int(nw.val)), 1, false // "veintitrés, cuatro cinco seis…" of a DNI
	}
	if l, ok := codeLetters[w]; ok {
		if e, ok := a.anySeq(k, "i griega"); ok {
			return "Y", e - k, true
		}
		if letterQualifiers[a.w(k+1)] {
			return l, 2, true // "ve corta", "be larga"
		}
		return l, 1, true
	}
	// letter names that are also words count between other pieces: "ce,
	// de, tres, tres…", "ye, dos, tres…"
	if l, ok := letterNames[w]; ok && (w == "de" && inRun || w == "ye") && a.nextIsPiece(k+1) {
		return strings.ToUpper(l), 1, true
	}
	if len(w) == 1 && w[0] >= 'a' && w[0] <= 'z' {
		// a letter said alone; in Spanish "a", "e", "o", "u", "y" are also
		// words, and count only between other pieces
		if strings.Contains("aeouy", w) && a.lang == "es" || (w == "a" || w == "i") && a.lang == "en" {
			if !inRun && !a.nextIsPiece(k+1) {
				return "", 0, false
			}
		}
		return strings.ToUpper(w), 1, true
	}
	return "", 0, false
}

// nextIsPiece reports whether a spelled piece starts at token k (a comma
// may come first).
func (a *analysis) nextIsPiece(k int) bool {
	if a.p(k) == "," {
		k++
	}
	if k >= len(a.toks) {
		return false
	}
	_, n, _ := a.spelledPiece(k, true)
	return n > 0 && a.toks[k].kind != tPunct
}

// letterQualifiers tell Spanish letters apart: "ve corta", "be larga".
var letterQualifiers = map[string]bool{"corta": true, "chica": true, "pequena": true, "baja": true, "larga": true,
	"grande": true, "alta": true}

func isLetterPiece(s string) bool { return len(s) == 1 && s[0] >= 'A' && s[0] <= 'Z' }

func isSpelledWord(w string) bool {
	_, letter := codeLetters[w]
	_, digit := digitWords[w]
	return letter || digit
}

// codeDigit reads a digit said as a word: "siete", "seven", and in
// English "oh".
func codeDigit(w, lang string) (string, bool) {
	if d, ok := digitWords[w]; ok {
		return string(d), true
	}
	if w == "oh" && lang == "en" || w == "una" && lang == "es" {
		return map[string]string{"oh": "0", "una": "1"}[w], true
	}
	return "", false
}

// codeLetters are the names of letters (those of emails, less the ones
// that are also common words: "de", "en", "el", and single letters, read
// apart) and the spelling alphabet, folded, in capitals.
var codeLetters = func() map[string]string {
	m := map[string]string{}
	for name, l := range letterNames {
		switch name {
		case "de", "el", "en", "ye", "wye", "seta":
			continue
		}
		if len(name) > 1 {
			m[name] = strings.ToUpper(l)
		}
	}
	for name, l := range map[string]string{"alpha": "A", "alfa": "A", "bravo": "B", "charlie": "C", "delta": "D",
		"echo": "E", "foxtrot": "F", "golf": "G", "hotel": "H", "india": "I", "juliet": "J", "juliett": "J",
		"kilo": "K", "lima": "L", "mike": "M", "november": "N", "oscar": "O", "papa": "P", "quebec": "Q",
		"romeo": "R", "sierra": "S", "tango": "T", "uniform": "U", "victor": "V", "whiskey": "W", "whisky": "W",
		"xray": "X", "yankee": "Y", "zulu": "Z", "eff": "F", "queue": "Q", "griega": "Y"} {
		m[name] = l
	}
	return m
}()

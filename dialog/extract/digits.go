package extract

import "strconv"

// Digits reads a digit string the way callers dictate phone numbers and
// codes: "987 654 321", "987-654-321", "+51 987654321", spoken digits ("nueve
// ocho siete…", "nine eight seven…", "oh" for 0 in en), "doble cinco" /
// "double five" = "55", "triple", grouped numbers ("noventa y ocho, setenta y
// seis" = "9876": each spoken number contributes its digits) and mixtures.
// Words that are not digits end a run unless they are fillers ("y", "and",
// "guion", "dash", punctuation). When the text holds several runs, the one
// with the most digits wins (the first on ties). It returns the digits only
// (no "+"), the span covering them and ok when at least one digit was found.
func Digits(text, lang string) (string, Span, bool) {
	return analyze(text, lang).digits()
}

func (a *analysis) digits() (string, Span, bool) {
	var best string
	var bestSpan Span
	var cur []byte
	start, end := -1, -1
	flush := func() {
		if start >= 0 && len(cur) > len(best) {
			best = string(cur)
			bestSpan = a.spanTok(start, end)
		}
		cur = cur[:0]
		start, end = -1, -1
	}
	for i := 0; i < len(a.toks); {
		if d, e, ok := a.digitElement(i, start >= 0); ok {
			if start < 0 {
				start = i
			}
			if len(cur) < 256 {
				cur = append(cur, d...)
			}
			end = e
			i = e
			continue
		}
		if start >= 0 && a.digitFiller(i) {
			i++
			continue
		}
		flush()
		i++
	}
	flush()
	return best, bestSpan, best != ""
}

// digitElement reads one element of a dictated digit string at token i.
func (a *analysis) digitElement(i int, inRun bool) (string, int, bool) {
	if i >= len(a.toks) {
		return "", i, false
	}
	if a.isNum(i) {
		return a.toks[i].v, i + 1, true
	}
	w := a.w(i)
	switch w {
	case "":
		return "", i, false
	case "doble", "double", "triple":
		if a.w(i+1) == "doble" || a.w(i+1) == "double" || a.w(i+1) == "triple" {
			return "", i, false
		}
		next := i + 1
		if a.p(next) == "-" && a.toks[next].glued {
			next++ // "double-oh"
		}
		d, e, ok := a.digitElement(next, true)
		if !ok || len(d) > 3 {
			return "", i, false
		}
		if w == "triple" {
			return d + d + d, e, true
		}
		return d + d, e, true
	case "oh", "o":
		if a.lang == "en" {
			if inRun {
				return "0", i + 1, true
			}
			if _, _, ok := a.digitElement(i+1, true); ok {
				return "0", i + 1, true
			}
		}
		return "", i, false
	}
	r, ok := a.parseWords(i, optsDigits)
	if !ok || r.val < 0 || r.val > 1e15 {
		return "", i, false
	}
	return strconv.FormatInt(int64(r.val), 10), r.end, true
}

// digitFiller reports whether token i may sit inside a dictated digit run.
func (a *analysis) digitFiller(i int) bool {
	switch a.toks[i].kind {
	case tPunct:
		switch a.toks[i].v {
		case ",", ".", "-", "/", "(", ")", "+", "_":
			return true
		}
	case tWord:
		switch a.toks[i].v {
		case "y", "e", "and", "guion", "dash", "hyphen":
			return true
		}
	}
	return false
}

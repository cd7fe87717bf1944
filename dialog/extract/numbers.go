package extract

import (
	"math"
	"strconv"
)

// Span is the byte range [Start, End) of the ORIGINAL text a value came from.
type Span struct{ Start, End int }

// Num is a number found in text, with the span it was read from. For "$50",
// "50€" and "50%" the span includes the symbol; Value is 50 in all three.
type Num struct {
	Value float64
	Span  Span
}

// articleMode says when a bare article (es "un"/"una", en "a"/"an") counts
// as the number 1.
type articleMode uint8

const (
	articleNever   articleMode = iota // only before a scale ("un millón", "a hundred")
	articleContext                    // also at the end of the text or before a counting noun ("una persona")
	articleAlways                     // always ("a la una", "en una semana")
)

// numOpts selects the number-word grammar for a use.
type numOpts struct {
	decimals bool // "dos coma cinco", "one point five"
	half     bool // "medio", "y medio", "and a half"
	dozen    bool // "una docena", "a dozen"
	yJoin    bool // "treinta y cinco", "one hundred and five"
	scales   bool // mil, thousand, million
	article  articleMode
}

var (
	optsNumbers = numOpts{decimals: true, half: true, dozen: true, yJoin: true, scales: true, article: articleContext}
	optsDigits  = numOpts{yJoin: true, scales: true}
	optsHour    = numOpts{article: articleAlways}
	optsMinute  = numOpts{yJoin: true}
	optsCount   = numOpts{yJoin: true, scales: true, article: articleAlways}
	optsDay     = numOpts{yJoin: true}
	optsYear    = numOpts{yJoin: true, scales: true}
)

// countNouns make a lone es "un"/"una" a number: "una persona".
var countNouns = map[string]bool{
	"persona": true, "vez": true, "hora": true, "dia": true, "semana": true, "mes": true,
	"ano": true, "noche": true, "habitacion": true, "adulto": true, "nino": true, "nina": true,
	"boleto": true, "entrada": true, "unidad": true, "mesa": true, "cuota": true, "copia": true,
	"caja": true, "botella": true, "kilo": true, "litro": true, "minuto": true, "cama": true,
}

// Numbers returns every number in text, in order: digits ("25", "-3",
// "1.500,50" and "12,5" in es — comma decimal, dot thousands —, "1,500.50" in
// en, "$50", "50€", "50%") and number words in the language ("treinta y
// cinco", "dos mil veinticuatro", "twenty-five", "one hundred and five", "dos
// coma cinco", "two and a half", "a dozen", "25 mil"). lang is "es" or "en"
// (anything not starting with "en" is treated as Spanish). Digits glued to a
// preceding letter ("A1001", "mp3", "A-1001") are part of a code, not a
// number.
func Numbers(text, lang string) []Num {
	return analyze(text, lang).numbers(optsNumbers)
}

// Number returns the first number in text, if any (see Numbers).
func Number(text, lang string) (Num, bool) {
	ns := Numbers(text, lang)
	if len(ns) == 0 {
		return Num{}, false
	}
	return ns[0], true
}

func (a *analysis) numbers(o numOpts) []Num {
	var out []Num
	last := 0 // tokens before last belong to a previous number
	for i := 0; i < len(a.toks); {
		switch a.toks[i].kind {
		case tNum:
			if v, s, e, ok := a.scanNumber(i, last, o); ok {
				out = append(out, Num{Value: v, Span: a.spanTok(s, e)})
				i, last = e, e
				continue
			}
		case tWord:
			if r, ok := a.parseWords(i, o); ok {
				out = append(out, Num{Value: r.val, Span: a.spanTok(i, r.end)})
				i, last = r.end, r.end
				continue
			}
		}
		i++
	}
	return out
}

// scanNumber reads a number written with digits starting at digit token i;
// a sign or currency prefix is looked for only at tokens >= min. It returns
// the value and the token range [s, e) it covers.
func (a *analysis) scanNumber(i, min int, o numOpts) (v float64, s, e int, ok bool) {
	t := a.toks[i]
	if t.glued && i > 0 && a.toks[i-1].kind == tWord {
		return 0, i, i + 1, false // part of a code: "A1001", "mp3"
	}
	if t.glued && i > 1 && a.p(i-1) == "-" && a.toks[i-1].glued && a.toks[i-2].kind == tWord {
		return 0, i, i + 1, false // "A-1001", "ABC-123"
	}
	s = i
	neg := false
	if t.glued && i-1 >= min {
		switch a.p(i - 1) {
		case "$", "€", "£":
			s = i - 1
		case "-":
			if i-1 == 0 || !a.toks[i-1].glued || a.toks[i-2].kind == tPunct {
				neg = true
				s = i - 1
			}
		}
	}
	groupSep, decSep := ".", ","
	if a.lang == "en" {
		groupSep, decSep = ",", "."
	}
	if s == i && t.glued && i-1 >= min && a.p(i-1) == decSep && (i-1 == 0 || !a.toks[i-1].glued) {
		// ".5" / ",5": a fraction without the leading zero
		v, err := strconv.ParseFloat("0."+t.v, 64)
		if err != nil {
			return 0, i, i + 1, false
		}
		return v, i - 1, i + 1, true
	}
	intStr, frac := t.v, ""
	grouped, commaGroups := false, false
	j := i + 1
	for j+1 < len(a.toks) && a.toks[j].kind == tPunct && a.toks[j].glued &&
		a.toks[j+1].kind == tNum && a.toks[j+1].glued {
		sep, nd := a.toks[j].v, a.toks[j+1].v
		group := len(nd) == 3 && (grouped || len(intStr) <= 3)
		if sep == groupSep && group && !commaGroups {
			intStr += nd
			grouped = true
			j += 2
			continue
		}
		if a.lang == "es" && sep == "," && group && (commaGroups ||
			(a.p(j+2) == "," && a.toks[j+2].glued && a.isNum(j+3) && len(a.toks[j+3].v) == 3)) {
			// "1,500,000" dictated with English separators
			intStr += nd
			grouped, commaGroups = true, true
			j += 2
			continue
		}
		if sep == decSep && !commaGroups || (a.lang == "es" && sep == "." && !grouped) {
			frac = nd
			j += 2
		}
		break
	}
	str := intStr
	if frac != "" {
		str += "." + frac
	}
	v, err := strconv.ParseFloat(str, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, s, j, false
	}
	e = j
	if e < len(a.toks) && a.toks[e].glued {
		switch a.toks[e].kind {
		case tPunct:
			switch a.toks[e].v {
			case "%", "€", "$":
				e++
			}
		case tWord:
			if frac == "" && ordSuffix[a.toks[e].v] {
				e++
			}
		}
	}
	if o.scales {
		if nw, ok := a.numWord(e); ok && (nw.kind == wScale || nw.kind == wHundred) {
			v *= nw.val
			e++
		}
	}
	if neg {
		v = -v
	}
	return v, s, e, true
}

// numWord looks token i up in the number words of the language.
func (a *analysis) numWord(i int) (numWord, bool) {
	w := a.w(i)
	if w == "" {
		return numWord{}, false
	}
	var nw numWord
	var ok bool
	if a.lang == "en" {
		nw, ok = enNumWords[w]
	} else {
		nw, ok = esNumWords[w]
	}
	return nw, ok
}

func (a *analysis) isAnd(i int) bool {
	w := a.w(i)
	if a.lang == "en" {
		return w == "and"
	}
	return w == "y" || w == "e"
}

func (a *analysis) isHalfWord(i int) bool {
	nw, ok := a.numWord(i)
	return ok && nw.kind == wHalf
}

// wordsResult is a number read from words.
type wordsResult struct {
	val float64
	end int // token index after the phrase
}

// parseWords reads a number written in words starting at token i.
func (a *analysis) parseWords(i int, o numOpts) (wordsResult, bool) {
	first, ok := a.numWord(i)
	if !ok {
		return wordsResult{}, false
	}
	n := len(a.toks)
	switch first.kind {
	case wZero:
		return wordsResult{0, i + 1}, true
	case wHalf:
		if !o.half {
			return wordsResult{}, false
		}
		// "media docena", "half a dozen"
		k := i + 1
		if a.lang == "en" && (a.w(k) == "a" || a.w(k) == "an") {
			k++
		}
		if nw, ok := a.numWord(k); ok && nw.kind == wDozen && o.dozen {
			return wordsResult{6, k + 1}, true
		}
		if a.w(i) == "media" {
			return wordsResult{}, false
		}
		return wordsResult{0.5, i + 1}, true
	case wDozen:
		if !o.dozen {
			return wordsResult{}, false
		}
		return wordsResult{12, i + 1}, true
	case wArticle:
		nw, ok := a.numWord(i + 1)
		if ok {
			switch {
			case nw.kind == wScale && o.scales, nw.kind == wHundred && o.scales:
				return a.parseWordsFrom(i+1, o, 1)
			case nw.kind == wDozen && o.dozen:
				return wordsResult{12, i + 2}, true
			case nw.kind == wHalf && o.half && a.lang == "en":
				return wordsResult{0.5, i + 2}, true
			}
		}
		if o.half && a.lang == "es" && o.article != articleNever && a.isAnd(i+1) && a.isHalfWord(i+2) {
			return wordsResult{1.5, i + 3}, true // "una y media"
		}
		if a.lang == "en" && o.article != articleAlways {
			return wordsResult{}, false
		}
		alone := false
		switch o.article {
		case articleAlways:
			alone = true
		case articleContext:
			alone = i+1 >= n || a.toks[i+1].kind == tPunct || countNouns[a.w(i+1)] ||
				countNouns[trimPlural(a.w(i+1))]
		}
		if !alone {
			return wordsResult{}, false
		}
		return wordsResult{1, i + 1}, true
	}
	return a.parseWordsFrom(i, o, 0)
}

func trimPlural(w string) string {
	if len(w) > 3 && w[len(w)-1] == 's' {
		if len(w) > 4 && w[len(w)-2] == 'e' && (w[len(w)-3] == 'n' || w[len(w)-3] == 'd' || w[len(w)-3] == 'z') {
			return w[:len(w)-2]
		}
		return w[:len(w)-1]
	}
	return w
}

// parseWordsFrom is the number-word grammar proper. initial is 1 when an
// article ("un", "a") precedes token i.
func (a *analysis) parseWordsFrom(i int, o numOpts, initial float64) (wordsResult, bool) {
	var total, cur, lastScale, tensVal float64
	var hasH, hasT, hasU bool
	cur = initial
	words := 0
	end := i
	j := i
	addHalf := func(k int) (wordsResult, bool) {
		if cur == 0 && lastScale > 0 {
			return wordsResult{total + 0.5*lastScale, k + 1}, true
		}
		return wordsResult{total + cur + 0.5, k + 1}, true
	}
loop:
	for j < len(a.toks) {
		t := &a.toks[j]
		if t.kind == tPunct {
			// en "twenty-five"
			if t.v == "-" && words > 0 && t.glued && hasT && !hasU && j+1 < len(a.toks) && a.toks[j+1].glued {
				if nw, ok := a.numWord(j + 1); ok && nw.kind == wUnit {
					j++
					continue
				}
			}
			break
		}
		if t.kind != tWord {
			break
		}
		nw, ok := a.numWord(j)
		if !ok {
			if words == 0 {
				break
			}
			switch {
			case a.isAnd(j):
				k := j + 1
				if o.half {
					h := k
					if a.lang == "en" && a.w(h) == "a" {
						h++
					}
					if a.isHalfWord(h) {
						return addHalf(h)
					}
				}
				if !o.yJoin {
					break loop
				}
				nx, ok := a.numWord(k)
				if !ok {
					break loop
				}
				if a.lang == "es" {
					if hasT && !hasU && tensVal >= 30 && (nx.kind == wUnit || nx.kind == wArticle) {
						j = k
						continue
					}
				} else if (hasH || lastScale > 0) && !hasT && !hasU &&
					(nx.kind == wUnit || nx.kind == wTeen || nx.kind == wTens) {
					j = k
					continue
				}
			case o.decimals && (t.v == "coma" || t.v == "punto") && a.lang == "es",
				o.decimals && t.v == "point" && a.lang == "en":
				if frac, k := a.fractionDigits(j + 1); frac != "" {
					f, err := strconv.ParseFloat("0."+frac, 64)
					if err == nil {
						return wordsResult{total + cur + f, k}, true
					}
				}
			}
			break
		}
		switch nw.kind {
		case wZero, wHalf:
			break loop
		case wArticle:
			if a.lang != "es" || hasU || (hasT && tensVal < 30) {
				break loop
			}
			cur++
			hasU = true
		case wUnit:
			if hasU {
				break loop
			}
			cur += nw.val
			hasU = true
		case wTeen:
			if hasT || hasU {
				break loop
			}
			cur += nw.val
			hasT, hasU = true, true
		case wTens:
			if hasT || hasU {
				break loop
			}
			cur += nw.val
			tensVal = nw.val
			hasT = true
		case wHundreds:
			if hasH || hasT || hasU || cur != 0 {
				break loop
			}
			cur += nw.val
			hasH = true
		case wHundred:
			if hasH || cur >= 100 || !o.scales {
				break loop
			}
			if cur == 0 {
				cur = 1
			}
			cur *= 100
			hasH, hasT, hasU = true, false, false
		case wScale:
			if !o.scales {
				break loop
			}
			s := nw.val
			switch {
			case lastScale == 0 || s > lastScale:
				base := total + cur
				if base == 0 {
					base = 1
				}
				total = base * s
			case s < lastScale && cur > 0:
				total += cur * s
			default:
				break loop
			}
			cur = 0
			hasH, hasT, hasU = false, false, false
			lastScale = s
		case wDozen:
			if !o.dozen {
				break loop
			}
			if total+cur == 0 {
				cur = 1
			}
			return wordsResult{(total + cur) * 12, j + 1}, true
		}
		words++
		j++
		end = j
	}
	if words == 0 && initial == 0 {
		return wordsResult{}, false
	}
	if end == i { // only an article before a scale that was rejected
		return wordsResult{}, false
	}
	return wordsResult{total + cur, end}, true
}

// fractionDigits reads the digits after a decimal word: "cinco" → "5",
// "cero cinco" → "05", "veinticinco" → "25", "5" → "5".
func (a *analysis) fractionDigits(k int) (string, int) {
	var b []byte
	for k < len(a.toks) && len(b) < 12 {
		if a.isNum(k) {
			b = append(b, a.toks[k].v...)
			k++
			continue
		}
		nw, ok := a.numWord(k)
		if !ok {
			break
		}
		switch nw.kind {
		case wZero:
			b = append(b, '0')
			k++
			continue
		case wUnit, wTeen, wTens:
			r, ok := a.parseWordsFrom(k, numOpts{yJoin: true}, 0)
			if !ok || r.end <= k {
				return string(b), k
			}
			b = strconv.AppendInt(b, int64(r.val), 10)
			k = r.end
			continue
		}
		break
	}
	return string(b), k
}

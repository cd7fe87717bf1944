package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the class of a token.
type tokKind uint8

const (
	tWord  tokKind = iota + 1 // letters (and inner apostrophes)
	tNum                      // ASCII digits
	tPunct                    // any other single non-space rune
)

// token is a piece of the folded text.
type token struct {
	s, e  int // folded byte range
	kind  tokKind
	glued bool   // no space between the previous token and this one
	v     string // folded text
}

// analysis is a text folded and cut into tokens; spans map back to the
// original through the embedded folded value.
type analysis struct {
	folded
	toks  []token
	lang  string      // "es" or "en"
	past  bool        // dates lie before today (DateOptions.Past)
	hours TimeOptions // the business's hours, for bare hours
}

// normLang maps a language tag to "en" or "es" (the default).
func normLang(lang string) string {
	if len(lang) >= 2 && (lang[0] == 'e' || lang[0] == 'E') && (lang[1] == 'n' || lang[1] == 'N') {
		return "en"
	}
	return "es"
}

func analyze(text, lang string) *analysis {
	a := &analysis{folded: foldWithMap(text), lang: normLang(lang)}
	s := a.s
	a.toks = make([]token, 0, len(s)/4+2)
	prevEnd := -1
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || (r >= utf8.RuneSelf && unicode.IsSpace(r)) {
			i += w
			continue
		}
		start := i
		var kind tokKind
		switch {
		case r >= '0' && r <= '9':
			kind = tNum
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
		case isLetter(r):
			kind = tWord
			i += w
			for i < len(s) {
				r2, w2 := utf8.DecodeRuneInString(s[i:])
				if isLetter(r2) {
					i += w2
					continue
				}
				if r2 == '\'' && i+1 < len(s) {
					r3, _ := utf8.DecodeRuneInString(s[i+1:])
					if isLetter(r3) {
						i += w2
						continue
					}
				}
				break
			}
		default:
			kind = tPunct
			i += w
		}
		a.toks = append(a.toks, token{s: start, e: i, kind: kind, glued: prevEnd == start, v: s[start:i]})
		prevEnd = i
	}
	return a
}

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
	}
	return r != utf8.RuneError && unicode.IsLetter(r)
}

// w returns the folded text of token i when it is a word, else "".
func (a *analysis) w(i int) string {
	if i < 0 || i >= len(a.toks) || a.toks[i].kind != tWord {
		return ""
	}
	return a.toks[i].v
}

// p returns the text of token i when it is punctuation, else "".
func (a *analysis) p(i int) string {
	if i < 0 || i >= len(a.toks) || a.toks[i].kind != tPunct {
		return ""
	}
	return a.toks[i].v
}

// isNum reports whether token i is a digit run.
func (a *analysis) isNum(i int) bool {
	return i >= 0 && i < len(a.toks) && a.toks[i].kind == tNum
}

// seq reports whether the tokens starting at i are exactly the words of
// phrase (space separated); it returns the index after the match.
func (a *analysis) seq(i int, phrase string) (int, bool) {
	for {
		if i < 0 || i >= len(a.toks) {
			return i, false
		}
		v := a.toks[i].v
		if len(v) > len(phrase) || phrase[:len(v)] != v {
			return i, false
		}
		i++
		if len(v) == len(phrase) {
			return i, true
		}
		if phrase[len(v)] != ' ' {
			return i, false
		}
		phrase = phrase[len(v)+1:]
	}
}

// anySeq tries the phrases in order at token i and returns the end of the
// first that matches.
func (a *analysis) anySeq(i int, phrases ...string) (int, bool) {
	for _, ph := range phrases {
		if j, ok := a.seq(i, ph); ok {
			return j, true
		}
	}
	return i, false
}

// spanTok is the original span of tokens [i, j).
func (a *analysis) spanTok(i, j int) Span {
	if len(a.toks) == 0 {
		return Span{}
	}
	if i < 0 {
		i = 0
	}
	if j > len(a.toks) {
		j = len(a.toks)
	}
	if j <= i {
		if i >= len(a.toks) {
			return Span{len(a.orig), len(a.orig)}
		}
		sp := a.span(a.toks[i].s, a.toks[i].s)
		return sp
	}
	return a.span(a.toks[i].s, a.toks[j-1].e)
}

// numVal returns the integer value of a digit token (capped to avoid overflow)
// and its digit count.
func (a *analysis) numVal(i int) (int, int) {
	if !a.isNum(i) {
		return -1, 0
	}
	v := a.toks[i].v
	n := 0
	for k := 0; k < len(v); k++ {
		if n < 1e9 {
			n = n*10 + int(v[k]-'0')
		}
	}
	return n, len(v)
}

// hasQuestion reports whether the original text contains a question mark.
func (a *analysis) hasQuestion() bool {
	return strings.ContainsAny(a.orig, "?¿")
}

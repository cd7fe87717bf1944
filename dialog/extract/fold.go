package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold lowercases s and strips the accents used in Spanish and English
// (á→a, é→e, í→i, ó→o, ú→u, ü→u, ñ→n, and other Latin-1 vowels), removes the
// inverted marks ¿ and ¡ and combining accents, and turns typographic
// apostrophes and dashes into their ASCII forms. It is meant for matching
// (intent phrases, keywords), not for display. Invalid UTF-8 bytes are copied
// unchanged.
func Fold(s string) string {
	if isFoldedASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			b.WriteByte(s[i])
			i++
			continue
		}
		if fr, keep := foldRune(r); keep {
			b.WriteRune(fr)
		}
		i += w
	}
	return b.String()
}

// isFoldedASCII reports whether s is pure ASCII without upper-case letters, in
// which case folding is the identity.
func isFoldedASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || (c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// foldRune maps one rune; keep is false when the rune is dropped.
func foldRune(r rune) (rune, bool) {
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A'), true
		}
		return r, true
	}
	switch r {
	case '¿', '¡':
		return 0, false
	case '\u00a0', '\u2007', '\u202f':
		return ' ', true
	case '’', '‘', '´', '`', 'ʼ':
		return '\'', true
	case '“', '”', '«', '»':
		return '"', true
	case '–', '—', '‐', '‑', '−':
		return '-', true
	}
	if r >= 0x300 && r <= 0x36f { // combining diacritical marks (NFD input)
		return 0, false
	}
	r = unicode.ToLower(r)
	switch r {
	case 'á', 'à', 'â', 'ä', 'ã', 'å':
		return 'a', true
	case 'é', 'è', 'ê', 'ë':
		return 'e', true
	case 'í', 'ì', 'î', 'ï':
		return 'i', true
	case 'ó', 'ò', 'ô', 'ö', 'õ':
		return 'o', true
	case 'ú', 'ù', 'û', 'ü':
		return 'u', true
	case 'ñ':
		return 'n', true
	case 'ç':
		return 'c', true
	case 'ý', 'ÿ':
		return 'y', true
	}
	return r, true
}

// folded is a folded copy of a text plus the map from folded byte offsets back
// to the original text.
type folded struct {
	orig string
	s    string
	// start[i] and end[i] are the original byte range of the rune that
	// produced folded byte i. Both are nil when s == orig.
	start, end []int32
}

func foldWithMap(orig string) folded {
	if isFoldedASCII(orig) {
		return folded{orig: orig, s: orig}
	}
	out := make([]byte, 0, len(orig))
	start := make([]int32, 0, len(orig))
	end := make([]int32, 0, len(orig))
	for i := 0; i < len(orig); {
		c := orig[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			out = append(out, c)
			start = append(start, int32(i))
			end = append(end, int32(i+1))
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(orig[i:])
		if r == utf8.RuneError && w == 1 {
			out = append(out, orig[i])
			start = append(start, int32(i))
			end = append(end, int32(i+1))
			i++
			continue
		}
		if fr, keep := foldRune(r); keep {
			n0 := len(out)
			out = utf8.AppendRune(out, fr)
			for k := n0; k < len(out); k++ {
				start = append(start, int32(i))
				end = append(end, int32(i+w))
			}
		}
		i += w
	}
	return folded{orig: orig, s: string(out), start: start, end: end}
}

// span maps the folded byte range [s, e) to the original text.
func (f *folded) span(s, e int) Span {
	if f.start == nil {
		return Span{s, e}
	}
	if len(f.s) == 0 {
		return Span{0, 0}
	}
	var os, oe int
	if s >= len(f.s) {
		os = len(f.orig)
	} else {
		os = int(f.start[s])
	}
	if e <= 0 {
		oe = os
	} else if e > len(f.s) {
		oe = len(f.orig)
	} else {
		oe = int(f.end[e-1])
	}
	if oe < os {
		oe = os
	}
	return Span{os, oe}
}

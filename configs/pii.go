package configs

import (
	"strings"
	"unicode/utf8"
)

// IsPII reports whether the field's values are the caller's personal
// data: `pii: true`, or, with no `pii:`, a field of type email or phone
// (its EffectiveType, so a string field named like one counts).
func (f *Field) IsPII() bool {
	if f.PII != nil {
		return *f.PII
	}
	t := f.EffectiveType()
	return t == TypeEmail || t == TypePhone
}

// Bullets stand for the hidden part of a masked value.
const Bullets = "••••"

// Mask hides a personal value, keeping enough of it to be recognised by
// whoever knows it. An email keeps the first character of its name and
// its top-level domain: "juan.perez@gmail.com" is "j•••@•••.com".
// Anything else keeps its last characters after "•••• ": four of a value
// of twelve characters or more ("+34600111222" is "•••• 1222"), three of
// nine to eleven ("612345678" is "•••• 678"), two of six to eight, none
// of a shorter one ("••••"). The same value always has the same mask, and
// "" stays "".
func Mask(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if at := strings.LastIndexByte(v, '@'); at > 0 && at < len(v)-1 && !strings.ContainsAny(v, " \t") {
		first, _ := utf8.DecodeRuneInString(v)
		out := string(first) + "•••@•••"
		if dot := strings.LastIndexByte(v[at+1:], '.'); dot >= 0 && dot < len(v[at+1:])-1 {
			out += v[at+1+dot:]
		}
		return out
	}
	n := utf8.RuneCountInString(v)
	var keep int
	switch {
	case n >= 12:
		keep = 4
	case n >= 9:
		keep = 3
	case n >= 6:
		keep = 2
	}
	if keep == 0 {
		return Bullets
	}
	runes := []rune(v)
	return Bullets + " " + string(runes[n-keep:])
}

// Package expr is the expression language of service definitions: {{templates}}
// with filters, the JSON bodies built from them, the JSONPath subset of
// responseMapping, and responseConditions. Everything is compiled once, when
// an agent is loaded; rendering and evaluating never parse again and allocate
// little.
//
// It imports nothing of ours: values come in through a Scope.
package expr

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Kind is the type of a Value.
type Kind uint8

// Value kinds. Missing is a variable that does not exist (an optional field
// not given, a JSONPath that matched nothing); Null is an explicit JSON null.
const (
	Missing Kind = iota
	Null
	String
	Number
	Bool
	Time
	JSON // a JSON array or object, raw
)

// Value is what a variable, a filter or a JSONPath yields.
type Value struct {
	Kind Kind
	// Str is the text of a String, the literal of a Number and the raw JSON
	// of a JSON value.
	Str  string
	Num  float64
	Bool bool
	Time time.Time
}

// Str makes a String value.
func Str(s string) Value { return Value{Kind: String, Str: s} }

// Num makes a Number value.
func Num(f float64) Value {
	return Value{Kind: Number, Num: f, Str: strconv.FormatFloat(f, 'f', -1, 64)}
}

// TimeValue makes a Time value.
func TimeValue(t time.Time) Value { return Value{Kind: Time, Time: t} }

// FromJSON converts a gjson result; a result that does not exist is Missing.
func FromJSON(r gjson.Result) Value {
	switch r.Type {
	case gjson.Null:
		if !r.Exists() {
			return Value{}
		}
		return Value{Kind: Null}
	case gjson.False:
		return Value{Kind: Bool}
	case gjson.True:
		return Value{Kind: Bool, Bool: true}
	case gjson.Number:
		return Value{Kind: Number, Num: r.Num, Str: r.Raw}
	case gjson.String:
		return Value{Kind: String, Str: r.Str}
	}
	return Value{Kind: JSON, Str: r.Raw}
}

// Exists reports whether v is anything but Missing.
func (v Value) Exists() bool { return v.Kind != Missing }

// IsEmpty reports whether v is Missing, Null or an empty string.
func (v Value) IsEmpty() bool {
	return v.Kind == Missing || v.Kind == Null || (v.Kind == String && v.Str == "")
}

// Text renders v as the caller hears it, in language lang: a list becomes
// "A, B y C" / "A, B and C"; Missing and Null become "".
func (v Value) Text(lang string) string {
	if v.Kind == String {
		return v.Str
	}
	return string(v.AppendText(nil, lang))
}

// AppendText appends the text of v (see Text) to dst.
func (v Value) AppendText(dst []byte, lang string) []byte {
	switch v.Kind {
	case String, Number:
		return append(dst, v.Str...)
	case Bool:
		return strconv.AppendBool(dst, v.Bool)
	case Time:
		return v.Time.AppendFormat(dst, "2006-01-02T15:04:05Z07:00")
	case JSON:
		r := gjson.Parse(v.Str)
		if !r.IsArray() {
			return append(dst, v.Str...)
		}
		return appendList(dst, r, lang)
	}
	return dst
}

// appendList writes the items of a JSON array joined as a spoken list.
// Items that are themselves lists or objects are written as raw JSON, so
// the work stays linear in the size of the array whatever its nesting.
func appendList(dst []byte, arr gjson.Result, lang string) []byte {
	n := 0
	arr.ForEach(func(_, _ gjson.Result) bool { n++; return true })
	i := 0
	arr.ForEach(func(_, item gjson.Result) bool {
		switch {
		case i == 0:
		case i == n-1 && lang == "es":
			dst = append(dst, conjunctionES(item)...)
		case i == n-1:
			dst = append(dst, " and "...)
		default:
			dst = append(dst, ", "...)
		}
		if item.IsArray() || item.IsObject() {
			dst = append(dst, item.Raw...)
		} else {
			dst = FromJSON(item).AppendText(dst, lang)
		}
		i++
		return true
	})
	return dst
}

// conjunctionES is " y ", or " e " before a word that starts with the sound
// /i/ ("Juan e Isabel"), as Spanish grammar asks.
func conjunctionES(next gjson.Result) string {
	s := next.String()
	if len(s) >= 1 && (s[0] == 'i' || s[0] == 'I') && !(len(s) >= 2 && isVowel(s[1])) {
		return " e "
	}
	if len(s) >= 2 && (s[0] == 'h' || s[0] == 'H') && (s[1] == 'i' || s[1] == 'I') && !(len(s) >= 3 && isVowel(s[2])) {
		return " e "
	}
	return " y "
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U':
		return true
	}
	return false
}

// MarshalJSON encodes v as JSON: Missing as null, a Time as an RFC 3339
// string.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.Kind {
	case Null, Missing:
		return []byte("null"), nil
	case String:
		return AppendJSONString(nil, v.Str), nil
	case Number, JSON:
		return []byte(v.Str), nil
	case Bool:
		return strconv.AppendBool(nil, v.Bool), nil
	}
	return AppendJSONString(nil, v.Time.Format(time.RFC3339)), nil
}

// AppendJSONString appends s as a JSON string literal. Invalid UTF-8 becomes
// U+FFFD, so the output is always valid JSON whatever the caller said.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendJSONContent(dst, s)
	return append(dst, '"')
}

// jsonSafe reports whether b can stand inside a JSON string as it is.
func jsonSafe(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x20 || c == '"' || c == '\\' || c == 0x7f {
			return false
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return false
			}
			i += size - 1
		}
	}
	return true
}

// appendJSONContent appends s escaped for the inside of a JSON string.
func appendJSONContent(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

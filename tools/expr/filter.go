package expr

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/voiceagent/voiceagent/internal/suggest"
)

type filterKind uint8

const (
	fFormatDate filterKind = iota
	fFormatNumber
	fNumber
	fInteger
	fBoolean
	fUpper
	fLower
	fDigits
	fDefault
)

// FilterNames lists the filters a placeholder may use.
var FilterNames = []string{"format", "number", "integer", "boolean", "upper", "lower", "digits", "default"}

type filter struct {
	kind filterKind
	date *DatePattern
	num  *NumberPattern
	arg  string
}

func parseFilter(s string) (filter, error) {
	name, args, err := splitCall(s)
	if err != nil {
		return filter{}, err
	}
	want := 0
	var f filter
	switch name {
	case "format":
		want = 1
	case "number":
		f.kind = fNumber
	case "integer":
		f.kind = fInteger
	case "boolean":
		f.kind = fBoolean
	case "upper":
		f.kind = fUpper
	case "lower":
		f.kind = fLower
	case "digits":
		f.kind = fDigits
	case "default":
		want = 1
		f.kind = fDefault
	case "":
		return filter{}, errors.New("empty filter after |")
	default:
		return filter{}, fmt.Errorf("unknown filter %q%s", name, suggest.DidYouMean(name, FilterNames))
	}
	if len(args) != want {
		if want == 0 {
			return filter{}, fmt.Errorf("filter %s takes no arguments", name)
		}
		return filter{}, fmt.Errorf("filter %s takes one quoted argument, like %s('...')", name, name)
	}
	if name == "format" {
		if IsNumberPattern(args[0]) {
			f.kind = fFormatNumber
			f.num, err = ParseNumberPattern(args[0])
		} else {
			f.kind = fFormatDate
			f.date, err = ParseDatePattern(args[0])
		}
		if err != nil {
			return filter{}, fmt.Errorf("format(%q): %w", args[0], err)
		}
	}
	if want == 1 {
		f.arg = args[0]
	}
	return f, nil
}

// splitCall parses name or name('arg', "arg").
func splitCall(s string) (string, []string, error) {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		return strings.TrimSpace(s), nil, nil
	}
	name := strings.TrimSpace(s[:open])
	rest := strings.TrimSpace(s[open+1:])
	var args []string
	for {
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ")") {
			if strings.TrimSpace(rest[1:]) != "" {
				return "", nil, fmt.Errorf("unexpected %q after %s(...)", strings.TrimSpace(rest[1:]), name)
			}
			return name, args, nil
		}
		if len(args) > 0 {
			if !strings.HasPrefix(rest, ",") {
				return "", nil, fmt.Errorf("filter %s: expected , or ) between arguments", name)
			}
			rest = strings.TrimSpace(rest[1:])
		}
		arg, n, err := unquote(rest)
		if err != nil {
			return "", nil, fmt.Errorf("filter %s: %w", name, err)
		}
		args = append(args, arg)
		rest = rest[n:]
	}
}

// unquote reads a '...' or "..." string with backslash escapes at the start
// of s and returns it with the number of bytes consumed.
func unquote(s string) (string, int, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", 0, errors.New("arguments are quoted strings, like format('yyyy-MM-dd')")
	}
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == q:
			return b.String(), i + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errors.New("unterminated quoted argument")
}

// writesText reports whether the filter's result is text, which appendText
// can write straight into the output.
func (f *filter) writesText() bool {
	switch f.kind {
	case fFormatDate, fFormatNumber, fUpper, fLower, fDigits:
		return true
	}
	return false
}

// appendText appends the text result of a writesText filter; a Missing or
// Null value writes nothing.
func (f *filter) appendText(dst []byte, v Value, s Scope) ([]byte, error) {
	if v.Kind == Missing || v.Kind == Null {
		return dst, nil
	}
	switch f.kind {
	case fFormatDate:
		t, err := toTime(v, s.Location())
		if err != nil {
			return dst, err
		}
		return f.date.Append(dst, t, s.Language()), nil
	case fFormatNumber:
		n, err := toNumber(v)
		if err != nil {
			return dst, err
		}
		return f.num.Append(dst, n), nil
	case fUpper:
		for _, r := range v.Text(s.Language()) {
			dst = utf8.AppendRune(dst, unicode.ToUpper(r))
		}
	case fLower:
		for _, r := range v.Text(s.Language()) {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	case fDigits:
		text := v.Text(s.Language())
		for i := 0; i < len(text); i++ {
			if text[i] >= '0' && text[i] <= '9' {
				dst = append(dst, text[i])
			}
		}
	}
	return dst, nil
}

func (f *filter) apply(v Value, s Scope) (Value, error) {
	if f.kind == fDefault {
		if v.IsEmpty() {
			return Str(f.arg), nil
		}
		return v, nil
	}
	if v.Kind == Missing || v.Kind == Null {
		return v, nil // nothing to convert; renders empty, or null in JSON
	}
	if f.writesText() {
		b, err := f.appendText(nil, v, s)
		return Str(string(b)), err
	}
	switch f.kind {
	case fNumber:
		if v.Kind == Number {
			return v, nil
		}
		n, err := toNumber(v)
		if err != nil {
			return Value{}, err
		}
		return Num(n), nil
	case fInteger:
		n, err := toNumber(v)
		if err != nil {
			return Value{}, err
		}
		r := math.Round(n)
		return Value{Kind: Number, Num: r, Str: strconv.FormatFloat(r, 'f', 0, 64)}, nil
	case fBoolean:
		b, err := toBool(v)
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: Bool, Bool: b}, nil
	}
	return v, nil
}

// toTime reads the forms dates, times and datetimes are stored in
// (yyyy-MM-dd, yyyy-MM-ddTHH:mm[:ss], yyyy-MM-dd HH:mm[:ss], HH:mm[:ss]) in
// loc without allocating, and RFC 3339 timestamps from APIs.
func toTime(v Value, loc *time.Location) (time.Time, error) {
	switch v.Kind {
	case Time:
		return v.Time.In(loc), nil
	case String:
		s := strings.TrimSpace(v.Str)
		if t, ok := parseStoredTime(s, loc); ok {
			return t, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.In(loc), nil
		}
		for _, layout := range apiLayouts {
			if t, err := time.ParseInLocation(layout, s, loc); err == nil {
				return t.In(loc), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("cannot format %s as a date or time", describeValue(v))
}

// apiLayouts are other forms APIs answer with, tried after the fast path.
var apiLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"}

func parseStoredTime(s string, loc *time.Location) (time.Time, bool) {
	y, mo, d := 0, 1, 1 // a time alone sits on no particular day
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		var ok1, ok2, ok3 bool
		y, ok1 = atoi(s[0:4])
		mo, ok2 = atoi(s[5:7])
		d, ok3 = atoi(s[8:10])
		if !ok1 || !ok2 || !ok3 {
			return time.Time{}, false
		}
		if s = s[10:]; s == "" {
			return validTime(y, mo, d, 0, 0, 0, loc)
		}
		if s[0] != 'T' && s[0] != ' ' {
			return time.Time{}, false
		}
		s = s[1:]
	}
	if !(len(s) == 5 && s[2] == ':') && !(len(s) == 8 && s[2] == ':' && s[5] == ':') {
		return time.Time{}, false
	}
	h, ok1 := atoi(s[0:2])
	mi, ok2 := atoi(s[3:5])
	sec, ok3 := 0, true
	if len(s) == 8 {
		sec, ok3 = atoi(s[6:8])
	}
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	return validTime(y, mo, d, h, mi, sec, loc)
}

// atoi reads a run of ASCII digits.
func atoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, s != ""
}

// validTime builds the time, rejecting dates time.Date would normalise
// (2024-02-30).
func validTime(y, mo, d, h, mi, sec int, loc *time.Location) (time.Time, bool) {
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, loc)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// parseNumber reads a number as a caller or API writes it: "1500", "-3.5",
// "1,500.25", "1.500,25", "12,5", with an optional currency sign.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "$€£")
	s = strings.TrimSpace(strings.ReplaceAll(s, "_", ""))
	s = strings.ReplaceAll(s, " ", "")
	dot, comma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	switch {
	case dot >= 0 && comma >= 0 && comma > dot: // 1.500,25
		s = strings.ReplaceAll(s[:comma], ".", "") + "." + s[comma+1:]
	case dot >= 0 && comma >= 0: // 1,500.25
		s = strings.ReplaceAll(s, ",", "")
	case comma >= 0 && strings.Count(s, ",") == 1 && len(s)-comma-1 != 3: // 12,5
		s = strings.Replace(s, ",", ".", 1)
	case comma >= 0: // 1,500 or 1,000,000
		s = strings.ReplaceAll(s, ",", "")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func toNumber(v Value) (float64, error) {
	switch v.Kind {
	case Number:
		return v.Num, nil
	case Bool:
		if v.Bool {
			return 1, nil
		}
		return 0, nil
	case String:
		if f, ok := parseNumber(v.Str); ok {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%s is not a number", describeValue(v))
}

// parseBool reads yes/no words in Spanish and English.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "sí", "si", "on", "verdadero", "cierto":
		return true, true
	case "false", "0", "no", "n", "off", "falso":
		return false, true
	}
	return false, false
}

func toBool(v Value) (bool, error) {
	switch v.Kind {
	case Bool:
		return v.Bool, nil
	case Number:
		return v.Num != 0, nil
	case String:
		if b, ok := parseBool(v.Str); ok {
			return b, nil
		}
	}
	return false, fmt.Errorf("%s is not true or false", describeValue(v))
}

// describeValue names a value in an error without quoting it: values come
// from callers and APIs, and errors reach logs.
func describeValue(v Value) string {
	switch v.Kind {
	case String:
		return fmt.Sprintf("a text of %d characters", utf8.RuneCountInString(v.Str))
	case Number:
		return "a number"
	case Bool:
		return "a boolean"
	case Time:
		return "a time"
	case JSON:
		return "a list or object"
	}
	return "an empty value"
}

package expr

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// IsNumberPattern reports whether p is a number pattern (only the characters
// 0 # . , and nothing else, at least one 0 or #) rather than a date pattern.
func IsNumberPattern(p string) bool {
	digits := false
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '0', '#':
			digits = true
		case '.', ',':
		default:
			return false
		}
	}
	return digits
}

// dateOp is the kind of one element of a compiled date pattern.
type dateOp uint8

const (
	opLiteral     dateOp = iota
	opYear4              // yyyy
	opYear2              // yy
	opMonthName          // MMMM
	opMonthAbbr          // MMM
	opMonth2             // MM
	opMonth1             // M
	opDay2               // dd
	opDay1               // d
	opWeekdayName        // EEEE
	opWeekdayAbbr        // EEE
	opHour24x2           // HH
	opHour24             // H
	opHour12x2           // hh
	opHour12             // h
	opMinute2            // mm
	opSecond2            // ss
	opMilli3             // SSS
	opAmPm               // a
	opOffsetISO          // XXX: -05:00, or Z for UTC
	opOffsetRFC          // Z: -0500
)

// Which parts of a time.Time a pattern reads, so Append computes only those.
const (
	needDate uint8 = 1 << iota
	needWeekday
	needClock
	needZone
)

// patternLetters are the ASCII letters with a meaning in a date pattern.
// 'T' is handled separately, as a literal.
const patternLetters = "yMdEHhmsSaXZ"

// dateToken maps a run of n copies of letter c to its operation.
func dateToken(c byte, n int) (dateOp, bool) {
	switch {
	case c == 'y' && n == 4:
		return opYear4, true
	case c == 'y' && n == 2:
		return opYear2, true
	case c == 'M' && n == 4:
		return opMonthName, true
	case c == 'M' && n == 3:
		return opMonthAbbr, true
	case c == 'M' && n == 2:
		return opMonth2, true
	case c == 'M' && n == 1:
		return opMonth1, true
	case c == 'd' && n == 2:
		return opDay2, true
	case c == 'd' && n == 1:
		return opDay1, true
	case c == 'E' && n == 4:
		return opWeekdayName, true
	case c == 'E' && n == 3:
		return opWeekdayAbbr, true
	case c == 'H' && n == 2:
		return opHour24x2, true
	case c == 'H' && n == 1:
		return opHour24, true
	case c == 'h' && n == 2:
		return opHour12x2, true
	case c == 'h' && n == 1:
		return opHour12, true
	case c == 'm' && n == 2:
		return opMinute2, true
	case c == 's' && n == 2:
		return opSecond2, true
	case c == 'S' && n == 3:
		return opMilli3, true
	case c == 'a' && n == 1:
		return opAmPm, true
	case c == 'X' && n == 3:
		return opOffsetISO, true
	case c == 'Z' && n == 1:
		return opOffsetRFC, true
	}
	return 0, false
}

// need reports which time fields op reads.
func (op dateOp) need() uint8 {
	switch op {
	case opLiteral:
		return 0
	case opWeekdayName, opWeekdayAbbr:
		return needWeekday
	case opOffsetISO, opOffsetRFC:
		return needZone
	case opYear4, opYear2, opMonthName, opMonthAbbr, opMonth2, opMonth1, opDay2, opDay1:
		return needDate
	default:
		return needClock
	}
}

type dateElem struct {
	op  dateOp
	lit string // for opLiteral
}

// DatePattern is a compiled date/time pattern. It is immutable and safe for
// concurrent use.
type DatePattern struct {
	src   string
	elems []dateElem
	need  uint8
}

// ParseDatePattern compiles p, a Java/CLDR-style date pattern.
//
// Tokens (a token is the longest run of the same letter):
//
//	yyyy  4-digit year        yy   2-digit year
//	MMMM  full month name     MMM  abbreviated month name
//	MM    month 01-12         M    month 1-12
//	dd    day 01-31           d    day 1-31
//	EEEE  full weekday name   EEE  abbreviated weekday name
//	HH    hour 00-23          H    hour 0-23
//	hh    hour 01-12          h    hour 1-12
//	mm    minute 00-59        ss   second 00-59
//	SSS   milliseconds        a    AM/PM marker
//	XXX   offset like -05:00, or Z for UTC
//	Z     offset like -0500
//
// A run of one of those letters in any other length is an error, as is any
// other ASCII letter except T, which is a literal (as in ISO 8601
// "yyyy-MM-ddTHH:mm"). Text in single quotes is literal; a doubled single
// quote stands for one quote, inside or outside quoted text. Every other
// character, including non-ASCII letters, is literal. An empty pattern is an
// error, as is an unterminated quote.
func ParseDatePattern(p string) (*DatePattern, error) {
	if p == "" {
		return nil, errors.New("empty date pattern")
	}
	dp := &DatePattern{src: p}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			dp.elems = append(dp.elems, dateElem{op: opLiteral, lit: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				lit = append(lit, '\'')
				i += 2
				continue
			}
			j := i + 1
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("unterminated quote at %d", i)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit = append(lit, '\'')
						j += 2
						continue
					}
					break
				}
				lit = append(lit, p[j])
				j++
			}
			i = j + 1
		case c == 'T':
			lit = append(lit, c)
			i++
		case isASCIILetter(c):
			if strings.IndexByte(patternLetters, c) < 0 {
				return nil, fmt.Errorf("unknown pattern letter %q at %d", p[i:i+1], i)
			}
			n := 1
			for i+n < len(p) && p[i+n] == c {
				n++
			}
			op, ok := dateToken(c, n)
			if !ok {
				return nil, fmt.Errorf("invalid pattern token %q at %d", p[i:i+n], i)
			}
			flush()
			dp.elems = append(dp.elems, dateElem{op: op})
			dp.need |= op.need()
			i += n
		default:
			lit = append(lit, c)
			i++
		}
	}
	flush()
	return dp, nil
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// dateNames holds the localised names used by a DatePattern.
type dateNames struct {
	months, monthsAbbr [12]string
	weekdays, daysAbbr [7]string // indexed by time.Weekday: Sunday first
	am, pm             string
}

var englishNames = dateNames{
	months: [12]string{"January", "February", "March", "April", "May", "June",
		"July", "August", "September", "October", "November", "December"},
	monthsAbbr: [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	daysAbbr: [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
	am:       "AM",
	pm:       "PM",
}

var spanishNames = dateNames{
	months: [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio",
		"julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	monthsAbbr: [12]string{"ene", "feb", "mar", "abr", "may", "jun",
		"jul", "ago", "sept", "oct", "nov", "dic"},
	weekdays: [7]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
	daysAbbr: [7]string{"dom", "lun", "mar", "mié", "jue", "vie", "sáb"},
	am:       "a. m.",
	pm:       "p. m.",
}

// Append appends t formatted in language lang ("es" or "en"; anything else
// behaves as "en") to dst and returns the extended buffer. t is formatted in
// its own location; it is not converted. Append allocates only to grow dst.
func (p *DatePattern) Append(dst []byte, t time.Time, lang string) []byte {
	if p == nil {
		return dst
	}
	names := &englishNames
	if lang == "es" {
		names = &spanishNames
	}
	var (
		year, day, hour, minute, sec, offset int
		month                                time.Month
		weekday                              time.Weekday
	)
	if p.need&needDate != 0 {
		year, month, day = t.Date()
	}
	if p.need&needWeekday != 0 {
		weekday = t.Weekday()
	}
	if p.need&needClock != 0 {
		hour, minute, sec = t.Clock()
	}
	if p.need&needZone != 0 {
		_, offset = t.Zone()
	}
	for _, e := range p.elems {
		switch e.op {
		case opLiteral:
			dst = append(dst, e.lit...)
		case opYear4:
			dst = appendInt(dst, year, 4)
		case opYear2:
			dst = appendInt(dst, (year%100+100)%100, 2)
		case opMonthName:
			dst = append(dst, names.months[month-1]...)
		case opMonthAbbr:
			dst = append(dst, names.monthsAbbr[month-1]...)
		case opMonth2:
			dst = appendInt(dst, int(month), 2)
		case opMonth1:
			dst = appendInt(dst, int(month), 1)
		case opDay2:
			dst = appendInt(dst, day, 2)
		case opDay1:
			dst = appendInt(dst, day, 1)
		case opWeekdayName:
			dst = append(dst, names.weekdays[weekday]...)
		case opWeekdayAbbr:
			dst = append(dst, names.daysAbbr[weekday]...)
		case opHour24x2:
			dst = appendInt(dst, hour, 2)
		case opHour24:
			dst = appendInt(dst, hour, 1)
		case opHour12x2:
			dst = appendInt(dst, hour12(hour), 2)
		case opHour12:
			dst = appendInt(dst, hour12(hour), 1)
		case opMinute2:
			dst = appendInt(dst, minute, 2)
		case opSecond2:
			dst = appendInt(dst, sec, 2)
		case opMilli3:
			dst = appendInt(dst, t.Nanosecond()/int(time.Millisecond), 3)
		case opAmPm:
			if hour < 12 {
				dst = append(dst, names.am...)
			} else {
				dst = append(dst, names.pm...)
			}
		case opOffsetISO:
			dst = appendOffset(dst, offset, true)
		case opOffsetRFC:
			dst = appendOffset(dst, offset, false)
		}
	}
	return dst
}

// String returns the source pattern.
func (p *DatePattern) String() string {
	if p == nil {
		return ""
	}
	return p.src
}

func hour12(h int) int {
	if h %= 12; h == 0 {
		return 12
	}
	return h
}

// appendOffset appends a UTC offset given in seconds east of UTC, as ±HH:MM
// (or Z when it is zero) if iso is set, otherwise as ±HHMM (+0000 when zero).
// Seconds are truncated, as java.time does.
func appendOffset(dst []byte, offset int, iso bool) []byte {
	sign := byte('+')
	if offset < 0 {
		sign = '-'
		offset = -offset
	}
	h, m := offset/3600, offset/60%60
	if h == 0 && m == 0 {
		if iso {
			return append(dst, 'Z')
		}
		return append(dst, "+0000"...)
	}
	dst = append(dst, sign)
	dst = appendInt(dst, h, 2)
	if iso {
		dst = append(dst, ':')
	}
	return appendInt(dst, m, 2)
}

// appendInt appends v in decimal, left-padded with zeros to width digits.
func appendInt(dst []byte, v, width int) []byte {
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = -u
	}
	var buf [20]byte
	i := len(buf)
	for u >= 10 {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	i--
	buf[i] = byte('0' + u)
	for n := len(buf) - i; n < width; n++ {
		dst = append(dst, '0')
	}
	return append(dst, buf[i:]...)
}

// NumberPattern is a compiled number pattern like "0.00", "#,##0.00", "0",
// "#.##" or "000". It is immutable and safe for concurrent use.
type NumberPattern struct {
	src     string
	minInt  int // minimum integer digits
	minFrac int // required fraction digits
	maxFrac int // required plus optional fraction digits
	group   int // grouping size; 0 means no grouping
}

// ParseNumberPattern compiles p, a DecimalFormat-like pattern made only of
// the characters 0 # . and ,.
//
// Before the '.', the number of '0's sets the minimum number of integer
// digits, and a ',' turns on grouping, with the group size being the number
// of digits between the last ',' and the end of the integer part (3 in
// "#,##0"). After the '.', each '0' is a required decimal and each '#' an
// optional one: trailing zeros are trimmed down to the required count.
//
// As in Java, these are errors: more than one '.', a ',' after the '.', a ','
// ending the integer part, a '#' after a '0' in the integer part ("0#"), a
// '0' after a '#' in the fraction part ("0.#0"), and a pattern with no digit.
//
// The output always uses '.' as the decimal separator and ',' as the grouping
// separator; it is not localised.
func ParseNumberPattern(p string) (*NumberPattern, error) {
	if p == "" {
		return nil, errors.New("empty number pattern")
	}
	np := &NumberPattern{src: p}
	dot, lastComma := -1, -1
	digits := 0      // '0's and '#'s in the whole pattern
	sinceComma := 0  // integer digits after the last ','
	optFrac := false // a '#' has been seen after the '.'
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '.':
			if dot >= 0 {
				return nil, fmt.Errorf("more than one decimal separator at %d", i)
			}
			dot = i
		case ',':
			if dot >= 0 {
				return nil, fmt.Errorf("grouping separator after decimal separator at %d", i)
			}
			lastComma, sinceComma = i, 0
		case '0', '#':
			digits++
			switch {
			case dot < 0:
				if c == '#' && np.minInt > 0 {
					return nil, fmt.Errorf(`"#" after "0" in integer part at %d`, i)
				}
				if c == '0' {
					np.minInt++
				}
				sinceComma++
			case c == '0':
				if optFrac {
					return nil, fmt.Errorf(`"0" after "#" in fraction part at %d`, i)
				}
				np.minFrac++
				np.maxFrac++
			default:
				optFrac = true
				np.maxFrac++
			}
		default:
			r, _ := utf8.DecodeRuneInString(p[i:])
			return nil, fmt.Errorf("unexpected character %q at %d in number pattern", string(r), i)
		}
	}
	if digits == 0 {
		return nil, errors.New("number pattern has no digits")
	}
	if lastComma >= 0 {
		if sinceComma == 0 {
			return nil, fmt.Errorf("grouping separator at end of integer part at %d", lastComma)
		}
		np.group = sinceComma
	}
	return np, nil
}

// Append appends v formatted to dst and returns the extended buffer.
//
// Rounding is half-even on the exact decimal value of v, like Java's
// DecimalFormat with HALF_EVEN. Negative numbers get a leading '-', unless
// they round to zero; -0 prints without sign. NaN and infinities print as
// "NaN", "Inf" and "-Inf". Append allocates only to grow dst.
func (p *NumberPattern) Append(dst []byte, v float64) []byte {
	if p == nil {
		return dst
	}
	switch {
	case math.IsNaN(v):
		return append(dst, "NaN"...)
	case math.IsInf(v, 1):
		return append(dst, "Inf"...)
	case math.IsInf(v, -1):
		return append(dst, "-Inf"...)
	}

	// Let strconv do the correctly rounded conversion in place, giving
	// "ddd.fff" (or "ddd" when maxFrac is 0), then rearrange those bytes.
	start := len(dst)
	dst = strconv.AppendFloat(dst, math.Abs(v), 'f', p.maxFrac, 64)
	end := len(dst)
	intEnd := end // end of the integer digits
	if p.maxFrac > 0 {
		intEnd = end - p.maxFrac - 1
	}

	// Trim optional trailing zeros, and the '.' if no fraction is left.
	for end > intEnd+1+p.minFrac && dst[end-1] == '0' {
		end--
	}
	if end == intEnd+1 {
		end = intEnd
	}
	dst = dst[:end]

	sig := intEnd - start // significant integer digits; a lone "0" has none
	if sig == 1 && dst[start] == '0' {
		sig = 0
	}
	neg := v < 0 && !allZeros(dst[start:end])
	width := max(sig, p.minInt) // integer digits to print
	if width == 0 && end == intEnd {
		width = 1 // no fraction either: print "0", as Java does
	}
	intLen := width // integer part length, with grouping and sign
	if p.group > 0 && width > 0 {
		intLen += (width - 1) / p.group
	}
	if neg {
		intLen++
	}

	// Move the fraction to its final place.
	if delta := intLen - (intEnd - start); delta != 0 {
		if delta > 0 {
			dst = slices.Grow(dst, delta)[:end+delta]
		}
		copy(dst[intEnd+delta:], dst[intEnd:end])
		dst = dst[:end+delta]
	}

	// Write the integer part right to left. The write position never
	// falls behind the read position, so digits are read before being
	// overwritten.
	w, r := start+intLen-1, intEnd-1
	for i := range width {
		if i > 0 && p.group > 0 && i%p.group == 0 {
			dst[w] = ','
			w--
		}
		if i < sig {
			dst[w] = dst[r]
			r--
		} else {
			dst[w] = '0'
		}
		w--
	}
	if neg {
		dst[w] = '-'
	}
	return dst
}

// String returns the source pattern.
func (p *NumberPattern) String() string {
	if p == nil {
		return ""
	}
	return p.src
}

// allZeros reports whether the digits in b (ignoring any '.') are all zero.
func allZeros(b []byte) bool {
	for _, c := range b {
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}

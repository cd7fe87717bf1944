package extract

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Date is a calendar date found in text, with the span it was read from.
type Date struct {
	Year  int
	Month time.Month
	Day   int
	Span  Span
}

// String formats the date as yyyy-MM-dd.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// FindDate finds a date in text, resolved against now (the caller's current
// time in the agent's time zone; only its calendar date is used).
//
// Our own rules run first and cover the conversational forms: es "hoy",
// "mañana", "pasado mañana", "el (próximo) lunes", "el lunes que viene",
// "este viernes", "el 15 de enero", "quince de enero", "el primero de
// marzo", "15/01/2024", "15/01", "15-01-2024", "el 20"/"al 20", "el martes
// 16", "dentro de tres días", "en dos semanas", "la semana que viene" (its
// Monday), "el mes que viene" (its 1st), "2024-01-15"; en "today",
// "tomorrow", "the day after tomorrow", "(next|this|on) Monday", "January
// 15th", "Jan 15", "the 15th of January", "fifteenth of January", "March
// first", "1/15/2024", "01/15" (MM/dd in en), "the 20th", "in three days",
// "next week", and more (see the tests). A weekday means the next such day
// strictly after today, except "este"/"this" + today's weekday, which is
// today. A date without a year is the next occurrence on or after today; a
// bare day of month is this month if not past, else the next month that has
// it. When the text holds several dates, a later one introduced by a
// correction ("no, mejor el martes", "sorry, I mean Friday") wins, and a date
// negated by "no" is skipped.
//
// Only when no rule matches is github.com/markusmobius/go-dateparser tried,
// and its answer is kept only if it names a day (not just a month or a
// time), its year is within now-1…now+5, and the matched text contains a
// month, weekday or relative word; times, amounts and digit runs of five or
// more digits are hidden from it.
//
// An impossible date ("30 de febrero", "31/04") returns ErrInvalidDate (with
// the span set); no date returns ErrNoDate.
func FindDate(text, lang string, now time.Time) (Date, error) {
	return FindDateIn(text, lang, now, DateOptions{})
}

// DateOptions say how to resolve a date said without all its parts.
type DateOptions struct {
	// Past: the date lies before today (when a card was lost, a date of
	// birth). A weekday is the last one before today ("el viernes" said on
	// a Monday is three days ago), a day and month without a year the last
	// such day, a bare day of month this month's if past, else the last
	// month's, and a two-digit year the last such year ("del 85" is 1985).
	// Without it dates lie ahead, as for a booking.
	Past bool
}

// FindDateIn is FindDate resolving incomplete dates as o says.
func FindDateIn(text, lang string, now time.Time, o DateOptions) (Date, error) {
	return analyze(text, lang).findDate(now, o)
}

func (a *analysis) findDate(now time.Time, o DateOptions) (Date, error) {
	a.past = o.Past
	defer func() { a.past = false }()
	today := civilOf(now)
	cands := a.dateCands(today)
	if len(cands) == 0 {
		if c, ok := a.bareDayText(today); ok {
			cands = append(cands, c)
		}
	}
	if len(cands) > 0 {
		k := a.pick(len(cands), func(k int) (int, int) { return cands[k].s, cands[k].e })
		if k < 0 {
			return Date{}, ErrNoDate // "el lunes no puedo"
		}
		c := cands[k]
		sp := a.spanTok(c.s, c.e)
		if c.invalid {
			return Date{Span: sp}, ErrInvalidDate
		}
		return Date{Year: c.c.y, Month: c.c.m, Day: c.c.d, Span: sp}, nil
	}
	if d, ok := fallbackDate(a, now); ok {
		return d, nil
	}
	return Date{}, ErrNoDate
}

// FindDates returns every date in text, in order, without those negated
// ("el lunes no puedo"); impossible ones are left out. The go-dateparser
// fallback is not consulted.
func FindDates(text, lang string, now time.Time, o DateOptions) []Date {
	return analyze(text, lang).findDates(now, o)
}

func (a *analysis) findDates(now time.Time, o DateOptions) []Date {
	a.past = o.Past
	defer func() { a.past = false }()
	today := civilOf(now)
	cands := a.dateCands(today)
	if len(cands) == 0 {
		if c, ok := a.bareDayText(today); ok {
			cands = append(cands, c)
		}
	}
	var out []Date
	for _, c := range cands {
		if c.invalid || a.negated(c.s, c.e) {
			continue
		}
		out = append(out, Date{Year: c.c.y, Month: c.c.m, Day: c.c.d, Span: a.spanTok(c.s, c.e)})
	}
	return out
}

// dcand is a date candidate over tokens [s, e).
type dcand struct {
	c       civil
	invalid bool
	s, e    int
}

func (a *analysis) dateCands(today civil) []dcand {
	return nonOverlapping(len(a.toks), func(i int) (dcand, bool) { return a.dateAt(i, today) },
		func(c *dcand) (*int, *int) { return &c.s, &c.e })
}

// nonOverlapping scans token positions, taking the candidate found at each
// and resuming after it, so that candidates never overlap.
func nonOverlapping[C any](n int, at func(int) (C, bool), bounds func(*C) (s, e *int)) []C {
	var out []C
	prevEnd := 0
	for i := 0; i < n; {
		c, ok := at(i)
		if !ok {
			i++
			continue
		}
		out = append(out, c)
		s, e := bounds(&out[len(out)-1])
		if *e <= i {
			*e = i + 1
		}
		if *s < prevEnd {
			*s = prevEnd
		}
		i, prevEnd = *e, *e
	}
	return out
}

func (a *analysis) dateAt(i int, today civil) (dcand, bool) {
	if a.toks[i].kind == tPunct {
		return dcand{}, false
	}
	if c, ok := a.relWordAt(i, today); ok {
		return c, true
	}
	if c, ok := a.relativeAt(i, today); ok {
		return c, true
	}
	if c, ok := a.periodAt(i, today); ok {
		return c, true
	}
	if c, ok := a.weekdayAt(i, today); ok {
		return c, true
	}
	if c, ok := a.monthFirstAt(i, today); ok {
		return c, true
	}
	if c, ok := a.numericDateAt(i, today); ok {
		return c, true
	}
	if c, ok := a.dayFirstAt(i, today); ok {
		return c, true
	}
	return dcand{}, false
}

func mk(c civil, s, e int) dcand { return dcand{c: c, s: s, e: e} }

// relWordAt: hoy, mañana, pasado mañana, ayer, today, tomorrow…
func (a *analysis) relWordAt(i int, today civil) (dcand, bool) {
	if c, ok := a.holidayAt(i, today); ok {
		return c, true
	}
	w := a.w(i)
	if a.lang == "en" {
		switch w {
		case "today", "tonight", "today's", "tonight's", "todays", "tonights":
			return mk(today, i, i+1), true
		case "tomorrow's", "tomorrows":
			return mk(today.addDays(1), i, i+1), true
		case "tomorrow", "tmrw", "tomorow":
			return mk(today.addDays(1), i, i+1), true
		case "yesterday":
			return mk(today.addDays(-1), i, i+1), true
		case "last":
			if e, ok := a.seq(i+1, "night"); ok {
				return mk(today.addDays(-1), i, e), true
			}
		case "the", "day":
			if e, ok := a.anySeq(i, "the day after tomorrow", "day after tomorrow"); ok {
				return mk(today.addDays(2), i, e), true
			}
			if e, ok := a.anySeq(i, "the day before yesterday", "day before yesterday"); ok {
				return mk(today.addDays(-2), i, e), true
			}
		case "this":
			if e, ok := a.anySeq(i+1, "morning", "afternoon", "evening"); ok {
				return mk(today, i, e), true
			}
		}
		return dcand{}, false
	}
	switch w {
	case "hoy":
		if e, ok := a.seq(i+1, "en ocho"); ok {
			return mk(today.addDays(7), i, e), true
		}
		if e, ok := a.seq(i+1, "en quince"); ok {
			return mk(today.addDays(14), i, e), true
		}
		return mk(today, i, i+1), true
	case "manana":
		switch a.w(i - 1) {
		case "la", "las", "esta", "media", "cada", "una", "toda", "buena", "buenas":
			return dcand{}, false
		}
		return mk(today.addDays(1), i, i+1), true
	case "pasado":
		if a.w(i+1) == "manana" {
			return mk(today.addDays(2), i, i+2), true
		}
	case "ayer", "anoche":
		return mk(today.addDays(-1), i, i+1), true
	case "antenoche":
		return mk(today.addDays(-2), i, i+1), true
	case "anteayer", "antier", "antiayer":
		return mk(today.addDays(-2), i, i+1), true
	case "antes":
		if e, ok := a.seq(i, "antes de ayer"); ok {
			return mk(today.addDays(-2), i, e), true
		}
	case "esta":
		if e, ok := a.anySeq(i+1, "noche", "tarde", "manana"); ok {
			return mk(today, i, e), true
		}
	case "el":
		if e, ok := a.seq(i, "el dia de hoy"); ok {
			return mk(today, i, e), true
		}
		if e, ok := a.seq(i, "el dia de manana"); ok {
			return mk(today.addDays(1), i, e), true
		}
	}
	return dcand{}, false
}

// countAt reads a small count: digits, number words ("tres", "una"), "un par
// de", "a couple of".
func (a *analysis) countAt(j int) (int, int, bool) {
	if j >= len(a.toks) {
		return 0, j, false
	}
	if a.isNum(j) {
		if j+1 < len(a.toks) && a.toks[j+1].glued && a.toks[j+1].kind != tWord {
			return 0, j, false
		}
		v, _ := a.numVal(j)
		return v, j + 1, true
	}
	if e, ok := a.anySeq(j, "un par de", "a couple of", "a couple", "couple of"); ok {
		return 2, e, true
	}
	r, ok := a.parseWords(j, optsCount)
	if !ok || r.val < 1 || r.val != float64(int(r.val)) {
		return 0, j, false
	}
	return int(r.val), r.end, true
}

// unitAt reads a calendar unit: días/semanas/meses/años, days/weeks/…
func (a *analysis) unitAt(k int) (days, months int, ok bool) {
	switch a.w(k) {
	case "dia", "dias", "day", "days":
		return 1, 0, true
	case "semana", "semanas", "week", "weeks":
		return 7, 0, true
	case "quincena", "quincenas":
		return 15, 0, true
	case "fortnight", "fortnights":
		return 14, 0, true
	case "mes", "meses", "month", "months":
		return 0, 1, true
	case "ano", "anos", "year", "years":
		return 0, 12, true
	}
	return 0, 0, false
}

// relativeAt: "dentro de tres días", "en dos semanas", "hace 2 días", "in
// three days", "2 weeks from now", "a week from today", "3 days ago".
func (a *analysis) relativeAt(i int, today civil) (dcand, bool) {
	sign := 1
	j := -1
	needSuffix := false
	w := a.w(i)
	if a.lang == "en" {
		switch w {
		case "in", "within":
			j = i + 1
		default:
			j = i
			needSuffix = true
		}
	} else {
		switch w {
		case "dentro":
			if a.w(i+1) == "de" {
				j = i + 2
			}
		case "en":
			j = i + 1
		case "de":
			if e, ok := a.seq(i, "de aqui a"); ok {
				j = e
			}
		case "hace":
			j = i + 1
			sign = -1
		}
	}
	if j < 0 {
		return dcand{}, false
	}
	n, k, ok := a.countAt(j)
	if !ok {
		// "in a fortnight" / "dentro de una quincena" are caught by countAt's
		// article; a bare unit ("en semana") is not a date.
		return dcand{}, false
	}
	days, months, ok := a.unitAt(k)
	if !ok {
		return dcand{}, false
	}
	k++
	if a.w(k) == "habiles" || a.w(k) == "laborables" || (a.w(k-1) == "business") {
		return dcand{}, false // business days: not computed
	}
	base := today
	if a.lang == "en" {
		switch {
		case a.w(k) == "ago":
			sign = -1
			k++
		case a.w(k) == "from" && (a.w(k+1) == "now" || a.w(k+1) == "today"):
			k += 2
		case a.w(k) == "from" && a.w(k+1) == "tomorrow":
			base = today.addDays(1)
			k += 2
		case a.w(k) == "from" && func() bool { _, ok := a.weekdayWord(k + 1); return ok }():
			wd, _ := a.weekdayWord(k + 1)
			base = nextWeekday(today, wd)
			k += 2
		case a.w(k) == "later":
			k++
		default:
			if needSuffix {
				return dcand{}, false
			}
		}
	} else if e, ok := a.anySeq(k, "a partir de hoy", "desde hoy"); ok {
		k = e
	} else if e, ok := a.anySeq(k, "a partir de manana", "desde manana"); ok {
		base = today.addDays(1)
		k = e
	}
	switch {
	case days > 0 && n*days <= 3660:
		return mk(base.addDays(sign*n*days), i, k), true
	case months > 0 && n*months <= 120:
		return mk(base.addMonths(sign*n*months), i, k), true
	}
	return dcand{}, false
}

// period phrases, per language: [0] next weekend, [1] next week, [2] next
// month, [3] this weekend, [4] end of month.
var periodPhrases = map[string][5][]string{
	"en": {
		{"next weekend"},
		{"next week", "the following week", "the week after"},
		{"next month", "the following month"},
		{"this weekend", "the weekend", "this coming weekend"},
		{"the end of the month", "end of the month", "end of month", "the last day of the month", "last day of the month"},
	},
	"es": {
		{"el proximo fin de semana", "el fin de semana que viene", "el fin de semana proximo",
			"el otro fin de semana", "proximo fin de semana"},
		{"la semana que viene", "la proxima semana", "la semana proxima", "la siguiente semana",
			"la semana siguiente", "la otra semana", "semana que viene", "proxima semana", "la semana entrante"},
		{"el mes que viene", "el proximo mes", "el mes proximo", "el siguiente mes", "el mes siguiente",
			"el otro mes", "el mes entrante", "mes que viene", "proximo mes"},
		{"este fin de semana", "el fin de semana", "fin de semana", "este finde", "el finde"},
		{"a fin de mes", "fin de mes", "el ultimo dia del mes", "ultimo dia del mes", "a fin del mes", "fin del mes"},
	},
}

type periodPhrase struct {
	phrase string
	group  int // index in periodPhrases
	words  int
}

// periodIndex maps language and first word to the period phrases starting
// with it, longest first (read-only after initialisation).
var periodIndex = func() map[string]map[string][]periodPhrase {
	idx := map[string]map[string][]periodPhrase{}
	for lang, groups := range periodPhrases {
		m := map[string][]periodPhrase{}
		for g, list := range groups {
			for _, p := range list {
				f := strings.Fields(p)
				m[f[0]] = append(m[f[0]], periodPhrase{p, g, len(f)})
			}
		}
		for k := range m {
			l := m[k]
			sort.SliceStable(l, func(i, j int) bool { return l[i].words > l[j].words })
		}
		idx[lang] = m
	}
	return idx
}()

// periodAt: next week / next month / weekend / end of month.
func (a *analysis) periodAt(i int, today civil) (dcand, bool) {
	group, e := -1, 0
	for _, p := range periodIndex[a.lang][a.w(i)] {
		if x, ok := a.seq(i, p.phrase); ok {
			group, e = p.group, x
			break
		}
	}
	switch group {
	case 0: // next weekend
		return mk(nextMonday(today).addDays(5), i, e), true
	case 1: // next week, optionally "…, el martes"
		c := nextMonday(today)
		k := e
		if a.p(k) == "," {
			k++
		}
		if a.w(k) == "el" || a.w(k) == "on" {
			k++
		}
		if wd, ok := a.weekdayWord(k); ok {
			return mk(c.addDays((wd+6)%7), i, k+1), true
		}
		return mk(c, i, e), true
	case 2: // next month
		return mk(civil{today.y, today.m, 1}.addMonths(1), i, e), true
	case 3: // this weekend
		switch today.weekday() {
		case 6, 0:
			return mk(today, i, e), true
		}
		return mk(nextWeekday(today, 6), i, e), true
	case 4: // end of month
		return mk(civil{today.y, today.m, daysIn(today.y, today.m)}, i, e), true
	}
	return dcand{}, false
}

func (a *analysis) weekdayWord(i int) (int, bool) {
	w := a.w(i)
	if w == "" {
		return 0, false
	}
	var wd int
	var ok bool
	if a.lang == "en" {
		wd, ok = enWeekdays[w]
		if !ok && len(w) > 1 && w[len(w)-1] == 's' {
			wd, ok = enWeekdays[w[:len(w)-1]]
		}
	} else {
		wd, ok = esWeekdays[w]
	}
	return wd, ok
}

const (
	wdNext     = iota // strictly after today
	wdThis            // today if the same weekday, else next
	wdNextWeek        // in next week (Monday-based)
	wdAfterNext
	wdLast // strictly before today
)

var esNth = map[string]int{"primer": 1, "primero": 1, "segundo": 2, "tercer": 3, "tercero": 3, "cuarto": 4, "quinto": 5, "ultimo": -1}
var enNth = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}

// weekdayAt: "el lunes", "el próximo lunes", "el lunes que viene", "este
// viernes", "el martes 16", "el lunes de la semana que viene", "next Monday",
// "this Friday", "Friday after next", "Tuesday the 16th", "el primer lunes de
// febrero", "the last Friday of March".
func (a *analysis) weekdayAt(i int, today civil) (dcand, bool) {
	wd, ok := a.weekdayWord(i)
	if !ok {
		return dcand{}, false
	}
	s, e := i, i+1
	mode := wdNext
	nth := 0
	// look back for modifiers
	k := i - 1
	if a.lang == "en" {
		switch a.w(k) {
		case "this":
			mode, s, k = wdThis, k, k-1
		case "next", "coming":
			s, k = k, k-1
			if a.w(k) == "this" {
				s, k = k, k-1
			}
		case "last", "past", "previous":
			mode, s, k = wdLast, k, k-1
		default:
			if n, ok := enNth[a.w(k)]; ok {
				nth, s, k = n, k, k-1
			} else if a.w(k) != "" && ordSuffix[a.w(k)] && a.isNum(k-1) && a.toks[k].glued {
				if v, _ := a.numVal(k - 1); v >= 1 && v <= 5 {
					nth, s, k = v, k-1, k-2
				}
			}
		}
		if a.w(k) == "the" && nth != 0 {
			s, k = k, k-1
		}
		if a.w(k) == "on" {
			s = k
		}
	} else {
		switch a.w(k) {
		case "este", "esta":
			mode, s, k = wdThis, k, k-1
		case "proximo", "proxima", "siguiente":
			s, k = k, k-1
		default:
			if n, ok := esNth[a.w(k)]; ok {
				nth, s, k = n, k, k-1
			}
		}
		if a.w(k) == "el" || a.w(k) == "los" {
			s = k
		}
	}
	// look ahead
	if a.lang == "en" {
		if x, ok := a.anySeq(e, "next week", "of next week"); ok {
			mode, e = wdNextWeek, x
		} else if x, ok := a.seq(e, "after next"); ok {
			mode, e = wdAfterNext, x
		} else if x, ok := a.seq(e, "this week"); ok {
			mode, e = wdThis, x
		}
	} else {
		if x, ok := a.anySeq(e, "de la semana que viene", "de la proxima semana", "de la semana proxima",
			"de la otra semana", "de la siguiente semana", "de la semana siguiente", "de la semana entrante"); ok {
			mode, e = wdNextWeek, x
		} else if x, ok := a.anySeq(e, "que viene", "proximo", "proxima", "siguiente", "entrante"); ok {
			e = x
		} else if x, ok := a.anySeq(e, "de esta semana"); ok {
			mode, e = wdThis, x
		} else if x, ok := a.anySeq(e, "pasado", "pasada", "anterior", "de la semana pasada", "de la semana anterior"); ok {
			mode, e = wdLast, x
		}
	}
	if nth != 0 {
		// "el primer lunes de febrero", "the first Monday of March"
		k := e
		if a.w(k) == "de" || a.w(k) == "of" || a.w(k) == "del" || a.w(k) == "in" {
			k++
		}
		if m, ke, ok := a.monthAt(k); ok {
			c, ok := nthWeekdayNext(today, m, wd, nth)
			if !ok {
				return dcand{invalid: true, s: s, e: ke}, true
			}
			return mk(c, s, ke), true
		}
		if x, ok := a.anySeq(k, "mes que viene", "proximo mes", "next month", "the next month"); ok {
			nm := civil{today.y, today.m, 1}.addMonths(1)
			c, ok := nthWeekday(nm.y, nm.m, wd, nth)
			if !ok {
				return dcand{invalid: true, s: s, e: x}, true
			}
			return mk(c, s, x), true
		}
		if x, ok := a.anySeq(k, "este mes", "this month", "the month"); ok {
			c, ok := nthWeekday(today.y, today.m, wd, nth)
			if !ok {
				return dcand{invalid: true, s: s, e: x}, true
			}
			return mk(c, s, x), true
		}
		// an ordinal that is not about a month: ignore it
		s = i
		if a.w(i-1) == "el" || a.w(i-1) == "on" {
			s = i - 1
		}
	}
	// an explicit date after the weekday: "el martes 16 (de enero)",
	// "Tuesday, January 16", "Tuesday the 16th"
	k = e
	if a.p(k) == "," {
		k++
	}
	if a.w(k) == "el" || a.w(k) == "the" || a.w(k) == "dia" {
		k++
	}
	if c, ok := a.monthFirstAt(k, today); ok {
		c.s = s
		return c, true
	}
	if d, ok := a.dayAt(k); ok && !a.blocksDay(d.end) {
		if c, hasMonth := a.dayTail(d, today); hasMonth {
			c.s = s
			return c, true
		}
		if c, ok := a.weekdayDay(today, wd, d.d); ok {
			return mk(c, s, d.end), true
		}
		return dcand{invalid: true, s: s, e: d.end}, true
	}
	if a.past && mode != wdNextWeek && mode != wdAfterNext {
		mode = wdLast
	}
	var c civil
	switch mode {
	case wdLast:
		c = lastWeekday(today, wd)
	case wdThis:
		if today.weekday() == wd {
			c = today
		} else {
			c = nextWeekday(today, wd)
		}
	case wdNextWeek:
		c = nextMonday(today).addDays((wd + 6) % 7)
	case wdAfterNext:
		c = nextWeekday(today, wd).addDays(7)
	default:
		c = nextWeekday(today, wd)
	}
	return mk(c, s, e), true
}

// weekdayDay resolves "el martes 16": the next day 16 (on or after today)
// that is a Tuesday within a year, else the plain next day 16.
func (a *analysis) weekdayDay(today civil, wd, d int) (civil, bool) {
	if a.past {
		return lastDayOfMonthWhere(today, d, func(c civil) bool { return c.weekday() == wd })
	}
	if c, ok := nextDayOfMonthWhere(today, d, func(c civil) bool { return c.weekday() == wd }); ok {
		return c, true
	}
	return nextDayOfMonth(today, d)
}

// nthWeekday is the nth (1..5, or -1 = last) weekday wd of a month.
func nthWeekday(y int, m time.Month, wd, n int) (civil, bool) {
	if n == -1 {
		last := civil{y, m, daysIn(y, m)}
		back := (last.weekday() - wd + 7) % 7
		return last.addDays(-back), true
	}
	first := civil{y, m, 1}
	fwd := (wd - first.weekday() + 7) % 7
	d := 1 + fwd + 7*(n-1)
	if d > daysIn(y, m) {
		return civil{}, false
	}
	return civil{y, m, d}, true
}

func nthWeekdayNext(today civil, m time.Month, wd, n int) (civil, bool) {
	c, ok := nthWeekday(today.y, m, wd, n)
	if ok && !c.less(today) {
		return c, true
	}
	return nthWeekday(today.y+1, m, wd, n)
}

// dayRes is a day of month read from text.
type dayRes struct {
	d       int
	end     int
	ordinal bool // "15th", "1º", "primero", "fifteenth"
}

// dayAt reads a day of month: "15", "15th", "1º", "primero", "quince",
// "treinta y uno", "fifteenth", "twenty-first".
func (a *analysis) dayAt(j int) (dayRes, bool) {
	if j >= len(a.toks) {
		return dayRes{}, false
	}
	if a.isNum(j) {
		if a.toks[j].glued && j > 0 && a.p(j-1) != "(" {
			return dayRes{}, false
		}
		v, nd := a.numVal(j)
		if nd > 2 || v < 1 || v > 31 {
			return dayRes{}, false
		}
		e := j + 1
		if e < len(a.toks) && a.toks[e].glued {
			switch a.toks[e].kind {
			case tWord:
				if ordSuffix[a.toks[e].v] {
					return dayRes{v, e + 1, true}, true
				}
				return dayRes{}, false
			case tPunct:
				nextNum := e+1 < len(a.toks) && a.toks[e+1].glued && a.toks[e+1].kind == tNum
				switch a.toks[e].v {
				case ":", "/", "%", "€", "$":
					return dayRes{}, false
				case "-", ".", ",":
					if nextNum {
						return dayRes{}, false
					}
				}
			}
		}
		return dayRes{v, e, false}, true
	}
	w := a.w(j)
	if w == "" {
		return dayRes{}, false
	}
	if a.lang == "en" {
		if v, ok := enOrdinals[w]; ok {
			return dayRes{v, j + 1, true}, true
		}
		if w == "twenty" || w == "thirty" {
			base := 20
			if w == "thirty" {
				base = 30
			}
			k := j + 1
			if a.p(k) == "-" && a.toks[k].glued {
				k++
			}
			if v, ok := enOrdinals[a.w(k)]; ok && v <= 9 && base+v <= 31 {
				return dayRes{base + v, k + 1, true}, true
			}
		}
	} else if v, ok := esOrdinals[w]; ok {
		return dayRes{v, j + 1, true}, true
	}
	r, ok := a.parseWords(j, optsDay)
	if !ok || r.val < 1 || r.val > 31 || r.val != float64(int(r.val)) {
		return dayRes{}, false
	}
	return dayRes{int(r.val), r.end, false}, true
}

// monthAt reads a month name; abbreviations ("ene", "Jan.") are accepted
// because months are only looked for next to a day.
func (a *analysis) monthAt(j int) (time.Month, int, bool) {
	w := a.w(j)
	if w == "" {
		return 0, j, false
	}
	var m int
	var ok bool
	if a.lang == "en" {
		if m, ok = enMonths[w]; !ok {
			m, ok = enMonthAbbr[w]
		}
	} else {
		if m, ok = esMonths[w]; !ok {
			m, ok = esMonthAbbr[w]
		}
	}
	if !ok {
		return 0, j, false
	}
	e := j + 1
	if a.p(e) == "." && a.toks[e].glued && len(w) <= 4 {
		e++
	}
	return time.Month(m), e, true
}

// yearAt reads an optional year after a day and month: "de 2025", ", 2025",
// "2025", "de dos mil veinticinco", "twenty twenty-five", "del año que
// viene", "next year". ok is false when there is none.
func (a *analysis) yearAt(k int, today civil) (int, int, bool) {
	j := k
	switch {
	case a.p(j) == ",":
		j++
	case a.w(j) == "de" || a.w(j) == "del" || a.w(j) == "of":
		j++
	}
	if e, ok := a.anySeq(j, "ano que viene", "proximo ano", "ano proximo", "ano entrante", "next year"); ok {
		return today.y + 1, e, true
	}
	if e, ok := a.anySeq(k, "next year", "this year", "de este ano", "este ano"); ok {
		if a.w(k) == "next" {
			return today.y + 1, e, true
		}
		return today.y, e, true
	}
	if a.w(j) == "el" || a.w(j) == "ano" {
		if a.w(j) == "el" && a.w(j+1) == "ano" {
			j += 2
		} else if a.w(j) == "ano" {
			j++
		}
	}
	if a.isNum(j) {
		v, nd := a.numVal(j)
		if nd == 2 && j > k && (a.w(k) == "del" || a.w(k) == "de") && !(j+1 < len(a.toks) && a.toks[j+1].glued) {
			return a.century(today, v), j + 1, true // "15 de marzo del 85"
		}
		if nd == 4 && v >= 1900 && v <= 2199 {
			if j+1 < len(a.toks) && a.toks[j+1].glued && a.toks[j+1].kind == tPunct && a.toks[j+1].v != "." && a.toks[j+1].v != "," {
				return 0, k, false
			}
			return v, j + 1, true
		}
		return 0, k, false
	}
	r, ok := a.parseWords(j, optsYear)
	if !ok {
		return 0, k, false
	}
	v := int(r.val)
	if float64(v) == r.val && v >= 1900 && v <= 2199 {
		return v, r.end, true
	}
	if float64(v) == r.val && v >= 0 && v <= 99 && j > k && (a.w(k) == "del" || a.w(k) == "de") {
		return a.century(today, v), r.end, true // "el 15 de marzo del ochenta y cinco"
	}
	if float64(v) == r.val && v >= 30 && v <= 99 && a.past && a.p(k) == "," {
		return a.century(today, v), r.end, true // a date of birth: "second of February, ninety-two"
	}
	if a.lang == "en" && (v == 19 || v == 20) {
		r2, ok := a.parseWords(r.end, optsYear)
		if ok && r2.val >= 0 && r2.val <= 99 && r2.val == float64(int(r2.val)) {
			return v*100 + int(r2.val), r2.end, true
		}
	}
	return 0, k, false
}

// dateFrom builds a candidate from day, month and optional year.
func (a *analysis) dateFrom(today civil, y int, m time.Month, d, s, e int) dcand {
	if y != 0 {
		if !validDate(y, m, d) {
			return dcand{invalid: true, s: s, e: e}
		}
		return mk(civil{y, m, d}, s, e)
	}
	next := nextDayMonth
	if a.past {
		next = lastDayMonth
	}
	c, ok := next(today, m, d)
	if !ok {
		return dcand{invalid: true, s: s, e: e}
	}
	return mk(c, s, e)
}

// monthFirstAt: "January 15th", "Jan 15", "March first", "March the 1st",
// "enero 15", "January 15, 2025".
func (a *analysis) monthFirstAt(i int, today civil) (dcand, bool) {
	m, j, ok := a.monthAt(i)
	if !ok {
		return dcand{}, false
	}
	k := j
	if a.w(k) == "the" || a.w(k) == "el" {
		k++
	}
	d, ok := a.dayAt(k)
	if !ok || a.blocksDay(d.end) && !d.ordinal {
		return dcand{}, false
	}
	e := d.end
	y := 0
	if yy, ye, ok := a.yearAt(e, today); ok {
		y, e = yy, ye
	}
	return a.dateFrom(today, y, m, d.d, i, e), true
}

// dayTail completes a day read at d: month (+ year) or a relative month
// ("del mes que viene", "of next month"). hasMonth is false when only the
// day was said.
func (a *analysis) dayTail(d dayRes, today civil) (_ dcand, hasMonth bool) {
	k := d.end
	j := k
	if a.w(j) == "de" || a.w(j) == "of" || a.w(j) == "del" {
		j++
	}
	if a.w(j) == "the" && a.lang == "en" {
		j++
	}
	if m, me, ok := a.monthAt(j); ok {
		e := me
		y := 0
		if yy, ye, ok := a.yearAt(e, today); ok {
			y, e = yy, ye
		}
		return a.dateFrom(today, y, m, d.d, 0, e), true
	}
	if e, ok := a.anySeq(k, "del mes que viene", "del proximo mes", "del mes proximo", "del siguiente mes",
		"del mes siguiente", "del mes entrante", "of next month", "next month", "of the next month"); ok {
		nm := civil{today.y, today.m, 1}.addMonths(1)
		return a.dateFrom(today, nm.y, nm.m, d.d, 0, e), true
	}
	if e, ok := a.anySeq(k, "de este mes", "del mes", "de este mismo mes", "of this month", "this month", "of the month"); ok {
		return a.dateFrom(today, today.y, today.m, d.d, 0, e), true
	}
	return dcand{}, false
}

// blocksDay reports whether the token at k shows that the number before it
// is an amount, a quantity or an hour rather than a day.
func (a *analysis) blocksDay(k int) bool {
	if k >= len(a.toks) {
		return false
	}
	t := a.toks[k]
	if t.kind == tPunct {
		switch t.v {
		case "%", "€", "$", ":":
			return true
		}
		return false
	}
	w := t.v
	if unitWords[w] {
		return true
	}
	switch w {
	case "am", "pm", "horas", "hora", "hrs", "hs", "h", "o'clock", "oclock", "por":
		return w != "por" || a.w(k+1) == "ciento"
	case "de":
		switch a.w(k + 1) {
		case "la", "mediodia", "madrugada", "los", "las", "mis", "tus", "sus", "nuestros", "nuestras", "ellos", "ellas", "ustedes":
			return true // "a las dos de la tarde", "el uno de los autobuses"
		}
		return false
	case "of":
		return true // "on one of your buses"
	case "del":
		return a.w(k+1) == "mediodia"
	case "y", "menos":
		return a.w(k+1) == "media" || a.w(k+1) == "cuarto"
	case "a", "p":
		return a.p(k+1) == "." && a.w(k+2) == "m"
	case "in":
		return a.w(k+1) == "the" && (a.w(k+2) == "morning" || a.w(k+2) == "afternoon" || a.w(k+2) == "evening")
	}
	return false
}

// dayFirstAt: "el 15 de enero", "15 de enero de 2025", "quince de enero",
// "el primero de marzo", "the 15th of January", "fifteenth of January", "el
// 20", "al 20", "el día 20", "the 20th", "on the 20th", "el 15 del mes que
// viene".
func (a *analysis) dayFirstAt(i int, today civil) (dcand, bool) {
	j := i
	prefixed := false
	if a.lang == "en" {
		if a.w(j) == "on" {
			j++
			prefixed = true
		}
		if a.w(j) == "the" {
			j++
		}
	} else {
		switch a.w(j) {
		case "el", "al", "del", "los":
			j++
			prefixed = true
		}
		if a.w(j) == "dia" {
			j++
			prefixed = true
		}
	}
	d, ok := a.dayAt(j)
	if !ok {
		return dcand{}, false
	}
	if _, ok := a.weekdayWord(d.end); ok {
		return dcand{}, false // "el primer lunes…": an ordinal weekday, read there
	}
	if c, hasMonth := a.dayTail(d, today); hasMonth {
		c.s = i
		return c, true
	}
	// a bare day of month needs a lead-in ("el 20", "al 20", "on the 20th",
	// "the 20th") and must not be an amount or an hour
	if a.lang == "en" {
		if !(prefixed || a.w(i) == "the" && d.ordinal && a.w(j) != "second") {
			return dcand{}, false
		}
	} else if !prefixed {
		return dcand{}, false
	}
	if a.blocksDay(d.end) {
		return dcand{}, false
	}
	c, ok := a.dayOfMonth(today, d.d)
	if !ok {
		return dcand{invalid: true, s: i, e: d.end}, true
	}
	return mk(c, i, d.end), true
}

// dayOfMonth resolves a bare day of month: this month's if it is still
// to come (or, for a date in the past, if it has gone), else the nearest
// month's that has it.
func (a *analysis) dayOfMonth(today civil, d int) (civil, bool) {
	if a.past {
		return lastDayOfMonthWhere(today, d, func(civil) bool { return true })
	}
	return nextDayOfMonth(today, d)
}

// numericDateAt: "15/01/2024", "15/01", "15-01-2024", "15.01.2024",
// "2024-01-15", "1/15/2024" and "01/15" in en (MM/dd).
func (a *analysis) numericDateAt(i int, today civil) (dcand, bool) {
	if !a.isNum(i) || (a.toks[i].glued && i > 0 && (a.toks[i-1].kind == tWord || a.toks[i-1].kind == tNum ||
		a.p(i-1) == "/" || a.p(i-1) == "-" || a.p(i-1) == "." || a.p(i-1) == ":")) {
		return dcand{}, false
	}
	glued := func(k int) bool { return k < len(a.toks) && a.toks[k].glued }
	sep := a.p(i + 1)
	if sep != "/" && sep != "-" && sep != "." || !glued(i+1) || !glued(i+2) || !a.isNum(i+2) {
		return dcand{}, false
	}
	v1, n1 := a.numVal(i)
	v2, n2 := a.numVal(i + 2)
	three := a.p(i+3) == sep && glued(i+3) && glued(i+4) && a.isNum(i+4)
	v3, n3 := 0, 0
	e := i + 3
	if three {
		v3, n3 = a.numVal(i + 4)
		e = i + 5
	}
	// something more glued on ("1/2/3/4", "10:30") is not a date
	if glued(e) && (a.isNum(e) || a.p(e) == sep || a.p(e) == ":" || a.toks[e].kind == tWord) {
		return dcand{}, false
	}
	if glued(e) && (a.p(e) == "." || a.p(e) == ",") && glued(e+1) && a.isNum(e+1) {
		return dcand{}, false
	}
	if three && n1 == 4 && n2 <= 2 && n3 <= 2 { // ISO yyyy-mm-dd
		if v2 < 1 || v2 > 12 || v3 < 1 || v3 > 31 {
			return dcand{invalid: true, s: i, e: e}, true
		}
		return a.dateFrom(today, v1, time.Month(v2), v3, i, e), true
	}
	if n1 > 2 || n2 > 2 {
		return dcand{}, false
	}
	if !three && sep != "/" {
		return dcand{}, false // "10-15", "2.5": ranges and decimals
	}
	if three && n3 != 2 && n3 != 4 {
		return dcand{}, false
	}
	d, m := v1, v2
	if a.lang == "en" {
		d, m = v2, v1
	}
	if m > 12 && d <= 12 { // "15/01" said in en, "01/15" in es
		d, m = m, d
	}
	if d < 1 || m < 1 || d > 31 || m > 12 {
		if d > 31 && m > 31 {
			return dcand{}, false // not date-like at all
		}
		return dcand{invalid: true, s: i, e: e}, true
	}
	y := 0
	if three {
		y = v3
		if n3 == 2 {
			y = a.century(today, y)
		}
	}
	return a.dateFrom(today, y, time.Month(m), d, i, e), true
}

// bareDayText accepts a whole answer that is only a day number: "20",
// "el veinte", "the 20th.".
func (a *analysis) bareDayText(today civil) (dcand, bool) {
	found := -1
	var d dayRes
	for k := 0; k < len(a.toks); k++ {
		t := a.toks[k]
		if t.kind == tPunct {
			switch t.v {
			case ".", ",", "!", "?", "-":
				continue
			}
			return dcand{}, false
		}
		if found < 0 && t.v != "second" {
			if r, ok := a.dayAt(k); ok {
				found, d = k, r
				k = r.end - 1
				continue
			}
		}
		switch t.v {
		case "el", "dia", "the", "on", "para", "pues", "bueno", "um", "uh", "eh", "este":
			continue
		}
		return dcand{}, false
	}
	if found < 0 {
		return dcand{}, false
	}
	c, ok := a.dayOfMonth(today, d.d)
	if !ok {
		return dcand{invalid: true, s: found, e: d.end}, true
	}
	return mk(c, found, d.end), true
}

// century completes a two-digit year: this century's, unless the date
// lies in the past and that year is still to come ("del 85" is 1985).
func (a *analysis) century(today civil, yy int) int {
	if a.past && 2000+yy > today.y {
		return 1900 + yy
	}
	return 2000 + yy
}

// pick chooses among candidate token ranges: the last one introduced by a
// correction ("no, mejor…", "sorry, I mean…"), else the first one that is not
// negated ("el lunes no, …", "not Monday"); -1 when all are negated.
func (a *analysis) pick(n int, rng func(k int) (s, e int)) int {
	best, first, prevE := -1, -1, 0
	for k := 0; k < n; k++ {
		s, e := rng(k)
		pe := prevE
		prevE = e
		if a.negated(s, e) && !a.noBelongsToNext(e, k+1 < n, func() int { s, _ := rng(k + 1); return s }) {
			continue
		}
		if (k > 0 || n > 1) && a.negatedBefore(s) {
			continue // "el lunes, no para mañana", "no fue el doce, fue el diez"
		}
		if k > 0 && a.correctionBetween(pe, s) {
			best = k
		}
		if first < 0 {
			first = k
		}
	}
	if best >= 0 {
		return best
	}
	return first // -1 when every candidate is negated
}

// noBelongsToNext reports whether a "no" right after a value at e goes
// with the next value instead ("el lunes, no para mañana"): it is followed,
// two words at most later, by where the next value starts.
func (a *analysis) noBelongsToNext(e int, hasNext bool, next func() int) bool {
	if !hasNext {
		return false
	}
	k := e
	if a.p(k) == "," {
		k++
	}
	if a.w(k) != "no" && a.w(k) != "not" {
		return false
	}
	ns := next()
	return ns > k && ns <= k+3
}

// negatedBefore reports whether a "no" stands just before a value, maybe
// with a preposition between: "no para mañana", "not on Friday".
func (a *analysis) negatedBefore(s int) bool {
	for k := s - 1; k >= 0 && k >= s-3; k-- {
		switch a.w(k) {
		case "no", "not":
			return true
		case "para", "el", "la", "a", "al", "on", "for", "the", "at", "las", "fue", "era", "es", "is", "was", "its":
			continue // "no fue el doce, fue el diez"
		}
		return false
	}
	return false
}

func (a *analysis) negated(s, e int) bool {
	switch a.w(s - 1) {
	case "not", "no", "nunca", "never":
		if a.w(s-1) == "no" && s-2 >= 0 && a.w(s-2) == "" && !a.isNum(s-2) {
			return false // "…, no el lunes" keeps the date? ambiguous: treat "no" after punctuation as an answer
		}
		if s-1 == 0 && a.w(s-1) == "no" {
			return false // "no, el lunes" / "no el lunes" at the start: an answer "no" then the date
		}
		return true
	}
	k := e
	if a.p(k) == "," {
		k++
	}
	if a.w(k) == "no" || a.w(k) == "not" {
		return true
	}
	return false
}

var correctionWords = map[string]bool{
	"no": true, "perdon": true, "mejor": true, "digo": true, "sino": true, "corrijo": true,
	"cambia": true, "cambialo": true, "cambiala": true, "cambiar": true,
	"sorry": true, "mean": true, "actually": true, "rather": true, "instead": true,
	"better": true, "change": true, "make": true, "wait": true, "espera": true,
}

func (a *analysis) correctionBetween(e, s int) bool {
	for k := e; k < s && k < len(a.toks); k++ {
		if correctionWords[a.w(k)] {
			return true
		}
		if _, ok := a.anySeq(k, "o sea", "mas bien", "en vez", "en lugar"); ok {
			return true
		}
	}
	return false
}

// holidays are days of the year callers name: "New Year's Eve",
// "Nochebuena". Holidays whose date moves (Easter, Thanksgiving) are not
// read.
var holidays = []struct {
	phrase string
	m      time.Month
	d      int
}{
	{"new years eve", 12, 31}, {"new year's eve", 12, 31}, {"new years day", 1, 1}, {"new year's day", 1, 1},
	{"christmas eve", 12, 24}, {"christmas day", 12, 25}, {"christmas", 12, 25}, {"boxing day", 12, 26},
	{"valentines day", 2, 14}, {"valentine's day", 2, 14}, {"halloween", 10, 31}, {"the fourth of july", 7, 4},
	{"fourth of july", 7, 4}, {"independence day", 7, 4},
	{"nochebuena", 12, 24}, {"la nochebuena", 12, 24}, {"navidad", 12, 25}, {"el dia de navidad", 12, 25},
	{"nochevieja", 12, 31}, {"la nochevieja", 12, 31}, {"fin de ano", 12, 31}, {"ano nuevo", 1, 1},
	{"el ano nuevo", 1, 1}, {"dia de reyes", 1, 6}, {"el dia de reyes", 1, 6}, {"san valentin", 2, 14},
	{"el dia de san valentin", 2, 14}, {"dia de los enamorados", 2, 14}, {"el dia de los enamorados", 2, 14},
	{"dia de muertos", 11, 2}, {"el dia de muertos", 11, 2},
}

// holidayAt reads a holiday's name at token i: its next day (its last in
// the past).
func (a *analysis) holidayAt(i int, today civil) (dcand, bool) {
	for _, h := range holidays {
		e, ok := a.seq(i, h.phrase)
		if !ok {
			continue
		}
		next := nextDayMonth
		if a.past {
			next = lastDayMonth
		}
		if c, ok := next(today, h.m, h.d); ok {
			return mk(c, i, e), true
		}
	}
	return dcand{}, false
}

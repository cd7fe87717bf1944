package extract

import (
	"strings"
	"sync"
	"time"

	dps "github.com/markusmobius/go-dateparser"
	"github.com/markusmobius/go-dateparser/date"
)

// A dps.Parser caches locales behind a mutex; a pool gives each concurrent
// caller its own.
var parserPool = sync.Pool{New: func() any { return &dps.Parser{} }}

// maxFallbackLen bounds the text handed to go-dateparser (it is much slower
// than our rules and utterances are short).
const maxFallbackLen = 400

// fallbackDate asks go-dateparser about text our rules did not understand
// and keeps its answer only when it passes the sanity checks.
func fallbackDate(a *analysis, now time.Time) (Date, bool) {
	if len(a.orig) > maxFallbackLen || !a.hasAnchor(0, len(a.toks), true) {
		return Date{}, false
	}
	masked := a.maskForFallback(now)
	if strings.TrimSpace(masked) == "" {
		return Date{}, false
	}
	cfg := &dps.Configuration{
		Languages:           []string{a.lang},
		CurrentTime:         now,
		DefaultTimezone:     now.Location(),
		PreferredDateSource: dps.Future,
		ReturnTimeAsPeriod:  true,
		DateOrder:           dps.DMY,
	}
	if a.lang == "en" {
		cfg.DateOrder = dps.MDY
	}
	p := parserPool.Get().(*dps.Parser)
	defer parserPool.Put(p)
	today := civilOf(now)

	res := safeSearch(p, cfg, a.lang, masked)
	from := 0
	for _, r := range res {
		if r.Text == "" {
			continue
		}
		idx := strings.Index(masked[from:], r.Text)
		if idx < 0 {
			continue
		}
		s := from + idx
		e := s + len(r.Text)
		from = e
		if c, ok := saneFallback(r.Date, r.Text, a.lang, today); ok {
			return Date{Year: c.y, Month: c.m, Day: c.d, Span: trimSpan(a.orig, Span{s, e})}, true
		}
	}
	// A short text that is entirely a date in a format we do not know
	// ("15-ene-2024"): strict parse of the whole text.
	trimmed := strings.TrimSpace(masked)
	if len(trimmed) <= 40 {
		if d, ok := safeParse(p, cfg, trimmed); ok {
			if c, ok := saneFallback(d, trimmed, a.lang, today); ok {
				s := strings.Index(masked, trimmed)
				return Date{Year: c.y, Month: c.m, Day: c.d, Span: Span{s, s + len(trimmed)}}, true
			}
		}
	}
	return Date{}, false
}

func safeSearch(p *dps.Parser, cfg *dps.Configuration, lang, text string) (res []dps.SearchResult) {
	defer func() {
		if recover() != nil {
			res = nil
		}
	}()
	res, _ = p.SearchWithLanguage(cfg, lang, text)
	return res
}

func safeParse(p *dps.Parser, cfg *dps.Configuration, text string) (d date.Date, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	d, err := p.Parse(cfg, text)
	return d, err == nil
}

// saneFallback applies the sanity checks to a go-dateparser answer: a day
// (not a month, a year or a time of today), a year within today-1…today+5,
// not today (our rules own "hoy"/"today", so a bare today is a time read as
// a date), and matched text holding a month, weekday or relative word.
func saneFallback(d date.Date, matched, lang string, today civil) (civil, bool) {
	if d.IsZero() || d.Period != date.Day {
		return civil{}, false
	}
	c := civilOf(d.Time)
	if c.y < today.y-1 || c.y > today.y+5 || c == today || !validDate(c.y, c.m, c.d) {
		return civil{}, false
	}
	m := analyze(matched, lang)
	if len(strings.TrimSpace(matched)) < 4 || !m.hasAnchor(0, len(m.toks), false) {
		return civil{}, false
	}
	return c, true
}

var anchorWords = map[string]bool{
	"hoy": true, "manana": true, "ayer": true, "dia": true, "dias": true, "semana": true, "semanas": true,
	"mes": true, "meses": true, "ano": true, "anos": true, "quincena": true, "proximo": true,
	"proxima": true, "siguiente": true, "pasado": true, "hace": true, "dentro": true, "entrante": true,
	"today": true, "tomorrow": true, "yesterday": true, "day": true, "days": true, "week": true,
	"weeks": true, "fortnight": true, "month": true, "months": true, "year": true, "years": true,
	"next": true, "ago": true, "from": true,
}

// hasAnchor reports whether tokens [s, e) hold a month, weekday or relative
// word. Month abbreviations count when abbr is set or a digit is present.
func (a *analysis) hasAnchor(s, e int, abbr bool) bool {
	digits := false
	for k := s; k < e; k++ {
		if a.isNum(k) {
			digits = true
		}
	}
	for k := s; k < e && k < len(a.toks); k++ {
		w := a.w(k)
		if w == "" {
			continue
		}
		if anchorWords[w] || esMonths[w] != 0 || enMonths[w] != 0 {
			return true
		}
		if _, ok := esWeekdays[w]; ok {
			return true
		}
		if _, ok := enWeekdays[w]; ok {
			return true
		}
		if (abbr || digits) && (esMonthAbbr[w] != 0 || enMonthAbbr[w] != 0) {
			return true
		}
	}
	return false
}

// maskForFallback blanks (with spaces, keeping offsets) what must not be
// read as a date: times, amounts and quantities, and runs of 5+ digits.
func (a *analysis) maskForFallback(now time.Time) string {
	b := []byte(a.orig)
	blank := func(sp Span) {
		for k := sp.Start; k < sp.End && k < len(b); k++ {
			b[k] = ' '
		}
	}
	for _, c := range a.timeCands(now) {
		blank(a.spanTok(c.s, c.e))
	}
	// lengths of time ("three weeks", "dos noches") are our rules' to read
	// as dates, with "in" or "ago"; said bare they are durations
	for k := range a.toks {
		if n, e, ok := a.countAt(k); ok && n > 0 {
			if _, _, unit := a.unitAt(e); unit {
				blank(a.spanTok(k, e+1))
			}
		}
	}
	for k := range a.toks {
		if !a.isNum(k) {
			continue
		}
		_, nd := a.numVal(k)
		switch {
		case nd >= 5:
			blank(a.spanTok(k, k+1))
		case unitWords[a.w(k+1)]:
			blank(a.spanTok(k, k+2))
		case k+1 < len(a.toks) && a.toks[k+1].glued && strings.Contains("%€$", a.p(k+1)) && a.p(k+1) != "":
			blank(a.spanTok(k, k+2))
		case a.toks[k].glued && k > 0 && (a.p(k-1) == "$" || a.p(k-1) == "€"):
			blank(a.spanTok(k-1, k+1))
		}
	}
	return string(b)
}

// trimSpan narrows a span to exclude surrounding spaces.
func trimSpan(s string, sp Span) Span {
	for sp.Start < sp.End && sp.Start < len(s) && s[sp.Start] == ' ' {
		sp.Start++
	}
	for sp.End > sp.Start && sp.End <= len(s) && s[sp.End-1] == ' ' {
		sp.End--
	}
	return sp
}

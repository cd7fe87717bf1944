package extract

import (
	"fmt"
	"time"
)

// Time is a time of day found in text, with the span it was read from.
type Time struct {
	Hour, Minute int
	Span         Span
}

// String formats the time as HH:mm.
func (t Time) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// FindTime finds a time of day: "15:30", "3:30 pm", "3 pm", "a las 3 de la
// tarde" (15:00), "a las 10 de la mañana", "a las 8 de la noche" (20:00), "a
// las diez y media" (10:30), "a las 3 y cuarto", "a las 4 menos cuarto",
// "mediodía" (12:00), "medianoche", "at noon", "half past ten", "quarter to
// four", "ten thirty", "en media hora" / "in 2 hours" (from now).
//
// An hour said without am/pm or a part of the day ("a las 10", "at 3",
// "3:30") follows business hours: 1–7 mean 13–19, 8–11 are morning, 12 is
// noon; a zero-padded hour ("08:00", "03:00") or "horas" is read as 24-hour
// time. The rule applies to the hour that was said, so "a las 4 menos cuarto"
// is 15:45 and "a las 8 menos cuarto" is 07:45.
//
// now is used only for relative times. It returns ErrNoTime when there is no
// time and ErrInvalidTime for impossible ones ("25:00", "10:75").
func FindTime(text, lang string, now time.Time) (Time, error) {
	return FindTimeIn(text, lang, now, TimeOptions{})
}

// TimeOptions say how to read an hour said without a part of the day.
type TimeOptions struct {
	// Opens and Closes are the hours of the business, in minutes after
	// midnight (Closes may pass midnight: 18:00 to 26:00 is 6 pm to 2 am).
	// An hour said bare ("a las 8", "at 9") is read as the one of its two
	// (morning or afternoon) that falls within them, when only one does.
	// Closes 0: no hours; the business-hours rule applies.
	Opens, Closes int
	// Near, when Nearby, is a time said before, in minutes after midnight:
	// a bare hour that could be morning or afternoon takes the reading
	// closer to it ("six a.m." … "make that seven thirty" is 7:30 am).
	Near   int
	Nearby bool
}

// nearer is whichever of a and b is closer to near on the clock.
func nearer(a, b, near int) int {
	dist := func(x int) int {
		d := (x - near + 1440) % 1440
		return min(d, 1440-d)
	}
	if dist(b) < dist(a) {
		return b
	}
	return a
}

// within reports whether a time of day falls within the hours.
func (o TimeOptions) within(minutes int) bool {
	return minutes >= o.Opens && minutes <= o.Closes || minutes+1440 >= o.Opens && minutes+1440 <= o.Closes
}

// FindTimeIn is FindTime reading bare hours against the business's hours.
func FindTimeIn(text, lang string, now time.Time, o TimeOptions) (Time, error) {
	return analyze(text, lang).findTime(now, o)
}

func (a *analysis) findTime(now time.Time, o TimeOptions) (Time, error) {
	a.hours = o
	defer func() { a.hours = TimeOptions{} }()
	cands := a.timeCands(now)
	if len(cands) == 0 {
		return Time{}, ErrNoTime
	}
	k := a.pick(len(cands), func(k int) (int, int) { return cands[k].s, cands[k].e })
	if k < 0 {
		return Time{}, ErrNoTime // "a las 3 no puedo"
	}
	c := cands[k]
	sp := a.spanTok(c.s, c.e)
	if c.invalid {
		return Time{Span: sp}, ErrInvalidTime
	}
	return Time{Hour: c.h, Minute: c.m, Span: sp}, nil
}

// tcand is a time candidate over tokens [s, e).
type tcand struct {
	h, m    int
	invalid bool
	s, e    int
}

type marker uint8

const (
	mkNone      marker = iota
	mk24               // "horas", zero-padded
	mkAM               // am, de la mañana, in the morning
	mkPM               // pm, de la tarde, in the afternoon
	mkNight            // de la noche, at night, tonight, in the evening
	mkDawn             // de la madrugada
	mkNoon             // del mediodía
	mkWeakAM           // por/en la mañana (only after an explicit time)
	mkWeakPM           // por/en la tarde
	mkWeakNight        // por/en la noche
)

// clock is an hour expression before resolution.
type clock struct {
	h, m   int // said hour; minutes (negative for "menos cuarto")
	padded bool
	strong bool // minutes said in a way that only times use (":", "y media", "half past")
	marker marker
	end    int
}

func (a *analysis) timeCands(now time.Time) []tcand {
	return nonOverlapping(len(a.toks), func(i int) (tcand, bool) { return a.timeAt(i, now) },
		func(c *tcand) (*int, *int) { return &c.s, &c.e })
}

func (a *analysis) isTimeTrigger(i int) bool {
	w := a.w(i)
	if a.lang == "en" {
		switch w {
		case "at", "around", "about", "by", "before", "after", "until", "till", "til", "from":
			return true
		}
		return false
	}
	switch w {
	case "las":
		return true
	case "la":
		return a.w(i+1) == "una"
	case "tipo": // "el sábado temprano, tipo nueve"
		return a.w(i+1) != "las" && a.w(i+1) != "la"
	}
	return false
}

func (a *analysis) timeAt(i int, now time.Time) (tcand, bool) {
	t := a.toks[i]
	if t.kind == tPunct {
		return tcand{}, false
	}
	if c, ok := a.namedTimeAt(i); ok {
		return c, true
	}
	if c, ok := a.relTimeAt(i, now); ok {
		return c, true
	}
	if c, ok := a.pastToAt(i); ok {
		return c, true
	}
	if a.isTimeTrigger(i) {
		s := i
		if a.lang == "es" && a.w(i-1) == "a" {
			s = i - 1
		}
		if a.lang == "es" {
			switch a.w(i - 1) {
			case "sobre", "hacia", "desde", "hasta", "tipo", "para":
				s = i - 1
			}
		}
		k := i + 1
		if a.lang == "en" && (a.w(k) == "about" || a.w(k) == "around") {
			k++
		}
		if c, ok := a.namedTimeAt(k); ok {
			c.s = s
			return c, true
		}
		if c, ok := a.pastToAt(k); ok {
			c.s = s
			return c, true
		}
		if ck, ok := a.clockAt(k, true); ok {
			return a.resolve(ck, s), true
		}
		return tcand{}, false
	}
	// no trigger: accept only what is clearly a time
	ck, ok := a.clockAt(i, false)
	if !ok {
		return tcand{}, false
	}
	switch ck.marker {
	case mkNone, mkWeakAM, mkWeakPM, mkWeakNight:
		if !ck.strong {
			return tcand{}, false
		}
	}
	return a.resolve(ck, i), true
}

// resolve applies markers and the business-hours rule.
func (a *analysis) resolve(ck clock, s int) tcand {
	c := tcand{s: s, e: ck.end}
	h, m := ck.h, ck.m
	if m >= 60 || m <= -60 || h > 24 || h < 0 {
		c.invalid = true
		return c
	}
	if h == 24 {
		if m != 0 || ck.marker != mkNone && ck.marker != mk24 {
			c.invalid = true
			return c
		}
		return c // 24:00 = 00:00
	}
	H := h
	if ck.marker == mkNone && !ck.padded {
		ck.marker = a.partOfDay() // "something in the morning, like seven thirty"
	}
	switch ck.marker {
	case mkNone:
		if !ck.padded && h >= 1 && h <= 7 {
			H = h + 12
		}
		if !ck.padded && h >= 1 && h <= 12 && a.hours.Closes > 0 {
			am, pm := h%12*60+m, (h%12+12)*60+m
			if h == 12 {
				am, pm = 12*60+m, m // noon first: "a las 12" is midday
			}
			// am and pm hold the minutes too (negative in "menos cuarto",
			// "quarter to"): the hour is what is left without them
			switch inAM, inPM := a.hours.within(am), a.hours.within(pm); {
			case inAM && !inPM:
				H = (am - m) / 60
			case inPM && !inAM:
				H = (pm - m) / 60
			case a.hours.Nearby:
				H = (nearer(am, pm, a.hours.Near) - m) / 60
			}
		} else if !ck.padded && h >= 1 && h <= 12 && a.hours.Nearby {
			am, pm := h%12*60+m, (h%12+12)*60+m
			H = (nearer(am, pm, a.hours.Near) - m) / 60
		}
	case mkAM, mkWeakAM, mkDawn:
		if h == 12 {
			H = 0
		}
	case mkPM, mkWeakPM:
		if h < 12 {
			H = h + 12
		}
	case mkNight, mkWeakNight:
		if h == 12 {
			H = 0
		} else if h >= 6 && h < 12 {
			H = h + 12
		}
	case mkNoon:
		if h >= 1 && h <= 4 {
			H = h + 12
		}
	}
	total := H*60 + m
	total = ((total % 1440) + 1440) % 1440
	c.h, c.m = total/60, total%60
	return c
}

// hourAt reads an hour: digits (1–2) or words ("diez", "la una", "ten").
func (a *analysis) hourAt(k int) (h int, padded bool, end int, ok bool) {
	if k >= len(a.toks) {
		return 0, false, k, false
	}
	if a.isNum(k) {
		if a.toks[k].glued && k > 0 && a.toks[k-1].kind == tWord {
			return 0, false, k, false
		}
		v, nd := a.numVal(k)
		if nd > 2 {
			return 0, false, k, false
		}
		return v, nd == 2 && a.toks[k].v[0] == '0', k + 1, true
	}
	r, ok := a.parseWords(k, optsHour)
	if !ok || r.val != float64(int(r.val)) || r.val > 24 {
		return 0, false, k, false
	}
	return int(r.val), false, r.end, true
}

// minuteAt reads minutes: digits or words ("treinta", "forty five").
func (a *analysis) minuteAt(k int) (int, int, bool) {
	if a.isNum(k) {
		if a.toks[k].glued {
			return 0, k, false
		}
		v, nd := a.numVal(k)
		if nd > 2 {
			return 0, k, false
		}
		return v, k + 1, true
	}
	r, ok := a.parseWords(k, optsMinute)
	if !ok || r.val != float64(int(r.val)) || r.val > 59 {
		return 0, k, false
	}
	return int(r.val), r.end, true
}

// clockAt reads hour, minutes and a part of the day starting at k.
func (a *analysis) clockAt(k int, triggered bool) (clock, bool) {
	h, padded, j, ok := a.hourAt(k)
	if !ok {
		return clock{}, false
	}
	ck := clock{h: h, padded: padded, end: j}
	glued := func(x int) bool { return x < len(a.toks) && a.toks[x].glued }
	hasMin := false
	if a.isNum(k) {
		switch {
		case (a.p(j) == ":" || a.p(j) == "." && a.lang == "es" && triggered) && glued(j) && glued(j+1) && a.isNum(j+1) && len(a.toks[j+1].v) == 2:
			ck.m, _ = a.numVal(j + 1)
			ck.strong, hasMin = true, true
			j += 2
			if a.p(j) == ":" && glued(j) && glued(j+1) && a.isNum(j+1) && len(a.toks[j+1].v) == 2 {
				j += 2 // seconds
			}
			if a.p(j) == "." && glued(j) && glued(j+1) && a.isNum(j+1) {
				return clock{}, false // "10.30.5": not a time
			}
		case a.w(j) == "h" && glued(j) && glued(j+1) && a.isNum(j+1) && len(a.toks[j+1].v) == 2:
			ck.m, _ = a.numVal(j + 1)
			ck.strong, hasMin = true, true
			ck.marker = mk24
			j += 2
		case glued(j) && a.toks[j].kind == tPunct:
			switch a.toks[j].v {
			case "/", "-", ",", ".", "%", "€", "$":
				if !(a.toks[j].v == "." || a.toks[j].v == ",") || glued(j+1) {
					return clock{}, false
				}
			}
		}
	}
	if !hasMin {
		if m, e, strong, ok := a.minutesPart(j); ok {
			ck.m, ck.strong, hasMin = m, strong, true
			j = e
		}
	}
	if mk, e, ok := a.markerAt(j); ok {
		if ck.marker == mkNone || mk != mk24 {
			ck.marker = mk
		}
		j = e
		if !hasMin {
			if a.w(j) == "y" && a.w(j+1) == "media" {
				ck.m, hasMin = 30, true
				j += 2
			}
		}
	} else if ck.marker == mkNone && a.lang == "en" && (a.w(j) == "o'clock" || a.w(j) == "oclock") {
		ck.strong, hasMin = true, true
		j++
		if mk, e, ok := a.markerAt(j); ok {
			ck.marker = mk
			j = e
		}
	}
	if !hasMin && ck.marker == mkNone && !triggered {
		return clock{}, false
	}
	if !hasMin && ck.marker == mkNone && (unitWords[a.w(j)] || a.p(j) == "%") {
		return clock{}, false // "las 3 personas", "at 5 dollars"
	}
	if !hasMin && ck.marker == mkNone && a.lang == "es" && a.w(k-1) == "las" {
		// "las 2 opciones": a plural noun after the number is not a time
		if w := a.w(j); len(w) > 3 && w[len(w)-1] == 's' && w != "pues" && w != "mas" && w != "entonces" {
			return clock{}, false
		}
	}
	if !hasMin && triggered && ck.marker == mkNone && a.isNum(k) && a.w(j) == "de" {
		if _, _, ok := a.monthAt(j + 1); ok {
			return clock{}, false
		}
	}
	ck.end = j
	if ck.padded && ck.marker == mkNone {
		ck.marker = mk24
	}
	return ck, true
}

// minutesPart reads what follows the hour: "y media", "y cuarto", "y
// veinte", "menos cuarto", "con treinta", "en punto", ":30" handled by the
// caller; en "thirty", "oh five", "fifteen". strong is true for forms that
// only times use.
func (a *analysis) minutesPart(j int) (m, end int, strong, ok bool) {
	if a.lang == "en" {
		switch a.w(j) {
		case "oh", "o":
			if nw, ok := a.numWord(j + 1); ok && nw.kind == wUnit {
				return int(nw.val), j + 2, true, true
			}
			return 0, j, false, false
		case "thirty", "fifteen", "forty", "fifty", "twenty", "ten", "eleven", "twelve", "thirteen",
			"fourteen", "sixteen", "seventeen", "eighteen", "nineteen":
			if v, e, ok := a.minuteAt(j); ok && v >= 10 && !unitWords[a.w(e)] && !unitWords[trimPlural(a.w(e))] {
				return v, e, true, true
			}
		}
		if a.isNum(j) && len(a.toks[j].v) == 2 && !a.toks[j].glued {
			if v, e, ok := a.minuteAt(j); ok && v >= 10 && !unitWords[a.w(e)] {
				return v, e, false, true
			}
		}
		return 0, j, false, false
	}
	switch a.w(j) {
	case "y", "e":
		switch a.w(j + 1) {
		case "media":
			return 30, j + 2, true, true
		case "cuarto":
			return 15, j + 2, true, true
		}
		if v, e, ok := a.minuteAt(j + 1); ok && !unitWords[a.w(e)] {
			if a.w(e) == "minutos" || a.w(e) == "minuto" {
				e++
			}
			return v, e, true, true
		}
	case "menos":
		if a.w(j+1) == "cuarto" {
			return -15, j + 2, true, true
		}
		if v, e, ok := a.minuteAt(j + 1); ok && v > 0 && v < 60 {
			if a.w(e) == "minutos" || a.w(e) == "minuto" {
				e++
			}
			return -v, e, true, true
		}
	case "con":
		if v, e, ok := a.minuteAt(j + 1); ok && !unitWords[a.w(e)] {
			return v, e, true, true
		}
	case "en":
		if a.w(j+1) == "punto" {
			return 0, j + 2, true, true
		}
	}
	// "diez treinta", "10 30"
	if v, e, ok := a.minuteAt(j); ok && v >= 10 && !unitWords[a.w(e)] && a.w(e) != "de" {
		return v, e, a.toks[j].kind == tWord, true
	}
	return 0, j, false, false
}

// markerAt reads a part of the day or am/pm.
func (a *analysis) markerAt(j int) (marker, int, bool) {
	// am / pm / a.m. / p. m.
	switch a.w(j) {
	case "am":
		return mkAM, j + 1, true
	case "pm":
		return mkPM, j + 1, true
	case "a", "p":
		k := j + 1
		if a.p(k) == "." {
			k++
		}
		if a.w(k) == "m" && (k == j+2 || a.toks[k].glued) {
			k++
			if a.p(k) == "." {
				k++
			}
			if a.w(j) == "a" {
				return mkAM, k, true
			}
			return mkPM, k, true
		}
	}
	if a.lang == "en" {
		switch a.w(j) {
		case "tonight":
			return mkNight, j + 1, true
		case "hours", "hrs":
			return mk24, j + 1, true
		}
		if e, ok := a.anySeq(j, "in the morning", "this morning", "tomorrow morning"); ok {
			return mkAM, e, true
		}
		if e, ok := a.anySeq(j, "first thing", "early morning", "bright and early"); ok {
			return mkWeakAM, e, true
		}
		if e, ok := a.anySeq(j, "in the afternoon", "this afternoon", "tomorrow afternoon", "in the arvo", "this arvo",
			"tomorrow arvo", "arvo"); ok {
			return mkPM, e, true
		}
		if e, ok := a.anySeq(j, "in the evening", "this evening", "at night", "tomorrow evening", "tomorrow night"); ok {
			return mkNight, e, true
		}
		return mkNone, j, false
	}
	switch a.w(j) {
	case "horas", "hrs", "hs", "h":
		return mk24, j + 1, true
	}
	if e, ok := a.anySeq(j, "de la manana", "de la madrugada"); ok {
		if a.w(j+2) == "madrugada" {
			return mkDawn, e, true
		}
		return mkAM, e, true
	}
	if e, ok := a.seq(j, "de la tarde"); ok {
		return mkPM, e, true
	}
	if e, ok := a.seq(j, "de la noche"); ok {
		return mkNight, e, true
	}
	if e, ok := a.anySeq(j, "del mediodia", "del medio dia", "de mediodia"); ok {
		return mkNoon, e, true
	}
	if e, ok := a.anySeq(j, "por la manana", "en la manana", "de manana", "temprano", "tempranito", "bien temprano"); ok {
		return mkWeakAM, e, true // "que lleguen tempranito, a las siete y media"
	}
	if e, ok := a.anySeq(j, "por la tarde", "en la tarde"); ok {
		return mkWeakPM, e, true
	}
	if e, ok := a.anySeq(j, "por la noche", "en la noche", "esta noche"); ok {
		return mkWeakNight, e, true
	}
	return mkNone, j, false
}

// namedTimeAt: mediodía, medianoche, noon, midnight.
func (a *analysis) namedTimeAt(i int) (tcand, bool) {
	w := a.w(i)
	s := i
	if a.lang == "es" && (a.w(i-1) == "al" || a.w(i-1) == "a") {
		s = i - 1
	}
	switch w {
	case "mediodia", "noon", "midday":
		return tcand{h: 12, s: s, e: i + 1}, true
	case "medianoche", "midnight":
		return tcand{h: 0, s: s, e: i + 1}, true
	case "medio":
		if a.w(i+1) == "dia" {
			return tcand{h: 12, s: s, e: i + 2}, true
		}
	case "media":
		if a.w(i+1) == "noche" {
			return tcand{h: 0, s: s, e: i + 2}, true
		}
	}
	return tcand{}, false
}

// pastToAt: "half past ten", "quarter to four", "twenty past six", "ten
// minutes to five", es "cuarto para las cuatro", "veinte para las cinco".
func (a *analysis) pastToAt(i int) (tcand, bool) {
	m := 0
	k := i
	if a.lang == "en" {
		if a.w(k) == "a" && a.w(k+1) == "quarter" {
			k++
		}
		switch a.w(k) {
		case "half":
			m, k = 30, k+1
		case "quarter":
			m, k = 15, k+1
		default:
			v, e, ok := a.minuteAt(k)
			if !ok || v < 1 || v > 30 {
				return tcand{}, false
			}
			m, k = v, e
			if a.w(k) == "minutes" || a.w(k) == "minute" {
				k++
			} else if a.isNum(i) {
				return tcand{}, false // "5 to 10" is a range
			}
		}
		sign := 1
		switch a.w(k) {
		case "past", "after":
		case "to", "till", "before", "of":
			sign = -1
		default:
			if m == 30 && a.w(k-1) == "half" {
				// "half five" (British): half past five
				if h, padded, e, ok := a.hourAt(k); ok && h >= 1 && h <= 12 && !unitWords[a.w(e)] {
					ck := clock{h: h, m: 30, padded: padded, strong: true, end: e}
					if mk, e2, ok := a.markerAt(e); ok {
						ck.marker, ck.end = mk, e2
					}
					return a.resolve(ck, i), true
				}
			}
			return tcand{}, false
		}
		if sign < 0 && m == 30 {
			return tcand{}, false
		}
		h, padded, e, ok := a.hourAt(k + 1)
		if !ok || h > 12 && sign < 0 || unitWords[a.w(e)] {
			return tcand{}, false
		}
		ck := clock{h: h, m: sign * m, padded: padded, strong: true, end: e}
		if mk, e2, ok := a.markerAt(e); ok {
			ck.marker, ck.end = mk, e2
		}
		if a.w(e) == "noon" || a.w(e) == "midnight" {
			return tcand{}, false
		}
		return a.resolve(ck, i), true
	}
	switch a.w(k) {
	case "cuarto":
		m, k = 15, k+1
	default:
		v, e, ok := a.minuteAt(k)
		if !ok || v < 1 || v > 30 {
			return tcand{}, false
		}
		m, k = v, e
		if a.w(k) == "minutos" {
			k++
		}
	}
	if a.w(k) != "para" || !(a.w(k+1) == "las" || a.w(k+1) == "la") {
		return tcand{}, false
	}
	h, padded, e, ok := a.hourAt(k + 2)
	if !ok {
		return tcand{}, false
	}
	ck := clock{h: h, m: -m, padded: padded, strong: true, end: e}
	if mk, e2, ok := a.markerAt(e); ok {
		ck.marker, ck.end = mk, e2
	}
	return a.resolve(ck, i), true
}

// relTimeAt: "en media hora", "dentro de 20 minutos", "in two hours", "in
// half an hour", relative to now.
func (a *analysis) relTimeAt(i int, now time.Time) (tcand, bool) {
	j := -1
	switch a.w(i) {
	case "en", "in", "within":
		j = i + 1
	case "dentro":
		if a.w(i+1) == "de" {
			j = i + 2
		}
	}
	if j < 0 {
		return tcand{}, false
	}
	var mins int
	k := j
	switch {
	case a.w(k) == "media" && a.w(k+1) == "hora":
		mins, k = 30, k+2
	case a.w(k) == "half" && (a.w(k+1) == "an" || a.w(k+1) == "a") && a.w(k+2) == "hour":
		mins, k = 30, k+3
	default:
		n, e, ok := a.countAt(k)
		if !ok || n > 48*60 {
			return tcand{}, false
		}
		switch a.w(e) {
		case "minutos", "minuto", "minutes", "minute", "min", "mins":
			mins = n
		case "horas", "hora", "hours", "hour", "hrs", "hr":
			mins = n * 60
			if e2, ok := a.anySeq(e+1, "y media", "and a half"); ok {
				mins += 30
				e = e2 - 1
			}
		default:
			return tcand{}, false
		}
		k = e + 1
		if mins > 48*60 {
			return tcand{}, false
		}
	}
	t := now.Add(time.Duration(mins) * time.Minute)
	return tcand{h: t.Hour(), m: t.Minute(), s: i, e: k}, true
}

// partOfDay is the part of the day the utterance names anywhere ("in the
// morning", "por la tarde", "tonight"), as a weak marker for an hour said
// bare elsewhere in it; mkNone when it names none or more than one.
func (a *analysis) partOfDay() marker {
	found := mkNone
	for j := 0; j < len(a.toks); j++ {
		mk, e, ok := a.markerAt(j)
		if !ok {
			continue
		}
		switch mk {
		case mkAM, mkWeakAM, mkDawn:
			mk = mkWeakAM
		case mkPM, mkWeakPM, mkNoon:
			mk = mkWeakPM
		case mkNight, mkWeakNight:
			mk = mkWeakNight
		default:
			continue // "horas", "am" and "pm" belong to their hour
		}
		if a.w(j) == "am" || a.w(j) == "pm" || a.w(j) == "a" || a.w(j) == "p" {
			continue
		}
		if found != mkNone && found != mk {
			return mkNone
		}
		found = mk
		j = e - 1
	}
	return found
}

package extract

import "time"

// civil is a calendar date without time or zone; arithmetic on it is immune
// to DST changes.
type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil{y, m, d}
}

func (c civil) noon() time.Time { return time.Date(c.y, c.m, c.d, 12, 0, 0, 0, time.UTC) }

func (c civil) addDays(n int) civil {
	return civilOf(time.Date(c.y, c.m, c.d+n, 12, 0, 0, 0, time.UTC))
}

func (c civil) weekday() int { return int(c.noon().Weekday()) }

func (c civil) less(o civil) bool {
	if c.y != o.y {
		return c.y < o.y
	}
	if c.m != o.m {
		return c.m < o.m
	}
	return c.d < o.d
}

// addMonths moves n months, clamping the day to the month's length
// (31 January + 1 month = 29 February).
func (c civil) addMonths(n int) civil {
	mi := int(c.m) - 1 + n
	y := c.y + mi/12
	mi %= 12
	if mi < 0 {
		mi += 12
		y--
	}
	m := time.Month(mi + 1)
	d := c.d
	if dim := daysIn(y, m); d > dim {
		d = dim
	}
	return civil{y, m, d}
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

func validDate(y int, m time.Month, d int) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

// nextWeekday is the first day strictly after today that falls on wd.
func nextWeekday(today civil, wd int) civil {
	n := (wd - today.weekday() + 7) % 7
	if n == 0 {
		n = 7
	}
	return today.addDays(n)
}

// nextMonday is the Monday of next week.
func nextMonday(today civil) civil { return nextWeekday(today, 1) }

// nextDayMonth resolves a day and month without a year: the next occurrence
// on or after today. ok is false when no year (within four) has that date.
func nextDayMonth(today civil, m time.Month, d int) (civil, bool) {
	for y := today.y; y <= today.y+4; y++ {
		if validDate(y, m, d) {
			c := civil{y, m, d}
			if !c.less(today) {
				return c, true
			}
		}
	}
	return civil{}, false
}

// nextDayOfMonth resolves a bare day of month: this month if not past,
// else the next month that has that day.
func nextDayOfMonth(today civil, d int) (civil, bool) {
	return nextDayOfMonthWhere(today, d, func(civil) bool { return true })
}

// nextDayOfMonthWhere is the first day d of a month, on or after today and
// within a year, for which ok holds.
func nextDayOfMonthWhere(today civil, d int, ok func(civil) bool) (civil, bool) {
	if d < 1 || d > 31 {
		return civil{}, false
	}
	first := civil{today.y, today.m, 1}
	for k := 0; k < 13; k++ {
		mm := first.addMonths(k)
		if validDate(mm.y, mm.m, d) {
			if c := (civil{mm.y, mm.m, d}); !c.less(today) && ok(c) {
				return c, true
			}
		}
	}
	return civil{}, false
}

// lastWeekday is the last day strictly before today that falls on wd.
func lastWeekday(today civil, wd int) civil {
	n := (today.weekday() - wd + 7) % 7
	if n == 0 {
		n = 7
	}
	return today.addDays(-n)
}

// lastDayMonth resolves a day and month without a year in the past: the
// last occurrence on or before today.
func lastDayMonth(today civil, m time.Month, d int) (civil, bool) {
	for y := today.y; y >= today.y-4; y-- {
		if validDate(y, m, d) {
			if c := (civil{y, m, d}); !today.less(c) {
				return c, true
			}
		}
	}
	return civil{}, false
}

// lastDayOfMonthWhere is the last day d of a month, on or before today and
// within a year, for which ok holds.
func lastDayOfMonthWhere(today civil, d int, ok func(civil) bool) (civil, bool) {
	if d < 1 || d > 31 {
		return civil{}, false
	}
	first := civil{today.y, today.m, 1}
	for k := 0; k < 13; k++ {
		mm := first.addMonths(-k)
		if validDate(mm.y, mm.m, d) {
			if c := (civil{mm.y, mm.m, d}); !today.less(c) && ok(c) {
				return c, true
			}
		}
	}
	return civil{}, false
}

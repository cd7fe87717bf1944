package extract

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

type dateCase struct {
	lang, in string
	want     string // yyyy-MM-dd, "nodate" or "invalid"
	span     string // expected original text of the span ("" = not checked)
}

var dateCases = []dateCase{
	// ---- es: relative words ----
	{"es", "hoy", "2024-01-10", "hoy"},
	{"es", "mañana", "2024-01-11", "mañana"},
	{"es", "Mañana", "2024-01-11", "Mañana"},
	{"es", "pasado mañana", "2024-01-12", "pasado mañana"},
	{"es", "Pasado Mañana por favor", "2024-01-12", "Pasado Mañana"},
	{"es", "ayer", "2024-01-09", ""},
	{"es", "anteayer", "2024-01-08", ""},
	{"es", "quiero una cita para mañana por la tarde", "2024-01-11", "mañana"},
	{"es", "mañana por la mañana", "2024-01-11", "mañana"},
	{"es", "mañana a las 10", "2024-01-11", "mañana"},
	{"es", "esta tarde", "2024-01-10", "esta tarde"},
	{"es", "de hoy en ocho", "2024-01-17", "hoy en ocho"},
	// ---- es: weekdays ----
	{"es", "el lunes", "2024-01-15", "el lunes"},
	{"es", "el próximo lunes", "2024-01-15", "el próximo lunes"},
	{"es", "el lunes que viene", "2024-01-15", "el lunes que viene"},
	{"es", "el lunes próximo", "2024-01-15", ""},
	{"es", "este lunes", "2024-01-15", "este lunes"},
	{"es", "este viernes", "2024-01-12", "este viernes"},
	{"es", "el viernes", "2024-01-12", ""},
	{"es", "para el viernes por favor", "2024-01-12", "el viernes"},
	{"es", "el miércoles", "2024-01-17", ""},
	{"es", "este miércoles", "2024-01-10", ""},
	{"es", "el sábado", "2024-01-13", ""},
	{"es", "el domingo", "2024-01-14", ""},
	{"es", "el martes 16", "2024-01-16", "el martes 16"},
	{"es", "el martes 20", "2024-02-20", ""},
	{"es", "el lunes 15 de enero", "2024-01-15", "el lunes 15 de enero"},
	{"es", "el lunes de la semana que viene", "2024-01-15", ""},
	{"es", "el viernes de la próxima semana", "2024-01-19", ""},
	{"es", "el primer lunes de febrero", "2024-02-05", "el primer lunes de febrero"},
	{"es", "el último viernes de enero", "2024-01-26", ""},
	// ---- es: day + month ----
	{"es", "el 15 de enero", "2024-01-15", "el 15 de enero"},
	{"es", "15 de enero", "2024-01-15", "15 de enero"},
	{"es", "quince de enero", "2024-01-15", "quince de enero"},
	{"es", "el quince de febrero", "2024-02-15", "el quince de febrero"},
	{"es", "el primero de marzo", "2024-03-01", "el primero de marzo"},
	{"es", "el uno de marzo", "2024-03-01", ""},
	{"es", "el 1º de marzo", "2024-03-01", ""},
	{"es", "el treinta y uno de diciembre", "2024-12-31", ""},
	{"es", "el 5 de enero", "2025-01-05", ""},
	{"es", "el 10 de enero", "2024-01-10", ""},
	{"es", "el 1 de marzo de 2025", "2025-03-01", "el 1 de marzo de 2025"},
	{"es", "el 15 de enero del 2025", "2025-01-15", ""},
	{"es", "15 de enero de dos mil veinticinco", "2025-01-15", ""},
	{"es", "el 20 de setiembre", "2024-09-20", ""},
	{"es", "el 3 de mayo del año que viene", "2025-05-03", ""},
	{"es", "el 15 del mes que viene", "2024-02-15", "el 15 del mes que viene"},
	{"es", "el 29 de febrero", "2024-02-29", ""},
	{"es", "el 30 de febrero", "invalid", "el 30 de febrero"},
	{"es", "31 de abril", "invalid", ""},
	{"es", "el 29 de febrero de 2023", "invalid", ""},
	{"es", "enero 20", "2024-01-20", ""},
	{"es", "20 dic", "2024-12-20", ""},
	// ---- es: numeric ----
	{"es", "15/01/2024", "2024-01-15", "15/01/2024"},
	{"es", "15/01", "2024-01-15", "15/01"},
	{"es", "15-01-2024", "2024-01-15", ""},
	{"es", "15.01.2024", "2024-01-15", ""},
	{"es", "05/01", "2025-01-05", ""},
	{"es", "1/2/24", "2024-02-01", ""},
	{"es", "2024-01-15", "2024-01-15", "2024-01-15"},
	{"es", "la cita es el 20/02/2024, gracias", "2024-02-20", "20/02/2024"},
	{"es", "31/04", "invalid", "31/04"},
	{"es", "30/02/2024", "invalid", ""},
	{"es", "01/15", "2024-01-15", ""}, // swapped: month 15 cannot be
	// ---- es: bare day ----
	{"es", "el 20", "2024-01-20", "el 20"},
	{"es", "al 20", "2024-01-20", "al 20"},
	{"es", "cambia la fecha al 20", "2024-01-20", "al 20"},
	{"es", "el 5", "2024-02-05", ""},
	{"es", "el día 3", "2024-02-03", "el día 3"},
	{"es", "el veinte", "2024-01-20", ""},
	{"es", "20", "2024-01-20", "20"},
	{"es", "veinticinco", "2024-01-25", ""},
	{"es", "el 31", "2024-01-31", ""},
	// ---- es: relative ----
	{"es", "dentro de tres días", "2024-01-13", "dentro de tres días"},
	{"es", "dentro de 3 días", "2024-01-13", ""},
	{"es", "en dos semanas", "2024-01-24", "en dos semanas"},
	{"es", "en una semana", "2024-01-17", ""},
	{"es", "dentro de un mes", "2024-02-10", ""},
	{"es", "en un par de días", "2024-01-12", ""},
	{"es", "dentro de una quincena", "2024-01-25", ""},
	{"es", "hace dos días", "2024-01-08", ""},
	{"es", "la semana que viene", "2024-01-15", "la semana que viene"},
	{"es", "la próxima semana", "2024-01-15", "la próxima semana"},
	{"es", "la semana que viene, el jueves", "2024-01-18", ""},
	{"es", "el mes que viene", "2024-02-01", "el mes que viene"},
	{"es", "el próximo mes", "2024-02-01", ""},
	{"es", "este fin de semana", "2024-01-13", ""},
	{"es", "a fin de mes", "2024-01-31", ""},
	// ---- es: corrections and negation ----
	{"es", "el lunes no, mejor el martes", "2024-01-16", "el martes"},
	{"es", "no el lunes sino el martes", "2024-01-16", ""},
	{"es", "hoy no puedo, mañana sí", "2024-01-11", "mañana"},
	{"es", "no, el lunes", "2024-01-15", "el lunes"},
	{"es", "el lunes no puedo", "nodate", ""},
	{"es", "mañana no hay problema", "nodate", ""}, // known false negative: "no" after a date negates it
	// ---- es: not dates ----
	{"es", "a las 3 de la tarde", "nodate", ""},
	{"es", "a las 3", "nodate", ""},
	{"es", "987654321", "nodate", ""},
	{"es", "mi número es 987 654 321", "nodate", ""},
	{"es", "50 dólares", "nodate", ""},
	{"es", "el 20%", "nodate", ""},
	{"es", "somos 3 personas", "nodate", ""},
	{"es", "quiero una cita", "nodate", ""},
	{"es", "mi dni es 45678912", "nodate", ""},
	{"es", "en marzo", "nodate", ""},
	{"es", "diciembre", "nodate", ""},
	{"es", "a las 10 de la mañana", "nodate", ""},
	{"es", "", "nodate", ""},
	{"es", "el 45", "nodate", ""},
	{"es", "1.5", "nodate", ""},
	{"es", "entre 10-15 personas", "nodate", ""},
	// ---- en ----
	{"en", "today", "2024-01-10", "today"},
	{"en", "tomorrow", "2024-01-11", "tomorrow"},
	{"en", "Tomorrow at 10am", "2024-01-11", "Tomorrow"},
	{"en", "the day after tomorrow", "2024-01-12", "the day after tomorrow"},
	{"en", "yesterday", "2024-01-09", ""},
	{"en", "Monday", "2024-01-15", "Monday"},
	{"en", "next Monday", "2024-01-15", "next Monday"},
	{"en", "this Friday", "2024-01-12", "this Friday"},
	{"en", "on Friday", "2024-01-12", "on Friday"},
	{"en", "this Wednesday", "2024-01-10", ""},
	{"en", "Wednesday", "2024-01-17", ""},
	{"en", "this coming Thursday", "2024-01-11", "this coming Thursday"},
	{"en", "Friday after next", "2024-01-19", "Friday after next"},
	{"en", "Friday next week", "2024-01-19", ""},
	{"en", "I'd like to come in next Tuesday please", "2024-01-16", "next Tuesday"},
	{"en", "Tuesday the 16th", "2024-01-16", "Tuesday the 16th"},
	{"en", "Tuesday, January 23", "2024-01-23", ""},
	{"en", "the first Monday of February", "2024-02-05", ""},
	{"en", "January 15th", "2024-01-15", "January 15th"},
	{"en", "Jan 15", "2024-01-15", "Jan 15"},
	{"en", "Jan. 15th, 2025", "2025-01-15", "Jan. 15th, 2025"},
	{"en", "the 15th of January", "2024-01-15", "the 15th of January"},
	{"en", "fifteenth of January", "2024-01-15", "fifteenth of January"},
	{"en", "March first", "2024-03-01", "March first"},
	{"en", "March the first", "2024-03-01", ""},
	{"en", "March 1st 2025", "2025-03-01", ""},
	{"en", "first of March", "2024-03-01", ""},
	{"en", "the twenty-first of March", "2024-03-21", ""},
	{"en", "January fifteen", "2024-01-15", ""},
	{"en", "December 25, twenty twenty four", "2024-12-25", ""},
	{"en", "January 5th", "2025-01-05", ""},
	{"en", "1/15/2024", "2024-01-15", "1/15/2024"},
	{"en", "01/15", "2024-01-15", "01/15"},
	{"en", "15/01", "2024-01-15", ""}, // swapped
	{"en", "2/30", "invalid", ""},
	{"en", "2024-01-15", "2024-01-15", ""},
	{"en", "the 20th", "2024-01-20", "the 20th"},
	{"en", "on the 20th", "2024-01-20", "on the 20th"},
	{"en", "on the 5th", "2024-02-05", ""},
	{"en", "the 15th of next month", "2024-02-15", ""},
	{"en", "in three days", "2024-01-13", "in three days"},
	{"en", "in 2 weeks", "2024-01-24", "in 2 weeks"},
	{"en", "in a week", "2024-01-17", ""},
	{"en", "a week from today", "2024-01-17", "a week from today"},
	{"en", "two weeks from tomorrow", "2024-01-25", ""},
	{"en", "3 days from now", "2024-01-13", ""},
	{"en", "in a couple of days", "2024-01-12", ""},
	{"en", "in a fortnight", "2024-01-24", ""},
	{"en", "a week from Monday", "2024-01-22", ""},
	{"en", "the second", "nodate", ""},
	{"en", "on the second", "2024-02-02", ""},
	{"en", "5 days ago", "2024-01-05", ""},
	{"en", "next week", "2024-01-15", "next week"},
	{"en", "next month", "2024-02-01", ""},
	{"en", "this weekend", "2024-01-13", ""},
	{"en", "end of the month", "2024-01-31", ""},
	{"en", "not Monday, Tuesday", "2024-01-16", ""},
	{"en", "Monday, sorry, I mean Tuesday", "2024-01-16", "Tuesday"},
	{"en", "February 30th", "invalid", ""},
	// ---- en: not dates ----
	{"en", "at 3 pm", "nodate", ""},
	{"en", "3:30 pm", "nodate", ""},
	{"en", "987654321", "nodate", ""},
	{"en", "50 dollars", "nodate", ""},
	{"en", "may I come in", "nodate", ""},
	{"en", "the 20 dollars", "nodate", ""},
	{"en", "I have 2 kids", "nodate", ""},
	{"en", "in March", "nodate", ""},
	{"en", "sun is out", "nodate", ""},
	// ---- fallback to go-dateparser ----
	{"en", "15-Jan-2024", "2024-01-15", ""},
	{"es", "15-ene-2024", "2024-01-15", ""},
}

func checkDate(t *testing.T, c dateCase, now time.Time) {
	t.Helper()
	d, err := FindDate(c.in, c.lang, now)
	var got string
	switch {
	case errors.Is(err, ErrNoDate):
		got = "nodate"
	case errors.Is(err, ErrInvalidDate):
		got = "invalid"
	case err != nil:
		got = "err:" + err.Error()
	default:
		got = d.String()
	}
	if got != c.want {
		t.Errorf("FindDate(%q, %s) = %s, want %s", c.in, c.lang, got, c.want)
		return
	}
	if c.span != "" && spanText(c.in, d.Span) != c.span {
		t.Errorf("FindDate(%q, %s) span = %q, want %q", c.in, c.lang, spanText(c.in, d.Span), c.span)
	}
}

func TestFindDate(t *testing.T) {
	now := refNow(t)
	for _, c := range dateCases {
		checkDate(t, c, now)
	}
}

func TestFindDateYearBoundary(t *testing.T) {
	now := time.Date(2024, 12, 30, 18, 0, 0, 0, mustLoc(t, "America/Lima")) // a Monday
	for _, c := range []dateCase{
		{"es", "el 2 de enero", "2025-01-02", "el 2 de enero"},
		{"es", "el 30 de diciembre", "2024-12-30", ""},
		{"es", "el 29 de diciembre", "2025-12-29", ""},
		{"es", "mañana", "2024-12-31", ""},
		{"es", "pasado mañana", "2025-01-01", ""},
		{"es", "el lunes", "2025-01-06", ""},
		{"es", "el 5", "2025-01-05", ""},
		{"es", "el 31", "2024-12-31", ""},
		{"es", "la semana que viene", "2025-01-06", ""},
		{"es", "el mes que viene", "2025-01-01", ""},
		{"es", "dentro de tres días", "2025-01-02", ""},
		{"en", "January 2nd", "2025-01-02", ""},
		{"en", "1/2", "2025-01-02", ""},
		{"en", "in 2 weeks", "2025-01-13", ""},
		{"es", "el 29 de febrero", "2028-02-29", ""},
	} {
		checkDate(t, c, now)
	}
}

func TestFindDateDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	// Saturday 2024-03-09 23:30 EST; clocks jump to EDT at 02:00 on Sunday.
	now := time.Date(2024, 3, 9, 23, 30, 0, 0, ny)
	for _, c := range []dateCase{
		{"en", "tomorrow", "2024-03-10", ""},
		{"en", "the day after tomorrow", "2024-03-11", ""},
		{"en", "in 2 days", "2024-03-11", ""},
		{"en", "Monday", "2024-03-11", ""},
		{"en", "next week", "2024-03-11", ""},
		{"en", "this weekend", "2024-03-09", ""},
		{"es", "mañana", "2024-03-10", ""},
	} {
		checkDate(t, c, now)
	}
	// Saturday 2024-11-02 23:30 EDT; clocks fall back to EST on Sunday.
	now = time.Date(2024, 11, 2, 23, 30, 0, 0, ny)
	for _, c := range []dateCase{
		{"en", "tomorrow", "2024-11-03", ""},
		{"en", "in 1 day", "2024-11-03", ""},
		{"en", "Monday", "2024-11-04", ""},
		{"en", "in a week", "2024-11-09", ""},
	} {
		checkDate(t, c, now)
	}
	// A time 30 minutes before the spring-forward gap, relative.
	tm, err := FindTime("in an hour", "en", time.Date(2024, 3, 10, 1, 30, 0, 0, ny))
	if err != nil || tm.Hour != 3 || tm.Minute != 30 {
		t.Errorf("FindTime(in an hour) across DST = %v %v, want 03:30", tm, err)
	}
}

// TestFindDatePast: dates that lie before today (a date of loss, of birth)
// resolve backwards; the same words resolve forwards without Past. Now is
// Wednesday 2024-01-10.
func TestFindDatePast(t *testing.T) {
	now := refNow(t)
	tests := []struct {
		lang, in   string
		past, want string // want with Past, and without
	}{
		{"es", "el viernes", "2024-01-05", "2024-01-12"},
		{"es", "el viernes pasado", "2024-01-05", "2024-01-05"},
		{"es", "el miércoles", "2024-01-03", "2024-01-17"},
		{"es", "el 3", "2024-01-03", "2024-02-03"},
		{"es", "fue el 12, creo", "2023-12-12", "2024-01-12"},
		{"es", "el 15 de marzo", "2023-03-15", "2024-03-15"},
		{"es", "el 15 de marzo del 85", "1985-03-15", "2085-03-15"},
		{"es", "el quince de marzo del ochenta y cinco", "1985-03-15", "2085-03-15"},
		{"es", "el siete de julio del noventa y dos", "1992-07-07", "2092-07-07"},
		{"es", "el 7 de julio de 2001", "2001-07-07", "2001-07-07"},
		{"es", "15/03/85", "1985-03-15", "2085-03-15"},
		{"es", "anoche", "2024-01-09", "2024-01-09"},
		{"es", "desde anoche", "2024-01-09", "2024-01-09"},
		{"es", "el martes 9", "2024-01-09", "2024-04-09"},
		{"en", "on Saturday", "2024-01-06", "2024-01-13"},
		{"en", "last Friday", "2024-01-05", "2024-01-05"},
		{"en", "last night", "2024-01-09", "2024-01-09"},
		{"en", "March 15th", "2023-03-15", "2024-03-15"},
		{"en", "the 18th", "2023-12-18", "2024-01-18"},
		{"en", "3/15/1990", "1990-03-15", "1990-03-15"},
		{"en", "3/15/90", "1990-03-15", "2090-03-15"},
		{"en", "do you have any rooms for New Year's Eve?", "2023-12-31", "2024-12-31"},
		{"es", "para Nochebuena", "2023-12-24", "2024-12-24"},
		{"es", "el día de San Valentín", "2023-02-14", "2024-02-14"},
	}
	for _, tt := range tests {
		for _, past := range []bool{true, false} {
			want := tt.want
			if past {
				want = tt.past
			}
			d, err := FindDateIn(tt.in, tt.lang, now, DateOptions{Past: past})
			if err != nil || d.String() != want {
				t.Errorf("%s %q (past %v): got %v %v, want %s", tt.lang, tt.in, past, d, err, want)
			}
		}
	}
}

// TestFindDates: every date of a sentence, in order, negated ones left out.
func TestFindDates(t *testing.T) {
	now := refNow(t)
	tests := []struct {
		lang, in string
		want     []string
	}{
		{"en", "change my check-in from the 12th to the 15th", []string{"2024-01-12", "2024-01-15"}},
		{"es", "mover mi reserva del miércoles para el viernes", []string{"2024-01-17", "2024-01-12"}},
		{"es", "el lunes no puedo, el martes sí", []string{"2024-01-16"}},
		{"es", "quiero una cita", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range FindDates(tt.in, tt.lang, now, DateOptions{}) {
			got = append(got, d.String())
		}
		if len(got) != len(tt.want) || len(got) > 0 && fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s %q: got %v, want %v", tt.lang, tt.in, got, tt.want)
		}
	}
}

// TestDurationsAreNotDates: a length of time said bare is not a date;
// with "in" or "ago" it is.
func TestDurationsAreNotDates(t *testing.T) {
	now := refNow(t)
	for _, in := range []string{"it should be three weeks, not two", "for two weeks", "tres noches", "dos semanas"} {
		for _, lang := range []string{"en", "es"} {
			if d, err := FindDate(in, lang, now); err == nil {
				t.Errorf("%s %q: got %v, want no date", lang, in, d)
			}
		}
	}
	if d, err := FindDate("in three weeks", "en", now); err != nil || d.String() != "2024-01-31" {
		t.Errorf("in three weeks: %v %v", d, err)
	}
}

// A number that counts one of several things is not a day: "on one of your
// buses", "el dos de los autobuses"; "the first of March" still is.
func TestPartitivesAreNotDays(t *testing.T) {
	now := refNow(t)
	for _, c := range []struct{ lang, in string }{
		{"en", "I left my reading glasses on one of your buses"},
		{"en", "on two of the coaches"},
		{"es", "lo dejé en el dos de los autobuses"},
		{"es", "el uno de ustedes me dijo"},
	} {
		if d, err := FindDate(c.in, c.lang, now); err == nil {
			t.Errorf("%s %q: got %v, want no date", c.lang, c.in, d)
		}
	}
	for _, c := range []dateCase{
		{"en", "on the first of March", "2024-03-01", ""},
		{"es", "el uno de marzo", "2024-03-01", ""},
	} {
		checkDate(t, c, now)
	}
}

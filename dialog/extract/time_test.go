package extract

import (
	"errors"
	"testing"
)

type timeCase struct {
	lang, in string
	want     string // HH:mm, "notime" or "invalid"
	span     string
}

var timeCases = []timeCase{
	// ---- es ----
	{"es", "15:30", "15:30", "15:30"},
	{"es", "a las 15:30", "15:30", "a las 15:30"},
	{"es", "a las 3 de la tarde", "15:00", "a las 3 de la tarde"},
	{"es", "a las tres de la tarde", "15:00", ""},
	{"es", "a las 10 de la mañana", "10:00", "a las 10 de la mañana"},
	{"es", "a las 8 de la noche", "20:00", "a las 8 de la noche"},
	{"es", "a las 12 de la noche", "00:00", ""},
	{"es", "a las 2 de la madrugada", "02:00", ""},
	{"es", "a la una del mediodía", "13:00", ""},
	{"es", "a las diez y media", "10:30", "a las diez y media"},
	{"es", "a las 3 y cuarto", "15:15", "a las 3 y cuarto"},
	{"es", "a las 4 menos cuarto", "15:45", "a las 4 menos cuarto"},
	{"es", "a las 8 menos cuarto", "07:45", ""},
	{"es", "a las nueve menos diez", "08:50", ""},
	{"es", "a las ocho y cuarenta y cinco", "08:45", ""},
	{"es", "a las diez y veinte", "10:20", ""},
	{"es", "a las 10 con 30", "10:30", ""},
	{"es", "a las diez treinta", "10:30", ""},
	{"es", "a las 10 en punto", "10:00", ""},
	{"es", "a la una", "13:00", "a la una"},
	{"es", "a la una y media", "13:30", ""},
	{"es", "a las doce", "12:00", ""},
	{"es", "a las 10", "10:00", "a las 10"},
	{"es", "a las 3", "15:00", "a las 3"},
	{"es", "a las 7", "19:00", ""},
	{"es", "a las 8", "08:00", ""},
	{"es", "a las 17", "17:00", ""},
	{"es", "a las 08:00", "08:00", ""},
	{"es", "a las 03:00", "03:00", ""},
	{"es", "a las 3 horas", "03:00", ""},
	{"es", "a las 20 horas", "20:00", ""},
	{"es", "mañana a las 10", "10:00", "a las 10"},
	{"es", "el lunes a las diez y media", "10:30", ""},
	{"es", "sobre las 4", "16:00", "sobre las 4"},
	{"es", "las 3 y media de la tarde", "15:30", ""},
	{"es", "a las 3 p. m.", "15:00", "a las 3 p. m."},
	{"es", "a las 10 a.m.", "10:00", ""},
	{"es", "3 de la tarde", "15:00", ""},
	{"es", "a las 9 por la mañana", "09:00", ""},
	{"es", "a las 7 por la noche", "19:00", ""},
	{"es", "mediodía", "12:00", "mediodía"},
	{"es", "al mediodía", "12:00", "al mediodía"},
	{"es", "medianoche", "00:00", ""},
	{"es", "a medianoche", "00:00", ""},
	{"es", "cuarto para las cuatro", "15:45", ""},
	{"es", "diez y media", "10:30", ""},
	{"es", "15h30", "15:30", ""},
	{"es", "en media hora", "09:30", "en media hora"},
	{"es", "dentro de 20 minutos", "09:20", ""},
	{"es", "en dos horas", "11:00", ""},
	{"es", "a las 3, no, mejor a las 5", "17:00", "a las 5"},
	{"es", "25:00", "invalid", "25:00"},
	{"es", "a las 25", "invalid", ""},
	{"es", "10:75", "invalid", ""},
	{"es", "24:00", "00:00", ""},
	// ---- es: not times ----
	{"es", "el 15 de enero", "notime", ""},
	{"es", "las 3 personas", "notime", ""},
	{"es", "las 2 opciones", "notime", ""},
	{"es", "mañana", "notime", ""},
	{"es", "por la tarde", "notime", ""},
	{"es", "987654321", "notime", ""},
	{"es", "15/01/2024", "notime", ""},
	{"es", "3", "notime", ""},
	{"es", "1.5", "notime", ""},
	{"es", "", "notime", ""},
	// ---- en ----
	{"en", "15:30", "15:30", ""},
	{"en", "3:30 pm", "15:30", "3:30 pm"},
	{"en", "3:30 PM", "15:30", ""},
	{"en", "3 pm", "15:00", "3 pm"},
	{"en", "3pm", "15:00", "3pm"},
	{"en", "at 3 pm", "15:00", "at 3 pm"},
	{"en", "10am", "10:00", ""},
	{"en", "12 pm", "12:00", ""},
	{"en", "12 am", "00:00", ""},
	{"en", "at 10", "10:00", "at 10"},
	{"en", "at 3", "15:00", ""},
	{"en", "at noon", "12:00", "at noon"},
	{"en", "noon", "12:00", ""},
	{"en", "midnight", "00:00", ""},
	{"en", "half past ten", "10:30", "half past ten"},
	{"en", "quarter past three", "15:15", ""},
	{"en", "a quarter to four", "15:45", "a quarter to four"},
	{"en", "quarter to four", "15:45", ""},
	{"en", "twenty past six in the evening", "18:20", ""},
	{"en", "ten minutes to five", "16:50", ""},
	{"en", "ten thirty", "10:30", "ten thirty"},
	{"en", "at ten thirty", "10:30", "at ten thirty"},
	{"en", "nine fifteen am", "09:15", ""},
	{"en", "ten oh five", "10:05", ""},
	{"en", "at 8 tonight", "20:00", ""},
	{"en", "at 7 in the morning", "07:00", ""},
	{"en", "3 in the afternoon", "15:00", ""},
	{"en", "five o'clock", "17:00", ""},
	{"en", "at around 4", "16:00", ""},
	{"en", "tomorrow at 10am", "10:00", "at 10am"},
	{"en", "Monday at half past ten", "10:30", ""},
	{"en", "in an hour", "10:00", ""},
	{"en", "in half an hour", "09:30", ""},
	{"en", "in 45 minutes", "09:45", ""},
	{"en", "25:00", "invalid", ""},
	{"en", "13 pm", "13:00", ""},
	// ---- en: not times ----
	{"en", "I have two twenty dollar bills", "notime", ""},
	{"en", "5 to 10 people", "notime", ""},
	{"en", "at 5 dollars", "notime", ""},
	{"en", "January 15th", "notime", ""},
	{"en", "tomorrow", "notime", ""},
	{"en", "in the afternoon", "notime", ""},
	{"en", "I am 30", "notime", ""},
}

func TestFindTime(t *testing.T) {
	now := refNow(t)
	for _, c := range timeCases {
		tm, err := FindTime(c.in, c.lang, now)
		var got string
		switch {
		case errors.Is(err, ErrNoTime):
			got = "notime"
		case errors.Is(err, ErrInvalidTime):
			got = "invalid"
		case err != nil:
			got = "err:" + err.Error()
		default:
			got = tm.String()
		}
		if got != c.want {
			t.Errorf("FindTime(%q, %s) = %s, want %s", c.in, c.lang, got, c.want)
			continue
		}
		if c.span != "" && spanText(c.in, tm.Span) != c.span {
			t.Errorf("FindTime(%q, %s) span = %q, want %q", c.in, c.lang, spanText(c.in, tm.Span), c.span)
		}
	}
}

// TestFindTimeIn: a bare hour is read within the business's hours when
// only one of its two readings falls there.
func TestFindTimeIn(t *testing.T) {
	now := refNow(t)
	dinner := TimeOptions{Opens: 13 * 60, Closes: 23 * 60} // 1 pm to 11 pm
	bank := TimeOptions{Opens: 8*60 + 30, Closes: 14 * 60} // 8:30 to 2 pm
	bar := TimeOptions{Opens: 18 * 60, Closes: 26 * 60}    // 6 pm to 2 am
	shuttle := TimeOptions{Opens: 6 * 60, Closes: 23 * 60} // both readings open
	tests := []struct {
		lang, in string
		o        TimeOptions
		want     string
	}{
		{"es", "a las nueve", dinner, "21:00"},
		{"es", "a las 10", dinner, "22:00"},
		{"es", "como a las ocho y media", dinner, "20:30"},
		{"es", "a la una y media", dinner, "13:30"},
		{"es", "a las nueve de la mañana", dinner, "09:00"}, // said: kept, even if closed
		{"es", "a las nueve", bank, "09:00"},
		{"es", "a la una", bank, "13:00"},
		{"es", "a las 12", bank, "12:00"},
		{"en", "at one", bar, "01:00"},
		{"en", "at eleven", bar, "23:00"},
		{"en", "at 7", shuttle, "19:00"},
		{"en", "at 9", shuttle, "09:00"},
		{"es", "a las nueve", TimeOptions{}, "09:00"},
		{"es", "el sábado temprano, tipo nueve", TimeOptions{Opens: 8 * 60, Closes: 18 * 60}, "09:00"},
		{"es", "tipo 5", TimeOptions{Opens: 8 * 60, Closes: 18 * 60}, "17:00"},
		// minutes before the hour keep their hour when the hours place it
		{"es", "a las doce menos cuarto", TimeOptions{Opens: 9 * 60, Closes: 14 * 60}, "11:45"},
		{"en", "Tuesday, like quarter to six", TimeOptions{Opens: 9 * 60, Closes: 19 * 60}, "17:45"},
		{"es", "tempranito, a las siete y media", TimeOptions{Opens: 7 * 60, Closes: 20 * 60}, "07:30"},
		// a correction keeps the half of the day of the time it corrects
		{"en", "make that seven thirty", TimeOptions{Opens: 5 * 60, Closes: 22 * 60, Near: 6 * 60, Nearby: true}, "07:30"},
		{"en", "make that seven thirty", TimeOptions{Opens: 5 * 60, Closes: 22 * 60, Near: 18 * 60, Nearby: true}, "19:30"},
		{"es", "mejor a las cinco", TimeOptions{Near: 16 * 60, Nearby: true}, "17:00"},
		{"es", "mejor a las diez", TimeOptions{Near: 9 * 60, Nearby: true}, "10:00"},
		{"en", "make it 7 pm", TimeOptions{Near: 6 * 60, Nearby: true}, "19:00"}, // said: kept
	}
	for _, tt := range tests {
		got, err := FindTimeIn(tt.in, tt.lang, now, tt.o)
		if err != nil || got.String() != tt.want {
			t.Errorf("%s %q %+v: got %v %v, want %s", tt.lang, tt.in, tt.o, got, err, tt.want)
		}
	}
}

// TestFindTimeContext: a part of the day said elsewhere in the answer, and
// British and Australian ways of saying the time.
func TestFindTimeContext(t *testing.T) {
	now := refNow(t)
	for _, tt := range []struct{ lang, in, want string }{
		{"en", "Um, something in the morning, like seven thirty?", "07:30"},
		{"en", "in the evening, around seven", "19:00"},
		{"en", "at half five in the arvo", "17:30"},
		{"en", "half five", "17:30"},
		{"es", "por la mañana, tipo a las siete", "07:00"},
		{"es", "a las siete", "19:00"},
	} {
		got, err := FindTime(tt.in, tt.lang, now)
		if err != nil || got.String() != tt.want {
			t.Errorf("%s %q: got %v %v, want %s", tt.lang, tt.in, got, err, tt.want)
		}
	}
	if d, err := FindDate("a spot in tonight's boxing class", "en", now); err != nil || d.String() != "2024-01-10" {
		t.Errorf("tonight's: %v %v", d, err)
	}
}

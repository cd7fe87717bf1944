package extract

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func fuzzLang(en bool) string {
	if en {
		return "en"
	}
	return "es"
}

func checkSpan(t *testing.T, what, s string, sp Span) {
	t.Helper()
	if sp.Start < 0 || sp.End > len(s) || sp.Start > sp.End {
		t.Fatalf("%s(%q): span %+v out of bounds (len %d)", what, s, sp, len(s))
	}
}

func FuzzNumbers(f *testing.F) {
	for _, c := range numberCases {
		f.Add(c.in, c.lang == "en")
	}
	f.Fuzz(func(t *testing.T, s string, en bool) {
		ns := Numbers(s, fuzzLang(en))
		prevEnd := 0
		for _, n := range ns {
			checkSpan(t, "Numbers", s, n.Span)
			if n.Span.Start < prevEnd {
				t.Fatalf("Numbers(%q): spans overlap or out of order: %+v", s, ns)
			}
			if n.Span.Start == n.Span.End {
				t.Fatalf("Numbers(%q): empty span %+v", s, n)
			}
			if math.IsNaN(n.Value) || math.IsInf(n.Value, 0) {
				t.Fatalf("Numbers(%q): non-finite value %v", s, n.Value)
			}
			prevEnd = n.Span.End
		}
		if n, ok := Number(s, fuzzLang(en)); ok != (len(ns) > 0) || ok && n != ns[0] {
			t.Fatalf("Number(%q) disagrees with Numbers", s)
		}
	})
}

func FuzzDigits(f *testing.F) {
	for _, c := range digitCases {
		f.Add(c.in, c.lang == "en")
	}
	f.Fuzz(func(t *testing.T, s string, en bool) {
		d, sp, ok := Digits(s, fuzzLang(en))
		if ok != (d != "") {
			t.Fatalf("Digits(%q): ok=%v with %q", s, ok, d)
		}
		for i := 0; i < len(d); i++ {
			if d[i] < '0' || d[i] > '9' {
				t.Fatalf("Digits(%q) = %q: not digits", s, d)
			}
		}
		checkSpan(t, "Digits", s, sp)
		if ok && sp.Start == sp.End {
			t.Fatalf("Digits(%q): empty span", s)
		}
	})
}

func FuzzEmail(f *testing.F) {
	for _, c := range emailCases {
		f.Add(c.in, c.lang == "en")
	}
	f.Fuzz(func(t *testing.T, s string, en bool) {
		e, sp, ok := Email(s, fuzzLang(en))
		if ok != (e != "") {
			t.Fatalf("Email(%q): ok=%v with %q", s, ok, e)
		}
		if ok {
			if !validEmail(e) || strings.ToLower(e) != e || strings.Count(e, "@") != 1 {
				t.Fatalf("Email(%q) = %q: malformed", s, e)
			}
			checkSpan(t, "Email", s, sp)
			if sp.Start == sp.End {
				t.Fatalf("Email(%q): empty span", s)
			}
		}
	})
}

func FuzzYesNo(f *testing.F) {
	for _, c := range yesNoCases {
		f.Add(c.in, c.lang == "en")
	}
	f.Fuzz(func(t *testing.T, s string, en bool) {
		a, rest := YesNo(s, fuzzLang(en))
		if len(rest) > len(s) {
			t.Fatalf("YesNo(%q): rest %q longer than input", s, rest)
		}
		if utf8.ValidString(s) && !utf8.ValidString(rest) {
			t.Fatalf("YesNo(%q): invalid UTF-8 rest %q", s, rest)
		}
		if a == Yes {
			// a yes must survive nothing that looks like a change: adding
			// "pero" after it makes it unclear
			if b, _ := YesNo(s+", pero no", fuzzLang(en)); b == Yes {
				t.Fatalf("YesNo(%q + \", pero no\") = Yes", s)
			}
		}
	})
}

func FuzzFindDate(f *testing.F) {
	for _, c := range dateCases {
		f.Add(c.in, c.lang == "en", int16(0))
	}
	f.Add("el 29 de febrero", false, int16(400))
	f.Add("next week", true, int16(-3000))
	lima, err := time.LoadLocation("America/Lima")
	if err != nil {
		f.Fatal(err)
	}
	base := time.Date(2024, 1, 10, 9, 0, 0, 0, lima)
	f.Fuzz(func(t *testing.T, s string, en bool, off int16) {
		now := base.AddDate(0, 0, int(off))
		d, err := FindDate(s, fuzzLang(en), now)
		switch {
		case err == nil:
			if !validDate(d.Year, d.Month, d.Day) {
				t.Fatalf("FindDate(%q) = %+v: invalid date", s, d)
			}
			checkSpan(t, "FindDate", s, d.Span)
			if d.Span.Start == d.Span.End {
				t.Fatalf("FindDate(%q): empty span", s)
			}
		case errors.Is(err, ErrNoDate), errors.Is(err, ErrInvalidDate):
			checkSpan(t, "FindDate", s, d.Span)
		default:
			t.Fatalf("FindDate(%q): unexpected error %v", s, err)
		}
	})
}

func FuzzFindTime(f *testing.F) {
	for _, c := range timeCases {
		f.Add(c.in, c.lang == "en", int16(0))
	}
	lima, err := time.LoadLocation("America/Lima")
	if err != nil {
		f.Fatal(err)
	}
	base := time.Date(2024, 1, 10, 9, 0, 0, 0, lima)
	f.Fuzz(func(t *testing.T, s string, en bool, off int16) {
		now := base.Add(time.Duration(off) * time.Minute)
		tm, err := FindTime(s, fuzzLang(en), now)
		switch {
		case err == nil:
			if tm.Hour < 0 || tm.Hour > 23 || tm.Minute < 0 || tm.Minute > 59 {
				t.Fatalf("FindTime(%q) = %+v: out of range", s, tm)
			}
			checkSpan(t, "FindTime", s, tm.Span)
			if tm.Span.Start == tm.Span.End {
				t.Fatalf("FindTime(%q): empty span", s)
			}
		case errors.Is(err, ErrNoTime), errors.Is(err, ErrInvalidTime):
			checkSpan(t, "FindTime", s, tm.Span)
		default:
			t.Fatalf("FindTime(%q): unexpected error %v", s, err)
		}
	})
}

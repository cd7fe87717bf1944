package extract

import (
	"strings"
	"testing"
	"time"
)

func benchNow(b *testing.B) time.Time {
	l, err := time.LoadLocation("America/Lima")
	if err != nil {
		b.Fatal(err)
	}
	return time.Date(2024, 1, 10, 9, 0, 0, 0, l)
}

func BenchmarkFindDate(b *testing.B) {
	now := benchNow(b)
	for _, c := range []struct{ name, lang, in string }{
		{"es/manana", "es", "mañana"},
		{"es/15_de_enero", "es", "el 15 de enero"},
		{"es/sentence", "es", "quiero una cita para el próximo lunes por la tarde"},
		{"en/January_15th", "en", "January 15th"},
		{"es/nodate", "es", "mi número es 987 654 321"},
		{"en/fallback_15-Jan-2024", "en", "15-Jan-2024"},
		{"es/fallback_15-ene-2024", "es", "15-ene-2024"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := FindDate(c.in, c.lang, now); err != nil && c.name != "es/nodate" {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFindDateParallel(b *testing.B) {
	now := benchNow(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _ = FindDate("el 15 de enero", "es", now)
		}
	})
}

func BenchmarkFindTime(b *testing.B) {
	now := benchNow(b)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = FindTime("el lunes a las diez y media de la mañana", "es", now)
	}
}

func BenchmarkNumbers(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Numbers("son dos mil veinticuatro soles con 50 céntimos, y 1.500,50€", "es")
	}
}

func BenchmarkDigits(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Digits("mi número es nueve ocho siete, seis cinco cuatro, tres dos uno", "es")
	}
}

func BenchmarkEmail(b *testing.B) {
	b.Run("spoken", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Email("mi correo es juan punto pérez arroba gmail punto com", "es")
		}
	})
	b.Run("written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Email("my email is john.doe@example.com thanks", "en")
		}
	})
}

func BenchmarkYesNo(b *testing.B) {
	b.Run("short", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			YesNo("sí, por favor", "es")
		}
	})
	b.Run("correction", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			YesNo("no, la fecha es el 20 de enero", "es")
		}
	})
}

// The candidate scans run on every caller turn: their allocations must
// not grow with the length of what the caller said.
func TestCandidateScansDoNotAllocatePerToken(t *testing.T) {
	now := refNow(t)
	today := civilOf(now)
	short, long := analyze("hola", "es"), analyze(strings.Repeat("hola ", 40), "es")
	for name, scan := range map[string]func(a *analysis){
		"dateCands": func(a *analysis) { a.dateCands(today) },
		"timeCands": func(a *analysis) { a.timeCands(now) },
	} {
		one := testing.AllocsPerRun(50, func() { scan(short) })
		forty := testing.AllocsPerRun(50, func() { scan(long) })
		if forty > one {
			t.Errorf("%s: %v allocations for 40 words, %v for one", name, forty, one)
		}
	}
}

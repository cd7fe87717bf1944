package extract

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markusmobius/go-dateparser/date"
)

// TestFallbackPath checks that the fallback phrases really go through
// go-dateparser (our rules do not match them) and that the common phrases do
// not.
func TestFallbackPath(t *testing.T) {
	now := refNow(t)
	today := civilOf(now)
	own := func(s, lang string) bool {
		a := analyze(s, lang)
		if len(a.dateCands(today)) > 0 {
			return true
		}
		_, ok := a.bareDayText(today)
		return ok
	}
	for _, c := range [][2]string{{"en", "15-Jan-2024"}, {"es", "15-ene-2024"}} {
		if own(c[1], c[0]) {
			t.Errorf("%q is matched by our rules; the fallback test phrase must not be", c[1])
		}
		if _, err := FindDate(c[1], c[0], now); err != nil {
			t.Errorf("FindDate(%q) via fallback: %v", c[1], err)
		}
	}
	for _, c := range dateCases {
		if c.want != "nodate" && !strings.Contains(c.in, "-Jan-") && !strings.Contains(c.in, "-ene-") && !own(c.in, c.lang) {
			t.Errorf("%q (%s) is not handled by our own rules", c.in, c.lang)
		}
	}
}

func TestSaneFallback(t *testing.T) {
	lima := mustLoc(t, "America/Lima")
	today := civil{2024, 1, 10}
	day := func(y int, m time.Month, d int, p date.Period) date.Date {
		return date.Date{Period: p, Time: time.Date(y, m, d, 0, 0, 0, 0, lima)}
	}
	for _, c := range []struct {
		d       date.Date
		matched string
		ok      bool
	}{
		{day(2024, 1, 15, date.Day), "15-Jan-2024", true},
		{day(2024, 2, 1, date.Month), "February", false},              // a month is not a day
		{day(2024, 1, 10, date.Year), "2024", false},                  // nor a year
		{day(2035, 1, 10, date.Day), "10 January 2035", false},        // beyond now+5
		{day(2021, 1, 10, date.Day), "10 January 2021", false},        // before now-1
		{day(2024, 1, 10, date.Day), "a las tres", false},             // today: a time read as a date
		{day(2024, 1, 17, date.Day), "mi", false},                     // no anchor word, too short
		{day(2024, 1, 13, date.Day), "de 3 días", true},               // relative word
		{day(2024, 1, 10, date.Hour), "tomorrow at 3", false},         // not a day period
		{day(2030, 1, 10, date.Day), "el 10 de enero de 2030", false}, // 2030 > 2029
	} {
		_, ok := saneFallback(c.d, c.matched, "es", today)
		if ok != c.ok {
			t.Errorf("saneFallback(%v %v, %q) = %v, want %v", c.d.Time, c.d.Period, c.matched, ok, c.ok)
		}
	}
}

// TestConcurrent runs every function from several goroutines (run with
// -race) and compares with the sequential answers.
func TestConcurrent(t *testing.T) {
	now := refNow(t)
	run := func() string {
		var b strings.Builder
		for _, c := range dateCases {
			d, err := FindDate(c.in, c.lang, now)
			b.WriteString(d.String())
			if err != nil {
				b.WriteString(err.Error())
			}
		}
		for _, c := range timeCases {
			tm, _ := FindTime(c.in, c.lang, now)
			b.WriteString(tm.String())
		}
		for _, c := range emailCases {
			e, _, _ := Email(c.in, c.lang)
			b.WriteString(e)
		}
		for _, c := range yesNoCases {
			a, r := YesNo(c.in, c.lang)
			b.WriteString(a.String() + r)
		}
		for _, c := range numberCases {
			b.WriteString(fmtNums(Numbers(c.in, c.lang)))
		}
		for _, c := range digitCases {
			d, _, _ := Digits(c.in, c.lang)
			b.WriteString(d)
		}
		return b.String()
	}
	want := run()
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := run(); got != want {
				errs <- "concurrent run differs from sequential run"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// longUnits are pieces repeated into long inputs: each stresses a reader's
// scan (number words, emails, dates, yes/no, codes).
var longUnits = []string{"doble ", "treinta y ", "a ", "arroba ", "punto ", "el ", "no ", "1.", "1,",
	"mil ", "a las ", "y media ", "j ", "@", "el lunes ", "sí ", "-1", "¿ñ", "dentro de "}

func readAll(s, lang string, now time.Time) {
	Numbers(s, lang)
	Digits(s, lang)
	Email(s, lang)
	YesNo(s, lang)
	FindDate(s, lang, now)
	FindTime(s, lang, now)
}

// TestLongInputs guards against super-linear behaviour without timing
// anything: reading an input four times as long may allocate at most about
// four times as much (a scan that re-reads the text per token shows up as
// allocations growing with its square), and every reader returns.
func TestLongInputs(t *testing.T) {
	now := refNow(t)
	for _, unit := range longUnits {
		for _, lang := range []string{"es", "en"} {
			short := strings.Repeat(unit, 2000/len(unit))
			long := strings.Repeat(unit, 8000/len(unit))
			a := testing.AllocsPerRun(2, func() { readAll(short, lang, now) })
			b := testing.AllocsPerRun(2, func() { readAll(long, lang, now) })
			if b > 5*a+50 {
				t.Errorf("%q (%s): %.0f allocations for 2,000 bytes, %.0f for 8,000", unit, lang, a, b)
			}
			readAll(strings.Repeat(unit, 50000/len(unit)), lang, now)
		}
	}
}

// BenchmarkLongInputs reads 50 KB inputs of each long unit.
func BenchmarkLongInputs(b *testing.B) {
	now := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	for _, unit := range longUnits {
		s := strings.Repeat(unit, 50000/len(unit))
		b.Run(strings.TrimSpace(unit), func(b *testing.B) {
			for b.Loop() {
				readAll(s, "es", now)
			}
		})
	}
}

func TestAnswerString(t *testing.T) {
	if Yes.String() != "yes" || No.String() != "no" || Unclear.String() != "unclear" {
		t.Error("Answer.String")
	}
	d := Date{Year: 2024, Month: 1, Day: 5}
	if d.String() != "2024-01-05" {
		t.Error(d.String())
	}
	if (Time{Hour: 7, Minute: 5}).String() != "07:05" {
		t.Error("Time.String")
	}
}

// TestRead: the shared reading gives what each reader gives on its own,
// however many times it is asked.
func TestRead(t *testing.T) {
	now := refNow(t)
	for _, tc := range []struct{ lang, in string }{
		{"es", "el viernes a las ocho, somos 4, juan arroba gmail punto com, 987 654 321, erre guion uno dos tres"},
		{"en", "yes, next Tuesday at 3 pm for two, x k seven p two, my email is j smith at yahoo dot com"},
		{"es", "no, mejor el 15 de marzo del 85"},
	} {
		r := Read(tc.in, tc.lang)
		for range 2 {
			if got, want := fmt.Sprint(r.Numbers()), fmt.Sprint(Numbers(tc.in, tc.lang)); got != want {
				t.Errorf("%q Numbers: %s, want %s", tc.in, got, want)
			}
			d1, s1, ok1 := r.Digits()
			d2, s2, ok2 := Digits(tc.in, tc.lang)
			if d1 != d2 || s1 != s2 || ok1 != ok2 {
				t.Errorf("%q Digits differ", tc.in)
			}
			e1, _, _ := r.Email()
			if e2, _, _ := Email(tc.in, tc.lang); e1 != e2 {
				t.Errorf("%q Email: %q, want %q", tc.in, e1, e2)
			}
			a1, r1 := r.YesNo()
			if a2, r2 := YesNo(tc.in, tc.lang); a1 != a2 || r1 != r2 {
				t.Errorf("%q YesNo differ", tc.in)
			}
			if fmt.Sprint(r.Spelled()) != fmt.Sprint(Spelled(tc.in, tc.lang)) {
				t.Errorf("%q Spelled differ", tc.in)
			}
			for _, past := range []bool{false, true} {
				o := DateOptions{Past: past}
				d1, err1 := r.Date(now, o)
				d2, err2 := FindDateIn(tc.in, tc.lang, now, o)
				if d1 != d2 || (err1 == nil) != (err2 == nil) {
					t.Errorf("%q Date (past %v): %v %v, want %v %v", tc.in, past, d1, err1, d2, err2)
				}
			}
			t1, err1 := r.Time(now, TimeOptions{Opens: 13 * 60, Closes: 23 * 60})
			t2, err2 := FindTimeIn(tc.in, tc.lang, now, TimeOptions{Opens: 13 * 60, Closes: 23 * 60})
			if t1 != t2 || (err1 == nil) != (err2 == nil) {
				t.Errorf("%q Time: %v, want %v", tc.in, t1, t2)
			}
		}
	}
}

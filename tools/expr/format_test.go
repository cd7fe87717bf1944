package expr

import (
	"math"
	"testing"
	"time"
	_ "time/tzdata" // America/Lima must load even without system zoneinfo
)

func lima(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Lima")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDatePattern(t *testing.T) {
	loc := lima(t)
	ref := time.Date(2024, 1, 15, 14, 30, 5, 123_456_789, loc)
	midnight := time.Date(2024, 1, 15, 0, 0, 0, 0, loc)
	noon := time.Date(2024, 1, 15, 12, 0, 0, 0, loc)
	utc := time.Date(2024, 1, 15, 19, 30, 5, 0, time.UTC)
	tests := []struct {
		pattern string
		t       time.Time
		lang    string
		want    string
	}{
		{"yyyy-MM-dd", ref, "en", "2024-01-15"},
		{"dd/MM/yyyy", ref, "es", "15/01/2024"},
		{"yyyy-MM-dd HH:mm:ss", ref, "en", "2024-01-15 14:30:05"},
		{"HH:mm", ref, "en", "14:30"},
		{"h:mm a", ref, "en", "2:30 PM"},
		{"h:mm a", ref, "es", "2:30 p. m."},
		{"h:mm a", midnight, "es", "12:00 a. m."},
		{"h:mm a", noon, "en", "12:00 PM"},
		{"EEEE d 'de' MMMM", ref, "es", "lunes 15 de enero"},
		{"EEE, MMM d yyyy", ref, "en", "Mon, Jan 15 2024"},
		{"EEE, MMM d yyyy", ref, "es", "lun, ene 15 2024"},
		{"EEEE d MMMM", ref, "fr", "Monday 15 January"}, // unknown language -> English
		{"EEEE", time.Date(2024, 1, 17, 0, 0, 0, 0, loc), "es", "miércoles"},
		{"EEE", time.Date(2024, 1, 20, 0, 0, 0, 0, loc), "es", "sáb"},
		{"EEEE", time.Date(2024, 1, 21, 0, 0, 0, 0, loc), "en", "Sunday"},
		{"MMM MMMM", time.Date(2024, 9, 1, 0, 0, 0, 0, loc), "es", "sept septiembre"},
		{"M/d/yy", time.Date(2024, 9, 1, 0, 0, 0, 0, loc), "en", "9/1/24"},
		{"yyyy-MM-ddTHH:mm:ssXXX", ref, "en", "2024-01-15T14:30:05-05:00"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", ref, "en", "2024-01-15T14:30:05.123-05:00"},
		{"yyyy-MM-ddTHH:mm:ssXXX", utc, "en", "2024-01-15T19:30:05Z"},
		{"Z", ref, "en", "-0500"},
		{"Z", utc, "en", "+0000"},
		{"XXX Z", time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("IST", 5*3600+1800)), "en", "+05:30 +0530"},
		{"yy", ref, "en", "24"},
		{"yy", time.Date(2005, 1, 1, 0, 0, 0, 0, loc), "en", "05"},
		{"yyyy", time.Date(987, 1, 1, 0, 0, 0, 0, time.UTC), "en", "0987"},
		{"SSS", ref, "en", "123"},
		{"SSS", midnight.Add(7 * time.Millisecond), "en", "007"},
		{"hh", midnight, "en", "12"},
		{"HH H hh h", time.Date(2024, 1, 15, 9, 5, 0, 0, loc), "en", "09 9 09 9"},
		{"HH H hh h", time.Date(2024, 1, 15, 21, 5, 0, 0, loc), "en", "21 21 09 9"},
		{"'at' HH 'o''clock'", ref, "en", "at 14 o'clock"},
		{"''HH''", ref, "en", "'14'"},
		{"'día' d", ref, "es", "día 15"},
		{"d ñ M · yy", ref, "es", "15 ñ 1 · 24"}, // non-ASCII characters are literal
		{"T", ref, "en", "T"},
	}
	for _, tt := range tests {
		p, err := ParseDatePattern(tt.pattern)
		if err != nil {
			t.Errorf("ParseDatePattern(%q): %v", tt.pattern, err)
			continue
		}
		if got := string(p.Append(nil, tt.t, tt.lang)); got != tt.want {
			t.Errorf("%q (%s) on %v = %q, want %q", tt.pattern, tt.lang, tt.t, got, tt.want)
		}
		if p.String() != tt.pattern {
			t.Errorf("String() = %q, want %q", p.String(), tt.pattern)
		}
	}
}

func TestDatePatternAppendKeepsPrefix(t *testing.T) {
	p, err := ParseDatePattern("yyyy")
	if err != nil {
		t.Fatal(err)
	}
	got := string(p.Append([]byte("year="), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "en"))
	if got != "year=2024" {
		t.Errorf("got %q", got)
	}
}

func TestDatePatternErrors(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"", "empty date pattern"},
		{"yyy", `invalid pattern token "yyy" at 0`},
		{"yyyyy", `invalid pattern token "yyyyy" at 0`},
		{"MMMMM", `invalid pattern token "MMMMM" at 0`},
		{"EE", `invalid pattern token "EE" at 0`},
		{"E", `invalid pattern token "E" at 0`},
		{"ddd", `invalid pattern token "ddd" at 0`},
		{"HH:m", `invalid pattern token "m" at 3`},
		{"S", `invalid pattern token "S" at 0`},
		{"aa", `invalid pattern token "aa" at 0`},
		{"XX", `invalid pattern token "XX" at 0`},
		{"ZZ", `invalid pattern token "ZZ" at 0`},
		{"Q", `unknown pattern letter "Q" at 0`},
		{"yyyy-Q", `unknown pattern letter "Q" at 5`},
		{"D", `unknown pattern letter "D" at 0`},
		{"HH 'at", "unterminated quote at 3"},
		{"'a''", "unterminated quote at 0"},
	}
	for _, tt := range tests {
		p, err := ParseDatePattern(tt.pattern)
		if err == nil {
			t.Errorf("ParseDatePattern(%q) = %v, want error %q", tt.pattern, p, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseDatePattern(%q) error = %q, want %q", tt.pattern, err, tt.want)
		}
	}
}

func TestIsNumberPattern(t *testing.T) {
	tests := []struct {
		p    string
		want bool
	}{
		{"0.00", true},
		{"#,##0.00", true},
		{"#", true},
		{"0.0.0", true}, // a number pattern, if not a valid one
		{"", false},
		{".", false},
		{",.", false},
		{"yyyy", false},
		{"0.00 ", false},
		{"HH:mm", false},
	}
	for _, tt := range tests {
		if got := IsNumberPattern(tt.p); got != tt.want {
			t.Errorf("IsNumberPattern(%q) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestNumberPattern(t *testing.T) {
	tests := []struct {
		pattern string
		v       float64
		want    string
	}{
		{"0.00", 1500, "1500.00"},
		{"#,##0.00", 1234567.891, "1,234,567.89"},
		{"#.##", 0.5, ".5"},
		{"#.##", 0, "0"},
		{"#.##", 0.001, "0"},
		{"#.##", 12.3456, "12.35"},
		{"#.##", 12, "12"},
		{"000", 7, "007"},
		{"0.00", 2.345, "2.35"}, // 2.345 is 2.34500000000000019...: above the tie
		{"0.00", 2.675, "2.67"}, // 2.675 is 2.67499999999999982...: below the tie
		{"0.00", 0.125, "0.12"}, // exact tie: half-even
		{"0.00", 0.375, "0.38"}, // exact tie: half-even
		{"0", 0.5, "0"},
		{"0", 1.5, "2"},
		{"0", 2.5, "2"},
		{"0", -2.5, "-2"},
		{"0.0", -3.14159, "-3.1"},
		{"0", 1e21, "1000000000000000000000"},
		{"#,##0", 1e21, "1,000,000,000,000,000,000,000"},
		{"0", 123456789012345678, "123456789012345680"}, // nearest float64
		{"0.00", -0.001, "0.00"},                        // rounds to zero: no sign
		{"0.00", math.Copysign(0, -1), "0.00"},
		{"0", -0.4, "0"},
		{"0.00", -1500, "-1500.00"},
		{"#,##0.00", -1234.5, "-1,234.50"},
		{"#,##0.00", 0.5, "0.50"},
		{"#,##0.00", 999.995, "1,000.00"}, // 999.995 is 999.99500000000000454...
		{"#,###", 0, "0"},
		{"#,###", 1234, "1,234"},
		{"#,###", 123, "123"},
		{"#,##,##0", 1234567, "1,234,567"}, // group size from the last ','
		{"#,#0", 1234567, "1,23,45,67"},
		{"0,000,000", 5, "0,000,005"}, // padding zeros are grouped too, like Java
		{"0.0#", 1, "1.0"},
		{"0.0#", 1.25, "1.25"},
		{"0.0#", 1.255, "1.25"}, // 1.25499999...
		{"#.0", 0.5, ".5"},
		{"#.0", -0.5, "-.5"},
		{"#.0", 0, ".0"},
		{"#.", 5.5, "6"},
		{"0.00", 5e-324, "0.00"},
		{"0.000000", 1e-6, "0.000001"},
		{"0", math.MaxFloat64, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368"},
		{"0.00", math.NaN(), "NaN"},
		{"0.00", math.Inf(1), "Inf"},
		{"0.00", math.Inf(-1), "-Inf"},
	}
	for _, tt := range tests {
		p, err := ParseNumberPattern(tt.pattern)
		if err != nil {
			t.Errorf("ParseNumberPattern(%q): %v", tt.pattern, err)
			continue
		}
		if got := string(p.Append(nil, tt.v)); got != tt.want {
			t.Errorf("%q on %v = %q, want %q", tt.pattern, tt.v, got, tt.want)
		}
		if got := string(p.Append([]byte("x="), tt.v)); got != "x="+tt.want {
			t.Errorf("%q on %v after prefix = %q, want %q", tt.pattern, tt.v, got, "x="+tt.want)
		}
		if p.String() != tt.pattern {
			t.Errorf("String() = %q, want %q", p.String(), tt.pattern)
		}
	}
}

func TestNumberPatternErrors(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"", "empty number pattern"},
		{"0.0.0", "more than one decimal separator at 3"},
		{"0.0,0", "grouping separator after decimal separator at 3"},
		{"0#", `"#" after "0" in integer part at 1`},
		{"#0#.0", `"#" after "0" in integer part at 2`},
		{"0.#0", `"0" after "#" in fraction part at 3`},
		{"#,##0,", "grouping separator at end of integer part at 5"},
		{"0,.00", "grouping separator at end of integer part at 1"},
		{".", "number pattern has no digits"},
		{",", "number pattern has no digits"},
		{"0.00x", `unexpected character "x" at 4 in number pattern`},
		{"0.00€", `unexpected character "€" at 4 in number pattern`},
	}
	for _, tt := range tests {
		p, err := ParseNumberPattern(tt.pattern)
		if err == nil {
			t.Errorf("ParseNumberPattern(%q) = %v, want error %q", tt.pattern, p, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseNumberPattern(%q) error = %q, want %q", tt.pattern, err, tt.want)
		}
	}
}

func TestNilPatterns(t *testing.T) {
	var dp *DatePattern
	var np *NumberPattern
	if got := dp.Append([]byte("a"), time.Now(), "en"); string(got) != "a" {
		t.Errorf("nil DatePattern appended %q", got)
	}
	if got := np.Append([]byte("a"), 1); string(got) != "a" {
		t.Errorf("nil NumberPattern appended %q", got)
	}
	if dp.String() != "" || np.String() != "" {
		t.Error("nil pattern String() not empty")
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	loc := lima(t)
	ref := time.Date(2024, 1, 15, 14, 30, 5, 123_000_000, loc)
	buf := make([]byte, 0, 4096)
	for _, pat := range []string{
		"yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
		"EEEE d 'de' MMMM 'de' yyyy, h:mm a Z",
	} {
		p, err := ParseDatePattern(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range []string{"en", "es"} {
			if n := testing.AllocsPerRun(100, func() { buf = p.Append(buf[:0], ref, lang) }); n != 0 {
				t.Errorf("DatePattern %q (%s): %v allocs per Append, want 0", pat, lang, n)
			}
		}
	}
	for _, pat := range []string{"0.00", "#,##0.00", "#.##", "000", "0.000000000000000000000000000000"} {
		p, err := ParseNumberPattern(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []float64{0, 1500, -1234567.891, 0.125, 1e21, math.MaxFloat64, 5e-324, math.NaN()} {
			if n := testing.AllocsPerRun(100, func() { buf = p.Append(buf[:0], v) }); n != 0 {
				t.Errorf("NumberPattern %q on %v: %v allocs per Append, want 0", pat, v, n)
			}
		}
	}
}

func BenchmarkDateAppend(b *testing.B) {
	loc, err := time.LoadLocation("America/Lima")
	if err != nil {
		b.Fatal(err)
	}
	ref := time.Date(2024, 1, 15, 14, 30, 5, 123_000_000, loc)
	for _, bc := range []struct{ name, pattern, lang string }{
		{"ISO", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "en"},
		{"DateTime", "yyyy-MM-dd HH:mm:ss", "en"},
		{"SpanishText", "EEEE d 'de' MMMM, h:mm a", "es"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p, err := ParseDatePattern(bc.pattern)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 64)
			b.ReportAllocs()
			for b.Loop() {
				buf = p.Append(buf[:0], ref, bc.lang)
			}
		})
	}
}

func BenchmarkNumberAppend(b *testing.B) {
	for _, bc := range []struct {
		name, pattern string
		v             float64
	}{
		{"Fixed2", "0.00", 1500.5},
		{"Grouped", "#,##0.00", 1234567.891},
		{"Optional", "#.##", 0.5},
		{"Huge", "#,##0.00", 1e300},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p, err := ParseNumberPattern(bc.pattern)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				buf = p.Append(buf[:0], bc.v)
			}
		})
	}
}

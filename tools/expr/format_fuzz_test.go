package expr

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseDatePattern(f *testing.F) {
	for _, p := range []string{"yyyy-MM-dd", "EEEE d 'de' MMMM", "h:mm a", "yyyy-MM-ddTHH:mm:ss.SSSXXX", "Z", "'x''y'"} {
		f.Add(p, int64(1705347005))
	}
	zones := []*time.Location{
		time.UTC,
		time.FixedZone("LIMA", -5*3600),
		time.FixedZone("ODD", 5*3600+45*60+17), // offset with seconds
		time.FixedZone("TINY", -30),            // rounds to a zero offset
		time.FixedZone("HUGE", -1<<40),         // far beyond any real offset
	}
	f.Fuzz(func(t *testing.T, pattern string, sec int64) {
		p, err := ParseDatePattern(pattern)
		if err != nil {
			if p != nil {
				t.Fatalf("ParseDatePattern(%q) returned a pattern and error %v", pattern, err)
			}
			return
		}
		if p.String() != pattern {
			t.Fatalf("String() = %q, want %q", p.String(), pattern)
		}
		times := []time.Time{
			{},
			time.Unix(sec, 999_999_999),
			time.Unix(sec, 0).UTC(),
			time.Date(-44, 3, 15, 23, 59, 59, 0, time.UTC),
			time.Date(292277026596, 12, 4, 15, 30, 7, 0, time.UTC),
		}
		for _, tm := range times {
			for _, z := range zones {
				for _, lang := range []string{"en", "es", ""} {
					out := p.Append([]byte("prefix"), tm.In(z), lang)
					if !strings.HasPrefix(string(out), "prefix") {
						t.Fatalf("Append clobbered dst prefix: %q", out)
					}
					if valid := utf8.ValidString(pattern); valid && !utf8.Valid(out) {
						t.Fatalf("valid UTF-8 pattern %q produced invalid output %q", pattern, out)
					}
				}
			}
		}
	})
}

func FuzzParseNumberPattern(f *testing.F) {
	for _, s := range []struct {
		p string
		v float64
	}{
		{"0.00", 1500}, {"#,##0.00", 1234567.891}, {"#.##", 0.5}, {"000", 7}, {"0.0", -3.14159}, {"0", 1e21},
	} {
		f.Add(s.p, s.v)
	}
	fixed := []float64{
		0, math.Copysign(0, -1), 0.5, -0.5, 0.125, 2.345, -1234567.891, 1e21,
		5e-324, math.MaxFloat64, -math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1),
	}
	f.Fuzz(func(t *testing.T, pattern string, v float64) {
		p, err := ParseNumberPattern(pattern)
		if err != nil {
			if p != nil {
				t.Fatalf("ParseNumberPattern(%q) returned a pattern and error %v", pattern, err)
			}
			return
		}
		if !IsNumberPattern(pattern) {
			t.Fatalf("ParseNumberPattern accepted %q but IsNumberPattern is false", pattern)
		}
		if p.String() != pattern {
			t.Fatalf("String() = %q, want %q", p.String(), pattern)
		}
		for _, x := range append(fixed, v) {
			out := p.Append([]byte("prefix"), x)
			s, ok := strings.CutPrefix(string(out), "prefix")
			if !ok {
				t.Fatalf("Append clobbered dst prefix: %q", out)
			}
			checkNumber(t, p, x, s)
		}
	})
}

// checkNumber verifies the shape of s = p.Append(nil, v) and that it is v
// correctly rounded to p.maxFrac decimals.
func checkNumber(t *testing.T, p *NumberPattern, v float64, s string) {
	t.Helper()
	switch {
	case math.IsNaN(v):
		if s != "NaN" {
			t.Fatalf("%q on NaN = %q", p, s)
		}
		return
	case math.IsInf(v, 0):
		if want := map[bool]string{false: "Inf", true: "-Inf"}[v < 0]; s != want {
			t.Fatalf("%q on %v = %q, want %q", p, v, s, want)
		}
		return
	}
	digits := strings.TrimPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(digits, ".")
	if hasDot != (len(frac) > 0) || len(frac) < p.minFrac || len(frac) > p.maxFrac {
		t.Fatalf("%q on %v = %q: bad fraction", p, v, s)
	}
	if strings.Trim(frac, "0123456789") != "" || (len(frac) > p.minFrac && frac[len(frac)-1] == '0') {
		t.Fatalf("%q on %v = %q: bad fraction digits", p, v, s)
	}
	plain := strings.ReplaceAll(intPart, ",", "")
	if strings.Trim(plain, "0123456789") != "" || len(plain) < p.minInt || (plain == "" && frac == "") {
		t.Fatalf("%q on %v = %q: bad integer part", p, v, s)
	}
	if len(plain) > max(p.minInt, 1) && plain[0] == '0' {
		t.Fatalf("%q on %v = %q: extra leading zero", p, v, s)
	}
	if want := groupDigits(plain, p.group); intPart != want {
		t.Fatalf("%q on %v = %q: integer part %q, want %q", p, v, s, intPart, want)
	}
	// Compare against an independent rendering: strconv with the same
	// precision, which rounds half-even on the exact value.
	want := strconv.FormatFloat(math.Abs(v), 'f', p.maxFrac, 64)
	wantInt, wantFrac, _ := strings.Cut(want, ".")
	wantFrac = strings.TrimRight(wantFrac, "0")
	for len(wantFrac) < p.minFrac {
		wantFrac += "0"
	}
	if strings.TrimLeft(wantInt, "0") != strings.TrimLeft(plain, "0") || wantFrac != frac {
		t.Fatalf("%q on %v = %q, strconv gives %q", p, v, s, want)
	}
	zero := strings.Trim(plain+frac, "0") == ""
	if neg := strings.HasPrefix(s, "-"); neg != (v < 0 && !zero) {
		t.Fatalf("%q on %v = %q: wrong sign", p, v, s)
	}
}

// groupDigits inserts a ',' every g digits from the right of digits (g > 0).
func groupDigits(digits string, g int) string {
	if g <= 0 {
		return digits
	}
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%g == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

package extract

import "testing"

func TestSpelled(t *testing.T) {
	tests := []struct {
		lang, in string
		want     []string // codes, and the text each was read from
	}{
		{"en", "Sure, it's x k seven p two.", []string{"XK7P2", "x k seven p two"}},
		{"en", "X-ray, kilo, seven, papa, two.", []string{"XK7P2", "X-ray, kilo, seven, papa, two"}},
		{"en", "J, 2, W, 4, N.", []string{"J2W4N", "J, 2, W, 4, N"}},
		{"en", "could you change booking X K 7 P 2 so we arrive", []string{"XK7P2", "X K 7 P 2"}},
		{"es", "Ya, es erre guion cuatro ocho dos uno.", []string{"R-4821", "erre guion cuatro ocho dos uno"}},
		{"es", "Erre, guion, seis, cero, ocho, uno.", []string{"R-6081", "Erre, guion, seis, cero, ocho, uno"}},
		{"en", "it's G as in golf, seven seven zero one", []string{"G7701", "G as in golf, seven seven zero one"}},
		{"en", "B for boy, double two, four", []string{"B224", "B for boy, double two, four"}},
		{"es", "a las tres y media", nil},
		{"es", "quiero una mesa para dos", nil},
		{"en", "I have a room for two nights", nil},
		{"en", "nine eight seven six", nil}, // digits alone: Digits reads them
	}
	for _, tt := range tests {
		got := Spelled(tt.in, tt.lang)
		if len(tt.want) == 0 {
			if len(got) > 0 {
				t.Errorf("%q: got %+v, want none", tt.in, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Code != tt.want[0] || spanText(tt.in, got[0].Span) != tt.want[1] {
			t.Errorf("%q: got %+v, want %s from %q", tt.in, got, tt.want[0], tt.want[1])
		}
	}
}

func FuzzSpelled(f *testing.F) {
	for _, s := range []string{"x k seven p two", "erre guion cuatro", "X-ray, kilo", "doble doble", "- - -", "a e i o u"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, lang := range []string{"es", "en"} {
			for _, c := range Spelled(s, lang) {
				if c.Span.Start < 0 || c.Span.End > len(s) || c.Span.Start > c.Span.End || c.Code == "" {
					t.Fatalf("%q: bad result %+v", s, c)
				}
			}
		}
	})
}

// TestSpelledSpanish: letters told apart ("ve corta"), letter names that
// are words ("de", "ye") between pieces, and two-digit numbers in a DNI.
func TestSpelledSpanish(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Acá está: ve corta, eme, cuatro, ocho, dos, uno.", "VM4821"},
		{"El localizador es ce, de, tres, tres, cero, nueve.", "CD3309"},
		{"Mi NIE es ye, dos tres cuatro cinco seis siete ocho, zeta.", "Y2345678Z"},
		{"el DNI es veintitrés, cuatro cinco seis, siete ocho uno, erre", "23456781R"},
		{"be larga, a, uno, dos", "BA12"},
	} {
		got := Spelled(tt.in, "es")
		if len(got) == 0 || got[len(got)-1].Code != tt.want {
			t.Errorf("%q: got %+v, want %s", tt.in, got, tt.want)
		}
	}
}

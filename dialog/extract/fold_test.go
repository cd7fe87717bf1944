package extract

import "testing"

func TestFold(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"hola", "hola"},
		{"¿Cómo estás?", "como estas?"},
		{"¡Sí! Mañana", "si! manana"},
		{"ÁÉÍÓÚÜÑ áéíóúüñ", "aeiouun aeiouun"},
		{"Pingüino", "pinguino"},
		{"That’s", "that's"},
		{"cafe\u0301", "cafe"}, // decomposed accent
		{"\xff\xfeabc", "\xff\xfeabc"},
	} {
		if got := Fold(c.in); got != c.want {
			t.Errorf("Fold(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFoldSpanMap(t *testing.T) {
	in := "¿Sí? MAÑANA, Ñandú"
	f := foldWithMap(in)
	if f.s != "si? manana, nandu" {
		t.Fatalf("folded = %q", f.s)
	}
	// "manana" in folded text maps to "MAÑANA" in the original
	i := 4
	sp := f.span(i, i+len("manana"))
	if got := in[sp.Start:sp.End]; got != "MAÑANA" {
		t.Errorf("span = %q", got)
	}
	i = len("si? manana, ")
	sp = f.span(i, len(f.s))
	if got := in[sp.Start:sp.End]; got != "Ñandú" {
		t.Errorf("span = %q", got)
	}
}

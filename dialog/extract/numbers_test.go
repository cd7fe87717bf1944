package extract

import (
	"fmt"
	"strings"
	"testing"
)

type numCase struct {
	lang, in string
	want     []float64
	spans    []string // original text of each span ("" entries not checked; nil = not checked)
}

var numberCases = []numCase{
	// ---- digits ----
	{"es", "25", []float64{25}, []string{"25"}},
	{"es", "-3", []float64{-3}, []string{"-3"}},
	{"es", "hace -3 grados", []float64{-3}, nil},
	{"es", "1.500,50", []float64{1500.5}, []string{"1.500,50"}},
	{"es", "12,5", []float64{12.5}, nil},
	{"es", "1.500", []float64{1500}, nil},
	{"es", "1.000.000", []float64{1e6}, nil},
	{"es", "2.5", []float64{2.5}, nil},
	{"es", "1,500,000", []float64{1.5e6}, nil},
	{"en", "1,500.50", []float64{1500.5}, []string{"1,500.50"}},
	{"en", "1,500", []float64{1500}, nil},
	{"en", "3.14", []float64{3.14}, nil},
	{"en", "about .5 percent", []float64{0.5}, []string{".5"}},
	{"en", "12,5", []float64{12, 5}, nil},
	{"es", "$50", []float64{50}, []string{"$50"}},
	{"es", "50€", []float64{50}, []string{"50€"}},
	{"es", "50%", []float64{50}, []string{"50%"}},
	{"en", "it costs $1,299.99 total", []float64{1299.99}, []string{"$1,299.99"}},
	{"es", "25 mil", []float64{25000}, []string{"25 mil"}},
	{"es", "1,5 millones", []float64{1.5e6}, nil},
	{"en", "2 thousand", []float64{2000}, nil},
	{"es", "987-654-321", []float64{987, 654, 321}, nil},
	{"es", "10-15", []float64{10, 15}, nil},
	{"es", "el pedido A1001", nil, nil},
	{"en", "the 15th", []float64{15}, []string{"15th"}},
	{"es", "de 3 a 5 personas", []float64{3, 5}, nil},
	// ---- es words ----
	{"es", "cero", []float64{0}, nil},
	{"es", "uno", []float64{1}, nil},
	{"es", "cinco", []float64{5}, nil},
	{"es", "quince", []float64{15}, nil},
	{"es", "dieciséis", []float64{16}, []string{"dieciséis"}},
	{"es", "veintiuno", []float64{21}, nil},
	{"es", "veintinueve", []float64{29}, nil},
	{"es", "treinta y cinco", []float64{35}, []string{"treinta y cinco"}},
	{"es", "noventa y nueve", []float64{99}, nil},
	{"es", "cien", []float64{100}, nil},
	{"es", "ciento cinco", []float64{105}, nil},
	{"es", "ciento veintitrés", []float64{123}, nil},
	{"es", "doscientos", []float64{200}, nil},
	{"es", "quinientos", []float64{500}, nil},
	{"es", "novecientos noventa y nueve", []float64{999}, nil},
	{"es", "mil", []float64{1000}, nil},
	{"es", "mil doscientos", []float64{1200}, nil},
	{"es", "dos mil veinticuatro", []float64{2024}, []string{"dos mil veinticuatro"}},
	{"es", "un millón", []float64{1e6}, []string{"un millón"}},
	{"es", "dos millones quinientos mil", []float64{2.5e6}, nil},
	{"es", "mil millones", []float64{1e9}, nil},
	{"es", "dos coma cinco", []float64{2.5}, []string{"dos coma cinco"}},
	{"es", "tres punto catorce", []float64{3.14}, nil},
	{"es", "dos y medio", []float64{2.5}, []string{"dos y medio"}},
	{"es", "medio", []float64{0.5}, nil},
	{"es", "una docena", []float64{12}, nil},
	{"es", "media docena", []float64{6}, nil},
	{"es", "dos millones y medio", []float64{2.5e6}, nil},
	{"es", "una y media", []float64{1.5}, nil},
	{"es", "somos cinco personas", []float64{5}, []string{"cinco"}},
	{"es", "para una persona", []float64{1}, []string{"una"}},
	{"es", "una", []float64{1}, nil},
	{"es", "quiero una cita para dos", []float64{2}, []string{"dos"}},
	{"es", "Treinta Y Cinco", []float64{35}, []string{"Treinta Y Cinco"}},
	{"es", "tengo veinticinco años y mi hijo tres", []float64{25, 3}, nil},
	{"es", "uno dos tres", []float64{1, 2, 3}, nil},
	{"es", "diez y seis", []float64{10, 6}, nil},
	{"es", "treinta y un días", []float64{31}, nil},
	// ---- en words ----
	{"en", "zero", []float64{0}, nil},
	{"en", "nineteen", []float64{19}, nil},
	{"en", "twenty five", []float64{25}, []string{"twenty five"}},
	{"en", "twenty-five", []float64{25}, []string{"twenty-five"}},
	{"en", "a hundred", []float64{100}, []string{"a hundred"}},
	{"en", "one hundred and five", []float64{105}, []string{"one hundred and five"}},
	{"en", "two thousand twenty four", []float64{2024}, nil},
	{"en", "a thousand", []float64{1000}, nil},
	{"en", "a thousand and one", []float64{1001}, nil},
	{"en", "one point five", []float64{1.5}, []string{"one point five"}},
	{"en", "two and a half", []float64{2.5}, []string{"two and a half"}},
	{"en", "half", []float64{0.5}, nil},
	{"en", "a dozen", []float64{12}, []string{"a dozen"}},
	{"en", "two dozen", []float64{24}, nil},
	{"en", "half a dozen", []float64{6}, nil},
	{"en", "three million", []float64{3e6}, nil},
	{"en", "nineteen hundred", []float64{1900}, nil},
	{"en", "I want a table", nil, nil},
	{"en", "it's order A-1001, and the amount is fifty dollars", []float64{50}, []string{"fifty"}},
	{"en", "five and six", []float64{5, 6}, nil},
	{"en", "one two three", []float64{1, 2, 3}, nil},
	// ---- nothing ----
	{"es", "", nil, nil},
	{"es", "hola", nil, nil},
	{"es", "mp3", nil, nil},
}

func fmtNums(ns []Num) string {
	var b strings.Builder
	for i, n := range ns {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%g", n.Value)
	}
	return b.String()
}

func TestNumbers(t *testing.T) {
	for _, c := range numberCases {
		got := Numbers(c.in, c.lang)
		want := fmtNums(func() []Num {
			var ns []Num
			for _, v := range c.want {
				ns = append(ns, Num{Value: v})
			}
			return ns
		}())
		if fmtNums(got) != want {
			t.Errorf("Numbers(%q, %s) = [%s], want [%s]", c.in, c.lang, fmtNums(got), want)
			continue
		}
		for i, s := range c.spans {
			if s != "" && spanText(c.in, got[i].Span) != s {
				t.Errorf("Numbers(%q, %s)[%d] span = %q, want %q", c.in, c.lang, i, spanText(c.in, got[i].Span), s)
			}
		}
	}
}

func TestNumber(t *testing.T) {
	n, ok := Number("son treinta y cinco soles", "es")
	if !ok || n.Value != 35 || spanText("son treinta y cinco soles", n.Span) != "treinta y cinco" {
		t.Errorf("Number = %+v %v", n, ok)
	}
	if _, ok := Number("nada", "es"); ok {
		t.Errorf("Number(nada) found a number")
	}
	n, ok = Number("twenty-five people", "en")
	if !ok || n.Value != 25 {
		t.Errorf("Number(twenty-five people) = %+v %v", n, ok)
	}
}

func TestNumberWordsAll(t *testing.T) {
	es := []string{"cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
		"once", "doce", "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve",
		"veinte", "veintiuno", "veintidós", "veintitrés", "veinticuatro", "veinticinco", "veintiséis",
		"veintisiete", "veintiocho", "veintinueve"}
	for v, w := range es {
		if n, ok := Number(w, "es"); !ok || n.Value != float64(v) {
			t.Errorf("Number(%q, es) = %v %v, want %d", w, n.Value, ok, v)
		}
	}
	en := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	for v, w := range en {
		if n, ok := Number(w, "en"); !ok || n.Value != float64(v) {
			t.Errorf("Number(%q, en) = %v %v, want %d", w, n.Value, ok, v)
		}
	}
	tens := map[string]float64{"treinta": 30, "cuarenta y uno": 41, "cincuenta y dos": 52, "sesenta y tres": 63,
		"setenta y cuatro": 74, "ochenta y cinco": 85, "noventa y seis": 96, "setecientos setenta y siete": 777,
		"ochocientos": 800, "novecientos nueve": 909, "cuatrocientos mil": 400000, "tres millones": 3e6}
	for w, v := range tens {
		if n, ok := Number(w, "es"); !ok || n.Value != v {
			t.Errorf("Number(%q, es) = %v %v, want %g", w, n.Value, ok, v)
		}
	}
}

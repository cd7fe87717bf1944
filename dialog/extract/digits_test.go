package extract

import "testing"

var digitCases = []struct {
	lang, in, want, span string
}{
	{"es", "987 654 321", "987654321", "987 654 321"},
	{"es", "987-654-321", "987654321", "987-654-321"},
	{"es", "+51 987654321", "51987654321", "51 987654321"},
	{"es", "mi número es 987654321", "987654321", "987654321"},
	{"es", "nueve ocho siete seis cinco cuatro tres dos uno", "987654321", "nueve ocho siete seis cinco cuatro tres dos uno"},
	{"es", "Nueve, ocho, siete", "987", "Nueve, ocho, siete"},
	{"es", "doble cinco tres", "553", ""},
	{"es", "triple cero uno", "0001", ""},
	{"es", "noventa y ocho, setenta y seis", "9876", "noventa y ocho, setenta y seis"},
	{"es", "nueve ochenta y siete, sesenta y cinco, cuarenta y tres", "9876543", ""}, // 9, 87, 65, 43
	{"es", "987 seis cinco cuatro 321", "987654321", ""},
	{"es", "cero uno ocho guion cuatro cinco", "01845", ""},
	{"es", "novecientos ochenta y siete", "987", ""},
	{"es", "tengo 25 años y mi número es 987 654 321", "987654321", "987 654 321"},
	{"es", "el código es A-1001", "1001", ""},
	{"es", "(01) 234-5678", "012345678", ""},
	{"es", "dos mil", "2000", ""},
	{"es", "nada", "", ""},
	{"es", "", "", ""},
	{"en", "nine eight seven six five four three two one", "987654321", ""},
	{"en", "five five five, oh one two three", "5550123", ""},
	{"en", "double five", "55", "double five"},
	{"en", "triple seven two", "7772", ""},
	{"en", "nine eighty seven", "987", ""},
	{"en", "my number is 555-0123 thanks", "5550123", "555-0123"},
	{"en", "one two three and four five six", "123456", ""},
	{"en", "oh five", "05", ""},
	{"en", "oh well", "", ""},
}

func TestDigits(t *testing.T) {
	for _, c := range digitCases {
		got, sp, ok := Digits(c.in, c.lang)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Digits(%q, %s) = %q %v, want %q", c.in, c.lang, got, ok, c.want)
			continue
		}
		if c.span != "" && spanText(c.in, sp) != c.span {
			t.Errorf("Digits(%q, %s) span = %q, want %q", c.in, c.lang, spanText(c.in, sp), c.span)
		}
	}
}

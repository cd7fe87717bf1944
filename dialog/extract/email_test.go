package extract

import "testing"

var emailCases = []struct {
	lang, in, want, span string
}{
	{"es", "juan.perez@gmail.com", "juan.perez@gmail.com", "juan.perez@gmail.com"},
	{"es", "mi correo es Juan.Perez@Gmail.com, gracias", "juan.perez@gmail.com", "Juan.Perez@Gmail.com"},
	{"es", "mi correo es juan@gmail.com.", "juan@gmail.com", "juan@gmail.com"},
	{"es", "correo:ana_maria@empresa.com.pe", "ana_maria@empresa.com.pe", "ana_maria@empresa.com.pe"},
	{"es", "juan arroba gmail punto com", "juan@gmail.com", "juan arroba gmail punto com"},
	{"es", "mi correo es juan arroba gmail punto com", "juan@gmail.com", "juan arroba gmail punto com"},
	{"es", "juan punto perez arroba hotmail punto es", "juan.perez@hotmail.es", ""},
	{"es", "ana guion bajo maria arroba empresa punto com punto pe", "ana_maria@empresa.com.pe", ""},
	{"es", "ana guión bajo maría arroba yahoo punto es", "ana_maria@yahoo.es", ""},
	{"es", "jose guion lopez arroba mail punto com", "jose-lopez@mail.com", ""},
	{"es", "j u a n arroba gmail punto com", "juan@gmail.com", "j u a n arroba gmail punto com"},
	{"es", "es jota, u, a, ene... no: j u a n arroba gmail punto com", "juan@gmail.com", ""},
	{"es", "juan cinco arroba gmail punto com", "juan5@gmail.com", ""},
	{"es", "juan85 arroba outlook punto com", "juan85@outlook.com", ""},
	{"es", "Juan Pérez arroba Gmail punto com", "juanperez@gmail.com", "Juan Pérez arroba Gmail punto com"},
	{"es", "juan arroba gmail punto com y mi teléfono es 987654321", "juan@gmail.com", ""},
	{"es", "sí, juan arroba gmail punto com", "juan@gmail.com", ""},
	{"es", "juan arroba gmail.com", "juan@gmail.com", ""},
	{"es", "juan arroba hot mail punto com", "juan@hotmail.com", ""},
	{"es", "juan arroba gmail", "", ""},
	{"es", "juan arroba gmail punto c", "", ""},
	{"es", "no tengo correo", "", ""},
	{"es", "", "", ""},
	{"es", "@gmail.com", "", ""},
	{"en", "juan at gmail dot com", "juan@gmail.com", "juan at gmail dot com"},
	{"en", "john twenty five at gmail dot com", "john25@gmail.com", ""},
	{"en", "my email is john underscore smith at yahoo dot co dot uk", "john_smith@yahoo.co.uk", ""},
	{"en", "it's mary dash jane at example dot org", "mary-jane@example.org", "mary dash jane at example dot org"},
	{"en", "mary hyphen jane at example dot org please", "mary-jane@example.org", ""},
	{"en", "send it to bob dot jones at company dot io", "bob.jones@company.io", ""},
	{"en", "j o h n at gmail dot com", "john@gmail.com", ""},
	{"en", "john one two at gmail dot com", "john12@gmail.com", ""},
	{"en", "I'm at home", "", ""},
	{"en", "call me at 5 pm", "", ""},
	{"en", "meet me at the office dot", "", ""},
	{"en", "Contact: John.Doe+tag@Example.COM", "john.doe+tag@example.com", "John.Doe+tag@Example.COM"},
}

func TestEmail(t *testing.T) {
	for _, c := range emailCases {
		got, sp, ok := Email(c.in, c.lang)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Email(%q, %s) = %q %v, want %q", c.in, c.lang, got, ok, c.want)
			continue
		}
		if c.span != "" && spanText(c.in, sp) != c.span {
			t.Errorf("Email(%q, %s) span = %q, want %q", c.in, c.lang, spanText(c.in, sp), c.span)
		}
	}
}

func TestSpelledEmails(t *testing.T) {
	tests := []struct{ text, want string }{
		{"j, p, e, r, e, z arroba gmail punto com", "jperez@gmail.com"},
		{"jota pe e erre e zeta arroba gmail punto com", "jperez@gmail.com"},
		{"claro, es carmen ochenta y cinco arroba yahoo punto com", "carmen85@yahoo.com"},
		{"Juan Pérez, juan@email.com", "juan@email.com"},
		{"de, e arroba x punto com", "e@x.com"},
	}
	for _, tt := range tests {
		if got, _, ok := Email(tt.text, "es"); !ok || got != tt.want {
			t.Errorf("Email(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
		}
	}
}

func TestEmailAtTheRate(t *testing.T) {
	for in, want := range map[string]string{
		"ramesh dot iyer at the rate gmail dot com":    "ramesh.iyer@gmail.com",
		"priya at the rate of yahoo dot co dot in":     "priya@yahoo.co.in",
		"it's tom at the rate company dot com, thanks": "tom@company.com",
	} {
		if got, _, ok := Email(in, "en"); !ok || got != want {
			t.Errorf("%q: got %q %v, want %q", in, got, ok, want)
		}
	}
}

// TestDictatedEmails: emails as recognisers punctuate dictation — commas
// between the spoken symbols, words spelled with hyphens, and a word
// followed by its own spelling.
func TestDictatedEmails(t *testing.T) {
	for _, tt := range []struct{ lang, in, want string }{
		{"es", "Mi correo es pato.gonzalez, arroba, gmail, punto, com.", "pato.gonzalez@gmail.com"},
		{"en", "Sure, it's b-e-l-l-e dot m-a-y at gmail dot com.", "belle.may@gmail.com"},
		{"en", "Sean, S-E-A-N, dot Gallagher at eircom dot net.", "sean.gallagher@eircom.net"},
		{"en", "It's fiona, F I O N A, dot mcleod, M C L E O D, at hotmail dot co dot uk", "fiona.mcleod@hotmail.co.uk"},
		{"en", "my email is j o h n at mail dot com", "john@mail.com"},
		{"en", "ann, a n n, at x dot com", "ann@x.com"},
	} {
		if got, _, ok := Email(tt.in, tt.lang); !ok || got != tt.want {
			t.Errorf("%q: got %q %v, want %q", tt.in, got, ok, tt.want)
		}
	}
}

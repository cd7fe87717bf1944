package configs

import (
	"strings"
	"testing"
)

func TestIsPII(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		f    Field
		want bool
	}{
		{Field{Name: "email", Type: TypeEmail}, true},
		{Field{Name: "telefono", Type: TypePhone}, true},
		{Field{Name: "correo", Type: TypeString}, true}, // a string field named like an email
		{Field{Name: "nombre", Type: TypeString}, false},
		{Field{Name: "nombre", Type: TypeString, PII: &yes}, true},
		{Field{Name: "email", Type: TypeEmail, PII: &no}, false},
		{Field{Name: "fecha", Type: TypeDate, PII: &yes}, true},
	}
	for _, tt := range tests {
		if got := tt.f.IsPII(); got != tt.want {
			t.Errorf("%s (%s, pii %v): IsPII() = %v, want %v", tt.f.Name, tt.f.Type, tt.f.PII, got, tt.want)
		}
	}
}

// TestPIIKey: `pii:` is read as set or unset, so false turns the default
// off; anything but a boolean is a problem with its line.
func TestPIIKey(t *testing.T) {
	const agent = `name: test
services:
  - intent: book
    reference: book a table
    endpoint: https://api.example.com/book
    requiredFields:
      - {name: email, type: email, pii: false}
      - {name: phone, type: phone}
      - {name: name, type: string, pii: true}
      - {name: notes, type: string}
`
	a, err := Parse("test.yaml", []byte(agent))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"email": false, "phone": true, "name": true, "notes": false}
	for _, f := range a.Services[0].RequiredFields {
		if f.IsPII() != want[f.Name] {
			t.Errorf("%s: IsPII() = %v, want %v", f.Name, f.IsPII(), want[f.Name])
		}
	}
	_, err = Parse("test.yaml", []byte(strings.Replace(agent, "pii: true", "pii: yes please", 1)))
	if err == nil || !strings.Contains(err.Error(), "test.yaml:9: services[0].requiredFields[2].pii: expected true or false") {
		t.Errorf("a pii that is not a boolean: %v", err)
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"juan.perez@gmail.com", "j•••@•••.com"},
		{"ana@clinica.com.pe", "a•••@•••.pe"},
		{"ñandu@localhost", "ñ•••@•••"},
		{"+34600111222", "•••• 1222"},
		{"612345678", "•••• 678"},
		{"María López", "•••• pez"},
		{"1990-01-11", "•••• -11"},
		{"A-1234", "•••• 34"},
		{"Ana", "••••"},
		{"  612345678 ", "•••• 678"},
		{"at @ sign", "•••• ign"}, // not an email: it has spaces
	}
	for _, tt := range tests {
		got := Mask(tt.in)
		if got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.in != "" && strings.TrimSpace(tt.in) == got {
			t.Errorf("Mask(%q) shows the whole value", tt.in)
		}
	}
}

package dialog

import "testing"

// TestSpoken: a value as read-backs say it, by the field's name.
func TestSpoken(t *testing.T) {
	e := engine(t, "clinica.yaml")
	for _, tt := range []struct{ field, value, want string }{
		{"fecha", "2024-01-11", "jueves 11 de enero"},
		{"hora", "15:30", "15:30"},
		{"factura", "true", "sí"},
		{"email", "ana@x.com", "ana@x.com"},
		{"nadie", "x", "x"}, // no such field: as it is
	} {
		if got := e.Spoken(tt.field, tt.value); got != tt.want {
			t.Errorf("Spoken(%q, %q) = %q, want %q", tt.field, tt.value, got, tt.want)
		}
	}
}

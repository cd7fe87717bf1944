package fieldpath

import "testing"

func TestJoin(t *testing.T) {
	tests := []struct{ path, key, want string }{
		{"", "services", "services"},
		{"services[0]", "headers", "services[0].headers"},
		{"headers", "X-Api-Key", "headers.X-Api-Key"},
		{"bodyTemplate", "filter.status", `bodyTemplate["filter.status"]`},
		{"bodyTemplate", "cliente nombre", `bodyTemplate["cliente nombre"]`},
		{"", "a.b", `["a.b"]`},
		{"m", "día", "m.día"},
	}
	for _, tt := range tests {
		if got := Join(tt.path, tt.key); got != tt.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tt.path, tt.key, got, tt.want)
		}
	}
	if got := Index("services", 2); got != "services[2]" {
		t.Errorf("Index = %q", got)
	}
}

package suggest

import "testing"

func TestDidYouMean(t *testing.T) {
	fields := []string{"intent", "reference", "promptHint", "bodyTemplate", "responseMapping"}
	tests := []struct {
		word string
		want string
	}{
		{"promtHint", ` (did you mean "promptHint"?)`},
		{"bodytemplate", ` (did you mean "bodyTemplate"?)`},
		{"responseMaping", ` (did you mean "responseMapping"?)`},
		{"intnet", ` (did you mean "intent"?)`},
		{"colour", ""},
		{"x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := DidYouMean(tt.word, fields); got != tt.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"teléfono", "telefono", 1}, {"ab", "ba", 2},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

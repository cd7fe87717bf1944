package extract

import (
	"testing"
	"time"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return l
}

// refNow is Wednesday 2024-01-10 09:00 America/Lima.
func refNow(t testing.TB) time.Time {
	return time.Date(2024, 1, 10, 9, 0, 0, 0, mustLoc(t, "America/Lima"))
}

func spanText(s string, sp Span) string {
	if sp.Start < 0 || sp.End > len(s) || sp.Start > sp.End {
		return "<bad span>"
	}
	return s[sp.Start:sp.End]
}

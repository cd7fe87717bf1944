package expr

import (
	"testing"
	"time"
)

type fakeCall struct{ now time.Time }

func (c fakeCall) Now() time.Time       { return c.now }
func (c fakeCall) CallID() string       { return "c-1" }
func (c fakeCall) AgentID() string      { return "clinica" }
func (c fakeCall) CallerNumber() string { return "+34600111222" }
func (c fakeCall) Language() string     { return "es" }

func TestSystem(t *testing.T) {
	now := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	call := fakeCall{now: now}
	for _, tt := range []struct {
		name string
		want string
		ok   bool
	}{
		{"now", now.Format(time.RFC3339), true},
		{"today", "2024-01-15", true},
		{"call_id", "c-1", true},
		{"agent_id", "clinica", true},
		{"caller_number", "+34600111222", true},
		{"language", "es", true},
		{"nombre", "", false},
		{"", "", false},
	} {
		v, ok := System(tt.name, call)
		got := v.Str
		if v.Kind == Time {
			got = v.Time.Format(time.RFC3339)
		}
		if ok != tt.ok || got != tt.want {
			t.Errorf("System(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

package llm

import (
	"testing"

	"github.com/voiceagent/voiceagent/dialog"
)

// FuzzRead: whatever a model answers — any function names, any arguments,
// any text — reading it never panics, and a reading names only services
// and fields the agent has.
func FuzzRead(f *testing.F) {
	f.Add("schedule_appointment", `{"nombre": "Juan", "fecha": "2024-01-12"}`, "correct_field", `{"field": "nombre", "value": 3}`, "")
	f.Add("answer_question", `{"answer": null}`, "cancel_request", ``, "hola")
	f.Add("x", `[1,2]`, "check_availability", `{"especialidad": {"a": 1}, "fecha": true}`, "")
	f.Add("correct_field", `{"field": ["nombre"], "value": "x"}`, "schedule_appointment", `{"nombre": 1e400}`, "")
	m, err := New(Config{Provider: "openai", BaseURL: "http://127.0.0.1:1"}, Options{})
	if err != nil {
		f.Fatal(err)
	}
	q := query("hola", dialog.State{Phase: dialog.PhaseCollecting, Intent: "schedule_appointment", Asking: "nombre"})
	tb := buildTools(q)
	f.Fuzz(func(t *testing.T, name1, args1, name2, args2, content string) {
		r, err := m.read(q, tb, answer{content: content, calls: []call{{name: name1, args: args1}, {name: name2, args: args2}}})
		if err != nil {
			return
		}
		if r.Intent != "" && clinic.Service(r.Intent) == nil {
			t.Fatalf("unknown intent %q", r.Intent)
		}
		intent := r.Intent
		if intent == "" {
			intent = "schedule_appointment"
		}
		for k := range r.Values {
			if !hasField(clinic.Service(intent), k) {
				t.Fatalf("unknown field %q of %s", k, intent)
			}
		}
	})
}

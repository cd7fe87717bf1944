package dialog

import "testing"

// TestIntentByVerb: services that share a noun ("reserva") are told apart
// by what the caller wants done, in the caller's words, with references
// only (no examples).
func TestIntentByVerb(t *testing.T) {
	e := engine(t, "reservas.yaml")
	tests := []struct{ in, want string }{
		{"quisiera separar una mesa para cuatro", "reservar_mesa"},
		{"¿me aparta una mesa para hoy?", "reservar_mesa"},
		{"oiga, ¿tienen mesa para esta noche?", "reservar_mesa"},
		{"tenía una reserva para el sábado pero ya no vamos a poder ir", "cancelar_reserva"},
		{"llamaba para anular una reserva", "cancelar_reserva"},
		{"quiero mover mi reservación del miércoles para el viernes", "cambiar_reserva"},
		{"¿se puede pasar la reserva para más tarde?", "cambiar_reserva"},
		{"¿me confirma a qué hora quedó mi reserva?", "consultar_reserva"},
		{"¿para cuántos quedó mi reservación?", "consultar_reserva"},
	}
	for _, tt := range tests {
		c := e.NewCall("x", "")
		c.Step(Start{At: wednesday})
		c.Step(Utterance{At: wednesday, Text: tt.in})
		if c.st.Intent != tt.want {
			t.Errorf("%q: intent %q, want %s", tt.in, c.st.Intent, tt.want)
		}
	}
}

// TestVerbClitics: a pronoun joined to a Spanish infinitive or gerund is
// not part of its root, so "cortarme el pelo" reaches the option "corte".
func TestVerbClitics(t *testing.T) {
	for in, want := range map[string]string{"cortarme": "cortar", "revisarlo": "revisar", "peinandola": "peinando",
		"ponerselo": "poner", "corte": "corte", "perla": "perla", "tarde": "tarde"} {
		if got := withoutVerbClitic(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	if stem("cortarme", "es") != stem("corte", "es") {
		t.Errorf("cortarme %s, corte %s", stem("cortarme", "es"), stem("corte", "es"))
	}
}

// TestDoneVerbs: a reference says what its service does; what its object
// went through or is based on is not it.
func TestDoneVerbs(t *testing.T) {
	for _, tt := range []struct {
		lang, ref string
		has, not  verb
	}{
		{"es", "Cambiar el día o la hora de una cita previa que ya está reservada", verbChange, verbBook},
		{"en", "Check whether a refill that was already requested is ready for pickup", verbCheck, verbRequest},
		{"es", "Contratar y programar una mudanza en una fecha a partir de una cotización ya hecha", verbBook, verbQuote},
		{"en", "Give the latest tracing update on a delayed-bag file that is already open", verbNone, verbOpen},
	} {
		vs := answerEngines[tt.lang].lex.doneVerbs(tt.ref)
		if tt.has != verbNone && !vs.has(tt.has) || vs.has(tt.not) {
			t.Errorf("%q: verbs %b", tt.ref, vs)
		}
	}
	// and a caller's noun they already have is not asked for
	for _, in := range []string{"Ya tengo la cotización, es la 317504", "I've got a file open"} {
		lang := "es"
		if in[0] == 'I' {
			lang = "en"
		}
		if vs := answerEngines[lang].lex.hearVerbs(in); vs.has(verbQuote) || vs.has(verbOpen) {
			t.Errorf("%q: verbs %b", in, vs)
		}
	}
}

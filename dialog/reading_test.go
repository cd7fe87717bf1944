package dialog

import "testing"

func vals(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestReadings: what a model reads is validated like the rules' values,
// settles what the rules cannot, and never confirms.
func TestReadings(t *testing.T) {
	full := &Reading{Intent: "reservar_cita", Values: vals("nombre", "Juan Pérez", "email", "juan arroba gmail punto com",
		"telefono", "987 654 321", "fecha", "2024-01-12", "hora", "10:30", "especialidad", "cardiología")}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a rambling request, read whole", []step{
			{in: "bueno mire, le cuento, mi hijo tiene fiebre y quería ver si lo puede ver alguien del corazón el viernes, soy Juan Pérez",
				model: &Reading{Intent: "reservar_cita", Values: vals("nombre", "Juan Pérez", "fecha", "el viernes", "especialidad", "cardiología")},
				phase: PhaseCollecting, asks: "email", slots: vals("nombre", "Juan Pérez", "fecha", "2024-01-12", "especialidad", "cardiología")},
		}},
		{"values are validated and normalised like the rules'", []step{
			{in: "quiero una cita, mi correo es juan arroba gmail punto com y el teléfono nueve ocho siete seis cinco cuatro tres dos uno",
				model: &Reading{Intent: "reservar_cita", Values: vals("email", "juan arroba gmail punto com", "telefono", "nueve ocho siete seis cinco cuatro tres dos uno", "hora", "2024-01-12T15:00")},
				asks:  "nombre", slots: vals("email", "juan@gmail.com", "telefono", "987654321", "hora", "15:00")},
		}},
		{"an invalid value for the asked field gets the reason", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Juan", asks: "email"},
			{in: "es el de siempre, el de mi trabajo", model: &Reading{Values: vals("email", "el de mi trabajo")},
				asks: "email", says: "no parece válido"},
		}},
		{"an option that is not offered is rejected", []step{
			{in: "quiero una cita con el traumatólogo", model: &Reading{Intent: "reservar_cita", Values: vals("especialidad", "traumatología")},
				asks: "nombre", not: "traumatolog"},
		}},
		{"unknown fields and services are ignored", []step{
			{in: "quiero reservar una cita", model: &Reading{Intent: "volar_a_marte", Values: vals("planeta", "Marte")}, asks: "nombre"},
			{in: "Ana Ruiz", model: &Reading{Values: vals("apodo", "Anita")}, asks: "email", slots: vals("nombre", "Ana Ruiz")},
		}},
		{"a correction by the model", []step{
			{in: "quiero reservar una cita", model: full, phase: PhaseConfirming},
			{in: "uy no, perdona, que al final me viene mejor por la tarde, a eso de las cinco", model: &Reading{Values: vals("hora", "17:00")},
				phase: PhaseConfirming, says: "a las 17:00"},
			{in: "sí", exec: vals("hora", "17:00", "nombre", "Juan Pérez")},
		}},
		{"the model can never confirm", []step{
			{in: "quiero reservar una cita", model: full, phase: PhaseConfirming},
			{in: "mmm déjame pensarlo", model: full, phase: PhaseConfirming},
			{in: "confírmalo tú", model: &Reading{Intent: "reservar_cita"}, phase: PhaseConfirming},
			{in: "sí", model: &Reading{Values: vals("hora", "11:00")}, exec: vals("hora", "10:30")},
		}},
		{"switching service mid-request", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "ay no, espera, mejor lo que quiero es anular la que ya tengo, la 48213", model: &Reading{Intent: "cancelar_cita", Values: vals("codigo", "48213")},
				phase: PhaseConfirming, slots: vals("codigo", "48213")},
		}},
		{"a disabled service is not started", []step{
			{in: "me podrían renovar la receta de mi mamá", model: &Reading{Intent: "pedir_receta"}, phase: PhaseListening, says: "no está disponible"},
		}},
		{"cancel and repeat", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "perdona, ¿qué me preguntabas?", model: &Reading{Repeat: true}, asks: "nombre", says: "nombre completo"},
			{in: "sabes qué, déjalo para otro día", model: &Reading{Cancel: true}, phase: PhaseListening, says: "lo dejamos"},
		}},
		{"a question outside the services", []step{
			{in: "¿a qué hora abren?", model: &Reading{Answer: "Abrimos de 8 a 20 h."}, phase: PhaseListening, says: "Abrimos de 8 a 20 h."},
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "¿y cuánto cuesta la consulta?", model: &Reading{Answer: "La consulta cuesta 50 soles."}, asks: "nombre",
				says: "50 soles. | ¿Cuál es tu nombre completo?"},
		}},
		{"an answer does not hide a request the rules understand", []step{
			{in: "quiero reservar una cita", model: &Reading{Answer: "Claro, con gusto."}, asks: "nombre", not: "con gusto"},
			{in: "Juan", asks: "email"},
			{in: "juan@gmail.com", model: &Reading{Answer: "Gracias."}, asks: "telefono", not: "gracias"},
		}},
		{"right after a service, the model's values build on it", []step{
			{in: "qué horarios hay el viernes", phase: PhaseExecuting, exec: vals("fecha", "2024-01-12")},
			{in: "=No quedan horarios.", phase: PhaseListening},
			{in: "vaya, ¿y el lunes?", model: &Reading{Intent: "consultar_horarios", Values: vals("fecha", "el lunes")},
				phase: PhaseExecuting, exec: vals("fecha", "2024-01-15")},
		}},
		{"an empty reading leaves the rules", []step{
			{in: "quiero reservar una cita", model: &Reading{}, asks: "nombre"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { play(t, engine(t, "clinica.yaml"), tt.steps) })
	}
}

// TestAnswersGiveWayToRules: a model's reply never hides what the rules
// would do with the caller's words (the reviewer's cases).
func TestAnswersGiveWayToRules(t *testing.T) {
	answer := func(text string) *Reading { return &Reading{Answer: text} }
	full := &Reading{Intent: "reservar_cita", Values: vals("nombre", "Juan Pérez", "email", "juan@example.com",
		"telefono", "987654321", "fecha", "2024-01-12", "hora", "10:30", "especialidad", "cardiología")}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a change to a read-back", []step{
			{in: "quiero una cita", model: full, phase: PhaseConfirming},
			{in: "no, mejor a las 5 de la tarde", model: answer("De acuerdo, lo cambio."), phase: PhaseConfirming, says: "17:00", not: "lo cambio"},
		}},
		{"a name while the name is asked", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Juan Pérez", model: answer("Mucho gusto."), asks: "email", slots: vals("nombre", "Juan Pérez"), not: "mucho gusto"},
		}},
		{"choosing an offered service", []step{
			{in: "quiero pagar algo pendiente con tarjeta", says: "¿Quieres"},
			{in: "la segunda", model: answer("Perfecto."), not: "Perfecto.", phase: PhaseExecuting, exec: vals()},
		}},
		{"a retry after an answer", []step{
			{in: "qué horarios hay el viernes", exec: vals("fecha", "2024-01-12")},
			{in: "=No quedan horarios."},
			{in: "vaya, ¿y el lunes?", model: answer("Déjame ver."), exec: vals("fecha", "2024-01-15"), not: "Déjame ver"},
		}},
		{"the same service again right after its answer", []step{
			{in: "quiero una cita", model: full, phase: PhaseConfirming},
			{in: "sí", exec: vals("hora", "10:30")},
			{in: "=Ese horario está ocupado."},
			{in: "¿y a las 11?", model: &Reading{Intent: "reservar_cita", Values: vals("hora", "11:00")},
				phase: PhaseConfirming, slots: vals("hora", "11:00", "nombre", "Juan Pérez")},
		}},
		{"values of an unknown service fill nothing", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Ana Ruiz", model: &Reading{Intent: "volar_a_marte", Values: vals("nombre", "Marte", "email", "ana@marte.com")},
				asks: "email", slots: vals("nombre", "Ana Ruiz")},
		}},
		{"before the call starts", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { play(t, engine(t, "clinica.yaml"), tt.steps) })
	}
	c := engine(t, "clinica.yaml").NewCall("early", "")
	if acts := c.Step(Utterance{At: wednesday, Text: "hola", Reading: answer("Hola")}); acts != nil || c.WantsReading("hola") {
		t.Errorf("before Start: %v", acts)
	}
}

// TestModelActs: a model's acts are honoured for what executes nothing —
// a hold, a request to repeat, small talk, a question, a goodbye, asking
// for a person — when the rules would read the words otherwise; a model's
// "affirm" alone never executes, and a deny or a hold read in a yes stops
// it (both keys); a field the model left empty is not filled by the rules.
func TestModelActs(t *testing.T) {
	full := &Reading{Intent: "reservar_cita", Values: vals("nombre", "Juan Pérez", "email", "juan@gmail.com",
		"telefono", "987654321", "fecha", "2024-01-12", "hora", "10:30", "especialidad", "cardiología")}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a hold the lexicon does not know", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "déjame preguntarle a mi esposa cómo quiere que ponga el nombre", model: &Reading{Acts: []string{ActHold}},
				asks: "nombre", says: "tómate tu tiempo", slots: vals()},
		}},
		{"a hold at a read-back leaves it pending", []step{
			{in: "quiero reservar una cita", model: full, phase: PhaseConfirming},
			{in: "a ver, que lo pienso un segundito con mi señora aquí", model: &Reading{Acts: []string{ActHold}},
				phase: PhaseConfirming, says: "tómate tu tiempo"},
			{in: "sí", exec: vals("hora", "10:30")},
		}},
		{"a request to repeat", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "disculpe, no le agarré bien lo último que dijo", model: &Reading{Acts: []string{ActRepeat}},
				asks: "nombre", says: "nombre completo"},
		}},
		{"small talk, with the model's answer or without", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "qué bonito día hace hoy en Lima, ¿no?", model: &Reading{Acts: []string{ActSmallTalk}, Answer: "¡Sí, precioso!"},
				asks: "nombre", says: "precioso", slots: vals()},
			{in: "usted siempre tan amable", model: &Reading{Acts: []string{ActSmallTalk}}, asks: "nombre", says: "gracias por preguntar"},
		}},
		{"a question while a name is asked", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "oiga y el estacionamiento es gratis", model: &Reading{Acts: []string{ActQuestion}, Answer: "Sí, es gratuito."},
				asks: "nombre", says: "gratuito", slots: vals()},
		}},
		{"a goodbye", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "ya lo veo con calma y le marco luego, cuídese", model: &Reading{Acts: []string{ActGoodbye}}, end: true, phase: PhaseEnded},
		}},
		{"asking for a person", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "prefiero que me atienda la doctora directamente", model: &Reading{Acts: []string{ActHuman}},
				asks: "nombre", says: "no puedo pasarte con una persona"},
		}},
		{"the model's affirm alone never executes", []step{
			{in: "quiero reservar una cita", model: full, phase: PhaseConfirming},
			{in: "mmm bueno, vamos viendo", model: &Reading{Acts: []string{ActAffirm}}, phase: PhaseConfirming},
			{in: "ya pues dele nomás a lo que salga", model: &Reading{Acts: []string{ActAffirm}}, phase: PhaseConfirming},
			{in: "sí", model: &Reading{Acts: []string{ActAffirm}}, exec: vals("hora", "10:30")},
		}},
		{"a yes the model reads as a deny does not execute", []step{
			{in: "quiero reservar una cita", model: full, phase: PhaseConfirming},
			{in: "sí", model: &Reading{Acts: []string{ActDeny}}, phase: PhaseConfirming},
			{in: "sí, confirmo", exec: vals("hora", "10:30")},
		}},
		{"a yes the model reads as a hold waits", []step{
			{in: "quiero reservar una cita", model: full, phase: PhaseConfirming},
			{in: "sí", model: &Reading{Acts: []string{ActHold}}, phase: PhaseConfirming, says: "tómate tu tiempo"},
			{in: "sí", exec: vals("hora", "10:30")},
		}},
		{"a field the model left empty is not filled by the rules", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "eh, un segundo Juan, que me pasa el teléfono", model: &Reading{Acts: []string{ActHold}, Empty: []string{"nombre"}},
				asks: "nombre", slots: vals()},
			{in: "Perdón, Juan Pérez", model: &Reading{Acts: []string{ActInform}, Empty: []string{"email"}},
				asks: "email", slots: vals("nombre", "Juan Pérez")},
		}},
	}
	e := engine(t, "clinica.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { play(t, e, tt.steps) })
	}
}

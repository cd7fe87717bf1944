package dialog

import (
	"strings"
	"testing"
)

// TestHear: what an utterance does, read with the built-in lexicons. alone
// means the utterance says nothing else; weak words (a bare "para", "no")
// count only then.
func TestHear(t *testing.T) {
	tests := []struct {
		lang, in string
		acts     []act
		alone    bool
		inform   string // the words left for values, trimmed
	}{
		{"es", "un momento, déjame buscarlo", []act{actHold}, true, ""},
		{"es", "espérame tantito", []act{actHold}, true, ""},
		{"es", "Un momento... sí, es el A1001", []act{actHold}, false, "sí, es el A1001"},
		{"es", "no, mejor no, déjala así", []act{actCancel}, true, ""},
		{"es", "olvídalo, mejor quiero cambiar la reserva", []act{actCancel}, false, "mejor quiero cambiar la reserva"},
		{"es", "¿me repite, por favor?", []act{actRepeat}, true, ""},
		{"es", "¿cómo?", []act{actRepeat}, true, ""},
		{"es", "¿mande?", []act{actRepeat}, true, ""},
		{"es", "Listo, sí, mándelo por favor", []act{actAffirm}, true, "Listo, sí, mándelo"},
		{"es", "sí, tramítemelo", []act{actAffirm}, true, "sí, tramítemelo"},
		{"es", "Ya, está bien, mándela nomás", []act{actAffirm}, true, "Ya, está bien, mándela"},
		{"es", "mesa para cuatro", nil, false, "mesa para cuatro"},
		{"es", "eso sería todo, gracias, chau", []act{actGoodbye, actThanks, actFarewell}, true, ""},
		{"es", "¿cómo está?", []act{actSmallTalk}, true, ""},
		{"es", "quiero hablar con un asesor", []act{actHuman}, true, ""},
		{"en", "hold on, let me grab it", []act{actHold}, true, ""},
		{"en", "one sec", []act{actHold}, true, ""},
		{"en", "actually never mind, I'll keep it", []act{actCancel}, true, ""},
		{"en", "sorry, can you say that again?", []act{actRepeat}, true, ""},
		{"en", "that's all, thanks, bye", []act{actGoodbye, actThanks, actFarewell}, true, ""},
		{"en", "let me talk to a human", []act{actHuman}, true, ""},
		{"en", "for two people", nil, false, "for two people"},
	}
	for _, tt := range tests {
		e := answerEngines[tt.lang]
		h := e.hear(tt.in)
		var want uint32
		for _, a := range tt.acts {
			want |= 1 << a
		}
		if h.acts&^(1<<actFiller) != want || h.alone != tt.alone {
			var got []string
			for a := act(1); a < numActs; a++ {
				if h.has(a) {
					got = append(got, a.String())
				}
			}
			t.Errorf("%s %q: acts %v alone %v, want %v alone %v", tt.lang, tt.in, got, h.alone, tt.acts, tt.alone)
		}
		if got := strings.Join(strings.Fields(strings.Trim(h.inform(), " ,.?¿!")), " "); got != tt.inform {
			t.Errorf("%s %q: informs %q, want %q", tt.lang, tt.in, got, tt.inform)
		}
	}
}

// TestVerbs: what the caller wants done, whatever word says it.
func TestVerbs(t *testing.T) {
	tests := []struct {
		lang, in string
		want     verb
	}{
		{"es", "quisiera separar una mesa", verbBook},
		{"es", "quiero apartar mesa para el sábado", verbBook},
		{"es", "¿podría coger cita para mañana?", verbBook},
		{"es", "quiero sacar un turno", verbBook},
		{"es", "¿tienen lugar para dos esta noche?", verbBook},
		{"es", "quiero dar de baja mi internet", verbCancel},
		{"es", "ya no vamos a poder ir", verbCancel},
		{"es", "quiero anular la reserva", verbCancel},
		{"es", "quiero mover mi reservación", verbChange},
		{"es", "¿me confirma a qué hora quedó mi reserva?", verbCheck},
		{"es", "¿cuánto tengo que cancelar este mes?", verbCheck},
		{"es", "se me fue el internet desde ayer", verbSymptom},
		{"es", "el wifi no me funciona", verbSymptom},
		{"es", "me robaron la tarjeta", verbLost},
		{"es", "quiero mandarle treinta y cinco euros a mi hermana", verbSend},
		{"en", "I need to call off an order", verbCancel},
		{"en", "I won't be able to make it", verbCancel},
		{"en", "can you get me a room for friday", verbBook},
		{"en", "I'd like to make a reservation", verbBook},
		{"en", "I want my money back", verbRefund},
		{"en", "where's my package", verbCheck},
		{"en", "my package never arrived", verbSymptom},
		{"en", "my heater's not working", verbSymptom},
		{"en", "can you ship it to my new place instead", verbChange},
		{"es", "quería que me devolvierais un dinero que adelanté", verbRefund},
		{"es", "necesito que me reintegren lo del cerrajero", verbRefund},
		{"es", "mi perrita está vomitando desde anoche", verbSymptom},
		{"es", "¿ustedes mandan al veterinario a la casa?", verbRequest},
		{"es", "quiero cambiarme de compañía", verbRequest},
		{"es", "se me quedó la mochila en el autobús", verbLost},
		{"en", "I left my laptop bag on the bus", verbLost},
		{"en", "my dog keeps throwing up", verbSymptom},
		{"en", "do you guys do house calls?", verbRequest},
		{"en", "I'm thinking of switching insurers", verbRequest},
	}
	for _, tt := range tests {
		if got := answerEngines[tt.lang].lex.hearVerbs(tt.in); !got.has(tt.want) {
			t.Errorf("%s %q: verbs %b lack %d", tt.lang, tt.in, got, tt.want)
		}
	}
	// what is done instead of another is asked; the other is not
	for _, tt := range []struct {
		lang, in     string
		want, denied verb
	}{
		{"en", "Hmm, actually, wait. Can I move it instead of cancelling?", verbChange, verbCancel},
		{"en", "rather than cancel it, can I change it?", verbChange, verbCancel},
		{"en", "instead of cancelling, move it to Friday", verbChange, verbCancel},
		{"es", "¿la puedo cambiar en vez de cancelarla?", verbChange, verbCancel},
	} {
		h := answerEngines[tt.lang].hear(tt.in)
		if !h.verbs.has(tt.want) || h.verbs.has(tt.denied) || !h.denied.has(tt.denied) {
			t.Errorf("%q: verbs %b denied %b", tt.in, h.verbs, h.denied)
		}
	}
	// a problem asked about is not reported; one said with uptalk is
	if h := answerEngines["es"].hear("¿Se corta el agua ese día? Ah, no, entonces no"); h.verbs.has(verbSymptom) {
		t.Errorf("a question about a cut: verbs %b", h.verbs)
	}
	if h := answerEngines["en"].hear("my garbage disposal is totally jammed and, like, humming? Can someone come out?"); !h.verbs.has(verbSymptom) {
		t.Errorf("uptalk: verbs %b", h.verbs)
	}
	// a filler is no verb: "a ver" does not ask to see anything
	if h := answerEngines["es"].hear("A ver, quería que me devolvierais un dinero"); h.verbs.has(verbCheck) {
		t.Errorf("a ver: verbs %b have check", h.verbs)
	}
	// a verb said negated is not asked for
	if h := answerEngines["es"].hear("no, no la bloquee"); h.verbs.has(verbBlock) || !h.denied.has(verbBlock) {
		t.Errorf("no la bloquee: verbs %b, denied %b", h.verbs, h.denied)
	}
}

// TestDropOrSwitch: a dropping phrase whose object is the request in
// progress drops it; one that names another request switches to it.
func TestDropOrSwitch(t *testing.T) {
	e := engine(t, "clinica.yaml")
	for _, tt := range []struct {
		in, intent string
		phase      Phase
	}{
		{"uy, no me acuerdo... mire, déjelo, cancele eso", "", PhaseListening},
		{"olvida eso, quiero cancelar mi cita", "cancelar_cita", PhaseCollecting},
	} {
		c := e.NewCall("x", "")
		c.Step(Start{At: wednesday})
		c.Step(Utterance{At: wednesday, Text: "quiero reservar una cita"})
		c.Step(Utterance{At: wednesday, Text: tt.in})
		if c.st.Intent != tt.intent || c.st.Phase != tt.phase {
			t.Errorf("%q: intent %q phase %s, want %q %s", tt.in, c.st.Intent, c.st.Phase, tt.intent, tt.phase)
		}
	}
}

// TestYesAtReadback: a yes the lexicon hears whole, and a figure of the
// read-back asked back before the yes.
func TestYesAtReadback(t *testing.T) {
	for in, want := range map[string]string{
		"sí, anúlela, anúlela, que ya me empadroné en otro sitio": "sí, anúlela, anúlela",
		"yes please, because I can't make Thursday":               "yes please",
		"sí, pero que sea el lunes":                               "sí, pero que sea el lunes",
	} {
		if got := withoutReason(in); got != want {
			t.Errorf("withoutReason(%q) = %q, want %q", in, got, want)
		}
	}
	en := answerEngines["en"].NewCall("x", "")
	for in, want := range map[string]bool{
		"Yes ma'am, send somebody, I don't care what it costs.": true,
		"Yep, book it in, mate.":                                true,
		"That's right, sugar.":                                  true,
		"yes, but not on Friday":                                false,
		"I don't care":                                          false,
	} {
		if got := en.onlyYes(in); got != want {
			t.Errorf("onlyYes(%q) = %v", in, got)
		}
	}
	es := answerEngines["es"].NewCall("x", "")
	es.st.LastPrompt = "La grúa cuesta 950 pesos dentro de la ciudad. ¿La envío?"
	for in, want := range map[string]string{
		"¿Novecientos cincuenta? Ya, está bien, mándela nomás.": "Ya, está bien, mándela nomás.",
		"¿Novecientos? Es mucho.":                               "¿Novecientos? Es mucho.",
		"Sí, novecientos cincuenta, ¿verdad?":                   "Sí, novecientos cincuenta, ¿verdad?",
	} {
		if got := es.withoutEcho(in); got != want {
			t.Errorf("withoutEcho(%q) = %q, want %q", in, got, want)
		}
	}
}

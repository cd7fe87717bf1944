package dialog

import (
	"flag"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var gateSequences = flag.Int("gate-sequences", 2000, "random call sequences for TestConfirmationGate")

// yesInputs are the inputs the oracle counts as a caller's yes.
var yesInputs = []string{"sí", "si", "claro", "correcto", "sí, confirmo", "de acuerdo", "vale", "adelante", "#1", "sí, cancélala",
	"dale, perfecto", "sí, sí, resérvela", "sí, confírmela, gracias", "perfecto, adelante", "sí, agéndela, que ya tengo el día libre"}

// gateInputs are what a random caller says or does.
var gateInputs = append([]string{
	"no", "no, gracias", "#2", "mmm no sé", "sí, pero cambia la hora a las 12", "sí... no, espera",
	"quiero reservar una cita", "quiero reservar una cita de cardiología para el viernes a las 10",
	"quiero cancelar mi cita", "qué horarios hay", "quiero pagar mi deuda", "pagar la factura",
	"Juan Pérez", "Juan Pérez, juan@email.com, 987654321", "juan@email.com", "pedro@email.com",
	"987 654 321", "#987654321", "el viernes", "el 20", "mañana", "a las 10", "a las 5 de la tarde",
	"cardiología", "pediatría", "48213", "#48213", "cuatro ocho dos uno tres", "mil quinientos", "tres", "dos",
	"no, la fecha es el 22", "cambia la hora a las 11", "mi correo es ana@x.com", "el correo está mal",
	"olvídalo", "cancela", "¿cómo?", "repite", "adiós", "la primera", "la segunda", "asdf qwer",
	"~8s", "~30s", "=Hecho.", "", "un momento", "nada, todo bien", "la hora", "es el 48213", "con el cardiólogo",
	"sí, agéndame a las 11:30", "el mismo desde el que llamo", "no, olvídalo", "cancélala", "mejor el 22",
	"Perfecto. No, muchas gracias", "¿cómo? ¿a qué hora dijiste?", "un par", "quiero hablar con una persona",
	"no, pásame con un asesor",
	// holds, refusals, switches, small talk
	"un momento", "espérame tantito", "déjame ver, lo tengo por aquí", "sí, espera un segundo", "ay, espere, espere",
	"no, mejor no", "mejor no, déjalo así", "no, no la reserve", "sí... no, espera", "olvida eso, quiero cancelar mi cita",
	"no, mejor quiero cambiarla", "¿cómo estás?", "gracias", "muy amable, gracias", "hola", "¿y tienen estacionamiento?",
	"eso es todo, gracias", "¿me repites?", "¿perdón?", "sí, pero cambia la fecha",
	"sí, porque... no, espera", "sí, que ya... bueno, no sé", "sí, porque no quiero esperar... no, mejor no",
}, yesInputs...)

// TestConfirmationGate: whatever a caller says or presses, in any order,
// and whatever a model makes of it, a service that needs confirmation
// executes only in the turn right after a yes in the caller's words, and
// only with exactly the values of the last read-back, which came in an
// earlier turn, with no question asked since.
func TestConfirmationGate(t *testing.T) {
	e := engine(t, "clinica.yaml")
	rng := rand.New(rand.NewPCG(20240110, uint64(*gateSequences)))
	executed := 0
	for seq := range *gateSequences {
		c := e.NewCall("gate", "")
		now := wednesday
		c.Step(Start{At: now})
		var lastConfirm *Confirm // the last read-back, nil after any question
		var inputs []string
		for turn := 0; turn < 30 && c.st.Phase != PhaseEnded; turn++ {
			in := gateInputs[rng.IntN(len(gateInputs))]
			inputs = append(inputs, in)
			var acts []Action
			switch {
			case in == "" || in[0] != '#' && in[0] != '~' && in[0] != '=':
				now = now.Add(2 * time.Second)
				acts = c.Step(Utterance{At: now, Text: in, Reading: randomReading(rng, e)})
			case in[0] == '#':
				now = now.Add(2 * time.Second)
				acts = c.Step(DTMF{At: now, Digits: in[1:]})
			case in[0] == '~':
				d, _ := time.ParseDuration(in[1:])
				now = now.Add(d)
				acts = c.Step(Timeout{At: now})
			default:
				acts = c.Step(Result{At: now, Intent: c.st.Intent, Message: in[1:]})
			}
			confirmedBefore := lastConfirm
			for i, a := range acts {
				switch a := a.(type) {
				case Confirm:
					cp := a
					cp.Values = maps.Clone(a.Values)
					lastConfirm = &cp
				case Ask:
					lastConfirm = nil
				case Execute:
					if !e.service(a.Intent).cfg.NeedsConfirmation() {
						continue
					}
					executed++
					switch {
					case !slices.Contains(yesInputs, in):
						t.Fatalf("sequence %d executed %s on %q, not a yes\ninputs: %q", seq, a.Intent, in, inputs)
					case i > 0 || confirmedBefore == nil:
						t.Fatalf("sequence %d executed %s without a read-back in an earlier turn\ninputs: %q", seq, a.Intent, inputs)
					case confirmedBefore.Intent != a.Intent || !maps.Equal(confirmedBefore.Values, a.Fields):
						t.Fatalf("sequence %d executed %s with %v, read back %v\ninputs: %q", seq, a.Intent, a.Fields, confirmedBefore.Values, inputs)
					}
					lastConfirm = nil
				}
			}
		}
	}
	t.Logf("%d sequences, %d confirmed executions, all after a yes to their read-back", *gateSequences, executed)
	if executed == 0 {
		t.Error("no sequence reached a confirmed execution; the generator is too weak to test the gate")
	}
}

// modelValues are what a model may put in a field, valid or not.
var modelValues = []string{"Juan Pérez", "juan@email.com", "ana arroba gmail punto com", "no tengo", "987654321",
	"2024-01-12", "el viernes", "2024-01-12T10:30", "10:30", "a las cinco", "cardiología", "traumatología", "48213",
	"12", "1500", "tres", "sí", "true", "no", "", "confirmar", "yes"}

// randomReading is what an unreliable model might make of any utterance:
// nothing, a service (real, disabled or invented) with any values, a
// control or an answer.
func randomReading(rng *rand.Rand, e *Engine) *Reading {
	if rng.IntN(3) == 0 {
		return nil
	}
	r := &Reading{}
	if n := rng.IntN(len(e.services) + 2); n < len(e.services) {
		r.Intent = e.services[n].cfg.Intent
	} else if n == len(e.services) {
		r.Intent = "confirm"
	}
	s := e.services[rng.IntN(len(e.services))]
	if r.Intent != "" && e.service(r.Intent) != nil {
		s = e.service(r.Intent)
	}
	for _, f := range s.fields {
		if rng.IntN(2) == 0 {
			if r.Values == nil {
				r.Values = map[string]string{}
			}
			r.Values[f.Name] = modelValues[rng.IntN(len(modelValues))]
		}
	}
	r.Cancel = rng.IntN(20) == 0
	r.Repeat = rng.IntN(20) == 0
	for range rng.IntN(3) {
		r.Acts = append(r.Acts, Acts[rng.IntN(len(Acts))])
	}
	if rng.IntN(8) == 0 && len(s.fields) > 0 {
		r.Empty = append(r.Empty, s.fields[rng.IntN(len(s.fields))].Name)
	}
	if rng.IntN(10) == 0 {
		r.Answer = "Abrimos de 8 a 20 h."
	}
	return r
}

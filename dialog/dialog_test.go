package dialog

import (
	"maps"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog/extract"
)

// engines are the test agents, loaded once.
var engines = map[string]*Engine{}

func engine(t testing.TB, file string) *Engine {
	t.Helper()
	if e, ok := engines[file]; ok {
		return e
	}
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	a, err := configs.Parse(file, data)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	engines[file] = e
	return e
}

// wednesday is the frozen start of every test call: Wed 2024-01-10 09:00.
var wednesday = time.Date(2024, 1, 10, 9, 0, 0, 0, time.FixedZone("-05", -5*3600))

// step is one caller input and what must follow.
//
// in: "text" said; "#123" keys pressed; "~10s" silence; "=message" the
// result of the pending Execute.
type step struct {
	in    string
	phase Phase
	asks  string            // the field asked; "-" for none
	says  string            // a substring of everything said, folded
	not   string            // must not be said, folded
	slots map[string]string // a subset of the slots after the step
	exec  map[string]string // the fields of an Execute in this step
	end   bool              // the agent hangs up
	// transfer is the number a Transfer goes to; "" for none.
	transfer string
	model    *Reading // what a model made of the utterance
}

func play(t *testing.T, e *Engine, steps []step) *Call {
	t.Helper()
	c := e.NewCall("test-call", "+51987654321")
	now := wednesday
	c.Step(Start{At: now})
	for i, s := range steps {
		var acts []Action
		switch {
		case strings.HasPrefix(s.in, "#"):
			acts = c.Step(DTMF{At: now, Digits: s.in[1:]})
		case strings.HasPrefix(s.in, "~"):
			d, _ := time.ParseDuration(s.in[1:])
			end := now.Add(d)
			for dl := c.Deadline(); !dl.IsZero() && !dl.After(end); dl = c.Deadline() {
				acts = append(acts, c.Step(Timeout{At: dl})...)
			}
			now = end
		case strings.HasPrefix(s.in, "="):
			acts = c.Step(Result{At: now, Intent: c.st.Intent, Message: s.in[1:]})
		default:
			acts = c.Step(Utterance{At: now, Text: s.in, Reading: s.model})
		}
		check(t, i, s, c, acts)
		if t.Failed() {
			t.FailNow()
		}
	}
	return c
}

func check(t *testing.T, i int, s step, c *Call, acts []Action) {
	t.Helper()
	var said []string
	var exec map[string]string
	ended, transfer := false, ""
	for _, a := range acts {
		if text := Text(a); text != "" {
			said = append(said, text)
		}
		switch a := a.(type) {
		case Execute:
			exec = a.Fields
		case End:
			ended = true
		case Transfer:
			transfer = a.Number
		}
	}
	all := strings.Join(said, " | ")
	where := func() string { return "step " + strconv.Itoa(i+1) + " (" + s.in + "): agent said " + all }
	st := c.State()
	if s.phase != "" && st.Phase != s.phase {
		t.Errorf("%s\n  phase %s, want %s", where(), st.Phase, s.phase)
	}
	switch {
	case s.asks == "-" && st.Asking != "":
		t.Errorf("%s\n  asks %s, want nothing", where(), st.Asking)
	case s.asks != "" && s.asks != "-" && st.Asking != s.asks:
		t.Errorf("%s\n  asks %q, want %q", where(), st.Asking, s.asks)
	}
	if s.says != "" && !strings.Contains(extract.Fold(all), extract.Fold(s.says)) {
		t.Errorf("%s\n  want it to say %q", where(), s.says)
	}
	if s.not != "" && strings.Contains(extract.Fold(all), extract.Fold(s.not)) {
		t.Errorf("%s\n  must not say %q", where(), s.not)
	}
	for k, v := range s.slots {
		if got, ok := st.Slots[k]; !ok || got != v {
			t.Errorf("%s\n  slot %s = %q, want %q (slots %v)", where(), k, got, v, st.Slots)
		}
	}
	switch {
	case s.exec == nil && exec != nil:
		t.Errorf("%s\n  executed %v unexpectedly", where(), exec)
	case s.exec != nil && exec == nil:
		t.Errorf("%s\n  did not execute; want %v", where(), s.exec)
	case s.exec != nil:
		for k, v := range s.exec {
			if exec[k] != v {
				t.Errorf("%s\n  executed %s = %q, want %q (%v)", where(), k, exec[k], v, exec)
			}
		}
	}
	if s.transfer != transfer {
		t.Errorf("%s\n  transferred to %q, want %q", where(), transfer, s.transfer)
	}
	if s.end != ended {
		t.Errorf("%s\n  hung up: %v, want %v", where(), ended, s.end)
	}
}

var booked = map[string]string{"nombre": "Juan Pérez", "email": "juan@email.com", "telefono": "987654321",
	"fecha": "2024-01-12", "hora": "10:00", "especialidad": "cardiología"}

func TestCollecting(t *testing.T) {
	e := engine(t, "clinica.yaml")
	tests := []struct {
		name  string
		steps []step
	}{
		{"one field at a time, then a read-back and a yes", []step{
			{in: "Hola, quiero reservar una cita", phase: PhaseCollecting, asks: "nombre", says: "nombre completo"},
			{in: "Juan Pérez", asks: "email", slots: map[string]string{"nombre": "Juan Pérez"}},
			{in: "juan arroba email punto com", asks: "telefono", slots: map[string]string{"email": "juan@email.com"}},
			{in: "nueve ocho siete seis cinco cuatro tres dos uno", asks: "fecha", slots: map[string]string{"telefono": "987654321"}},
			{in: "el viernes", asks: "hora", slots: map[string]string{"fecha": "2024-01-12"}},
			{in: "a las diez de la mañana", asks: "especialidad", slots: map[string]string{"hora": "10:00"}},
			{in: "cardiologia", phase: PhaseConfirming, asks: "-", says: "¿Confirmas tu cita de cardiología el 12/01 a las 10:00 para Juan Pérez?"},
			{in: "sí", phase: PhaseExecuting, exec: booked},
			{in: "=Cita reservada.", phase: PhaseListening, says: "Cita reservada."},
		}},
		{"several fields in one answer, fields volunteered early", []step{
			{in: "quiero agendar una cita de pediatría para mañana a las 3 de la tarde", asks: "nombre",
				slots: map[string]string{"especialidad": "pediatría", "fecha": "2024-01-11", "hora": "15:00"}},
			{in: "Juan Pérez, juan@email.com", asks: "telefono", slots: map[string]string{"nombre": "Juan Pérez", "email": "juan@email.com"}},
			{in: "987 654 321", phase: PhaseConfirming},
		}},
		{"the words naming another field are not part of a free-text answer", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "me llamo Juan Pérez, mi correo es juan arroba gmail punto com", asks: "telefono",
				slots: map[string]string{"nombre": "Juan Pérez", "email": "juan@gmail.com"}},
		}},
		{"a free-text answer before a named field", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Ana María Díaz y mi teléfono es 987 654 321", asks: "email",
				slots: map[string]string{"nombre": "Ana María Díaz", "telefono": "987654321"}},
		}},
		{"lead-ins are not part of the value", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "me llamo María José Rivas, por favor", asks: "email", slots: map[string]string{"nombre": "María José Rivas"}},
			{in: "mi correo es maria.rivas@gmail.com", asks: "telefono", slots: map[string]string{"email": "maria.rivas@gmail.com"}},
		}},
		{"an invalid answer gets a reason and the question again", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Ana Díaz", asks: "email"},
			{in: "no tengo", asks: "email", says: "Ese correo no parece válido. ¿Cuál es tu correo?"},
			{in: "ana@correo.pe", asks: "telefono"},
			{in: "el 30 de febrero", asks: "telefono", says: "número debe tener"},
		}},
		{"max attempts gives the fallback and drops the request", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Ana Díaz", asks: "email"},
			{in: "no sé", asks: "email", says: "no parece válido"},
			{in: "ni idea", asks: "email", says: "no parece válido"},
			{in: "tampoco", phase: PhaseListening, asks: "-", says: "Lo siento, no pude completar tu solicitud."},
		}},
		{"an impossible date", []step{
			{in: "quiero reservar una cita para el 30 de febrero", asks: "nombre"},
			{in: "Ana Díaz, ana@x.com, 987654321", asks: "fecha"},
			{in: "el 30 de febrero", asks: "fecha", says: "Esa fecha no existe."},
		}},
		{"corrections of any field until execution", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Juan Pérez", asks: "email"},
			{in: "juan@email.com", asks: "telefono"},
			{in: "no, mi correo es pedro@email.com", asks: "telefono", says: "Anotado, email: pedro@email.com.", slots: map[string]string{"email": "pedro@email.com"}},
			{in: "987654321", asks: "fecha"},
			{in: "el 15 de enero", asks: "hora"},
			{in: "cambia la fecha al 20", asks: "hora", slots: map[string]string{"fecha": "2024-01-20"}},
			{in: "mi nombre es Pedro Pérez", asks: "hora", slots: map[string]string{"nombre": "Pedro Pérez"}},
		}},
		{"an enum option said with typos", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Ana Díaz, ana@x.com, 987654321, el lunes a las 9", asks: "especialidad"},
			{in: "dermatolojia", phase: PhaseConfirming, slots: map[string]string{"especialidad": "dermatología"}},
		}},
		{"an option that is not offered", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Ana Díaz, ana@x.com, 987654321, el lunes a las 9", asks: "especialidad"},
			{in: "neurología", asks: "especialidad", says: "Las opciones son pediatría, cardiología o dermatología."},
		}},
		{"repeat", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "¿cómo?", asks: "nombre", says: "¿Cuál es tu nombre completo?"},
			{in: "repite por favor", asks: "nombre", says: "¿Cuál es tu nombre completo?"},
		}},
		{"cancel drops the request", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Juan", asks: "email"},
			{in: "olvídalo", phase: PhaseListening, asks: "-", says: "lo dejamos"},
		}},
		{"switching to another service", []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "mejor quiero cancelar mi cita", phase: PhaseCollecting, asks: "codigo"},
			{in: "es la 48213", phase: PhaseConfirming, slots: map[string]string{"codigo": "48213"}},
		}},
		{"numbers, integers and booleans", []step{
			{in: "quiero pagar una deuda", asks: "monto"},
			{in: "mil doscientos cincuenta soles", asks: "cuotas", slots: map[string]string{"monto": "1250"}},
			{in: "dos y medio", asks: "cuotas", says: "Necesito un número entero."},
			{in: "tres", asks: "factura", slots: map[string]string{"cuotas": "3"}},
			{in: "no, gracias", phase: PhaseConfirming, slots: map[string]string{"factura": "false"}, says: "factura: no"},
		}},
		{"keys for a code", []step{
			{in: "quiero cancelar mi cita", asks: "codigo"},
			{in: "#48213#", phase: PhaseConfirming, slots: map[string]string{"codigo": "48213"}},
			{in: "#1", phase: PhaseExecuting, exec: map[string]string{"codigo": "48213"}},
		}},
		{"a code that does not match the pattern", []step{
			{in: "quiero cancelar mi cita", asks: "codigo"},
			{in: "el código es ABC", asks: "codigo", says: "no tiene el formato"},
			{in: "cuatro ocho dos uno tres", phase: PhaseConfirming, slots: map[string]string{"codigo": "48213"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { play(t, e, tt.steps) })
	}
}

func TestConfirming(t *testing.T) {
	e := engine(t, "clinica.yaml")
	ready := []step{
		{in: "quiero reservar una cita de cardiología para el viernes a las 10", asks: "nombre"},
		{in: "Juan Pérez, juan@email.com, 987654321", phase: PhaseConfirming},
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a no asks what to change; a change reads back again", []step{
			{in: "no", phase: PhaseCollecting, asks: "-", says: "¿Qué dato quieres cambiar?"},
			{in: "la hora, a las 5 de la tarde", phase: PhaseConfirming, says: "a las 17:00", slots: map[string]string{"hora": "17:00"}},
			{in: "sí, confirmo", phase: PhaseExecuting, exec: map[string]string{"hora": "17:00", "fecha": "2024-01-12"}},
		}},
		{"a no with the change in it", []step{
			{in: "no, la fecha es el 22", phase: PhaseConfirming, says: "el 22/01", slots: map[string]string{"fecha": "2024-01-22"}},
			{in: "correcto", phase: PhaseExecuting, exec: map[string]string{"fecha": "2024-01-22"}},
		}},
		{"a change without yes or no reads back again", []step{
			{in: "mejor a las 11", phase: PhaseConfirming, says: "a las 11:00"},
			{in: "sí", phase: PhaseExecuting, exec: map[string]string{"hora": "11:00"}},
		}},
		{"a bare value after what-to-change", []step{
			{in: "no", asks: "-", phase: PhaseCollecting},
			{in: "el lunes", phase: PhaseConfirming, says: "el 15/01"},
		}},
		{"naming a wrong field asks it again", []step{
			{in: "el correo está mal", phase: PhaseCollecting, asks: "email"},
			{in: "juana@email.com", phase: PhaseConfirming},
			{in: "sí", exec: map[string]string{"email": "juana@email.com"}},
		}},
		{"unclear answers re-ask, then give up", []step{
			{in: "mmm no sé", phase: PhaseConfirming, says: "¿Me confirmas, sí o no?"},
			{in: "puede ser", phase: PhaseConfirming, says: "sí o no"},
			{in: "quizás", phase: PhaseListening, says: "no pude completar"},
		}},
		{"a yes with a change is not a yes", []step{
			{in: "sí, pero cambia la hora a las 12", phase: PhaseConfirming, says: "a las 12:00"},
			{in: "sí", exec: map[string]string{"hora": "12:00"}},
		}},
		{"cancel during confirmation", []step{
			{in: "cancela", phase: PhaseListening, says: "lo dejamos"},
		}},
		{"keys: 2 is no, 1 is yes", []step{
			{in: "#2", phase: PhaseCollecting, says: "¿Qué dato quieres cambiar?"},
			{in: "a las 9", phase: PhaseConfirming},
			{in: "#1", exec: map[string]string{"hora": "09:00"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { play(t, e, append(append([]step{}, ready...), tt.steps...)) })
	}
}

func TestListening(t *testing.T) {
	e := engine(t, "clinica.yaml")
	tests := []struct {
		name  string
		steps []step
	}{
		{"nothing fits: say what the agent can do", []step{
			{in: "quiero comprar un auto", phase: PhaseListening, says: "Puedo ayudarte a reservar una cita médica nueva, cancelar una cita ya reservada con su código"},
		}},
		{"a disabled service never matches", []step{
			{in: "necesito renovar mi receta", phase: PhaseListening, not: "receta médica", says: "Puedo ayudarte"},
		}},
		{"two close services: ask which", []step{
			{in: "quiero pagar con tarjeta", phase: PhaseListening, says: "¿Quieres pagar una deuda pendiente con tarjeta o pagar una factura pendiente con tarjeta?"},
			{in: "la deuda", phase: PhaseCollecting, asks: "monto"},
		}},
		{"two close services: an ordinal answer", []step{
			{in: "quiero pagar con tarjeta", phase: PhaseListening},
			{in: "la segunda", phase: PhaseExecuting, exec: map[string]string{}},
		}},
		{"a service without fields and without confirmation runs at once", []step{
			{in: "pagar la factura", phase: PhaseExecuting, exec: map[string]string{}},
			{in: "=Factura pagada.", phase: PhaseListening, says: "Factura pagada."},
			{in: "no, gracias", phase: PhaseEnded, says: "Gracias por llamar", end: true},
		}},
		{"goodbye", []step{
			{in: "adiós", phase: PhaseEnded, end: true},
		}},
		{"an acknowledgement after an answer", []step{
			{in: "pagar la factura", phase: PhaseExecuting, exec: map[string]string{}},
			{in: "=Factura pagada.", phase: PhaseListening},
			{in: "sí, perfecto, gracias", phase: PhaseListening, says: "¿Puedo ayudarte con algo más?", not: "no te entendí"},
		}},
		{"repeat the greeting", []step{
			{in: "¿cómo?", says: "¿En qué puedo ayudarte?"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { play(t, e, tt.steps) })
	}
}

func TestNoInput(t *testing.T) {
	e := engine(t, "clinica.yaml")
	play(t, e, []step{
		{in: "quiero reservar una cita", asks: "nombre"},
		{in: "~5s", asks: "nombre"}, // not yet
		{in: "~4s", asks: "nombre", says: "¿Sigues ahí? ¿Cuál es tu nombre completo?"},
		{in: "Juan Pérez", asks: "email"},
		{in: "~20s", says: "¿Sigues ahí? ¿Cuál es tu correo? | ¿Sigues ahí? ¿Cuál es tu correo?"},
		{in: "~8s", phase: PhaseEnded, says: "Gracias por llamar", end: true},
	})
}

func TestEnglish(t *testing.T) {
	e := engine(t, "helpdesk.yaml")
	tests := []struct {
		name  string
		steps []step
	}{
		{"a code and an amount in one answer", []step{
			{in: "I want a refund", asks: "order_id"},
			{in: "it's order A-1001, and the amount is fifty dollars", phase: PhaseConfirming,
				slots: map[string]string{"order_id": "A-1001", "amount": "50"}, says: "Refund 50.00 dollars for order A-1001?"},
			{in: "yes please", exec: map[string]string{"order_id": "A-1001", "amount": "50"}},
		}},
		{"a code said apart, numbers in words", []step{
			{in: "give me my money back", asks: "order_id"},
			{in: "b 2044", asks: "amount", slots: map[string]string{"order_id": "B2044"}},
			{in: "twenty five", phase: PhaseConfirming, slots: map[string]string{"amount": "25"}},
			{in: "nope", phase: PhaseCollecting},
			{in: "the amount is one hundred and five", phase: PhaseConfirming, slots: map[string]string{"amount": "105"}},
			{in: "that's right", exec: map[string]string{"amount": "105", "order_id": "B2044"}},
		}},
		{"datetime, phone and boolean", []step{
			{in: "can you call me back", asks: "when"},
			{in: "next Monday", asks: "when", says: "And at what time?"},
			{in: "at 3 pm", asks: "phone", slots: map[string]string{"when": "2024-01-15T15:00"}},
			{in: "actually, change the time to 4 pm", asks: "phone", slots: map[string]string{"when": "2024-01-15T16:00"}},
			{in: "nine one seven, five five five, oh one two three", asks: "sms", slots: map[string]string{"phone": "9175550123"}},
			{in: "sure", phase: PhaseExecuting, exec: map[string]string{"sms": "true", "when": "2024-01-15T16:00"}},
		}},
		{"free text is taken whole", []step{
			{in: "open a ticket", asks: "problem"},
			{in: "my router keeps disconnecting every 5 minutes", asks: "urgency", slots: map[string]string{"problem": "my router keeps disconnecting every 5 minutes"}},
			{in: "High", asks: "seats", slots: map[string]string{"urgency": "high"}},
			{in: "twelve", phase: PhaseExecuting, exec: map[string]string{"seats": "12"}},
		}},
		{"nothing fits", []step{
			{in: "what's the weather", says: "I can help you refund money for an order, schedule a call back from an agent and open a support ticket"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { play(t, e, tt.steps) })
	}
}

// TestStateRoundTrip: a call saved mid-way and restored in another engine
// carries on as if nothing happened.
func TestStateRoundTrip(t *testing.T) {
	e := engine(t, "clinica.yaml")
	c := play(t, e, []step{
		{in: "quiero reservar una cita de cardiología para el viernes a las 10", asks: "nombre"},
		{in: "Juan Pérez, juan@email.com, 987654321", phase: PhaseConfirming},
	})
	data, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	restored, err := e.Restore(data)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(restored.State().Slots, c.State().Slots) || restored.State().Readback == nil {
		t.Fatalf("restored %+v, want %+v", restored.State(), c.State())
	}
	acts := restored.Step(Utterance{At: wednesday, Text: "sí"})
	if len(acts) != 1 {
		t.Fatalf("after restore: %v", acts)
	}
	if ex, ok := acts[0].(Execute); !ok || ex.Fields["nombre"] != "Juan Pérez" {
		t.Errorf("after restore: %#v", acts[0])
	}
	for _, bad := range []string{`{`, `{"state":"dancing"}`, `{"state":"collecting","intent":"nope"}`} {
		if _, err := e.Restore([]byte(bad)); err == nil {
			t.Errorf("Restore(%s) succeeded", bad)
		}
	}
}

// TestResumeEvent: a call taken over after a lost connection hears an
// apology and the pending question, whatever it was waiting for; one
// never greeted is greeted; the no-input timer starts again from then.
func TestResumeEvent(t *testing.T) {
	e := engine(t, "clinica.yaml")
	fresh := e.NewCall("c", "")
	if acts := fresh.Step(Resume{At: wednesday}); len(acts) != 1 || acts[0].(Say).Kind != Greeting {
		t.Errorf("resume before the greeting: %#v", acts)
	}
	for _, tt := range []struct {
		name  string
		steps []step
		want  func(Action) bool
	}{
		{"listening", nil, func(a Action) bool { s, ok := a.(Say); return ok && s.Text == "¿En qué puedo ayudarte?" }},
		{"collecting", []step{{in: "quiero reservar una cita de cardiología para el viernes a las 10", asks: "nombre"}},
			func(a Action) bool { ask, ok := a.(Ask); return ok && ask.Field == "nombre" }},
		{"confirming", []step{
			{in: "quiero reservar una cita de cardiología para el viernes a las 10", asks: "nombre"},
			{in: "Juan Pérez, juan@email.com, 987654321", phase: PhaseConfirming}},
			func(a Action) bool { s, ok := a.(Say); return ok && strings.Contains(s.Text, "Juan Pérez") }},
	} {
		c := play(t, e, tt.steps)
		data, _ := c.MarshalJSON()
		r, err := e.Restore(data)
		if err != nil {
			t.Fatal(err)
		}
		later := wednesday.Add(time.Hour)
		acts := r.Step(Resume{At: later})
		if len(acts) != 2 || acts[0].(Say).Text != "Perdona, se ha cortado un momento." || !tt.want(acts[1]) {
			t.Errorf("%s: resumed with %#v", tt.name, acts)
		}
		if r.State().Phase != c.State().Phase || !r.Deadline().After(later) {
			t.Errorf("%s: after resuming: %+v, deadline %v", tt.name, r.State(), r.Deadline())
		}
	}
}

func TestPhrasesOverride(t *testing.T) {
	a, err := configs.Parse("p.yaml", []byte(`name: p
language: es
phrases:
  stillThere: "¿Hola? ¿Me escuchas, {{caller_number}}?"
  cancelled: "Vale, cancelado."
services:
  - intent: s
    reference: reservar algo
    examples: [reservar algo]
    endpoint: https://a.example/x
    requiredFields: [nombre]
`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	play(t, e, []step{
		{in: "quiero reservar algo", asks: "nombre"},
		{in: "~8s", says: "¿Hola? ¿Me escuchas, +51987654321?"},
		{in: "cancelar", says: "Vale, cancelado."},
	})
	bad, _ := configs.Parse("b.yaml", []byte("name: b\nphrases:\n  goodbye: \"Adiós {{nombre}}\"\n"))
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "b.yaml:3: phrases.goodbye: unknown variable {{nombre}}: this phrase may use no variables") {
		t.Errorf("New: %v", err)
	}
}

func TestEveryPhraseKeyHasTexts(t *testing.T) {
	for _, key := range configs.PhraseKeys {
		p, ok := phrases[key]
		if !ok || p.es == "" || p.en == "" {
			t.Errorf("phrase %q has no text in both languages", key)
		}
	}
	if len(phrases) != len(configs.PhraseKeys) {
		t.Errorf("%d phrases, %d keys in configs.PhraseKeys", len(phrases), len(configs.PhraseKeys))
	}
	if spokenDate == nil || spokenTime == nil || spokenDateTime == nil {
		t.Error("a spoken-value template does not parse")
	}
}

func TestCodesSaidInPieces(t *testing.T) {
	e := engine(t, "helpdesk.yaml")
	for _, tt := range []struct{ said, want string }{
		{"A as in apple, one zero zero one", "A1001"},
		{"it's b two zero four four", "B2044"},
		{"C dash 3 0 5 7", "C-3057"},
		{"order D 77 31", "D7731"},
		{"it's a 1001", "A1001"},
	} {
		play(t, e, []step{
			{in: "I want a refund", asks: "order_id"},
			{in: tt.said, asks: "amount", slots: map[string]string{"order_id": tt.want}},
		})
	}
}

func TestVolunteeredInTheRequest(t *testing.T) {
	en := engine(t, "helpdesk.yaml")
	play(t, en, []step{
		{in: "Hi, my router keeps disconnecting, can you open a ticket?", asks: "urgency",
			slots: map[string]string{"problem": "my router keeps disconnecting"}},
	})
	play(t, en, []step{
		{in: "I want a refund of forty-nine dollars and ninety-nine cents for order A-1001", phase: PhaseConfirming,
			slots: map[string]string{"amount": "49.99", "order_id": "A-1001"}},
	})
	play(t, en, []step{
		{in: "I want a refund", asks: "order_id"},
		{in: "A-1001", asks: "amount"},
		{in: "it was one twenty", phase: PhaseConfirming, slots: map[string]string{"amount": "120"}},
	})
	es := engine(t, "clinica.yaml")
	play(t, es, []step{
		{in: "quiero pagar mi deuda", asks: "monto"},
		{in: "cuarenta y nueve con noventa y nueve", asks: "cuotas", slots: map[string]string{"monto": "49.99"}},
		{in: "un par", asks: "factura", slots: map[string]string{"cuotas": "2"}},
	})
}

func TestProductFrames(t *testing.T) {
	for _, tt := range []struct {
		text, product string
		qty           int
	}{
		{"Hola, ¿tienen la freidora de aire?", "freidora de aire", 0},
		{"¿Cuánto cuesta la cafetera italiana?", "cafetera italiana", 0},
		{"quería saber si les queda la licuadora Oster", "licuadora Oster", 0},
		{"Hola, quiero comprar dos cafeteras, por favor", "cafeteras", 2},
		{"do you have the Acme X1 charger?", "Acme X1 charger", 0},
		{"quiero consultar si tienen algo disponible", "", 0},
		{"quiero hacer un pedido", "", 0},
	} {
		got, qty, ok := productIn(tt.text, "es")
		if got != tt.product || qty != tt.qty || ok != (tt.product != "") {
			t.Errorf("productIn(%q) = %q, %d, %v; want %q, %d", tt.text, got, qty, ok, tt.product, tt.qty)
		}
	}
}

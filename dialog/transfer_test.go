package dialog

import (
	"os"
	"strings"
	"testing"

	"github.com/voiceagent/voiceagent/configs"
)

// engineFrom builds an engine from a test agent file changed by edit.
func engineFrom(t *testing.T, file string, edit func(string) string) *Engine {
	t.Helper()
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	a, err := configs.Parse(file, []byte(edit(string(data))))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func withTransfer(number string) func(string) string {
	return func(s string) string {
		return strings.Replace(s, "\nservices:\n", "\ntransferNumber: \""+number+"\"\nservices:\n", 1)
	}
}

func TestTransfer(t *testing.T) {
	esTransfer := engineFrom(t, "clinica.yaml", withTransfer("+5117001234"))
	enTransfer := engineFrom(t, "helpdesk.yaml", withTransfer("+12125550100"))
	es, en := engine(t, "clinica.yaml"), engine(t, "helpdesk.yaml")
	readyES := []step{
		{in: "quiero reservar una cita de cardiología para el viernes a las 10", asks: "nombre"},
		{in: "Juan Pérez, juan@email.com, 987654321", phase: PhaseConfirming},
	}
	const (
		transferringES = "Te paso con una persona, un momento."
		transferringEN = "I'll put you through to a person, one moment."
		cannotES       = "Ahora mismo no puedo pasarte con una persona, pero puedo ayudarte yo."
		cannotEN       = "I can't put you through to a person right now, but I can help you myself."
	)
	tests := []struct {
		name  string
		e     *Engine
		steps []step
	}{
		{"es, listening: transferred", esTransfer, []step{
			{in: "Hola, quiero hablar con una persona, por favor", phase: PhaseEnded, says: transferringES, transfer: "+5117001234"},
		}},
		{"es, collecting: transferred mid-request", esTransfer, []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "mejor pásame con un asesor", phase: PhaseEnded, asks: "-", says: transferringES, transfer: "+5117001234"},
		}},
		{"es, confirming: a no and a person", esTransfer, append(readyES[:2:2],
			step{in: "no, con un humano", phase: PhaseEnded, says: transferringES, transfer: "+5117001234"}),
		},
		{"es, bare words asking for someone", esTransfer, []step{
			{in: "un asesor", phase: PhaseEnded, transfer: "+5117001234"},
		}},
		{"es, max attempts transfer instead of giving up", esTransfer, []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Ana Díaz", asks: "email"},
			{in: "no sé", asks: "email", says: "no parece válido"},
			{in: "ni idea", asks: "email", says: "no parece válido"},
			{in: "tampoco", phase: PhaseEnded, says: transferringES, not: "no pude completar", transfer: "+5117001234"},
		}},
		{"es, unclear read-back answers transfer", esTransfer, append(readyES[:2:2],
			step{in: "mmm no sé", phase: PhaseConfirming},
			step{in: "puede ser", phase: PhaseConfirming},
			step{in: "quizás", phase: PhaseEnded, says: transferringES, transfer: "+5117001234"}),
		},
		{"es, without a number: listening", es, []step{
			{in: "quiero hablar con alguien", phase: PhaseListening, says: cannotES + " | ¿En qué puedo ayudarte?"},
			{in: "¿cómo?", says: "¿En qué puedo ayudarte?"},
		}},
		{"es, without a number: the question asked again", es, []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "con un operador", phase: PhaseCollecting, asks: "nombre", says: cannotES + " | ¿Cuál es tu nombre completo?"},
			{in: "Juan Pérez", asks: "email", slots: map[string]string{"nombre": "Juan Pérez"}},
		}},
		{"es, without a number: the read-back again, then a yes runs it", es, append(readyES[:2:2],
			step{in: "¿me pasas con una persona?", phase: PhaseConfirming, says: cannotES + " | ¿Confirmas tu cita de cardiología"},
			step{in: "sí", phase: PhaseExecuting, exec: map[string]string{"nombre": "Juan Pérez", "hora": "10:00"}}),
		},
		{"es, without a number: max attempts still give up", es, []step{
			{in: "quiero reservar una cita", asks: "nombre"},
			{in: "Ana Díaz", asks: "email"},
			{in: "no sé", asks: "email"},
			{in: "ni idea", asks: "email"},
			{in: "tampoco", phase: PhaseListening, says: "no pude completar"},
		}},
		{"es, a person in a request is not a transfer", esTransfer, []step{
			{in: "quiero reservar una cita para una persona", phase: PhaseCollecting, asks: "nombre"},
			{in: "Ana Díaz, la persona es mi hija", phase: PhaseCollecting, asks: "email"},
		}},
		{"en, listening: transferred", enTransfer, []step{
			{in: "can I talk to a real person please", phase: PhaseEnded, says: transferringEN, transfer: "+12125550100"},
		}},
		{"en, collecting: operator", enTransfer, []step{
			{in: "I want a refund", asks: "order_id"},
			{in: "operator", phase: PhaseEnded, transfer: "+12125550100"},
		}},
		{"en, representative with fillers", enTransfer, []step{
			{in: "um, I just want to speak to a representative", phase: PhaseEnded, transfer: "+12125550100"},
		}},
		{"en, without a number", en, []step{
			{in: "I want a refund", asks: "order_id"},
			{in: "let me talk to a human", asks: "order_id", says: cannotEN + " | What's the order number?"},
			{in: "A-1001", asks: "amount"},
		}},
		{"en, a callback from an agent is still a callback", enTransfer, []step{
			{in: "can you call me back", asks: "when"},
		}},
		{"en, someone to talk about an order is a request", enTransfer, []step{
			{in: "I want to talk to someone about a refund for my order", asks: "order_id"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { play(t, tt.e, tt.steps) })
	}
}

// TestTransferYieldsToServices: a service that is itself about reaching a
// person, and an option that names one, are not transfers.
func TestTransferYieldsToServices(t *testing.T) {
	a, err := configs.Parse("a.yaml", []byte(`name: mesa
language: es
transferNumber: "+5117001234"
services:
  - intent: hablar_con_asesor
    reference: "Agendar una llamada de un asesor comercial"
    endpoint: https://a.example/asesor
    requiredFields: [{name: dia, type: date}]
  - intent: soporte
    reference: "Abrir un caso de soporte"
    examples: ["abrir un caso de soporte"]
    endpoint: https://a.example/soporte
    requiredFields: [{name: canal, type: string, enum: [agente, correo], promptHint: "¿Prefieres que te atienda un agente o por correo?"}]
  - intent: reclamo
    reference: "Registrar un reclamo"
    examples: ["quiero hablar con un supervisor"]
    endpoint: https://a.example/reclamo
    requiredFields: [{name: detalle, type: string, promptHint: "¿Qué pasó?"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"named after the person", []step{{in: "quiero hablar con un asesor", phase: PhaseCollecting, asks: "dia"}}},
		{"an example said whole", []step{{in: "quiero hablar con un supervisor", phase: PhaseCollecting, asks: "detalle"}}},
		{"an option", []step{
			{in: "quiero abrir un caso de soporte", asks: "canal"},
			{in: "un agente", phase: PhaseExecuting, exec: map[string]string{"canal": "agente"}},
		}},
		{"anyone else is a transfer", []step{{in: "pásame con una persona", phase: PhaseEnded, transfer: "+5117001234"}}},
	} {
		t.Run(tt.name, func(t *testing.T) { play(t, e, tt.steps) })
	}
}

// TestHearHuman: a request for a person is one only when it is all the
// caller says (beside neutral words and politeness), in either language.
func TestHearHuman(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"quiero hablar con una persona", true},
		{"con un humano", true},
		{"con un agente", true},
		{"con un operador", true},
		{"con alguien", true},
		{"pásame con una persona", true},
		{"Un asesor, por favor.", true},
		{"¿Me puedes comunicar con un ejecutivo?", true},
		{"no, olvídalo, pásame con alguien", true},
		{"talk to a human", true},
		{"speak to a person", true},
		{"a real person", true},
		{"an agent", true},
		{"A representative, please", true},
		{"Operator!", true},
		{"I'd like to speak with someone", true},
		{"can you transfer me", true},
		{"una persona", false}, // a count as often as a request
		{"someone", false},
		{"¿hay alguien ahí?", false},
		{"quiero hablar con alguien sobre mi pedido", false},
		{"can someone call me back", false},
		{"quiero reservar para una persona", false},
		{"the agent was rude", false},
	} {
		got := false
		for _, e := range answerEngines {
			h := e.hear(tt.text)
			got = got || h.alone && h.has(actHuman)
		}
		if got != tt.want {
			t.Errorf("%q is a request for a person: %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestPhrase(t *testing.T) {
	e := engineFrom(t, "clinica.yaml", func(s string) string {
		return strings.Replace(s, "\nservices:\n", "\nphrases: {working: \"Dame un segundito.\"}\nservices:\n", 1)
	})
	for _, tt := range []struct {
		e         *Engine
		key, want string
	}{
		{e, "working", "Dame un segundito."},
		{e, "transferring", "Te paso con una persona, un momento."},
		{engine(t, "helpdesk.yaml"), "working", "One moment, please."},
		{e, "nope", ""},
	} {
		if got := tt.e.Phrase(tt.key); got != tt.want {
			t.Errorf("Phrase(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

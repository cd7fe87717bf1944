package dialog

import (
	"testing"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog/extract"
)

func TestPeopleCount(t *testing.T) {
	tests := []struct {
		lang, in string
		want     float64 // 0: none
		span     string
	}{
		{"en", "Two adults and a child.", 3, "Two adults and a child"},
		{"en", "It's me and my wife.", 2, "me and my wife"},
		{"en", "Me and two friends.", 3, "Me and two friends"},
		{"en", "there's four of us", 4, "four of us"},
		{"en", "two adults and two kids", 4, "two adults and two kids"},
		{"es", "Somos dos adultos y dos niños.", 4, "dos adultos y dos niños"},
		{"es", "Vamos mi esposa, yo y mis tres hijos.", 5, "esposa, yo y mis tres hijos"},
		{"es", "Nomás para mí y mi pareja.", 2, "mí y mi pareja"},
		{"es", "quiero una mesa para el sábado", 0, ""},
		{"en", "I'd like a room for two nights", 0, ""},
	}
	for _, tt := range tests {
		n, sp, ok := peopleCount(tt.in, tt.lang)
		if !ok && tt.want != 0 || ok && (n != tt.want || tt.in[sp.Start:sp.End] != tt.span) {
			t.Errorf("%q: got %v %v %q, want %v %q", tt.in, n, ok, tt.in[sp.Start:sp.End], tt.want, tt.span)
		}
	}
}

func TestAmounts(t *testing.T) {
	tests := []struct {
		lang, in string
		money    bool
		want     float64
	}{
		{"en", "Nineteen ninety five.", true, 19.95},
		{"en", "The second charge was thirty-four ninety-nine.", true, 34.99},
		{"en", "it was one twenty", true, 120},
		{"en", "a hundred and twenty dollars and fifty cents", true, 120.50},
		{"es", "ciento veinte euros con cincuenta", true, 120.50},
		{"en", "nineteen ninety five", false, 19},
	}
	for _, tt := range tests {
		n, ok := amountIn(tt.in, tt.lang, tt.money)
		if m, okm := moneyIn(tt.in, tt.lang, tt.money); okm {
			n, ok = m, okm
		}
		if !ok || n.Value != tt.want {
			t.Errorf("%q (money %v): got %v %v, want %v", tt.in, tt.money, n.Value, ok, tt.want)
		}
	}
}

func TestPersonName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Under Sarah Collins.", "Sarah Collins"},
		{"A Carlos Ruiz.", "Carlos Ruiz"},
		{"Está a nombre de Mario Téllez.", "Mario Téllez"},
		{"Name's Kevin O'Brien.", "Kevin O'Brien"},
		{"No, sorry, it's under my husband's name, Mitchell.", "Mitchell"},
		{"Collins. C O L L I N S.", "Collins"},
		{"Me llamo María de la Cruz", "María de la Cruz"},
		{"do you have a room for this Friday?", ""},
		{"for New Year's Eve", ""},
		{"juan perez", ""},
	}
	for _, tt := range tests {
		got, _, ok := personName(tt.in, "en")
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("%q: got %q %v, want %q", tt.in, got, ok, tt.want)
		}
	}
	for in, want := range map[string]string{
		"quiero enviar dinero a Lucía Ramos":                         "Lucía Ramos",
		"quería hacer una transferencia a mi hermana, Elena Prieto.": "Elena Prieto",
		"Code is L9L9L. I want to cancel":                            "",
		"Hola, quiero reservar. Somos Juan y Ana":                    "",
	} {
		if got, ok := personAfterTo(in); got != want || ok != (want != "") {
			t.Errorf("personAfterTo %q: got %q, want %q", in, got, want)
		}
	}
}

func TestAddressIn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hi, can you ship order M-7315 to 18 Maple Avenue, Apartment 2, Hoboken, 07030 instead?", "18 Maple Avenue, Apartment 2, Hoboken"},
		{"Mándalo a la Calle Hidalgo 45, colonia Centro, Guadalajara, código postal 44100", "Calle Hidalgo 45, colonia Centro, Guadalajara"},
		{"quiero dos cafeteras", ""},
		{"I have 3 kids", ""},
		{"el agua está saliendo a chorros frente a mi casa, en la avenida de la Albufera 150, Madrid, y mi teléfono es el 631 45 67 89.", "avenida de la Albufera 150, Madrid"},
		{"Sure, 77 East Ontario Street, 60611, and could they come on the 21st at 2 in the arvo?", "77 East Ontario Street"},
		{"Estoy en Calzada de Tlalpan esquina con Taxqueña, se me ponchó la llanta", "Calzada de Tlalpan esquina con Taxqueña"},
	}
	for _, tt := range tests {
		got, ok := addressIn(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLocationIn(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Se me plantó el carro en Insurgentes Sur, a la altura de Perisur, y no quiere arrancar.", "Insurgentes Sur, a la altura de Perisur"},
		{"I'm stuck on the M25 near Junction 10", "M25 near Junction 10"},
		{"se me quedó el carro en la casa", ""},
	} {
		got, ok := locationIn(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHoursIn(t *testing.T) {
	tests := []struct {
		lang, in      string
		opens, closes int // minutes; 0, 0: none stated
	}{
		{"es", "Abrimos de 1 de la tarde a 11 de la noche.", 13 * 60, 23 * 60},
		{"es", "las oficinas atienden de 8:30 a 14:00", 8*60 + 30, 14 * 60},
		{"es", "Atendemos de 8 de la mañana a 7 de la noche.", 8 * 60, 19 * 60},
		{"en", "The shuttle runs from 6 am to 11 pm.", 6 * 60, 23 * 60},
		{"en", "We're open from 6 pm to 2 am", 18 * 60, 26 * 60},
		{"es", "¿A qué hora te acomoda?", 0, 0},
	}
	for _, tt := range tests {
		got, ok := hoursIn(tt.in, tt.lang)
		if ok != (tt.closes > 0) || got.Opens != tt.opens || got.Closes != tt.closes {
			t.Errorf("%q: got %+v %v, want %d-%d", tt.in, got, ok, tt.opens, tt.closes)
		}
	}
}

// TestEnumAliases: an option is chosen by what its description says it is.
func TestEnumAliases(t *testing.T) {
	f := newField(configs.Field{Name: "plan", Type: "string", Enum: []string{"básico", "plus", "premium"},
		Description: "Plan nuevo: básico (100 megas), plus (300 megas) o premium (600 megas)"}, "es")
	f.sense = senseOf(f, &configs.Service{}, &configs.Agent{Language: "es"})
	c := answerEngines["es"].NewCall("x", "")
	for in, want := range map[string]string{
		"quiero subir al de 300 megas":        "plus",
		"pásame al plan de seiscientos megas": "premium",
		"el premium":                          "premium",
		"quiero el de 100 o el de 300, no sé": "",
	} {
		got, _, problem := c.option(f, in)
		if want == "" && problem == "" || want != "" && got != want {
			t.Errorf("%q: got %q (%s), want %q", in, got, problem, want)
		}
	}
}

// TestOptionsByRoots: an option is read from its roots, the fullest one
// first, or from a root no other option has — unasked, only a root of a
// longer option that is no common noun of requests.
func TestOptionsByRoots(t *testing.T) {
	e := engine(t, "averias.yaml")
	s := e.service("reportar_averia")
	for _, tt := range []struct {
		in, field, want string
		asked           bool
	}{
		{"el contador del agua está roto", "tipo", "contador roto", false},
		{"el agua me sale turbia, marroncita", "tipo", "agua turbia", false},
		{"no me sale ni gota de agua", "tipo", "sin agua", false},
		{"hay una presión muy baja", "tipo", "poca presión", false},
		{"quería una consulta", "servicio", "", false}, // "consulta" names every request
		{"la consulta", "servicio", "consulta general", true},
		{"la revisión", "servicio", "revisión anual", false},
	} {
		c := e.NewCall("x", "")
		if tt.asked {
			c.st.Asking = tt.field
		}
		got, _, _ := c.option(s.field(tt.field), tt.in)
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSpokenFigure(t *testing.T) {
	for _, tt := range []struct {
		lang, in string
		want     float64 // 0: none
	}{
		{"es", "Marca cero cero cuatro tres siete, y después unos números en rojo", 437},
		{"es", "Ah. Pues pone dos mil... trescientos... ocho.", 2308},
		{"en", "it says one two three four", 1234},
		{"en", "two thousand… five hundred", 2500},
		{"es", "dos mil trescientos", 0}, // one number already
		{"en", "two, maybe three", 0},
	} {
		v, _, ok := spokenFigure(tt.in, extract.Numbers(tt.in, tt.lang))
		if ok != (tt.want != 0) || ok && v != tt.want {
			t.Errorf("%q: got %v %v, want %v", tt.in, v, ok, tt.want)
		}
	}
}

// TestSelfCorrectionAndUnits: a value taken back in the same breath gives
// way to the next, and a number in a unit the field is not measured in is
// not its value.
func TestSelfCorrectionAndUnits(t *testing.T) {
	a, err := configs.Parse("w.yaml", []byte(`name: w
language: en
timezone: Europe/London
greeting: Hi
services:
  - intent: book_collection
    reference: Book a driver to pick up parcels
    method: POST
    endpoint: https://api.example.test/c
    requiredFields:
      - {name: parcel_count, type: integer, description: How many parcels, promptHint: "How many parcels?"}
      - {name: total_weight, type: number, description: Total weight of all the parcels in kilograms, promptHint: "How much do they weigh in kilos?"}
`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	c := e.NewCall("x", "")
	c.Step(Start{At: wednesday})
	c.Step(Utterance{At: wednesday, Text: "I need a pickup of two more parcels"})
	if c.st.Slots["parcel_count"] != "2" {
		t.Errorf("two more parcels: %v", c.st.Slots)
	}
	c = e.NewCall("x", "")
	c.Step(Start{At: wednesday})
	c.Step(Utterance{At: wednesday, Text: "I need a pickup"})
	c.Step(Utterance{At: wednesday, Text: "Five boxes, total weight about thirty-two pounds... sorry, you guys use kilos, call it fifteen kilos."})
	if c.st.Slots["parcel_count"] != "5" || c.st.Slots["total_weight"] != "15" {
		t.Errorf("slots %v", c.st.Slots)
	}
}

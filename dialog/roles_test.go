package dialog

import (
	"slices"
	"testing"
)

func TestLostIn(t *testing.T) {
	for _, c := range []struct{ lang, in, want string }{
		{"en", "Hi, yeah, so I think I left my laptop bag on the bus yesterday, like a black Targus backpack", "laptop bag"},
		{"en", "Hello, I lost my mobile charger and one shawl in the coach", "mobile charger and one shawl"},
		{"en", "I'm alright thanks. I left my reading glasses on one of your buses", "reading glasses"},
		{"en", "I left behind a blue umbrella", "blue umbrella"},
		{"en", "I can't find my wallet, I think it fell out on the train", "wallet"},
		{"en", "I left at five", ""},
		{"en", "I didn't lose anything", ""},
		{"es", "Se me quedó la mochila en el autobús ayer", "mochila"},
		{"es", "perdí unos auriculares blancos cuando bajé", "auriculares blancos"},
		{"es", "me dejé olvidada la chaqueta de cuero en el asiento", "chaqueta de cuero"},
		{"es", "olvidé mi paraguas en el bus", "paraguas"},
		{"es", "dejé de ir al gimnasio", ""},
	} {
		lx, _ := compileLexicon(c.lang, nil, nil)
		if got := lx.lostIn(c.in); got != c.want {
			t.Errorf("%s %q: got %q, want %q", c.lang, c.in, got, c.want)
		}
	}
}

func TestSampleValues(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Qué pagó el asegurado (grúa, cerrajero, taxi, hotel, farmacia...). ¿Qué gasto fue? Por ejemplo grúa, cerrajero o taxi.",
			[]string{"grua", "cerrajero", "taxi", "hotel", "farmacia"}},
		{"What broke, for example the boiler, a tap or the front door lock", []string{"boiler", "tap"}},
		{"Route travelled, for example Sydney to Canberra", nil},
		{"Nombre completo del titular", nil},
	} {
		got := sampleValues(c.in)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

// TestFreeTextKeepsNegation: an answer that says what is wrong keeps its
// "no"; a "no" that corrects is dropped.
func TestFreeTextKeepsNegation(t *testing.T) {
	e := answerEngines["es"]
	f := &field{}
	for _, c := range []struct{ in, want string }{
		{"Pues no come nada desde ayer y se esconde", "no come nada desde ayer y se esconde"},
		{"no, es la tos que no se le quita", "es la tos que no se le quita"},
		{"no arranca", "no arranca"},
	} {
		if got, _ := e.freeText(c.in, f); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNamesInRequests(t *testing.T) {
	for _, c := range []struct{ in, self string }{
		{"Hola, buenos días, habla Ernesto Galván, quiero agendar una consulta", "Ernesto Galván"},
		{"Hi, this is Dana Brooks, I need to reschedule", "Dana Brooks"},
		{"soy Marta y quiero una cita", "Marta"},
		{"I'm calling about my order", ""},
		{"habla con la clínica?", ""},
	} {
		if got := selfName(c.in); got != c.self {
			t.Errorf("selfName(%q) = %q, want %q", c.in, got, c.self)
		}
	}
	got := namesAfterNouns("quiero una consulta para mi gato Pelusa y para my daughter, Emma Jones, mañana")
	want := []nounName{{"gato", "Pelusa"}, {"daughter", "Emma Jones"}}
	if !slices.Equal(got, want) {
		t.Errorf("namesAfterNouns: got %v, want %v", got, want)
	}
}

// TestNamesAndDenials: a request's names go each to its own field, and a
// value denied later is replaced by the one said with it.
func TestNamesAndDenials(t *testing.T) {
	e := engine(t, "mascotas.yaml")
	c := e.NewCall("x", "")
	c.Step(Start{At: wednesday})
	c.Step(Utterance{At: wednesday, Text: "Hola, habla Ernesto Galván, quiero una cita para mi gato Pelusa"})
	if c.st.Slots["dueno"] != "Ernesto Galván" || c.st.Slots["mascota"] != "Pelusa" {
		t.Fatalf("names: %v", c.st.Slots)
	}
	c.Step(Utterance{At: wednesday, Text: "Ay no, perdoname, me confundí, la que tiene que ir es Mora, no Pelusa"})
	if c.st.Slots["mascota"] != "Mora" || c.st.Intent != "agendar_cita" || c.st.Slots["dueno"] != "Ernesto Galván" {
		t.Fatalf("denied: intent %s %v", c.st.Intent, c.st.Slots)
	}
	c.Step(Utterance{At: wednesday, Text: "el viernes"})
	c.Step(Utterance{At: wednesday, Text: "perdón, no el viernes, el sábado"})
	if c.st.Slots["fecha"] != "2024-01-13" {
		t.Fatalf("date: %v", c.st.Slots)
	}
}

// TestProblemFromRequest: what needs fixing, said in the request, fills a
// problem or damage field.
func TestProblemFromRequest(t *testing.T) {
	e := answerEngines["en"]
	c := e.NewCall("x", "")
	for _, tt := range []struct{ in, want string }{
		{"Hello, good morning. We need to fix the toilet, it is continuously running water into the bowl.",
			"We need to fix the toilet, continuously running water into the bowl"},
		{"I want to claim for a damaged item; the television I ordered came with the screen shattered.",
			"I want to claim for a damaged item, the television I ordered came with the screen shattered"},
	} {
		if got := c.problemClauses(tt.in); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRouteIn(t *testing.T) {
	for _, tt := range []struct{ in, from, to string }{
		{"me voy a trastear de Medellín para Bogotá y quería saber cuánto me cobran", "Medellín", "Bogotá"},
		{"¿Cuánto me cobrarían por una mudanza de Bogotá a San Andrés?", "Bogotá", "San Andrés"},
		{"Salgo de Chía y voy a Bogotá, al barrio Cedritos.", "Chía", "Bogotá"},
		{"from Leeds to York please", "Leeds", "York"},
		{"de la casa a la oficina", "", ""},
	} {
		from, to, _ := routeIn(tt.in)
		if from != tt.from || to != tt.to {
			t.Errorf("%q: got %q → %q, want %q → %q", tt.in, from, to, tt.from, tt.to)
		}
	}
}

package dialog

import (
	"os"
	"testing"

	"github.com/voiceagent/voiceagent/configs"
)

func load(t *testing.T, f string) *Engine {
	data, _ := os.ReadFile(f)
	a, _ := configs.Parse("x.yaml", data)
	e, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestZZ(t *testing.T) {
	e := load(t, "/work/blind2/agents/veterinaria.yaml")
	for _, s := range []string{"Sí, sí, cancélela nomás, gracias", "quería pedir hora pa' mi perro, pa' la vacuna", "quería reservar un turno para vacunar a mi gata"} {
		h := e.hear(s)
		var tags []string
		for i, w := range h.words {
			tags = append(tags, w.v+":"+h.tag[i].String())
		}
		t.Logf("%q alone=%v verbs=%b %v", s, h.alone, h.verbs, tags)
	}
	for _, sv := range e.services {
		for _, f := range sv.fields {
			if len(f.Enum) > 0 {
				t.Logf("%s.%s enum %v stems %v", sv.cfg.Intent, f.Name, f.Enum, f.enumStems)
			}
		}
	}
}

func TestZZ2(t *testing.T) {
	e := load(t, "/work/blind2/agents/veterinaria.yaml")
	for _, s := range []string{"quería pedir hora pa' mi perro, pa' la vacuna", "quería reservar un turno para vacunar a mi gata"} {
		c := e.NewCall("x", "")
		c.Step(Start{At: wednesday})
		sv := e.service("agendar_cita")
		c.st.Slots = map[string]string{}
		for _, cd := range c.candidates(sv, s, wednesday, nil) {
			t.Logf("cand %s=%s %.1f", cd.f.Name, cd.value, cd.score)
		}
		acts := c.Step(Utterance{At: wednesday, Text: s})
		t.Logf("%q → %v %v", s, c.st.Slots, acts)
	}
}

func TestZZ3(t *testing.T) {
	e := load(t, "/work/blind2/agents/veterinaria.yaml")
	c := e.NewCall("x", "")
	c.Step(Start{At: wednesday})
	c.st.Intent, c.st.Phase = "cancelar_cita", PhaseConfirming
	s := "Sí, sí, cancélela nomás, gracias"
	a, rest := c.read(s).YesNo()
	t.Logf("yesno %v rest %q onlyAffirms %v yesWithVerb %v cleanYes %v", a, rest, c.onlyAffirms(rest), c.yesWithVerb(s), c.cleanYes(s))
	t.Logf("service verbs %b", e.intents.entry("cancelar_cita").verbs)
}

func TestZZ4(t *testing.T) {
	e := load(t, "/work/blind2/agents/gym.yaml")
	c := e.NewCall("x", "")
	for _, s := range []string{"Hey, so can I pause my membership over the summer?", "Hiya, could I put my membership on hold rather than cancel it?", "You know what, forget the charge, I just wanna cancel the whole membership, I'm done with you guys"} {
		t.Logf("%q verbs %b", s, e.lex.hearVerbs(s))
		for _, m := range c.rank(s) {
			t.Logf("   %s %.2f", m.intent, m.score)
		}
	}
	for _, s := range e.intents.services {
		t.Logf("%s verbs %b", s.intent, s.verbs)
	}
}

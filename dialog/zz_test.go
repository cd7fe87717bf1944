package dialog

import (
	"os"
	"testing"
	"time"

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

func show2(t *testing.T, e *Engine, intent, text string) {
	c := e.NewCall("x", "")
	now := time.Date(2025, 4, 23, 10, 0, 0, 0, e.loc)
	c.Step(Start{At: now})
	h := e.hear(text)
	var tags []string
	for i, w := range h.words {
		tags = append(tags, w.v+":"+h.tag[i].String())
	}
	t.Logf("%q alone=%v verbs=%b %v", text, h.alone, h.verbs, tags)
	for _, m := range c.rank(text) {
		t.Logf("  rank %s %.2f", m.intent, m.score)
	}
	if intent != "" {
		sv := e.service(intent)
		c.st.Slots = map[string]string{}
		for _, cd := range c.candidates(sv, text, now, nil) {
			t.Logf("  cand %s=%s %.1f %q", cd.f.Name, cd.value, cd.score, text[cd.sp.Start:cd.sp.End])
		}
	}
}

func TestZZ(t *testing.T) {
	g := load(t, "/work/blind2/agents/gym.yaml")
	show2(t, g, "billing_issue", "Yeah hi, so there's a charge on my account for eighty-nine fifty from April first")
	show2(t, g, "book_class", "OK. Member ID five six seven one two three. Please book two spots for yoga on 5th May, 7 in the morning")
	v := load(t, "/work/blind2/agents/veterinaria.yaml")
	show2(t, v, "", "Hola, ¿qué tal? Mirá, tengo un turno para mi perra y necesito pasarlo para otro día, el folio es 38 105")
	s := load(t, "/work/blind2/agents/seguros.yaml")
	show2(t, s, "", "¿Cómo? ¿Qué me preguntó?")
}

func TestZZ5(t *testing.T) {
	e := answerEngines["es"]
	for _, s := range []string{"¿Qué me preguntó?", "que me pregunto", "¿Cómo? ¿Qué me preguntó?"} {
		h := e.hear(s)
		var tags []string
		for i, w := range h.words {
			tags = append(tags, w.v+":"+h.tag[i].String()+"/"+h.said[i].String())
		}
		t.Logf("%q alone=%v %v", s, h.alone, tags)
	}
	for _, p := range e.lex.acts.byWord["que"] {
		if len(p.elems) > 1 {
			t.Logf("%s weak=%v tag=%d", show(p), p.weak, p.tag)
		}
	}
}

package dialog

import (
	"reflect"
	"strings"
	"testing"

	"github.com/voiceagent/voiceagent/configs"
)

// TestBuiltinLexicons: the embedded lexicons decode and every phrase
// compiles.
func TestBuiltinLexicons(t *testing.T) {
	builtins, err := builtinLexicons()
	if err != nil {
		t.Fatal(err)
	}
	for lang, l := range builtins {
		var ix phraseIndex
		check := func(list string, phrases []string) {
			if len(phrases) == 0 {
				t.Errorf("%s: %s is empty", lang, list)
			}
			for _, p := range phrases {
				if err := ix.addPhrase(p, 1); err != nil {
					t.Errorf("%s: %s: %v", lang, list, err)
				}
			}
		}
		for _, al := range actLists {
			check(al.act.listName(), al.list(l))
		}
		vs := reflect.ValueOf(l.Verbs)
		for i := range vs.NumField() {
			check("verbs."+vs.Type().Field(i).Name, vs.Field(i).Interface().([]string))
		}
	}
}

func TestParsePhrase(t *testing.T) {
	tests := []struct {
		in   string
		want []string // expansions, words joined by spaces; "" for an error
	}{
		{"un momento", []string{"un momento"}},
		{"(un|una) momento", []string{"un momento", "una momento"}},
		{"dame [un] segundo", []string{"dame un segundo", "dame segundo"}},
		{"no (es (así|eso)|está mal)", []string{"no es asi", "no es eso", "no esta mal"}},
		{"déjame buscar* ...", []string{"dejame buscar* ..."}},
		{"mandarle # euros", []string{"mandarle # euros"}},
		{"# euros", nil},
		{"That's it", []string{"thats it"}},
		{"(a|b", nil},
		{"a) b", nil},
		{"... a", nil},
		{"a ... b", nil},
		{"re*", nil},
		{"", nil},
		{"[a]", []string{"a"}},
	}
	for _, tt := range tests {
		var ix phraseIndex
		err := ix.addPhrase(tt.in, 1)
		if tt.want == nil {
			if err == nil {
				t.Errorf("%q: want an error", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		got := ix.expansions()
		if !sameSet(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// expansions lists every pattern of the index as its words joined by
// spaces, walking its trie.
func (ix *phraseIndex) expansions() []string {
	children := map[int32][]struct {
		w string
		n int32
	}{}
	for k, n := range ix.edges {
		children[k.node] = append(children[k.node], struct {
			w string
			n int32
		}{ix.text[k.word], n})
	}
	var out []string
	var walk func(n int32, path []string)
	walk = func(n int32, path []string) {
		node := ix.nodes[n]
		for e := node.ends; e != 0; e = ix.ends[e].next {
			out = append(out, strings.Join(path, " "))
		}
		for _, c := range children[n] {
			walk(c.n, append(path[:len(path):len(path)], c.w))
		}
		for pe := node.prefixes; pe != 0; pe = ix.prefixes[pe].next {
			walk(ix.prefixes[pe].node, append(path[:len(path):len(path)], ix.text[ix.prefixes[pe].word]+"*"))
		}
		if node.number != 0 {
			walk(node.number, append(path[:len(path):len(path)], "#"))
		}
		if node.rest != 0 {
			walk(node.rest, append(path[:len(path):len(path)], "..."))
		}
	}
	if len(ix.nodes) > 0 {
		walk(0, nil)
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

// TestAgentLexicon: an agent's own phrases add to the built-in ones, and a
// bad one is reported with its path.
func TestAgentLexicon(t *testing.T) {
	a, err := configs.Parse("a.yaml", []byte(`name: a
language: es
lexicon:
  hold: ["déjame preguntarle a mi esposa"]
  verbs:
    book: ["quiero un hueco"]
services:
  - intent: reservar
    reference: Reservar una mesa
    endpoint: https://api.example.com/r
`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	if h := e.hear("Déjame preguntarle a mi esposa"); !h.has(actHold) || !h.alone {
		t.Errorf("the agent's hold phrase: acts %b", h.acts)
	}
	if h := e.hear("un momento"); !h.has(actHold) {
		t.Error("the built-in hold phrases are lost")
	}
	if h := e.hear("quiero un hueco"); !h.verbs.has(verbBook) {
		t.Error("the agent's verb")
	}
	bad, _ := configs.Parse("b.yaml", []byte("name: b\nlanguage: es\nlexicon:\n  hold: [\"(un momento\"]\nservices:\n  - intent: x\n    reference: x\n    endpoint: https://api.example.com/x\n"))
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "lexicon.hold[0]") {
		t.Errorf("a bad phrase: %v", err)
	}
}

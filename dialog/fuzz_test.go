package dialog

import (
	"strings"
	"testing"
	"time"
)

// FuzzCall drives a call with arbitrary caller input, one utterance per
// line ("#…" keys, "~" silence, "=" a service result): it must never
// panic, every state must be valid, and no confirmed service may run
// except on the turn after a read-back.
func FuzzCall(f *testing.F) {
	for _, seed := range []string{
		"quiero reservar una cita\nJuan Pérez, juan@email.com, 987654321\nel viernes a las 10\ncardiología\nsí\n=Listo.",
		"quiero cancelar mi cita\n#48213\n#1\n=Hecho.\nadiós",
		"quiero pagar con tarjeta\nla segunda\n~\n~\n~",
		"quiero pagar mi deuda\nmil doscientos\nun par\nno, gracias\nno\nel monto es 300\nsí",
		"\x00\xff¿¡\n{{x}}\n$.a\n" + strings.Repeat("a ", 200),
	} {
		f.Add(seed)
	}
	e := engine(f, "clinica.yaml")
	f.Fuzz(func(t *testing.T, script string) {
		c := e.NewCall("fuzz", "+51987654321")
		now := wednesday
		c.Step(Start{At: now})
		confirmedAt := -1
		for i, line := range strings.Split(script, "\n") {
			if i > 40 {
				break
			}
			now = now.Add(3 * time.Second)
			var acts []Action
			switch {
			case strings.HasPrefix(line, "#"):
				acts = c.Step(DTMF{At: now, Digits: line[1:]})
			case line == "~":
				now = now.Add(time.Minute)
				acts = c.Step(Timeout{At: now})
			case strings.HasPrefix(line, "="):
				acts = c.Step(Result{At: now, Intent: c.st.Intent, Message: line[1:]})
			default:
				acts = c.Step(Utterance{At: now, Text: line})
			}
			for j, a := range acts {
				switch a := a.(type) {
				case Confirm:
					confirmedAt = i
				case Execute:
					if e.service(a.Intent).cfg.NeedsConfirmation() && (j > 0 || confirmedAt < 0 || confirmedAt >= i) {
						t.Fatalf("executed %s without a read-back in an earlier turn: %q", a.Intent, script)
					}
				}
			}
			switch c.st.Phase {
			case PhaseListening, PhaseCollecting, PhaseConfirming, PhaseExecuting, PhaseEnded:
			default:
				t.Fatalf("phase %q", c.st.Phase)
			}
		}
	})
}

// FuzzParsePhrase: a lexicon phrase either compiles into patterns that
// match what they expand to, or is refused with a reason; never a panic.
func FuzzParsePhrase(f *testing.F) {
	for _, seed := range []string{"un momento", "(un|una) [momento|segundo]", "déjame buscar* ...", "mandarle # euros",
		"~(a|b (c|d)) [e]", "((((a))))", "[", "a|b|", "...", "#", "x* y* z*", "(a|b)(c|d)(e|f)(g|h)(i|j)(k|l)(m|n)"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, phrase string) {
		var ix phraseIndex
		if err := ix.addPhrase(phrase, 1); err != nil {
			return
		}
		if len(ix.nodes) == 0 {
			t.Fatalf("%q: accepted with nothing added", phrase)
		}
		if r := ix.nodes[0]; r.rest != 0 || r.number != 0 || r.ends != 0 {
			t.Fatalf("%q: a pattern starts with \"...\" or \"#\", or is empty", phrase)
		}
	})
}

// FuzzHear: any text is read into words, acts and the words left for
// values without panicking, and the words left keep the text's length.
func FuzzHear(f *testing.F) {
	for _, seed := range []string{"un momento, déjame buscarlo", "no, mejor no", "¿cómo? ¿qué?", "x k seven p two",
		"\x00\xff¿¡", "mandarle 35 euros", "Ñandú, ÁÉÍÓÚ ü"} {
		f.Add(seed)
	}
	es, en := engine(f, "clinica.yaml"), engine(f, "helpdesk.yaml")
	f.Fuzz(func(t *testing.T, text string) {
		for _, e := range []*Engine{es, en} {
			h := e.hear(text)
			if got := h.inform(); len(got) != len(text) && !strings.ContainsRune(text, '\uFFFD') && utf8Valid(text) {
				t.Fatalf("%q: inform %q changes the length", text, got)
			}
			h.without(actGoodbye)
			h.asksSomething()
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

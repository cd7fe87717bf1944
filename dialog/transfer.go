package dialog

import (
	"slices"
	"strings"

	"github.com/voiceagent/voiceagent/configs"
)

// Asking for a person. A caller who says only that ("quiero hablar con una
// persona", "pásame con un asesor", "talk to a human", "operator") is
// transferred to the agent's transferNumber, or told that no one can take
// the call and asked again what was pending. The request must be the whole
// utterance (beside neutral words and politeness), so "quiero hablar con
// alguien sobre mi pedido" is a request like any other.

// humanLeads introduce the person asked for: "quiero hablar con", "put me
// through to"; folded.
var humanLeads = func() phraseSet {
	var lines []string
	for _, pre := range []string{"", "quiero ", "quisiera ", "necesito ", "puedo ", "podria ", "me gustaria ", "deseo ",
		"prefiero ", "tengo que ", "se puede "} {
		for _, verb := range []string{"hablar con", "comunicarme con"} {
			lines = append(lines, pre+verb)
		}
	}
	for _, pre := range []string{"", "i want to ", "i wanna ", "i'd like to ", "id like to ", "i would like to ", "i need to ",
		"can i ", "could i ", "may i ", "let me ", "i have to ", "i'd rather ", "i prefer to "} {
		for _, verb := range []string{"talk", "speak"} {
			lines = append(lines, pre+verb+" to", pre+verb+" with")
		}
	}
	lines = append(lines,
		"pasame con", "paseme con", "me pasas con", "me pasa con", "me puedes pasar con", "me puede pasar con",
		"me podrias pasar con", "me podria pasar con", "puedes pasarme con", "puede pasarme con", "comunicame con",
		"comuniqueme con", "me comunicas con", "me comunica con", "me puedes comunicar con", "me puede comunicar con",
		"transfiereme con", "transfiereme a", "transfierame con", "transfierame a", "me transfieres con",
		"me transfieres a", "me puedes transferir con", "me puedes transferir a", "quiero que me atienda",
		"que me atienda", "con", "quiero", "quisiera", "necesito", "prefiero", "dame", "deme",
		"i want", "i need", "i'd like", "id like", "get me", "give me", "can i get", "can i have", "connect me to",
		"connect me with", "can you connect me to", "can you connect me with", "put me through to",
		"can you put me through to", "transfer me to", "can you transfer me to", "i want to be transferred to")
	return phraseList(lines...)
}()

// humanNouns name a person to talk to, after a lead; humanBare may also be
// said alone ("un asesor", "operator"), while "una persona" or "someone"
// alone answer other questions too.
var (
	humanBare = phraseList(
		"un humano", "humano", "un ser humano", "una persona real", "una persona de verdad", "un agente", "agente",
		"un agente humano", "un operador", "una operadora", "operador", "operadora", "un asesor", "una asesora",
		"asesor", "asesora", "un representante", "representante", "un ejecutivo", "una ejecutiva",
		"a human", "human", "a human being", "a real person", "a live person", "a real human", "an agent", "agent",
		"a live agent", "a real agent", "a human agent", "a representative", "representative", "a rep",
		"a live representative", "a customer service representative", "a customer service agent", "an operator",
		"operator")
	humanNouns = append(phraseList(
		"una persona", "persona", "alguien", "alguien real", "alguien de verdad", "una agente", "ejecutivo",
		"un supervisor", "el supervisor", "un encargado", "el encargado", "el gerente", "atencion al cliente",
		"servicio al cliente", "alguien de atencion al cliente",
		"a person", "person", "someone", "somebody", "someone real", "a real someone", "customer service",
		"a supervisor", "your supervisor", "a manager", "your manager"), humanBare...)
	// humanAlone ask for a transfer without naming anyone.
	humanAlone = phraseList("transfer me", "can you transfer me", "please transfer me", "put me through",
		"transfiereme", "transfierame", "me transfieres", "me puedes transferir", "puedes transferirme")
)

// humanMatch returns the length of the request for a person that starts
// words, or 0.
func humanMatch(words []string) int {
	best := max(longestMatch(words, humanBare), longestMatch(words, humanAlone))
	for _, lead := range humanLeads {
		if len(lead) > 0 && len(lead) < len(words) && slices.Equal(words[:len(lead)], lead) {
			if n := longestMatch(words[len(lead):], humanNouns); n > 0 {
				best = max(best, len(lead)+n)
			}
		}
	}
	return best
}

// humanWords are the words of the nouns, for telling whether a service is
// itself about reaching a person.
var humanWords = []string{"persona", "humano", "agente", "operador", "operadora", "asesor", "asesora",
	"representante", "ejecutivo", "ejecutiva", "supervisor", "encargado", "gerente",
	"person", "human", "agent", "representative", "operator", "someone", "somebody", "manager"}

// forService reports whether a request for a person belongs to one of the
// agent's services rather than to a transfer: the service is named after
// the person asked for ("hablar_con_asesor"), or one of its examples
// ("quiero hablar con un agente") is said whole.
func (c *Call) forService(text string) bool {
	said := stems(text, c.e.lang)
	var person []string
	for _, w := range stems(strings.Join(humanWords, " "), c.e.lang) {
		if containsStem(said, w) {
			person = append(person, w)
		}
	}
	if len(person) == 0 {
		return false
	}
	isPerson := func(w string) bool { return containsStem(person, w) }
	for _, s := range c.e.services {
		if !s.cfg.IsEnabled() {
			continue
		}
		if slices.ContainsFunc(intentWords(c.e.lang, s.cfg.Intent), isPerson) {
			return true
		}
		for _, ex := range s.cfg.Examples {
			if words := stems(ex, c.e.lang); len(words) > 0 && allIn(words, said) && slices.ContainsFunc(words, isPerson) {
				return true
			}
		}
	}
	return false
}

// answersAsked reports whether text picks an option of the field being
// asked: "agente" or "hablar con un asesor" to a question whose options
// include them is an answer, not a request for a person. Other types are
// not tried: "un asesor" would read as the number 1, "no, quiero hablar con
// alguien" as a no.
func (c *Call) answersAsked(text string) bool {
	if c.st.Phase != PhaseCollecting || c.st.Asking == "" {
		return false
	}
	f := c.e.service(c.st.Intent).field(c.st.Asking)
	if f == nil || f.typ != configs.TypeString || len(f.Enum) == 0 {
		return false
	}
	_, _, problem := c.option(f, text)
	return problem == ""
}

// human answers a caller who asks for a person: with a transferNumber the
// call is transferred; without one the caller hears that no one can take
// it and what was pending is asked again.
func (c *Call) human() []Action {
	if c.e.agent.TransferNumber != "" {
		return c.transfer()
	}
	sorry := Say{Text: c.phrase("cannotTransfer"), Kind: Info}
	if c.st.Phase == PhaseListening && len(c.st.Choices) == 0 {
		return append([]Action{sorry}, c.prompt(Say{Text: c.phrase("howCanIHelp"), Kind: Info})...)
	}
	return []Action{sorry, c.repeat()}
}

// transfer hands the call to the agent's transferNumber; the call ends.
func (c *Call) transfer() []Action {
	c.reset()
	c.st.Phase = PhaseEnded
	return []Action{Say{Text: c.phrase("transferring"), Kind: Info}, Transfer{Number: c.e.agent.TransferNumber}}
}

// giveUp ends a request after maxAttempts unusable answers: a transfer to
// a person when the agent has a transferNumber, otherwise the fallback
// message and the request dropped.
func (c *Call) giveUp() []Action {
	if c.e.agent.TransferNumber != "" {
		return c.transfer()
	}
	return c.drop(c.e.agent.FallbackMessage)
}

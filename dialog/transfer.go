package dialog

import (
	"slices"
	"strings"

	"github.com/voiceagent/voiceagent/configs"
)

// Asking for a person. A caller who does only that (the lexicon's `human`
// phrases: "quiero hablar con una persona", "pásame con un asesor", "talk
// to a human", "operator") is transferred to the agent's transferNumber,
// or told that no one can take the call and asked again what was pending.
// Words that ask for something else make it a request like any other
// ("quiero hablar con alguien sobre mi pedido").

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

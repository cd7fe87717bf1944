package dialog

import (
	"maps"
	"regexp"
	"slices"

	"github.com/voiceagent/voiceagent/dialog/extract"
	"strings"
	"time"
)

// Reading is what a language model made of an utterance: the service the
// caller asks for, field values, a control request or an answer to a
// question outside the services. A runtime with a model attaches it to the
// Utterance; the engine treats it as advice:
//
//   - values go through the same validation as values read by the rules,
//     and one that fails is rejected with the same reason;
//   - unknown services and fields are ignored (the model's client drops
//     and logs them first);
//   - nothing in a Reading confirms a read-back: only a yes in the
//     caller's own words does, as recognised by the rules; and when the
//     model reads those words as a deny or a hold, they do not confirm
//     either (both keys are needed);
//   - the model's acts are honoured for what executes nothing: a hold, a
//     request to repeat, small talk, a question, a goodbye, asking for a
//     person;
//   - a field the model explicitly left empty is not filled by the rules
//     from the same words;
//   - what the Reading does not settle is understood by the rules, as if
//     there were no model.
type Reading struct {
	// Intent is the service the caller asks for, "" when the model did not
	// name one (values then belong to the service in progress).
	Intent string `json:"intent,omitempty"`
	// Values are field values, in the caller's words or normalised.
	Values map[string]string `json:"values,omitempty"`
	// Cancel: the caller drops the request in progress.
	Cancel bool `json:"cancel,omitempty"`
	// Repeat: the caller asks to hear the last question again.
	Repeat bool `json:"repeat,omitempty"`
	// Answer replies to a question outside the services ("¿a qué hora
	// abren?"), written by the model from the agent's prompt. It is said
	// only when nothing else in the utterance needs the dialog.
	Answer string `json:"answer,omitempty"`
	// Acts are what the caller does, as the model reads it: Acts lists
	// the names (ActInform, ActHold…); unknown ones are ignored.
	Acts []string `json:"acts,omitempty"`
	// Empty are fields the model was given and left empty on purpose: the
	// caller did not give them, whatever the rules would read.
	Empty []string `json:"empty,omitempty"`
}

// The acts a model may read in an utterance.
const (
	ActInform    = "inform"    // gives values or asks for a service
	ActAffirm    = "affirm"    // says yes
	ActDeny      = "deny"      // says no
	ActHold      = "hold"      // needs a moment
	ActRepeat    = "repeat"    // wants to hear the last thing again
	ActCancel    = "cancel"    // drops the request in progress, or refuses it
	ActSwitch    = "switch"    // asks for another service instead
	ActQuestion  = "question"  // asks something the services do not answer
	ActSmallTalk = "smalltalk" // greets, thanks, asks how the agent is
	ActGoodbye   = "goodbye"   // ends the call
	ActHuman     = "human"     // asks for a person
)

// Acts lists every act a Reading may carry, for a model's schema.
var Acts = []string{ActInform, ActAffirm, ActDeny, ActHold, ActRepeat, ActCancel, ActSwitch, ActQuestion,
	ActSmallTalk, ActGoodbye, ActHuman}

// has reports whether the model read act a.
func (r *Reading) has(a string) bool { return r != nil && slices.Contains(r.Acts, a) }

func (r *Reading) empty() bool {
	return r == nil || r.Intent == "" && len(r.Values) == 0 && !r.Cancel && !r.Repeat && r.Answer == "" &&
		len(r.Acts) == 0 && len(r.Empty) == 0
}

// only reports whether the model read nothing but acts among these: no
// service, no values.
func (r *Reading) only(acts ...string) bool {
	if r == nil || r.Intent != "" || len(r.Values) > 0 || len(r.Acts) == 0 {
		return false
	}
	for _, a := range r.Acts {
		if !slices.Contains(acts, a) {
			return false
		}
	}
	return true
}

// vetoes reports whether the model reads the caller's words as a deny or a
// hold, which a yes recognised by the rules needs it not to.
func (r *Reading) vetoes() bool { return r.has(ActDeny) || r.has(ActHold) }

// modelActs answers what the model reads as an act that executes nothing:
// a hold, a request to repeat, small talk, a question, a goodbye, asking
// for a person. It returns false when the reading holds more (a service,
// values) or acts the rules must judge (a yes, a no, a refusal).
func (c *Call) modelActs(r *Reading) ([]Action, bool) {
	quiet := []string{ActHold, ActRepeat, ActSmallTalk, ActQuestion, ActGoodbye, ActHuman, ActInform}
	if !r.only(quiet...) {
		return nil, false
	}
	switch {
	case r.has(ActHuman):
		return c.human(), true
	case r.has(ActGoodbye):
		return c.end(c.phrase("goodbye")), true
	case r.has(ActHold):
		return []Action{Say{Text: c.phrase("takeYourTime"), Kind: Info}}, true
	case r.has(ActRepeat):
		return []Action{c.repeat()}, true
	case r.has(ActQuestion) && r.Answer != "":
		return c.answer(r.Answer), true
	case r.has(ActQuestion):
		return []Action{Say{Text: c.phrase("cannotAnswer"), Kind: Info}, c.repeat()}, true
	case r.has(ActSmallTalk) && r.Answer != "":
		return c.answer(r.Answer), true
	case r.has(ActSmallTalk):
		return c.social("smallTalk"), true
	}
	return nil, false
}

// understood applies a model's reading of text. It returns false when the
// reading settles nothing, and the rules should read the utterance.
func (c *Call) understood(at time.Time, text string, r *Reading) ([]Action, bool) {
	if r.empty() || c.st.Phase == PhaseConfirming && c.cleanYes(text) {
		return nil, false // a plain yes to a read-back is the rules' alone
	}
	if acts, ok := c.modelActs(r); ok {
		return acts, true
	}
	listening := c.st.Phase == PhaseListening
	if r.Cancel {
		if listening {
			return c.prompt(Say{Text: c.phrase("anythingElse"), Kind: Info}), true
		}
		return c.drop(c.phrase("cancelled")), true
	}
	if r.Repeat {
		return []Action{c.repeat()}, true
	}
	target := c.e.service(r.Intent)
	if r.Intent != "" && target == nil {
		r = &Reading{Answer: r.Answer} // an unknown service: its values belong to nothing
	}
	switch {
	case target != nil && !target.cfg.IsEnabled():
		if !listening {
			return nil, false // keep the request in progress; the rules decide
		}
		return c.prompt(Say{Text: c.phrase("unavailable") + " " + c.capabilities(), Kind: Info}), true
	case target != nil && (listening || target.cfg.Intent != c.st.Intent):
		if !listening {
			c.reset()
		}
		c.st.Choices, c.st.ChoiceText = nil, ""
		last := c.recent()
		c.start(at, target, text)
		if last != nil && last.Intent == target.cfg.Intent {
			// Right after its answer, the same service again builds on what
			// it was given ("¿y a las 11?" after "that time is taken").
			for k, v := range last.Fields {
				if _, ok := c.st.Slots[k]; !ok {
					c.st.Slots[k] = v
				}
			}
		}
		acks, _, _ := c.applyValues(target, at, r.Values) // the model's values over the rules'
		return c.next(acks), true
	}
	if !listening && c.st.Phase != PhaseExecuting && len(r.Values) > 0 {
		s := c.e.service(c.st.Intent)
		acks, applied, problem := c.applyValues(s, at, r.Values)
		switch {
		case applied && c.st.Phase == PhaseConfirming:
			if c.st.Readback != nil && maps.Equal(c.st.Readback.Values, c.st.Slots) {
				break // the same values again: not a change, and never a yes
			}
			return append(acks, c.readback(s)), true
		case applied:
			return c.next(acks), true
		case problem != "" && c.st.Phase == PhaseCollecting && c.st.Asking != "":
			return c.invalid(problem), true
		}
	}
	if r.Answer != "" && (!c.rulesHaveWork(at, text) || c.questionForFreeText(text)) {
		return c.answer(r.Answer), true
	}
	return nil, false
}

// applyValues validates a model's values for s's fields and keeps those
// that pass. It returns acknowledgements of changed values, whether any
// value was taken, and the reason the asked field's value was rejected.
func (c *Call) applyValues(s *service, at time.Time, values map[string]string) (acks []Action, applied bool, problem string) {
	now := at.In(c.e.loc)
	if c.st.Slots == nil {
		c.st.Slots = map[string]string{}
	}
	for _, f := range s.fields { // in the service's order, for stable acknowledgements
		raw, ok := values[f.Name]
		if !ok || strings.TrimSpace(raw) == "" {
			continue
		}
		v, _, p := c.parse(f, isoDateTime(raw), now)
		switch p {
		case "":
		case partial:
			applied = true // half a datetime, kept for the other half
			continue
		default:
			if f.Name == c.st.Asking {
				problem = p
			}
			continue
		}
		old, had := c.st.Slots[f.Name]
		c.st.Slots[f.Name] = v
		applied = true
		if had && old != v {
			acks = append(acks, Say{Text: c.phrase("changed", "field", f.label, "value", c.e.spoken(f, v)), Kind: Info})
		}
	}
	return acks, applied, problem
}

// isoDateTime turns "2024-01-16T10:30" into "2024-01-16 10:30", which the
// date and time readers take apart; anything else is returned as is.
func isoDateTime(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 16 && v[10] == 'T' && v[4] == '-' && v[7] == '-' && v[13] == ':' {
		return v[:10] + " " + v[11:]
	}
	return v
}

// rulesHaveWork reports whether the rules, reading text on their own,
// would move the call on: take a value, start or switch a request, answer
// a read-back, choose an offered service, retry the last one. A model's
// answer to a question is said only when they would not, so a reply the
// model wrote never hides a request or a value.
func (c *Call) rulesHaveWork(at time.Time, text string) bool {
	dry := &Call{e: c.e, st: c.State()}
	dry.utterance(at, text, nil)
	a, b := c.st, dry.st
	return a.Phase != b.Phase || a.Intent != b.Intent || a.Asking != b.Asking ||
		!maps.Equal(a.Slots, b.Slots) || !maps.Equal(a.Partial, b.Partial) ||
		(a.Readback == nil) != (b.Readback == nil) || !slices.Equal(a.Choices, b.Choices)
}

// questionForFreeText: a question asked while a free-text field is asked,
// which the rules would take as its value ("¿y cuánto cuesta?" for a name).
func (c *Call) questionForFreeText(text string) bool {
	if c.st.Phase != PhaseCollecting || c.st.Asking == "" || !strings.ContainsAny(text, "?¿") {
		return false
	}
	return c.e.service(c.st.Intent).field(c.st.Asking).freeText()
}

// answer says the model's reply to a question, then the question the call
// was waiting on, if any.
func (c *Call) answer(text string) []Action {
	out := []Action{Say{Text: text, Kind: Answer}}
	if c.st.Phase == PhaseListening {
		return out
	}
	return append(out, c.repeat())
}

// cleanYes reports whether text is a yes with nothing but affirming words
// beside it, the only answer that executes a read-back.
func (c *Call) cleanYes(text string) bool {
	answer, rest := c.read(text).YesNo()
	return answer == extract.Yes && c.onlyAffirms(rest)
}

// yesWithVerb reports whether text is a yes said with the service's own
// verb, which the yes/no reader takes for a change ("sí, cámbiala" to
// "¿cambio tu reserva…?"): a yes word first, and nothing else but words
// that affirm and that verb, not negated.
func (c *Call) yesWithVerb(text string) bool {
	h := c.e.hear(text)
	if len(h.words) == 0 || yesNoWord(h.words[0].v) != actAffirm {
		return false
	}
	for _, w := range h.words {
		if yesNoWord(w.v) == actDeny || negators[w.v] {
			return false
		}
	}
	return c.onlyAffirms(h.text[h.ft.span(h.words[0].e, h.words[0].e).Start:])
}

// onlyAffirms reports whether what a caller says beside a yes only affirms
// it: affirming words ("perfecto", "go ahead", "brilliant"), thanks, and
// the service's own verb ("sí, bloquéela ya", "yes, go ahead and book it",
// "sí, dalo de baja").
func (c *Call) onlyAffirms(rest string) bool {
	rest = withoutReason(rest) // "sí, anúlela, que ya me empadroné en otro sitio"
	if onlyAffirms(rest) {
		return true
	}
	h := c.e.hear(rest)
	const kind = 1<<actAffirm | 1<<actThanks | 1<<actFiller | 1<<actGreeting
	if h.alone {
		return h.acts&^kind == 0
	}
	if h.acts&^kind != 0 {
		return false
	}
	s := c.e.service(c.st.Intent)
	for i := 0; i < len(h.words); {
		if h.tag[i] != actNone || kind&(1<<h.said[i]) != 0 || slices.Contains(affirming, h.words[i].v) || slices.Contains(fillerWords, h.words[i].v) {
			i++
			continue
		}
		m, p := c.e.lex.verbs.longest(h.words, i, nil)
		if m == 0 || s == nil || !c.e.intents.entry(s.cfg.Intent).verbs.has(verb(p.tag)) {
			return false
		}
		i += m
	}
	return true
}

// reasonLeads start the reason a caller gives for a yes.
var reasonLeads = regexp.MustCompile(`(?i)(?:,\s*|\s)(?:que ya|porque|ya que|because|since|cause|as i|as we)\s`)

// withoutReason drops the reason a caller adds to a yes: what follows
// ", que ya…", "porque", "because". A reason says nothing against it.
func withoutReason(s string) string {
	if loc := reasonLeads.FindStringIndex(s); loc != nil {
		return s[:loc[0]]
	}
	return s
}

// WantsReading reports whether a model's reading of text could matter:
// not before the call starts or after it ends, nor while a service runs.
// A plain yes to a read-back is read too: it executes only when the model
// does not hear a no or a hold in it. A runtime skips the model (and its
// latency) when it could not matter.
func (c *Call) WantsReading(text string) bool {
	switch c.st.Phase {
	case PhaseGreeting, PhaseExecuting, PhaseEnded:
		return false
	}
	return true
}

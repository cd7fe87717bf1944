package dialog

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog/extract"
)

// Step feeds one event to the call and returns what the runtime must do, in
// order. Events after the call ended return nothing.
func (c *Call) Step(ev Event) []Action {
	if c.st.Phase == PhaseEnded {
		return nil
	}
	var out []Action
	switch ev := ev.(type) {
	case Start:
		if c.st.Phase == PhaseGreeting {
			c.st.Since = ev.At
			c.st.Phase = PhaseListening
			c.st.LastPrompt = c.phrase("howCanIHelp")
			out = append(out, Say{Text: c.greeting(), Kind: Greeting})
		}
	case Utterance:
		if c.st.Phase == PhaseGreeting {
			return nil // before Start there is nothing to answer
		}
		c.input(ev.At)
		out = c.utterance(ev.At, strings.TrimSpace(ev.Text), ev.Reading)
	case DTMF:
		if c.st.Phase == PhaseGreeting {
			return nil
		}
		c.input(ev.At)
		out = c.dtmf(ev.At, ev.Digits)
	case Timeout:
		out = c.timeout(ev.At)
	case Result:
		out = c.result(ev)
	case Hangup:
		c.st.Phase = PhaseEnded
	case Resume:
		out = c.resume(ev.At)
	}
	return out
}

// resume goes on after a lost connection: an apology and the pending
// question, asked again from now. A call never greeted is greeted.
func (c *Call) resume(at time.Time) []Action {
	if c.st.Phase == PhaseGreeting {
		return c.Step(Start{At: at})
	}
	c.st.Since, c.st.Silent = at, 0
	return []Action{Say{Text: c.phrase("resumed"), Kind: Info}, c.repeat()}
}

func (c *Call) input(at time.Time) {
	c.st.Turn++
	c.st.Silent = 0
	c.st.Since = at
}

func (c *Call) greeting() string {
	if c.e.greeting == nil {
		return c.phrase("howCanIHelp")
	}
	text, err := c.e.greeting.Render(c.scope(nil))
	if err != nil {
		return c.e.agent.Greeting
	}
	return text
}

func (c *Call) utterance(at time.Time, text string, r *Reading) []Action {
	if text == "" {
		return nil
	}
	if c.st.Phase == PhaseExecuting {
		return []Action{Say{Text: c.phrase("working"), Kind: Info}}
	}
	h := c.e.hear(text)
	c.heard, c.reading = h, r
	if h.has(actCancel) && r.has(ActHold) && !r.has(ActCancel) {
		h.drop(actCancel, c.e.lex) // the model hears a moment's thought, not a refusal: nothing is lost
	}
	if f := c.asked(); f != nil && f.typ == configs.TypeBoolean && (h.has(actCancel) || h.has(actHold)) {
		if _, _, ok := c.boolean(text); ok {
			h.drop(actCancel, c.e.lex) // "no, no hace falta" answers "¿quiere una tarjeta nueva?"
			h.drop(actHold, c.e.lex)
		}
	}
	if c.st.Phase != PhaseListening && h.has(actGreeting) {
		h.drop(actGreeting, c.e.lex) // "good morning" as the message asked for; "¿hola?" is asked again
	}
	if c.st.Phase == PhaseListening && h.has(actCancel) && len(c.e.intents.rankWords(c.e.intents.keep(c.e.lex.callerStems(text, c.e.lang)), c.e.lex.hearVerbs(text))) > 0 {
		h.drop(actCancel, c.e.lex) // "quiero cancelar mi cita": the request, not a refusal
	}
	defer func() { c.heard, c.reading = nil, nil }()
	if h.endsWith(actFarewell) && !(c.st.Phase == PhaseConfirming && c.cleanYes(h.without(actGoodbye, actFarewell))) {
		return c.end(c.phrase("goodbye")) // "… mejor llamo después. Adiós."
	}
	// What the caller does comes before what the caller says: an utterance
	// that only asks for a moment, thanks, says goodbye… is answered so.
	if h.alone {
		if acts, ok := c.onAct(at, h); ok {
			return acts
		}
		h.declined = true // the words answer what was asked: "sí", "un agente"
	}
	if acts, ok := c.understood(at, text, r); ok {
		return acts
	}
	if h.doesAny() && !h.alone && !c.informs(at, h) {
		// Acts with words that give nothing: "no, mejor no, déjala así, sí
		// vamos a ir", "espera, que no lo encuentro".
		if acts, ok := c.onAct(at, h); ok {
			return acts
		}
	}
	return c.inform(at, text, h)
}

// inform handles what the caller says: a request, values, an answer to a
// read-back.
func (c *Call) inform(at time.Time, text string, h *heard) []Action {
	if c.st.Phase == PhaseListening {
		if !hasContent(text) { // "sí, perfecto", "ok, gracias": an acknowledgement
			return c.prompt(Say{Text: c.phrase("anythingElse"), Kind: Info})
		}
		return c.listen(at, text)
	}
	if c.st.Phase == PhaseConfirming && c.cleanYes(text) {
		return c.confirming(at, text) // "yes, that's all correct"
	}
	other := c.switchTo(at, text)
	if other == nil && c.st.Phase == PhaseConfirming && h.denied.and(c.e.intents.entry(c.st.Intent).verbs) != 0 {
		return c.drop(c.phrase("cancelled")) // "no, no la bloquee, que la tenía en el abrigo"
	}
	if other != nil { // "can I move it instead of cancelling?"
		from, given := c.e.service(c.st.Intent), c.st.Slots
		c.reset()
		c.start(at, other, text)
		// What the caller gave the request dropped that the new one asks
		// for too (the same field, of the same type) is not asked again:
		// "just cancel it" after a booking reference given to change it.
		for _, f := range other.fields {
			if pf := from.field(f.Name); pf != nil && pf.typ == f.typ && given[f.Name] != "" && c.st.Slots[f.Name] == "" {
				c.st.Slots[f.Name] = given[f.Name]
			}
		}
		return c.next(nil)
	}
	info := h.inform()
	if c.st.Phase == PhaseConfirming {
		return c.confirming(at, info)
	}
	return c.collecting(at, info)
}

// informs reports whether the words of h beside its acts would move the
// call on: a request, a value, an answer. It reads them on a copy of the
// call.
func (c *Call) informs(at time.Time, h *heard) bool {
	dry := &Call{e: c.e, st: c.State(), heard: h, reading: c.reading}
	dry.inform(at, h.text, h)
	return progressed(&c.st, &dry.st)
}

// progressed reports whether the call moved from a to b. A read-back
// answered with a bare no (asking what to change) did not.
func progressed(a, b *State) bool {
	if a.Phase == PhaseConfirming && b.Phase == PhaseCollecting && b.Asking == "" && maps.Equal(a.Slots, b.Slots) {
		return false
	}
	return a.Phase != b.Phase || a.Intent != b.Intent || a.Asking != b.Asking ||
		!maps.Equal(a.Slots, b.Slots) || !maps.Equal(a.Partial, b.Partial) ||
		(a.Readback == nil) != (b.Readback == nil) || !slices.Equal(a.Choices, b.Choices)
}

// onAct answers an utterance for what it does rather than what it says:
// asking for a person, dropping the request, saying goodbye, asking for a
// moment or to hear something again, small talk, greetings and thanks. It
// returns false when the acts are for the phase to judge (a yes, a no).
func (c *Call) onAct(at time.Time, h *heard) ([]Action, bool) {
	listening := c.st.Phase == PhaseListening
	switch {
	case h.has(actHuman):
		if c.forService(h.text) || c.answersAsked(h.text) {
			return nil, false
		}
		return c.human(), true
	case listening && h.saysNo():
		return c.end(c.phrase("goodbye")), true // "no, gracias" to "¿algo más?"
	case h.has(actCancel):
		if c.st.Phase == PhaseConfirming && c.e.service(c.st.Intent).cancels && yesToCancellation(h) {
			return c.confirming(at, yesWord(c.e.lang)), true // "sí, cancélala" to "¿cancelo tu cita?"
		}
		if !listening {
			return c.drop(c.phrase("cancelled")), true
		}
		if len(c.rank(h.text)) > 0 {
			return nil, false // "cancelar": a service that cancels
		}
		return c.prompt(Say{Text: c.phrase("anythingElse"), Kind: Info}), true
	case h.has(actGoodbye) || h.has(actFarewell):
		if c.st.Phase == PhaseConfirming && c.cleanYes(h.without(actGoodbye, actFarewell)) {
			return nil, false // "yes, that's it"; not "eso es todo", whose "eso es" is the goodbye's
		}
		return c.end(c.phrase("goodbye")), true
	case h.has(actHold):
		return []Action{Say{Text: c.phrase("takeYourTime"), Kind: Info}}, true
	case h.has(actRepeat):
		return []Action{c.repeat()}, true
	case h.has(actSmallTalk):
		return c.social("smallTalk"), true
	case h.has(actGreeting) && !h.has(actThanks):
		return c.social("greetBack"), true
	case h.has(actThanks) && !h.has(actAffirm) && !h.has(actDeny): // "no, gracias" answers
		switch c.st.Phase {
		case PhaseListening:
			return c.prompt(Say{Text: c.phrase("youAreWelcome") + " " + c.phrase("anythingElse"), Kind: Info}), true
		case PhaseCollecting:
			return c.social("youAreWelcome"), true
		}
	}
	return nil, false
}

// asked is the field being asked, or nil.
func (c *Call) asked() *field {
	if c.st.Phase != PhaseCollecting || c.st.Asking == "" {
		return nil
	}
	return c.e.service(c.st.Intent).field(c.st.Asking)
}

// social answers small talk, a greeting or thanks, then asks again what
// the call is waiting on.
func (c *Call) social(key string) []Action {
	out := []Action{Say{Text: c.phrase(key), Kind: Info}}
	if c.st.Phase == PhaseListening {
		return append(out, c.prompt(Say{Text: c.phrase("howCanIHelp"), Kind: Info})...)
	}
	return append(out, c.repeat())
}

// listen handles a request when none is in progress.
func (c *Call) listen(at time.Time, text string) []Action {
	if len(c.st.Choices) > 0 {
		if s := c.choose(text); s != nil {
			asked := c.st.ChoiceText
			c.st.Choices, c.st.ChoiceText = nil, ""
			return c.begin(at, s, asked+". "+text)
		}
	}
	ranked := c.rank(text)
	switch {
	case len(ranked) == 0:
		if acts := c.retry(at, text); acts != nil {
			return acts
		}
		if len(c.e.intents.enabled()) == 0 {
			return c.prompt(Say{Text: c.phrase("noServices"), Kind: Info})
		}
		return c.prompt(Say{Text: c.phrase("didNotUnderstand") + " " + c.capabilities(), Kind: Info})
	case ranked[0].disabled:
		return c.prompt(Say{Text: c.phrase("unavailable") + " " + c.capabilities(), Kind: Info})
	}
	ranked = slices.DeleteFunc(ranked, func(m match) bool { return m.disabled })
	if len(ranked) > 1 && ranked[1].score >= closeRatio*ranked[0].score {
		if s := c.fittest(at, text, ranked); s != nil {
			c.st.Choices, c.st.ChoiceText = nil, ""
			return c.begin(at, s, text) // "change the delivery … to Saturday, morning": the one with a day
		}
		c.st.Choices = nil
		var options []string
		for _, m := range ranked {
			if m.score < closeRatio*ranked[0].score || len(options) == 3 {
				break
			}
			c.st.Choices = append(c.st.Choices, m.intent)
			options = append(options, c.e.describe(m.intent))
		}
		c.st.ChoiceText = text
		return c.prompt(Say{Text: c.phrase("whichService", "options", joinList(options, c.or())), Kind: Info})
	}
	c.st.Choices, c.st.ChoiceText = nil, ""
	return c.begin(at, c.e.service(ranked[0].intent), text)
}

// fittest is, among services that score alike for text, the one whose
// fields the request gives more values to — typed values only (a day, an
// option, a code), not free text — or nil when none stands out.
func (c *Call) fittest(at time.Time, text string, ranked []match) *service {
	var best *service
	bestN, second := 0, 0
	for _, m := range ranked {
		if m.score < closeRatio*ranked[0].score {
			break
		}
		s := c.e.service(m.intent)
		dry := &Call{e: c.e, st: c.State(), heard: c.heard, reading: c.reading}
		dry.start(at, s, text)
		n := 0
		for name := range dry.st.Slots {
			if f := s.field(name); f != nil && !f.freeText() {
				n++
			}
		}
		switch {
		case n > bestN:
			best, bestN, second = s, n, bestN
		case n > second:
			second = n
		}
	}
	if bestN > second {
		return best
	}
	return nil
}

func (c *Call) or() string {
	if c.e.lang == "es" {
		return "o"
	}
	return "or"
}

func (c *Call) and() string {
	if c.e.lang == "es" {
		return "y"
	}
	return "and"
}

// choose picks one of the offered services from the caller's answer.
func (c *Call) choose(text string) *service {
	best, bestScore := "", 0.0
	for _, m := range c.rank(text) {
		for _, ch := range c.st.Choices {
			if m.intent == ch && m.score > bestScore {
				best, bestScore = ch, m.score
			}
		}
	}
	if best == "" {
		folded := extract.Fold(text)
		for i, ord := range ordinals(c.e.lang) {
			if i < len(c.st.Choices) && strings.Contains(folded, ord) {
				best = c.st.Choices[i]
				break
			}
		}
	}
	if best == "" {
		return nil
	}
	return c.e.service(best)
}

func ordinals(lang string) []string {
	if lang == "es" {
		return []string{"primer", "segund", "tercer"}
	}
	return []string{"first", "second", "third"}
}

// namedServices is how many services the capabilities sentence names; an
// agent with more says the moreServices phrase after them ("and more").
const namedServices = 5

// capabilities says what the agent can do, from the references of its
// first enabled services.
func (c *Call) capabilities() string {
	var options []string
	for _, s := range c.e.intents.services {
		if s.disabled {
			continue
		}
		if len(options) == namedServices {
			options = append(options, c.phrase("moreServices"))
			break
		}
		options = append(options, c.e.describe(s.intent))
	}
	return c.phrase("capabilities", "options", joinList(options, c.and()))
}

// describe names a service aloud: its reference up to the first colon or
// period, starting in lowercase, or its intent with spaces.
func (e *Engine) describe(intent string) string {
	s := e.service(intent)
	ref := s.cfg.Reference
	if i := strings.IndexAny(ref, ":.;("); i > 0 {
		ref = ref[:i]
	}
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return strings.NewReplacer("_", " ", "-", " ").Replace(intent)
	}
	if r := []rune(ref); len(r) > 1 && !(r[1] >= 'A' && r[1] <= 'Z') {
		ref = strings.ToLower(string(r[0])) + string(r[1:])
	}
	return ref
}

// switchTo returns another service when the caller, in the middle of one
// request, clearly asks for a different one: it ranks first, the current
// one is not close, and the caller used a word of what the other service
// does that the current one does not ("cancelar", "open a ticket") — an
// answer that merely mentions a product or a date switches nothing.
func (c *Call) switchTo(at time.Time, text string) *service {
	words := c.e.intents.keep(c.e.lex.callerStems(c.switchText(text), c.e.lang))
	verbs := c.switchVerbs(text)
	ranked := c.e.intents.rankWords(words, verbs)
	if len(ranked) == 0 || ranked[0].intent == c.st.Intent || ranked[0].disabled {
		return nil
	}
	for _, m := range ranked[1:] {
		if m.intent == c.st.Intent && m.score >= closeRatio*ranked[0].score {
			return nil
		}
	}
	target, current := c.e.intents.entry(ranked[0].intent), c.e.intents.entry(c.st.Intent)
	dropping := c.heard != nil && c.heard.text == text && c.heard.has(actCancel) // "olvídate de eso, …"
	if verbs.and(target.verbs) != 0 && verbs.and(current.verbs) == 0 && (dropping || !c.answers(at, text)) {
		return c.e.service(ranked[0].intent) // "mejor quiero cancelarla" while booking
	}
	for _, w := range target.actions {
		if containsStem(words, w) && !containsStem(current.actions, w) && !containsStem(current.context, w) && (dropping || !c.answers(at, text)) {
			return c.e.service(ranked[0].intent)
		}
	}
	return nil
}

// switchVerbs are the verbs of text for a switch: those of a dropping
// phrase count ("olvida eso, quiero cancelar mi cita"), those of a hold do
// not ("déjeme ver a qué hora sale").
func (c *Call) switchVerbs(text string) verbSet {
	h := c.heard
	if h == nil || h.text != text {
		h = c.e.hear(text)
	}
	vs, _ := c.e.lex.verbsIn(h.words, c.switchTags(h))
	return vs
}

// switchTags are the acts of h as a switch reads them: a dropping phrase
// that names another request is a request ("olvida eso, quiero cancelar
// mi cita"); one that points back at the request in progress ("cancele
// eso") stays a drop.
func (c *Call) switchTags(h *heard) []act {
	tags := slices.Clone(h.tag)
	for i := 0; i < len(tags); {
		if tags[i] != actCancel {
			i++
			continue
		}
		end := i
		for end < len(tags) && tags[end] == actCancel {
			end++
		}
		if !pronounObjects[h.words[end-1].v] {
			for k := i; k < end; k++ {
				tags[k] = actNone
			}
		}
		i = end
	}
	return tags
}

// pronounObjects end a dropping phrase that points back at the request in
// progress ("cancele eso", "cancel that"); "cancel it" may mean the
// booking, so "it" is not one of them.
var pronounObjects = wordSet("eso", "esto", "todo", "that", "this", "everything", "all", "nada")

// switchText is text without the words of its acts, as a switch reads
// them: "hold on" says nothing about a service that puts things on hold,
// "cancélelo" nothing about one that cancels.
func (c *Call) switchText(text string) string {
	h := c.heard
	if h == nil || h.text != text {
		return text
	}
	tags := c.switchTags(h)
	b := []byte(h.text)
	for i, w := range h.words {
		if tags[i] != actNone {
			sp := h.ft.span(w.s, w.e)
			for k := sp.Start; k < sp.End; k++ {
				b[k] = ' '
			}
		}
	}
	return strings.ToValidUTF8(string(b), " ")
}

// answers reports whether text gives a value to the request in progress
// ("the reason is it arrived damaged" while a refund is collected).
func (c *Call) answers(at time.Time, text string) bool {
	dry := &Call{e: c.e, st: c.State(), heard: c.heard, reading: c.reading}
	s := dry.e.service(dry.st.Intent)
	dry.fill(s, at, text, dry.st.Phase == PhaseCollecting)
	if maps.Equal(c.st.Slots, dry.st.Slots) && dry.st.Phase == PhaseConfirming {
		dry.change(s, at, text, nil) // "mejor el lunes" to a read-back corrects it
	}
	return !maps.Equal(c.st.Slots, dry.st.Slots)
}

// begin starts collecting a service, taking any fields already in text.
func (c *Call) begin(at time.Time, s *service, text string) []Action {
	c.start(at, s, text)
	return c.next(nil)
}

// start makes s the request in progress, with the fields the rules find in
// text.
func (c *Call) start(at time.Time, s *service, text string) {
	c.st.Intent = s.cfg.Intent
	c.st.Phase = PhaseCollecting
	c.st.Slots = map[string]string{}
	if last := c.recent(); last != nil && last.Intent != s.cfg.Intent {
		// Right after another service's answer, reuse what the caller just
		// gave it: the same field, of the same type.
		prev := c.e.service(last.Intent)
		for _, f := range s.fields {
			if pf := prev.field(f.Name); pf != nil && pf.typ == f.typ && last.Fields[f.Name] != "" {
				c.st.Slots[f.Name] = last.Fields[f.Name]
			}
		}
	}
	c.st.Asking = ""
	c.st.Attempts = 0
	c.fill(s, at, text, false)
	c.volunteerFrames(s, text)
}

// collecting handles an answer while fields are being asked.
func (c *Call) collecting(at time.Time, text string) []Action {
	s := c.e.service(c.st.Intent)
	before := maps.Clone(c.st.Slots)
	said, problem := c.fill(s, at, text, true)
	if c.heard != nil && c.heard.asksSomething() && maps.Equal(before, c.st.Slots) {
		// "¿y tienen estacionamiento?" while a name is asked: a question,
		// not an answer; without a model there is no answer to give.
		return []Action{Say{Text: c.phrase("cannotAnswer"), Kind: Info}, c.repeat()}
	}
	if problem != "" {
		// Not an answer to the question, but maybe a new value of a field
		// given before ("mejor el 22" while the time is asked).
		if changed := c.change(s, at, text, s.field(c.st.Asking)); changed != nil {
			return c.next(changed)
		}
		return c.invalid(problem)
	}
	if c.st.Asking == "" && maps.Equal(before, c.st.Slots) {
		return c.whatToChange(s, at, text)
	}
	return c.next(said)
}

// whatToChange handles the answer to "what would you like to change?": a
// value only one field can take, a field's name (asked next), or nothing to
// change (read back again).
func (c *Call) whatToChange(s *service, at time.Time, text string) []Action {
	if said := c.change(s, at, text, nil); said != nil {
		return c.next(said)
	}
	if f := c.namedField(s, text); f != nil {
		c.st.Asking = f.Name
		c.st.Attempts = 0
		return []Action{c.ask(f, "")}
	}
	if a, _ := extract.YesNo(text, c.e.lang); a == extract.Yes || nothingToChange(text) {
		return []Action{c.readback(s)}
	}
	c.st.Attempts++
	if c.st.Attempts >= c.e.maxAttempts {
		return c.giveUp()
	}
	prompt := c.phrase("whatToChange")
	c.st.LastPrompt = prompt
	return []Action{Say{Text: c.phrase("didNotUnderstand") + " " + prompt, Kind: Problem}}
}

// next asks for the first missing field, or reads the request back, or
// executes it. pre are acknowledgements to say first.
func (c *Call) next(pre []Action) []Action {
	s := c.e.service(c.st.Intent)
	for _, f := range s.fields {
		if _, ok := c.st.Slots[f.Name]; ok || f.Optional {
			continue
		}
		if c.st.Asking != f.Name {
			c.st.Attempts = 0
		}
		c.st.Asking = f.Name
		c.st.Phase = PhaseCollecting
		return append(pre, c.ask(f, ""))
	}
	c.st.Asking = ""
	c.st.Attempts = 0
	if s.cfg.NeedsConfirmation() {
		return append(pre, c.readback(s))
	}
	return append(pre, c.execute(maps.Clone(c.st.Slots)))
}

// ask asks for a field with its promptHint, after a reason when the last
// answer could not be used.
func (c *Call) ask(f *field, reason string) Action {
	text := f.PromptHint
	if text == "" {
		text = c.phrase("askField", "field", f.label)
	}
	switch part := c.st.Partial[f.Name]; {
	case strings.HasPrefix(part, "date:"):
		text, reason = c.phrase("askTimeToo"), ""
	case strings.HasPrefix(part, "time:"):
		text, reason = c.phrase("askDateToo"), ""
	}
	c.st.LastPrompt = text
	if reason != "" {
		text = reason + " " + text
	}
	return Ask{Field: f.Name, Type: f.askType(), Text: text}
}

// invalid answers an unusable value: a reason and the question again, or
// the fallback after too many attempts.
func (c *Call) invalid(reason string) []Action {
	c.st.Attempts++
	if c.st.Attempts >= c.e.maxAttempts {
		return c.giveUp()
	}
	s := c.e.service(c.st.Intent)
	return []Action{c.ask(s.field(c.st.Asking), reason)}
}

// readback freezes the collected values and asks the caller to confirm them.
func (c *Call) readback(s *service) Action {
	values := maps.Clone(c.st.Slots)
	c.st.Readback = &Readback{Intent: s.cfg.Intent, Values: values, Turn: c.st.Turn}
	c.st.Phase = PhaseConfirming
	c.st.Attempts = 0
	text := c.readbackText(s, values)
	c.st.LastPrompt = text
	return Confirm{Intent: s.cfg.Intent, Text: text, Values: maps.Clone(values)}
}

func (c *Call) readbackText(s *service, values map[string]string) string {
	if s.confirm != nil {
		if text, err := s.confirm.Render(c.scope(values)); err == nil {
			return text
		}
	}
	var parts []string
	for _, f := range s.fields {
		if v, ok := values[f.Name]; ok {
			parts = append(parts, f.label+": "+c.e.spoken(f, v))
		}
	}
	return c.phrase("readback", "values", strings.Join(parts, ", "))
}

// confirming handles the answer to a read-back. Only a yes in the caller's
// own words, in a later turn than the read-back, with the values unchanged,
// executes.
func (c *Call) confirming(at time.Time, text string) []Action {
	s := c.e.service(c.st.Intent)
	text = c.withoutEcho(text)
	answer, rest := c.read(text).YesNo()
	rb := c.st.Readback
	// Only a yes with nothing else in it executes ("sí, así está bien"):
	// "nada, todo bien" is asked again.
	if answer == extract.Yes && !c.onlyAffirms(rest) {
		answer = extract.Unclear
	}
	if answer == extract.Unclear && c.yesWithVerb(text) {
		answer = extract.Yes // "sí, cámbiala"
	}
	if answer == extract.Unclear && c.onlyYes(text) {
		answer = extract.Yes // "yes ma'am, send somebody, I don't care what it costs"
	}
	if answer == extract.Yes && c.reading.has(ActHold) {
		return []Action{Say{Text: c.phrase("takeYourTime"), Kind: Info}} // the model hears "espera…"
	}
	if answer == extract.Yes && c.reading.vetoes() {
		answer = extract.Unclear // the model reads a no: both keys are needed
	}
	if answer == extract.Yes && rb != nil && rb.Turn < c.st.Turn && maps.Equal(rb.Values, c.st.Slots) && rb.Intent == c.st.Intent {
		values := rb.Values
		c.st.Readback = nil
		return []Action{c.execute(values)}
	}
	// A change, with or without a no: apply it and read back again.
	if answer != extract.Yes {
		// Values are read in the whole answer: "no, a las nueve no, a las diez".
		if said, _ := c.fill(s, at, text, false); len(said) > 0 || !maps.Equal(rb.Values, c.st.Slots) {
			return append(said, c.readback(s))
		}
		if said := c.change(s, at, text, nil); said != nil {
			return append(said, c.readback(s))
		}
		if f := c.namedField(s, rest); f != nil && f.sense.person {
			// "no, it's under my husband's name, Mitchell"
			if name, _, ok := personName(rest, c.e.lang); ok && name != c.st.Slots[f.Name] {
				c.st.Slots[f.Name] = name
				return []Action{Say{Text: c.phrase("changed", "field", f.label, "value", name), Kind: Info}, c.readback(s)}
			}
		}
		if f := c.namedField(s, rest); f != nil {
			// "el correo está mal": ask that field again.
			delete(c.st.Slots, f.Name)
			c.st.Readback = nil
			c.st.Phase = PhaseCollecting
			c.st.Asking = f.Name
			c.st.Attempts = 0
			return []Action{c.ask(f, "")}
		}
	}
	if answer == extract.No {
		c.st.Readback = nil
		c.st.Phase = PhaseCollecting
		c.st.Asking = ""
		text := c.phrase("whatToChange")
		c.st.LastPrompt = text
		return []Action{Say{Text: text, Kind: Info}}
	}
	c.st.Attempts++
	if c.st.Attempts >= c.e.maxAttempts {
		return c.giveUp()
	}
	return []Action{Say{Text: c.phrase("confirmAgain"), Kind: Problem}}
}

func (c *Call) execute(values map[string]string) Action {
	c.st.Phase = PhaseExecuting
	c.st.Asking = ""
	c.st.Last = &Recent{Intent: c.st.Intent, Fields: maps.Clone(values), Turn: c.st.Turn}
	return Execute{Intent: c.st.Intent, Fields: values}
}

// recent is the service that answered in the turn just before this one:
// only then do the caller's words build on it.
func (c *Call) recent() *Recent {
	if c.st.Last != nil && c.st.Turn == c.st.Last.Turn+1 {
		return c.st.Last
	}
	return nil
}

// retry runs the last service again when the caller's words right after
// its answer only change some of its values ("how about Friday at 2:30?"
// after "that time is taken", "es el 48213" after "no encontré ese código").
func (c *Call) retry(at time.Time, text string) []Action {
	last := c.recent()
	if last == nil {
		return nil
	}
	s := c.e.service(last.Intent)
	c.st.Intent, c.st.Phase, c.st.Slots = last.Intent, PhaseCollecting, maps.Clone(last.Fields)
	said, _ := c.fill(s, at, text, false)
	if maps.Equal(c.st.Slots, last.Fields) {
		said = c.change(s, at, text, nil) // a new value for a field it had
	}
	for name, v := range c.st.Slots {
		if f := s.field(name); f != nil && len(f.Enum) > 0 && v != last.Fields[name] && !c.namesOption(f, text, v) {
			c.reset() // an option guessed from a word ("es bastante agua") runs nothing again
			return nil
		}
	}
	if maps.Equal(c.st.Slots, last.Fields) {
		c.reset()
		return nil
	}
	return c.next(said)
}

// onlyYes reports whether the lexicon hears nothing but agreement in
// text: a yes, affirming phrases, thanks and fillers, and no no.
func (c *Call) onlyYes(text string) bool {
	h := c.e.hear(text)
	const kind = 1<<actAffirm | 1<<actThanks | 1<<actFiller | 1<<actGreeting
	return h.alone && h.has(actAffirm) && h.acts&^kind == 0
}

// withoutEcho drops a first sentence that only asks back a figure of the
// read-back: "¿Novecientos cincuenta? Ya, está bien, mándela".
func (c *Call) withoutEcho(text string) string {
	said := extract.Numbers(c.st.LastPrompt, c.e.lang)
	if len(said) == 0 {
		return text
	}
	out := text
	for _, n := range c.read(text).Numbers() {
		end := n.Span.End
		for end < len(text) && strings.ContainsRune("?!. ", rune(text[end])) {
			end++
		}
		if strings.Trim(text[:n.Span.Start], " ¿¡") != "" || !strings.ContainsAny(text[n.Span.End:end], "?") {
			continue // not the answer's first sentence, or not asked back
		}
		for _, m := range said {
			if m.Value == n.Value {
				out = strings.Repeat(" ", end) + text[end:]
				break
			}
		}
	}
	return strings.TrimSpace(out)
}

// namesOption reports whether text names option v of f in so many words,
// or by one of its aliases, rather than by a guess from its roots.
func (c *Call) namesOption(f *field, text, v string) bool {
	i := slices.Index(f.Enum, v)
	if i < 0 {
		return false
	}
	if wordIndex(foldText(text).s, f.foldedEnum[i]) >= 0 {
		return true
	}
	j, _, ok := c.byAlias(f, text)
	return ok && j == i
}

// result speaks a service's answer and waits for the next request.
func (c *Call) result(r Result) []Action {
	if c.st.Phase != PhaseExecuting || r.Intent != c.st.Intent {
		return nil
	}
	c.reset()
	c.st.Since = r.At
	c.st.LastPrompt = r.Message // "¿cómo?" says the answer again
	return []Action{Say{Text: r.Message, Kind: Reply}}
}

// drop abandons the request in progress.
func (c *Call) drop(text string) []Action {
	c.reset()
	c.st.LastPrompt = c.phrase("anythingElse")
	return []Action{Say{Text: text, Kind: Info}}
}

func (c *Call) reset() {
	c.st.Partial = nil
	c.st.Phase = PhaseListening
	c.st.Intent = ""
	c.st.Slots = nil
	c.st.Asking = ""
	c.st.Attempts = 0
	c.st.Readback = nil
	c.st.Choices, c.st.ChoiceText = nil, ""
}

func (c *Call) repeat() Action {
	if c.st.Phase == PhaseCollecting && c.st.Asking != "" {
		f := c.e.service(c.st.Intent).field(c.st.Asking)
		return Ask{Field: f.Name, Type: f.askType(), Text: c.st.LastPrompt}
	}
	return Say{Text: c.st.LastPrompt, Kind: Info}
}

func (c *Call) prompt(s Say) []Action {
	c.st.LastPrompt = s.Text
	return []Action{s}
}

func (c *Call) end(text string) []Action {
	c.reset()
	c.st.Phase = PhaseEnded
	return []Action{Say{Text: text, Kind: Info}, End{}}
}

// timeout reprompts a silent caller, and hangs up after too many silences.
func (c *Call) timeout(at time.Time) []Action {
	deadline := c.Deadline()
	if deadline.IsZero() || at.Before(deadline) {
		return nil
	}
	c.st.Silent++
	c.st.Since = at
	if c.st.Silent > c.e.reprompts {
		return c.end(c.phrase("goodbye"))
	}
	again := c.repeat()
	text := c.phrase("stillThere") + " " + Text(again)
	if ask, ok := again.(Ask); ok {
		ask.Text = text
		return []Action{ask}
	}
	return []Action{Say{Text: text, Kind: Reprompt}}
}

// dtmf takes keypad digits: an answer for the field being asked, or 1 (yes)
// and 2 (no) for a read-back.
func (c *Call) dtmf(at time.Time, digits string) []Action {
	digits = strings.TrimRight(digits, "#")
	switch c.st.Phase {
	case PhaseConfirming:
		switch digits {
		case "1":
			return c.confirming(at, yesWord(c.e.lang))
		case "2":
			return c.confirming(at, "no")
		}
		return []Action{Say{Text: c.phrase("confirmAgain"), Kind: Problem}}
	case PhaseCollecting:
		if c.st.Asking == "" { // after "what would you like to change?"
			if digits == "1" {
				return []Action{c.readback(c.e.service(c.st.Intent))}
			}
			return []Action{Say{Text: c.phrase("didNotUnderstand") + " " + c.phrase("whatToChange"), Kind: Problem}}
		}
		if digits == "" {
			return nil
		}
		s := c.e.service(c.st.Intent)
		f := s.field(c.st.Asking)
		value, problem := c.e.parseKeys(f, digits)
		if problem != "" {
			return c.invalid(c.phrase(problem))
		}
		c.st.Slots[f.Name] = value
		return c.next(nil)
	case PhaseExecuting:
		return nil
	}
	return c.utterance(at, digits, nil)
}

func yesWord(lang string) string {
	if lang == "es" {
		return "sí"
	}
	return "yes"
}

// Package dialog is the per-call conversation: a pure state machine that
// picks the service the caller means, asks for its required fields one by
// one, validates and normalises the answers, reads sensitive requests back
// for an explicit yes, and asks the runtime to execute them.
//
// Step(event) returns actions; the engine does no I/O, starts no goroutine
// and reads no clock: time comes in with the events. Understanding is
// rule-based and deterministic in Spanish and English.
package dialog

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog/extract"
	"github.com/voiceagent/voiceagent/tools/expr"
)

// Engine is an agent ready to hold conversations. It is immutable and safe
// for concurrent use; each call gets its own Call.
type Engine struct {
	agent       *configs.Agent
	lang        string
	loc         *time.Location
	services    []*service // all, in file order; disabled ones never match
	intents     *intentIndex
	lex         *lexicon
	phrases     phraseBook
	greeting    *expr.Template // nil without one
	maxAttempts int
	noInput     time.Duration
	reprompts   int
}

type service struct {
	cfg     *configs.Service
	fields  []*field
	confirm *expr.Template // nil: a read-back is generated
	// cancels: the service itself cancels something, so "sí, cancélala"
	// answers its read-back.
	cancels bool
}

type field struct {
	configs.Field
	typ     string // effective type
	pattern *regexp.Regexp
	// cues are folded words that name the field in speech ("correo",
	// "fecha"), so "cambia la fecha al 20" finds the field.
	cues []string
	// label is how the field is named aloud.
	label string
	// ident: a code the caller reads out (order numbers, ticket ids), taken
	// from a code-like token rather than the whole answer.
	ident bool
	// labels are the ways of introducing its value ("mi correo es").
	labels phraseSet
	// foldedEnum and enumStems are the options folded and stemmed;
	// listsOptions says whether the prompt reads them out.
	foldedEnum   []string
	enumStems    [][]string
	listsOptions bool
	// units are the unit words its texts measure it in ("kilos"), with
	// their other names ("kg", "kilogramos").
	units map[string]bool
	// samples are the examples the field's description or prompt gives
	// of a free-text value, folded.
	samples []string
	// sense is what the field's texts say about its values.
	sense sense
}

// New builds the engine of a loaded agent. Problems in the agent's phrases
// are returned as configs.Problems; those of its other templates are
// tools.Compile's to report.
func New(a *configs.Agent) (*Engine, error) {
	loc, err := time.LoadLocation(a.Timezone)
	if err != nil {
		loc = time.UTC // configs reports a bad time zone
	}
	book, problems := compilePhrases(a)
	lex, lexProblems := compileLexicon(a.Language, &a.Lexicon, a.Source)
	problems = append(problems, lexProblems...)
	e := &Engine{
		agent: a, lang: a.Language, loc: loc, phrases: book, lex: lex,
		maxAttempts: max(a.MaxAttempts, 1),
		noInput:     a.NoInput.Timeout.Std(),
		reprompts:   a.NoInput.Reprompts,
	}
	if a.Greeting != "" {
		e.greeting, _ = expr.Parse(a.Greeting) // tools.Compile reports a bad one
	}
	var entries []*intentEntry
	var values []string // enum options: values, not intents
	for _, cs := range a.AllServices() {
		s := &service{cfg: cs}
		for _, w := range stems(cs.Intent+" "+cs.Reference, a.Language) {
			if strings.HasPrefix(w, "cancel") || strings.HasPrefix(w, "anul") {
				s.cancels = true
			}
		}
		for _, cf := range cs.RequiredFields {
			f := newField(cf, a.Language)
			f.sense = senseOf(f, cs, a)
			s.fields = append(s.fields, f)
		}
		if cs.Confirmation != nil && cs.Confirmation.Message != "" {
			s.confirm, _ = expr.Parse(cs.Confirmation.Message) // tools.Compile reports a bad one
		}
		e.services = append(e.services, s)
		for _, f := range cs.RequiredFields {
			values = append(values, f.Enum...)
		}
		entry := &intentEntry{
			intent:   cs.Intent,
			words:    lex.intentWords(a.Language, append([]string{cs.Intent, cs.Reference}, cs.Examples...)...),
			actions:  lex.intentWords(a.Language, cs.Intent, cs.Reference),
			verbs:    e.serviceVerbs(cs),
			disabled: !cs.IsEnabled(),
		}
		for _, ex := range cs.Examples {
			entry.examples = append(entry.examples, lex.intentWords(a.Language, ex))
		}
		for _, f := range cs.RequiredFields {
			entry.context = append(entry.context, lex.intentWords(a.Language, f.Name, f.Description, f.PromptHint)...)
		}
		entries = append(entries, entry)
	}
	e.intents = newIntentIndex(a.Language, entries, values)
	return e, problems.Err()
}

// serviceVerbs is what a service does, read with the lexicon from its
// intent name (in English too: intent names often are), its reference and
// its examples.
func (e *Engine) serviceVerbs(s *configs.Service) verbSet {
	name := strings.NewReplacer("_", " ", "-", " ", ".", " ").Replace(s.Intent)
	vs := e.lex.hearVerbs(name) | e.lex.doneVerbs(s.Reference)
	if e.lang != "en" {
		vs |= englishLexicon().hearVerbs(name)
	}
	for _, ex := range s.Examples {
		vs |= e.lex.hearVerbs(ex)
	}
	return vs
}

// typeCues are words that name a field of a type, in both languages.
var typeCues = map[string][]string{
	configs.TypeEmail:    {"correo", "email", "mail", "e-mail"},
	configs.TypePhone:    {"telefono", "celular", "movil", "phone", "cell", "mobile", "cel", "numero", "number", "whatsapp"},
	configs.TypeDate:     {"fecha", "dia", "date", "day"},
	configs.TypeTime:     {"hora", "time"},
	configs.TypeDateTime: {"fecha", "hora", "date", "time"},
}

// genericWords start many descriptions ("Número de personas", "Number
// of nights") without naming the field.
var genericWords = wordSet("numero", "number", "cantidad", "total", "tipo", "type", "valor", "value", "dato", "nombre", "name")

var identWords = []string{"id", "codigo", "code", "numero", "number", "order", "pedido", "orden", "ticket", "referencia", "reference", "dni", "folio", "caso", "case"}

func newField(cf configs.Field, lang string) *field {
	f := &field{Field: cf, typ: cf.EffectiveType()}
	if cf.Pattern != "" {
		f.pattern, _ = regexp.Compile(cf.Pattern) // configs validated it
	}
	nameWords := strings.FieldsFunc(extract.Fold(cf.Name), func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	f.label = strings.Join(nameWords, " ")
	for _, w := range nameWords {
		if len(w) >= 3 && !stopES[w] && !stopEN[w] {
			f.cues = append(f.cues, w)
		}
		if slices.Contains(identWords, w) {
			f.ident = f.typ == configs.TypeString && len(cf.Enum) == 0
		}
	}
	if f.pattern != nil && f.typ == configs.TypeString && len(cf.Enum) == 0 {
		f.ident = true
	}
	if desc := strings.Fields(extract.Fold(cf.Description)); len(desc) > 0 {
		if w := strings.Trim(desc[0], ",.:;"); len(w) >= 4 && !stopES[w] && !stopEN[w] && !genericWords[w] && !slices.Contains(f.cues, w) {
			f.cues = append(f.cues, w)
		}
	}
	for _, w := range typeCues[f.typ] {
		if !slices.Contains(f.cues, w) {
			f.cues = append(f.cues, w)
		}
	}
	f.labels = phraseList(labelLeadsFor(f)...)
	for _, opt := range cf.Enum {
		f.foldedEnum = append(f.foldedEnum, extract.Fold(opt))
		f.enumStems = append(f.enumStems, stemsAll(opt, lang))
	}
	f.listsOptions = mentionsOptions(f)
	f.units = unitsOf(cf.Description + " " + cf.PromptHint)
	if f.freeText() {
		f.samples = sampleValues(cf.Description + ". " + cf.PromptHint)
	}
	return f
}

// unitGroups are the names of each unit of measure.
var unitGroups = [][]string{
	{"kilo", "kilos", "kilogram", "kilograms", "kilogramo", "kilogramos", "kg", "kgs"},
	{"pound", "pounds", "lb", "lbs", "libra", "libras"},
	{"gram", "grams", "gramo", "gramos", "g"},
	{"litre", "litres", "liter", "liters", "litro", "litros", "l"},
	{"metre", "metres", "meter", "meters", "metro", "metros", "m"},
	{"kilometre", "kilometres", "kilometer", "kilometers", "kilometro", "kilometros", "km", "kms"},
	{"mile", "miles", "milla", "millas"},
	{"foot", "feet", "ft", "pie", "pies"},
	{"minute", "minutes", "minuto", "minutos", "min", "mins"},
}

// unitOf is the group of a unit word, or -1.
func unitOf(w string) int {
	for i, g := range unitGroups {
		if slices.Contains(g, w) {
			return i
		}
	}
	return -1
}

// unitsOf is every name of the units a text measures in: "in kilograms"
// gives kilo, kilos, kg….
func unitsOf(text string) map[string]bool {
	var out map[string]bool
	for _, w := range strings.FieldsFunc(extract.Fold(text), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
		if len(w) < 2 {
			continue // "g", "l", "m" name a unit only after a number
		}
		if g := unitOf(w); g >= 0 {
			if out == nil {
				out = map[string]bool{}
			}
			for _, u := range unitGroups[g] {
				out[u] = true
			}
		}
	}
	return out
}

// sampleLeads introduce the examples a description or a prompt gives.
var sampleLeads = regexp.MustCompile(`(?i)\(([^)]*)\)|(?:por ejemplo|for example|for instance|e\.g\.|tales como|such as)[:,]?\s+([^.;?!]*)`)

var sampleSeps = regexp.MustCompile(`\s*(?:,|\.\.\.|…|\bo\b|\bor\b|\by\b|\band\b|\betc\b)\s*`)

// sampleValues are the one- and two-word examples a free-text field's
// description or prompt lists ("Qué pagó (grúa, cerrajero, taxi…)", "por
// ejemplo grúa, cerrajero o taxi"), folded: a caller who names one of them
// in a request has said the field.
func sampleValues(text string) []string {
	var out []string
	for _, m := range sampleLeads.FindAllStringSubmatch(text, -1) {
		list := m[1] + m[2]
		for _, item := range sampleSeps.Split(list, -1) {
			w := strings.Fields(extract.Fold(item))
			for len(w) > 0 && slices.Contains(determiners, w[0]) {
				w = w[1:]
			}
			if len(w) == 0 || len(w) > 2 || stopES[w[0]] || stopEN[w[0]] || len(w[0]) < 3 {
				continue
			}
			if v := strings.Join(w, " "); !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

func (e *Engine) service(intent string) *service {
	for _, s := range e.services {
		if s.cfg.Intent == intent {
			return s
		}
	}
	return nil
}

func (s *service) field(name string) *field {
	for _, f := range s.fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// NewCall starts a conversation in the greeting state; send it Start.
func (e *Engine) NewCall(callID, callerNumber string) *Call {
	return &Call{e: e, st: State{Phase: PhaseGreeting, CallID: callID, CallerNumber: callerNumber}}
}

// Agent returns the agent the engine runs.
func (e *Engine) Agent() *configs.Agent { return e.agent }

// scope resolves template variables: slots, then system variables, then
// phrase variables.
type scope struct {
	c     *Call
	slots map[string]string
	extra [][2]string
	now   time.Time
}

func (c *Call) scope(slots map[string]string) *scope {
	return &scope{c: c, slots: slots, now: c.st.Since}
}

func (s *scope) Lookup(name string) expr.Value {
	for _, kv := range s.extra {
		if kv[0] == name {
			return expr.Str(kv[1])
		}
	}
	if v, ok := s.slots[name]; ok {
		return expr.Str(v)
	}
	v, _ := expr.System(name, s)
	return v
}

// The call as the system variables read it (expr.Call).
func (s *scope) Now() time.Time       { return s.now.In(s.c.e.loc) }
func (s *scope) CallID() string       { return s.c.st.CallID }
func (s *scope) AgentID() string      { return s.c.e.agent.Name }
func (s *scope) CallerNumber() string { return s.c.st.CallerNumber }

func (s *scope) Language() string         { return s.c.e.lang }
func (s *scope) Location() *time.Location { return s.c.e.loc }

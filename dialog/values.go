package dialog

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog/extract"
)

// Values by competition. Each typed reader proposes the values it finds in
// the caller's words, for every field of the service that could take them,
// scored by how sure it is: the field being asked, the cue words around a
// number ("para cuatro personas", "somos seis", "three nights", "$62.40"),
// a type that cannot be mistaken (an email, a date). Proposals are then
// assigned best first, each span of words to at most one field and each
// field at most one value; what fits no field is left, not forced.

// candidate is a value proposed for a field.
type candidate struct {
	f     *field
	value string
	sp    extract.Span
	score float64
}

// Scores of proposals.
const (
	scoreAsked   = 3.0 // the field asked, a value of its type
	scoreCount   = 3.0 // people counted ("dos adultos y un niño")
	scoreCued    = 2.5 // a number next to the field's cue word
	scoreTyped   = 2.0 // an unmistakable value (email, date, code…) for a field not asked
	scoreLoose   = 1.5 // a number without a cue, for the field asked
	scoreCorrect = 1.8 // a new value for a field given before, of a type nothing else takes
	scoreTargetd = 0.3 // a date said as the new one ("to the 15th")
)

// sense is what a field's name, description and prompt say about its
// values, read once when the agent loads.
type sense struct {
	past   bool                // a date that lies before today
	hours  extract.TimeOptions // the business's hours, for a time
	people bool                // counts people
	money  bool                // an amount of money
	nights bool                // counts nights or days
	next   bool                // the new value of something ("nueva fecha")
	person bool                // a person's name
	from   bool                // where something starts (an origin)
	to     bool                // where something goes (a destination)
	birth  bool                // a date of birth
	// aliases are, per enum option, what the field's texts say it is:
	// "plus (300 megas)" makes "300 megas" mean plus.
	aliases [][]string
}

var (
	pastWords = wordSet("pasada", "pasado", "past", "perdio", "perdida", "perdido", "perdi", "robaron", "robo", "robada",
		"robado", "nacimiento", "nacio", "birth", "born", "birthday", "lost", "loss", "stolen", "happened", "occurred",
		"ocurrio", "sucedio", "delivered", "supposed", "arrived", "llego", "entregado", "entrega", "ocurrido", "was")
	birthWords  = wordSet("nacimiento", "nacio", "birth", "born", "birthday", "cumpleanos", "dob")
	peopleWords = wordSet("personas", "persona", "people", "persons", "person", "guests", "guest", "huespedes",
		"huesped", "pasajeros", "pasajero", "passengers", "passenger", "comensales", "comensal", "party", "invitados",
		"asistentes", "adultos", "adults", "travelers", "travellers", "viajeros", "pax")
	moneyWords = wordSet("importe", "monto", "amount", "precio", "price", "total", "cost", "costo", "coste", "pago",
		"payment", "dinero", "money", "euros", "dolares", "dollars", "soles", "pesos", "reembolso", "refund", "suma",
		"cantidad de dinero", "fee", "charge")
	nightWords = wordSet("noches", "noche", "nights", "night", "dias", "days", "estancia", "stay")
	fromWords  = wordSet("origin", "origen", "departs", "departure", "salida", "sale", "partida", "desde", "leaving", "pickup")
	toWords    = wordSet("destination", "destino", "goes", "arrival", "llegada", "hacia", "going", "dropoff")
	nextWords  = wordSet("nueva", "nuevo", "new", "otra", "otro", "another", "nuevas", "nuevos")
	thingWords = wordSet("product", "producto", "productos", "item", "articulo", "modelo", "model", "company", "empresa",
		"compania", "negocio", "business", "calle", "street", "city", "ciudad", "file", "archivo", "device",
		"dispositivo", "plan", "marca", "brand", "store", "tienda", "hotel", "restaurant", "restaurante", "app")
	personWords = wordSet("nombre", "name", "apellido", "apellidos", "surname", "lastname", "beneficiario",
		"beneficiary", "payee", "destinatario", "recipient", "titular")
)

// senseOf reads a field's texts.
func senseOf(f *field, svc *configs.Service, a *configs.Agent) sense {
	var s sense
	words := func(texts ...string) map[string]bool {
		m := map[string]bool{}
		for _, t := range texts {
			for _, w := range strings.FieldsFunc(extract.Fold(t), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
				m[w] = true
			}
		}
		return m
	}
	own := words(strings.NewReplacer("_", " ", "-", " ").Replace(f.Name), f.Description)
	any := func(set map[string]bool, in map[string]bool) bool {
		for w := range in {
			if set[w] {
				return true
			}
		}
		return false
	}
	switch f.typ {
	case configs.TypeDate, configs.TypeDateTime:
		switch f.When {
		case configs.WhenPast:
			s.past = true
		case "":
			s.past = any(pastWords, own)
		}
	case configs.TypeNumber, configs.TypeInteger:
		s.people = any(peopleWords, own)
		s.money = !s.people && any(moneyWords, own)
		s.nights = !s.people && !s.money && any(nightWords, own)
	}
	s.next = any(nextWords, own)
	s.birth = any(birthWords, own)
	s.from = any(fromWords, own)
	s.to = !s.from && any(toWords, own)
	s.person = f.freeText() && any(personWords, words(strings.NewReplacer("_", " ", "-", " ").Replace(f.Name), firstWords(f.Description, 3))) && !any(thingWords, own)
	if f.typ == configs.TypeTime || f.typ == configs.TypeDateTime {
		for _, t := range []string{f.Description + " " + f.PromptHint, svc.Reference, a.Prompt + " " + a.Greeting} {
			if h, ok := hoursIn(t, a.Language); ok {
				s.hours = h
				break
			}
		}
	}
	if len(f.Enum) > 0 {
		s.aliases = enumAliases(f.Enum, f.Description+" "+f.PromptHint)
	}
	return s
}

// hoursRange finds "de 1 de la tarde a 11 de la noche", "from 6 am to 11
// pm", "de 8:30 a 14:00", "between 9 and 5".
var hoursRange = regexp.MustCompile(`(?:^|\W)(?:de|desde|entre|from|between|open)\s+([^,;()]{1,28}?)\s+(?:a|hasta|y|to|until|till|and|-|–)\s+([^,;.()]{1,28})`)

// hoursIn reads a business's hours from a text, when it states them.
func hoursIn(text, lang string) (extract.TimeOptions, bool) {
	lead := "at "
	if lang == "es" {
		lead = "a las "
	}
	now := time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)
	for _, m := range hoursRange.FindAllStringSubmatch(extract.Fold(text), -1) {
		from, err1 := extract.FindTime(lead+m[1], lang, now)
		to, err2 := extract.FindTime(lead+m[2], lang, now)
		if err1 != nil || err2 != nil {
			continue
		}
		o := extract.TimeOptions{Opens: from.Hour*60 + from.Minute, Closes: to.Hour*60 + to.Minute}
		if o.Closes <= o.Opens {
			o.Closes += 24 * 60 // "de 6 pm a 2 am"
		}
		if o.Closes-o.Opens >= 60 && o.Closes-o.Opens < 24*60 {
			return o, true
		}
	}
	return extract.TimeOptions{}, false
}

// enumAliases reads, for each option, the words in brackets after it in
// text: "básico (100 megas), plus (300 megas) o premium (600 megas)".
func enumAliases(options []string, text string) [][]string {
	folded := extract.Fold(text)
	out := make([][]string, len(options))
	for i, o := range options {
		fo := extract.Fold(o)
		at := wordIndex(folded, fo)
		if at < 0 {
			continue
		}
		rest := strings.TrimLeft(folded[at+len(fo):], " :")
		if !strings.HasPrefix(rest, "(") {
			continue
		}
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			continue
		}
		out[i] = strings.Fields(strings.NewReplacer(",", " ", ";", " ").Replace(rest[1:end]))
	}
	return out
}

// candidates proposes values for the fields of s from text: every field
// still missing, and the one asked (target, nil when none) whatever it
// holds.
func (c *Call) candidates(s *service, text string, now time.Time, target *field) []candidate {
	var out []candidate
	for _, f := range s.fields {
		if _, had := c.st.Slots[f.Name]; had && f != target {
			if cd, ok := c.deniedValue(s, f, text, now); ok {
				out = append(out, cd) // "es Mora, no Nina"
				continue
			}
			if target != nil && target.typ != f.typ && correctable(f) {
				// "make that seven thirty" while the spots are asked: a
				// value only this field takes corrects it
				for _, cd := range c.fieldCandidates(s, f, text, now, false) {
					if n, ok := extract.Number(text[cd.sp.Start:cd.sp.End], c.e.lang); ok && n.Span.End-n.Span.Start == cd.sp.End-cd.sp.Start {
						continue // a bare number ("two") is the answer asked for, not a day
					}
					if cd.value != c.st.Slots[f.Name] {
						cd.score = scoreCorrect
						out = append(out, cd)
					}
				}
			}
			continue
		}
		out = append(out, c.fieldCandidates(s, f, text, now, f == target)...)
	}
	return selfCorrected(withoutInner(out), text)
}

// selfCorrected lets a value the caller corrects in the same breath give
// way to the one after the correction: "about thirty-two pounds... sorry,
// you guys use kilos, call it fifteen kilos".
func selfCorrected(cands []candidate, text string) []candidate {
	for i := range cands {
		for j := range cands {
			a, b := &cands[i], &cands[j]
			if i == j || a.f != b.f || a.sp.End > b.sp.Start || a.value == b.value {
				continue
			}
			if correctsBetween(text[a.sp.End:b.sp.Start]) {
				b.score = max(b.score, a.score) + 0.05
			}
		}
	}
	return cands
}

// correctsBetween reports whether the words between two values take the
// first back.
func correctsBetween(between string) bool {
	f := " " + strings.Join(strings.FieldsFunc(extract.Fold(between), func(r rune) bool { return !(r >= 'a' && r <= 'z') }), " ") + " "
	for _, m := range []string{" sorry ", " i mean ", " no wait ", " make that ", " make it ", " call it ", " correction ",
		" scratch that ", " actually ", " perdon ", " digo ", " mejor dicho ", " o sea ", " mas bien ", " no no ", " quiero decir "} {
		if strings.Contains(f, m) {
			return true
		}
	}
	return false
}

// withoutInner drops a field's candidate said inside a longer one of the
// same field that scores as well: "fifty" in "eighty-nine fifty".
func withoutInner(cands []candidate) []candidate {
	out := cands[:0:0]
	for i, a := range cands {
		inner := false
		for j, b := range cands {
			if i != j && a.f == b.f && b.score >= a.score && b.sp.Start <= a.sp.Start && a.sp.End <= b.sp.End &&
				b.sp.End-b.sp.Start > a.sp.End-a.sp.Start {
				inner = true
				break
			}
		}
		if !inner {
			out = append(out, a)
		}
	}
	return out
}

// deniedValue is a correction the caller makes by denying a value they
// gave before and saying another: "la que tiene que ir es Mora, no Nina",
// "not Tuesday, Wednesday".
func (c *Call) deniedValue(s *service, f *field, text string, now time.Time) (candidate, bool) {
	old := extract.Fold(c.st.Slots[f.Name])
	if len(old) < 2 {
		return candidate{}, false
	}
	ft := foldText(text)
	at := wordIndex(ft.s, old)
	if at < 0 {
		return candidate{}, false
	}
	before := strings.Fields(strings.TrimRight(ft.s[:at], " ,"))
	denied := len(before) > 0 && (negators[before[len(before)-1]] || len(before) > 1 && before[len(before)-1] == "es" && negators[before[len(before)-2]])
	if !denied {
		return candidate{}, false
	}
	start := at
	if i := strings.LastIndex(ft.s[:at], before[len(before)-1]); i >= 0 {
		start = i
	}
	if len(before) > 1 && before[len(before)-1] == "es" {
		start = strings.LastIndex(ft.s[:start], before[len(before)-2])
	}
	sp := ft.span(start, at+len(old))
	rest := text[:sp.Start] + strings.Repeat(" ", sp.End-sp.Start) + text[sp.End:]
	if f.sense.person || f.freeText() {
		if name, nsp, ok := personName(rest, c.e.lang); ok && extract.Fold(name) != old {
			return candidate{f, name, nsp, scoreCorrect}, true
		}
		return candidate{}, false
	}
	for _, cd := range c.fieldCandidates(s, f, rest, now, true) {
		if cd.value != c.st.Slots[f.Name] {
			cd.score = scoreCorrect
			return cd, true
		}
	}
	return candidate{}, false
}

// correctable: a field whose value, said again while another is asked, is
// a correction — one no other kind of answer is mistaken for.
func correctable(f *field) bool {
	switch f.typ {
	case configs.TypeDate, configs.TypeTime, configs.TypeDateTime, configs.TypeEmail, configs.TypePhone:
		return true
	}
	return false
}

// fieldCandidates proposes values for one field; asked: it is the field
// asked (or the one a correction may change).
func (c *Call) fieldCandidates(s *service, f *field, text string, now time.Time, asked bool) []candidate {
	var out []candidate
	{
		typed := scoreTyped
		if asked {
			typed = scoreAsked
		}
		switch {
		case f.typ == configs.TypeNumber || f.typ == configs.TypeInteger:
			out = append(out, c.numberCandidates(s, f, text, asked)...)
		case f.typ == configs.TypeDate:
			out = append(out, c.dateCandidates(f, text, now, typed)...)
		case f.typ == configs.TypeBoolean:
			if asked {
				if v, sp, ok := c.boolean(text); ok {
					out = append(out, candidate{f, v, sp, typed})
				}
			}
		case f.typ == configs.TypeString && f.ident && len(f.Enum) == 0:
			if asked || f.pattern != nil {
				out = append(out, c.codeCandidates(f, text, typed)...)
			}
		case len(f.Enum) > 0 && f.typ == configs.TypeString:
			out = append(out, c.optionCandidates(f, text, typed)...)
		case f.unmistakable():
			if v, sp, p := c.parse(f, text, now); p == "" {
				out = append(out, candidate{f, v, sp, typed})
			}
		}
	}
	return out
}

// best is the highest-scored candidate, first said on ties.
func best(cands []candidate) (candidate, bool) {
	if len(cands) == 0 {
		return candidate{}, false
	}
	b := cands[0]
	for _, cd := range cands[1:] {
		if cd.score > b.score || cd.score == b.score && cd.sp.Start < b.sp.Start {
			b = cd
		}
	}
	return b, true
}

// assign gives each field the best proposal whose words no better one has
// taken; set stores a value.
func assign(cands []candidate, taken []extract.Span, set func(*field, string, extract.Span)) {
	slices.SortStableFunc(cands, func(a, b candidate) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return a.sp.Start - b.sp.Start
	})
	got := map[*field]bool{}
	for _, cd := range cands {
		if got[cd.f] || overlapsAny(cd.sp, taken) {
			continue
		}
		got[cd.f] = true
		taken = append(taken, cd.sp)
		set(cd.f, cd.value, cd.sp)
	}
}

func overlapsAny(sp extract.Span, spans []extract.Span) bool {
	for _, o := range spans {
		if sp.Start < o.End && o.Start < sp.End {
			return true
		}
	}
	return false
}

// dateCandidates proposes the dates of text for a date field: the one the
// reader picks (the last correction wins: "el lunes, no, mejor el
// martes"), and for the new value of something, the date said as the new
// one ("from the 12th to the 15th", "del miércoles para el viernes").
func (c *Call) dateCandidates(f *field, text string, now time.Time, score float64) []candidate {
	o := extract.DateOptions{Past: f.sense.past}
	d, err := c.read(text).Date(now, o)
	if err != nil {
		return nil
	}
	if f.sense.birth && c.st.Asking != f.Name && now.Sub(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, now.Location())) < 2*365*24*time.Hour {
		return nil // "I rang in a refill yesterday" is no date of birth
	}
	out := []candidate{{f, d.String(), d.Span, score}}
	if f.sense.next {
		all := c.read(text).Dates(now, o)
		for _, x := range all {
			if len(all) > 1 && leadsTo(text[:x.Span.Start], c.e.lang) {
				out = append(out, candidate{f, x.String(), x.Span, score + scoreTargetd})
			}
		}
	}
	return out
}

// leadsTo reports whether the words before a value introduce it as where
// something goes: "to", "a", "al", "para", "hasta".
func leadsTo(before, lang string) bool {
	words := strings.Fields(extract.Fold(before))
	if len(words) == 0 {
		return false
	}
	last := words[len(words)-1]
	if len(words) > 1 && (last == "the" || last == "el" || last == "la") {
		last = words[len(words)-2]
	}
	switch last {
	case "to", "until", "till", "a", "al", "para", "hasta", "for":
		return true
	}
	return false
}

// codeCandidates proposes codes: the code reader's, and a code spelled out
// letter by letter ("x k seven p two", "erre guion cuatro ocho dos uno",
// "X-ray, kilo, seven").
func (c *Call) codeCandidates(f *field, text string, score float64) []candidate {
	var out []candidate
	for _, sp := range c.read(text).Spelled() {
		for _, v := range []string{sp.Code, strings.ReplaceAll(sp.Code, "-", "")} {
			if f.pattern == nil && len(v) >= 4 || f.pattern != nil && f.pattern.MatchString(v) {
				out = append(out, candidate{f, v, sp.Span, score + 0.1})
				break
			}
		}
	}
	if v, sp, p := c.code(f, text); p == "" {
		out = append(out, candidate{f, v, sp, score})
	}
	return out
}

// boolean reads a yes or a no to a yes/no question, with what callers add
// to it: "no, no hace falta, ya pediré otra", "sí, envíenme otra". The
// first yes or no decides unless the caller turns it round ("sí… no,
// espera").
func (c *Call) boolean(text string) (string, extract.Span, bool) {
	switch a, _ := c.read(text).YesNo(); a {
	case extract.Yes:
		return "true", wholeSpan(text), true
	case extract.No:
		return "false", wholeSpan(text), true
	}
	h := c.heard
	if h == nil || h.text != text {
		h = c.e.hear(text)
	}
	first := actNone
	for i, w := range h.words {
		a := yesNoWord(w.v)
		if a == actNone {
			continue
		}
		if first == actNone && i <= 2 {
			first = a
			continue
		}
		if a != first {
			return "", extract.Span{}, false // "sí… no"
		}
	}
	switch first {
	case actAffirm:
		return "true", wholeSpan(text), true
	case actDeny:
		return "false", wholeSpan(text), true
	}
	return "", extract.Span{}, false
}

// yesNoWord says whether a word is a plain yes or no.
func yesNoWord(w string) act {
	switch w {
	case "si", "yes", "yeah", "yep", "claro", "sure", "ok", "okay", "vale", "dale":
		return actAffirm
	case "no", "nope", "nah":
		return actDeny
	}
	return actNone
}

// numberCandidates proposes numbers for a number field: people counted,
// a count phrase ("un par", "just me"), an amount of money for a money
// field, a duration for nights, and each number by the cue words around
// it — the field's own name after it ("tres noches"), a verb of counting
// people before it ("somos seis", "para cuatro", "party of four") — or,
// for the field asked, a number no other field claims.
func (c *Call) numberCandidates(s *service, f *field, text string, asked bool) []candidate {
	lang := c.e.lang
	var out []candidate
	add := func(v float64, sp extract.Span, score float64) {
		if f.typ == configs.TypeInteger && v != math.Trunc(v) {
			return
		}
		value := strconv.FormatFloat(v, 'f', -1, 64)
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, value) {
			return
		}
		out = append(out, candidate{f, value, sp, score})
	}
	if f.sense.people {
		if n, sp, ok := peopleCount(text, lang); ok {
			add(n, sp, scoreCount)
		}
	}
	if v, sp, ok := countPhrase(text); ok && (asked || f.sense.people) {
		add(v, sp, scoreCount)
	}
	if f.sense.nights {
		if n, sp, ok := durationIn(text, lang); ok {
			add(n, sp, scoreCued)
		}
	}
	if f.sense.money || s.onlyNumber(f) && !f.sense.people && !f.sense.nights {
		if m, ok := moneyIn(text, lang, f.sense.money); ok {
			add(m.Value, m.Span, scoreCued+0.2)
		}
	}
	nums := c.read(text).Numbers()
	if asked {
		if v, sp, ok := spokenFigure(text, nums); ok {
			add(v, sp, scoreAsked+0.1) // "cero cero cuatro tres siete", "dos mil... trescientos... ocho"
		}
	}
	if asked && len(nums) > 0 && f.sense.money {
		if m, ok := amountIn(text, lang, true); ok {
			add(m.Value, m.Span, scoreAsked)
		}
	}
	loose := 0
	for _, n := range nums {
		if negatedAt(text, n.Span.Start) {
			continue // "no somos cinco, somos siete"
		}
		switch cue := c.numberCue(s, f, text, n.Span); {
		case cue > 0 && f.sense.money:
			if m, ok := amountIn(text[n.Span.Start:], lang, true); ok { // "eighty-nine fifty"
				m.Span.Start += n.Span.Start
				m.Span.End += n.Span.Start
				add(m.Value, m.Span, scoreCued)
			}
		case cue > 0:
			add(n.Value, n.Span, scoreCued)
		case cue == 0 && asked:
			loose++
			if loose == 1 {
				if m, ok := amountIn(text[n.Span.Start:], lang, f.sense.money); ok {
					m.Span.Start += n.Span.Start
					m.Span.End += n.Span.Start
					add(m.Value, m.Span, scoreLoose)
				}
			}
		}
	}
	return out
}

// numberCue says whether the words around a number tie it to field f (1),
// to another field or to a time or date (-1), or to nothing (0).
func (c *Call) numberCue(s *service, f *field, text string, sp extract.Span) int {
	after := strings.Fields(punctApart.Replace(extract.Fold(text[sp.End:])))
	before := strings.Fields(extract.Fold(text[:sp.Start]))
	next := ""
	for _, w := range after {
		switch w {
		case "de", "of", "more", "extra", "additional", "mas", "otra", "otras", "otro", "otros", "checked":
			continue // "two more checked bags", "dos maletas más"
		}
		next = w
		break
	}
	if next == "times" || next == "veces" || next == "vez" || next == "time" {
		return -1 // "debited two times"
	}
	if next == "us" || next == "nosotros" || next == "personas" && f.sense.people {
		if f.sense.people {
			return 1
		}
		return -1
	}
	if next != "" {
		if f.names(next, c.e.lang) || f.units[next] {
			return 1 // "fifteen kilos" for a weight in kilograms
		}
		if len(f.units) > 0 && unitOf(next) >= 0 {
			return -1 // "thirty-two pounds" is not a weight in kilos
		}
		for _, g := range s.fields {
			if g != f && g.names(next, c.e.lang) {
				return -1
			}
		}
		if f.sense.people && peopleWords[next] {
			return 1
		}
		if f.sense.nights && nightWords[next] {
			return 1
		}
		if timeAfter[next] {
			return -1
		}
	}
	prev := ""
	if len(before) > 0 {
		prev = before[len(before)-1]
	}
	if timeBefore[prev] {
		return -1
	}
	if f.sense.people {
		switch prev {
		case "somos", "seremos", "seriamos", "vamos", "iremos", "para", "for", "of", "are", "were", "be", "mesa", "table":
			return 1 // "somos seis", "para cuatro", "party of four", "we are five"
		}
	}
	if f.sense.money && (strings.ContainsAny(text[sp.Start:sp.End], "$€£") || currencyWords[next]) {
		return 1
	}
	if f.sense.money {
		for k := len(before) - 1; k >= 0 && k >= len(before)-6; k-- {
			if chargeWords[strings.Trim(before[k], ",.")] {
				return 1 // "a charge on my account for eighty-nine fifty"
			}
		}
	}
	return 0
}

// chargeWords introduce an amount of money a few words before it.
var chargeWords = wordSet("charge", "charged", "cargo", "cobro", "cobraron", "cobran", "refund", "reembolso", "amount",
	"monto", "importe", "paid", "pague", "pagué", "pague", "costo", "cost", "bill", "factura", "debito", "debited",
	"price", "precio", "fee", "tarifa", "total", "recibo", "invoice", "worth", "valor", "costs")

// punctApart spaces punctuation out, so that it stands as a word.
var punctApart = strings.NewReplacer(",", " , ", ".", " . ", "?", " ? ")

// timeBefore and timeAfter are words around a number that make it a time
// or a date: "a las nueve", "el 20", "at 8", "9 pm", "nueve de la noche".
var (
	timeBefore = wordSet("las", "la", "el", "at", "around", "the", "dia", "hora", "horas", "from", "until")
	timeAfter  = wordSet("pm", "am", "horas", "hrs", "oclock", "h")
)

// names reports whether a word names the field: a word of its name or a
// cue, by root ("noches" for nights, "personas").
func (f *field) names(w, lang string) bool {
	st := stem(w, lang)
	for _, cue := range f.cues {
		if cue == w || stem(cue, lang) == st {
			return true
		}
	}
	return false
}

// relations are people a caller counts by who they are.
var relations = wordSet("esposa", "esposo", "mujer", "marido", "pareja", "novia", "novio", "mama", "papa", "madre",
	"padre", "hermano", "hermana", "hijo", "hija", "amigo", "amiga", "suegra", "suegro", "abuela", "abuelo", "tia",
	"tio", "primo", "prima", "bebe", "nieto", "nieta", "companero", "companera", "jefe", "colega", "sobrino", "sobrina",
	"wife", "husband", "partner", "girlfriend", "boyfriend", "mom", "mum", "dad", "mother", "father", "brother",
	"sister", "son", "daughter", "friend", "kid", "child", "baby", "grandma", "grandpa", "aunt", "uncle", "cousin",
	"colleague", "boss", "fiance", "fiancee", "roommate", "nephew", "niece")

// countedPeople are nouns of people counted by number.
var countedPeople = wordSet("personas", "adultos", "adulto", "ninos", "nino", "ninas", "nina", "hijos", "hijas",
	"amigos", "amigas", "chicos", "chicas", "nietos", "invitados", "bebes", "menores", "mayores", "companeros",
	"people", "adults", "adult", "kids", "kid", "children", "child", "friends", "guests", "sons", "daughters",
	"babies", "teenagers", "teens", "colleagues", "seniors", "persons", "others", "more",
	// places for people: "four tickets", "dos boletos", "a seat"
	"tickets", "ticket", "seats", "seat", "spots", "spot", "places", "place", "plazas", "plaza", "lugares", "lugar",
	"boletos", "boleto", "pasajes", "pasaje", "entradas", "entrada", "cupos", "cupo", "asientos", "asiento",
	"passengers", "passenger", "pasajeros", "pasajero", "travellers", "travelers", "covers", "comensales",
	"buddies", "mates", "pals", "guys", "girls", "ladies", "folks", "coworkers", "cuates", "chamos", "panas", "parceros",
	"colegas", "amigas", "primos", "primas", "hermanos", "hermanas", "nenes", "nenas", "chicos", "hijos")

// seatNouns count people one place each; "a seat", "un lugar" is one.
var seatNouns = wordSet("ticket", "seat", "spot", "place", "plaza", "lugar", "boleto", "pasaje", "entrada", "cupo", "asiento")

// peopleCount adds up the people a caller lists: "dos adultos y un niño"
// (3), "mi esposa, yo y mis tres hijos" (5), "me and two friends" (3),
// "four of us" (4), "it's me and my wife" (2).
func peopleCount(text, lang string) (float64, extract.Span, bool) {
	ft := foldText(text)
	ws := splitHeard(ft.s)
	total, items := 0.0, 0
	start, end := -1, -1
	numbered := false
	flush := func() {}
	_ = flush
	for i := 0; i < len(ws); i++ {
		w := ws[i].v
		item, n := 0.0, 0
		switch {
		case w == "mi" && i+1 < len(ws) && (ws[i+1].v == "y" || ws[i+1].v == "con"):
			item, n = 1, 1 // "para mí y mi pareja"
		case w == "yo" || w == "me" || w == "myself" || w == "i" || w == "im":
			if items > 0 || i+1 < len(ws) && (ws[i+1].v == "and" || ws[i+1].v == "y" || ws[i+1].v == "con" || ws[i+1].v == "with" ||
				ws[i+1].v == "plus" || ws[i+1].clause != ws[i].clause && (relations[ws[i+1].v] || isDeterminer(ws[i+1].v))) {
				item, n = 1, 1 // "me and my wife", "myself, my husband and the two kids"
			}
		case relations[w] && i > 0 && isDeterminer(ws[i-1].v):
			item, n = 1, 1
		case (w == "a" || w == "an" || w == "un" || w == "una" || w == "one") && i+1 < len(ws) && seatNouns[ws[i+1].v]:
			item, n = 1, 2 // "a seat", "un lugar"
			numbered = true
		default:
			if v, ok := extract.Number(w, lang); ok && v.Value >= 1 && v.Value < 100 {
				k := i + 1
				for k < len(ws) && (ws[k].v == "de" || ws[k].v == "of" || isAdjective(ws[k].v)) {
					k++
				}
				if k < len(ws) && (countedPeople[ws[k].v] || ws[k].v == "us" || relations[strings.TrimSuffix(ws[k].v, "s")]) {
					item, n = v.Value, k-i+1
					numbered = true
				}
			}
		}
		if n == 0 {
			switch w {
			case "y", "and", "con", "with", "plus", "mas", "e", "mi", "mis", "my", "a", "an", "un", "una", "our",
				"nuestros", "nuestras", "somos", "vamos", "its", "es", "seriamos", "seremos", "we", "are", "the", "los",
				"las", "el", "la", "just", "solo", "only":
				continue
			}
			if items > 0 {
				break
			}
			continue
		}
		if start < 0 {
			start = ws[i].s
		}
		end = ws[i+n-1].e
		total += item
		items++
		i += n - 1
	}
	if items >= 2 || items == 1 && numbered {
		return total, ft.span(start, end), true
	}
	return 0, extract.Span{}, false
}

func isDeterminer(w string) bool {
	switch w {
	case "mi", "my", "a", "an", "un", "una", "el", "la", "our", "his", "her", "nuestra", "nuestro", "su", "and", "y":
		return true
	}
	return false
}

// isAdjective: words that may stand between a number and the people it
// counts ("two small kids", "tres amigos más").
func isAdjective(w string) bool {
	switch w {
	case "small", "little", "young", "older", "pequenos", "chicos", "grandes", "mas", "more":
		return true
	}
	return false
}

// durationIn reads a stay said as a length of time: "a fortnight" (14),
// "una semana" (7), "two weeks" (14), "quince días" (15).
func durationIn(text, lang string) (float64, extract.Span, bool) {
	ft := foldText(text)
	ws := splitHeard(ft.s)
	for i, w := range ws {
		var n float64
		switch w.v {
		case "fortnight", "quincena":
			n = 14
		case "semana", "semanas", "week", "weeks":
			n = 7
			if i > 0 {
				if v, ok := extract.Number(ws[i-1].v, lang); ok && v.Value > 1 {
					n *= v.Value
				}
			}
		default:
			continue
		}
		return n, ft.span(w.s, w.e), true
	}
	return 0, extract.Span{}, false
}

// moneyIn finds an amount of money: said with its currency ("$62.40",
// "ciento veinte euros con cincuenta", "forty dollars"), or for a field
// that holds money, a price said the way people say prices ("nineteen
// ninety-five").
func moneyIn(text, lang string, moneyField bool) (extract.Num, bool) {
	if m, ok := money(text, lang); ok {
		if moneyField {
			if p, ok := amountIn(text[m.Span.Start:], lang, true); ok && p.Span.End >= m.Span.End-m.Span.Start {
				p.Span.Start += m.Span.Start
				p.Span.End += m.Span.Start
				return p, true
			}
		}
		return m, true
	}
	return extract.Num{}, false
}

// amountIn reads the first number of text as an amount (see amount); for
// money, two numbers said in words one after the other are units and
// cents when the units take two words' worth: "nineteen ninety-five" is
// 19.95, "thirty-four ninety-nine" 34.99, but "one twenty" is 120.
func amountIn(text, lang string, moneyField bool) (extract.Num, bool) {
	if moneyField {
		nums := extract.Numbers(text, lang)
		if len(nums) >= 2 {
			n, m := nums[0], nums[1]
			between := strings.TrimSpace(text[n.Span.End:m.Span.Start])
			whole := n.Value == math.Trunc(n.Value) && m.Value == math.Trunc(m.Value)
			if between == "" && whole && n.Value >= 10 && n.Value <= 99 && m.Value >= 10 && m.Value <= 99 && spokenWords(text, n, m) {
				return extract.Num{Value: n.Value + m.Value/100, Span: extract.Span{Start: n.Span.Start, End: m.Span.End}}, true
			}
		}
	}
	return amount(text, lang)
}

// spokenFigure reads a figure said in pieces: digit by digit ("cero cero
// cuatro tres siete" is 437), or in parts with pauses between them, each
// smaller than the place of the one before ("dos mil... trescientos...
// ocho" is 2308). Only words, spaces and pauses may stand between pieces.
func spokenFigure(text string, nums []extract.Num) (float64, extract.Span, bool) {
	gap := func(a, b extract.Num) bool {
		return strings.Trim(text[a.Span.End:b.Span.Start], " ,.…-") == ""
	}
	for i := range nums {
		// digit by digit: three or more single digits in a row
		j := i
		var digits strings.Builder
		for j < len(nums) && nums[j].Value >= 0 && nums[j].Value <= 9 && nums[j].Value == math.Trunc(nums[j].Value) &&
			!strings.ContainsAny(text[nums[j].Span.Start:nums[j].Span.End], " ") && (j == i || gap(nums[j-1], nums[j])) {
			digits.WriteString(strconv.Itoa(int(nums[j].Value)))
			j++
		}
		if j-i >= 3 {
			v, err := strconv.ParseFloat(digits.String(), 64)
			return v, extract.Span{Start: nums[i].Span.Start, End: nums[j-1].Span.End}, err == nil
		}
		// parts: 2000, then 300, then 8
		sum, k := nums[i].Value, i+1
		for k < len(nums) && gap(nums[k-1], nums[k]) && nums[k].Value > 0 && nums[k].Value < place(nums[k-1].Value) &&
			nums[k-1].Value == math.Trunc(nums[k-1].Value) && strings.ContainsAny(strings.ReplaceAll(text[nums[k-1].Span.End:nums[k].Span.Start], "..", "…"), "…") {
			sum += nums[k].Value
			k++
		}
		if k-i >= 2 {
			return sum, extract.Span{Start: nums[i].Span.Start, End: nums[k-1].Span.End}, true
		}
	}
	return 0, extract.Span{}, false
}

// place is the smallest power of ten a round figure is a multiple of:
// 2000 is 1000, 300 is 100, 8 is 1.
func place(v float64) float64 {
	p := 1.0
	for v >= p*10 && math.Mod(v, p*10) == 0 {
		p *= 10
	}
	return p
}

// byAlias finds an option by what the field's texts say it is: "300
// megas" or "trescientos" for "plus (300 megas)". An alias with a number
// is matched by that number; one without, by all its words.
func (c *Call) byAlias(f *field, text string) (int, extract.Span, bool) {
	nums := c.read(text).Numbers()
	ft := foldText(text)
	found, at := -1, extract.Span{}
	for i, alias := range f.sense.aliases {
		if len(alias) == 0 {
			continue
		}
		hit := false
		for _, w := range alias {
			if n, ok := extract.Number(w, c.e.lang); ok {
				for _, m := range nums {
					if m.Value == n.Value {
						hit, at = true, m.Span
					}
				}
			}
		}
		if !hit {
			hit = true
			for _, w := range alias {
				if wordIndex(ft.s, w) < 0 {
					hit = false
					break
				}
			}
			if hit {
				at = wholeSpan(text)
			}
		}
		if hit {
			if found >= 0 {
				return 0, extract.Span{}, false // two options: not this way
			}
			found = i
		}
	}
	return found, at, found >= 0
}

// personName reads a person's name the way recognisers write one, in
// capitals: the longest run of capitalised words ("Under Sarah Collins",
// "A Carlos Ruiz", "Está a nombre de Mario Téllez", "it's under my
// husband's name, Mitchell"), with particles inside ("María de la Cruz"),
// the sentence's first word left out when it is a common word. Names said
// in lower case are not found here.
func personName(text, lang string) (string, extract.Span, bool) {
	type word struct {
		s, e  int
		upper bool
		first bool // starts a sentence
	}
	var ws []word
	sentence := true
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) {
			if strings.ContainsRune(".?!¿¡", r) {
				sentence = true
			}
			i += n
			continue
		}
		j := i
		for j < len(text) {
			r2, n2 := utf8.DecodeRuneInString(text[j:])
			if !unicode.IsLetter(r2) && r2 != '\'' && r2 != '’' && r2 != '-' {
				break
			}
			j += n2
		}
		w := strings.TrimRight(text[i:j], "'’-")
		j = i + len(w)
		ws = append(ws, word{i, j, unicode.IsUpper(r) && utf8.RuneCountInString(w) > 1, sentence})
		sentence = false
		i = max(j, i+n)
	}
	common := func(w word) bool {
		f := strings.ReplaceAll(extract.Fold(text[w.s:w.e]), "'", "")
		return stopES[f] || stopEN[f] || commonStarts[f]
	}
	notName := func(w word) bool { // "Friday", "October", "Two"
		f := extract.Fold(text[w.s:w.e])
		_, num := extract.Number(f, "en")
		_, numES := extract.Number(f, "es")
		return timeWords[f] || num || numES || extract.Fold(text[w.s:w.e]) == "o'hare"
	}
	var particle func(k int) bool
	particle = func(k int) bool { // "de la" in "María de la Cruz"
		switch extract.Fold(text[ws[k].s:ws[k].e]) {
		case "de", "del", "la", "las", "los", "van", "von", "da", "di", "du", "le", "mc", "y":
			return k+1 < len(ws) && (ws[k+1].upper || particle(k+1))
		}
		return false
	}
	bestS, bestE, bestN := 0, 0, 0
	for i := 0; i < len(ws); i++ {
		if !ws[i].upper || ws[i].first && common(ws[i]) || notName(ws[i]) {
			continue
		}
		j, n := i, 0
		for j < len(ws) && (ws[j].upper && !(ws[j].first && j > i) && !notName(ws[j]) || particle(j)) {
			if ws[j].upper {
				n++
			}
			j++
		}
		if n > bestN && len(extract.FindDates(text[ws[i].s:ws[j-1].e], "en", time.Time{}, extract.DateOptions{})) == 0 {
			bestS, bestE, bestN = ws[i].s, ws[j-1].e, n // not "New Year's Eve"
		}
		i = j - 1
	}
	if bestN == 0 {
		return "", extract.Span{}, false
	}
	return text[bestS:bestE], extract.Span{Start: bestS, End: bestE}, true
}

// commonStarts are words a sentence about a name may start with.
var commonStarts = wordSet("under", "names", "name", "its", "esta", "es", "put", "soy", "call", "this", "thats",
	"sure", "yes", "yeah", "no", "si", "claro", "bueno", "pues", "okay", "ok", "vale", "mine", "mi", "my", "sorry",
	"perdon", "perdona", "perdoname", "disculpa", "disculpe", "ah", "oh", "um", "eh", "ay", "uy", "huy", "oops", "ups", "hmm", "mmm", "well", "just", "try", "book", "reserve", "reserva", "ponlo", "ponla", "ponle",
	"pon", "anota", "apunta", "write", "hello", "hi", "hola", "buenas", "thanks", "gracias", "de", "from", "for", "para")

// personAfterTo finds a person named after "a", "para", "to" or "for" in
// a request: "quiero enviar dinero a Lucía Ramos", "a mi hermana, Elena
// Prieto", "reservar para Rosa Quispe", "send it to John Smith".
func personAfterTo(text string) (string, bool) {
	for from := 0; from < len(text); {
		name, sp, ok := personName(text[from:], "")
		if !ok {
			return "", false
		}
		sp.Start += from
		sp.End += from
		before := text[:sp.Start]
		if i := strings.LastIndexAny(before, ".?!;"); i >= 0 {
			before = before[i+1:] // the name's sentence only
		}
		words := strings.Fields(extract.Fold(before))
		for k := len(words) - 1; k >= 0 && k >= len(words)-5; k-- {
			switch strings.Trim(words[k], ",.") {
			case "a", "para", "to", "for", "al":
				return name, true
			}
		}
		from = sp.End
	}
	return "", false
}

// firstWords is the first n words of text.
func firstWords(text string, n int) string {
	ws := strings.Fields(text)
	return strings.Join(ws[:min(n, len(ws))], " ")
}

// negatedAt reports whether a "no" or "not" stands in the two words before
// a value, in its clause: "no somos cinco", "not four".
func negatedAt(text string, at int) bool {
	before := text[:at]
	if i := strings.LastIndexAny(before, ",.;?!"); i >= 0 {
		before = before[i+1:]
	}
	words := strings.Fields(extract.Fold(before))
	for k := len(words) - 1; k >= 0 && k >= len(words)-2; k-- {
		if words[k] == "no" || words[k] == "not" {
			return true
		}
	}
	return false
}

// optionCandidates proposes every option said, where it was said, and for
// a field that says which way it goes (an origin, a destination) the
// option said that way first: "from Sydney to Canberra" gives the origin
// Sydney and the destination Canberra. Without an option said whole, the
// option reader's own guess (by roots, by description, by spelling).
func (c *Call) optionCandidates(f *field, text string, score float64) []candidate {
	ft := foldText(text)
	var out []candidate
	for i, o := range f.foldedEnum {
		for from := 0; from < len(ft.s); {
			at := wordIndex(ft.s[from:], o)
			if at < 0 {
				break
			}
			at += from
			sp := ft.span(at, at+len(o))
			s := score
			switch before := text[:sp.Start]; {
			case f.sense.from && leadsFrom(before), f.sense.to && leadsTo(before, c.e.lang):
				s += 0.5
			case f.sense.from && leadsTo(before, c.e.lang), f.sense.to && leadsFrom(before):
				s -= 0.5
			}
			out = append(out, candidate{f, f.Enum[i], sp, s})
			from = at + len(o)
		}
	}
	if len(out) == 0 {
		if v, _, p := c.option(f, text); p == "" {
			// a guess by roots or spelling claims no words: "vacunar a mi
			// gata" is a vaccination and a cat
			out = append(out, candidate{f, v, extract.Span{Start: len(text), End: len(text)}, score - 0.1})
		}
	}
	return out
}

// leadsFrom reports whether the words before a value introduce it as where
// something starts: "from", "desde", "de", "saliendo de", "leaving".
func leadsFrom(before string) bool {
	words := strings.Fields(extract.Fold(before))
	if len(words) == 0 {
		return false
	}
	switch words[len(words)-1] {
	case "from", "desde", "de", "leaving", "out":
		return true
	}
	return false
}

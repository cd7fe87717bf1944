package dialog

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog/extract"
)

// Roles: free text a caller volunteers in a first request is read by the
// role its sentence gives it: "¿tienen la freidora de aire?" names a
// product, "my router keeps disconnecting" states a problem, "I left my
// glasses on the bus" a lost item, "habla Ernesto Galván" the caller's
// name, "estoy en Calzada de Tlalpan" a place. It only fills a free-text
// field whose name or description gives it that role, so "mi hijo tiene
// fiebre" never becomes a name.

type role int

const (
	roleNone role = iota
	roleProduct
	roleProblem
	roleReason
	rolePerson
	roleAddress
	roleQuantity
)

var roleWords = map[role][]string{
	roleProduct:  {"producto", "product", "articulo", "item", "modelo"},
	roleProblem:  {"problema", "problem", "issue", "falla", "averia", "fault", "descripcion", "incidencia", "sintomas", "symptoms", "details", "detalles", "happened", "paso", "damage", "dano", "danos", "desperfecto", "desperfectos"},
	roleReason:   {"motivo", "reason", "why", "causa", "cause", "razon", "porque"},
	roleAddress:  {"direccion", "domicilio", "address", "calle", "street", "ubicacion", "location", "lugar", "where", "donde", "paradero"},
	roleQuantity: {"cantidad", "quantity", "unidades", "units", "cuantos", "how many"},
}

// fieldRole is the role a field's name, or the first word of its
// description (its subject: "Cantidad de productos" is a quantity), gives it.
func fieldRole(f *field) role {
	split := func(s string) []string {
		return strings.FieldsFunc(extract.Fold(s), func(r rune) bool { return !(r >= 'a' && r <= 'z') })
	}
	words := split(f.Name)
	if desc := split(f.Description); len(desc) > 0 {
		words = append(words, desc[0])
	}
	for _, r := range []role{roleQuantity, roleProduct, roleProblem, roleReason, roleAddress} {
		for _, w := range roleWords[r] {
			if slices.Contains(words, w) {
				return r
			}
		}
	}
	return roleNone
}

// productFrames introduce a product: the words after them name it.
var productFrames = phraseList(
	"tienen", "tienes", "tiene", "hay", "venden", "vendes", "manejan", "cuanto cuesta", "cuanto cuestan", "cuanto vale",
	"cuanto sale", "que precio tiene", "que precio tienen", "el precio de", "precio de", "les queda", "les quedan",
	"te queda", "queda", "quedan", "existencias de", "stock de", "disponibilidad de", "busco", "estoy buscando",
	"quiero comprar", "quisiera comprar", "queria comprar", "voy a comprar", "quiero pedir", "quisiera pedir",
	"me gustaria comprar", "me interesa", "me interesan",
	"do you have", "do you sell", "do you carry", "how much is", "how much are", "how much does", "how much do",
	"the price of", "price of", "is there", "are there", "i'm looking for", "im looking for", "looking for",
	"i want to buy", "i'd like to buy", "id like to buy", "i want to order", "i'd like to order", "id like to order")

// problemVerbs follow the thing that fails in a problem statement: "my
// router keeps disconnecting", "mi laptop no prende".
var problemVerbs = []string{"keeps", "won't", "wont", "doesn't", "doesnt", "isn't", "isnt", "can't", "cant",
	"stopped", "is", "has", "broke", "died", "no", "se", "dejo", "ya", "esta", "tiene", "falla", "siempre"}

// volunteerFrames fills free-text fields from a first request's frames,
// and a quantity said inside a product ("dos cafeteras").
func (c *Call) volunteerFrames(s *service, text string) {
	filled := map[role]bool{}
	for _, f := range s.fields {
		r := fieldRole(f)
		if f.sense.person {
			r = rolePerson
		}
		if _, done := c.st.Slots[f.Name]; done || !f.freeText() {
			continue
		}
		if f.sense.from || f.sense.to {
			c.fillRoute(s, text) // "me voy a trastear de Medellín para Bogotá"
			if _, done := c.st.Slots[f.Name]; done {
				continue
			}
		}
		if v := sampleIn(f, text); v != "" {
			c.st.Slots[f.Name] = v // "que me reintegren lo del cerrajero"
			continue
		}
		if filled[r] {
			continue
		}
		filled[r] = true
		switch r {
		case roleProduct:
			if product, qty, ok := productIn(text, c.e.lang); ok {
				c.st.Slots[f.Name] = product
				if q := s.roleField(roleQuantity); q != nil && qty > 0 && c.st.Slots[q.Name] == "" {
					c.st.Slots[q.Name] = strconv.Itoa(qty)
				}
			} else if item := c.e.lex.lostIn(text); item != "" {
				c.st.Slots[f.Name] = item // "I left my laptop bag on the bus"
			}
		case roleProblem:
			if problem := c.problemClauses(text); problem != "" {
				c.st.Slots[f.Name] = problem
			} else if problem, ok := problemIn(text); ok {
				c.st.Slots[f.Name] = problem
			}
		case roleAddress:
			read := addressIn
			if locationField(f) {
				read = locationIn
			}
			if addr, ok := read(text); ok {
				c.st.Slots[f.Name] = addr // "ship it to 18 Maple Avenue, Apartment 2, Hoboken"
			}
		case rolePerson:
			filled[r] = false // each person field finds its own name
			if name := c.nameFor(s, f, text); name != "" {
				c.st.Slots[f.Name] = name
			}
		case roleReason:
			if reason := c.reasonClause(text); reason != "" {
				c.st.Slots[f.Name] = reason
			} else if problem := c.problemClauses(text); problem != "" {
				c.st.Slots[f.Name] = problem
			}
		}
	}
}

// nameFor is the name a request gives for a person field: the one said
// after a noun the field's description names ("mi gato Pelusa" for "Nombre
// de la mascota"); else the caller's own ("habla Ernesto Galván", "this is
// Dana"), unless the field is for a recipient; else one said after "a",
// "para", "to" ("enviar dinero a Lucía Ramos") that no other field's noun
// claims. A name another field took is not taken again.
func (c *Call) nameFor(s *service, f *field, text string) string {
	taken := func(name string) bool {
		for _, g := range s.fields {
			if g != f && c.st.Slots[g.Name] == name {
				return true
			}
		}
		return false
	}
	named := namesAfterNouns(text)
	for _, n := range named {
		if c.e.lex.fieldNouns(f)[c.e.lex.group(n.noun)] && !taken(n.name) {
			return n.name
		}
	}
	if name := selfName(text); name != "" && !taken(name) && !recipient(f) {
		return name
	}
	name, ok := personAfterTo(text)
	if !ok || taken(name) {
		return ""
	}
	for _, n := range named {
		for _, g := range s.fields {
			if n.name == name && g != f && g.sense.person && c.e.lex.fieldNouns(g)[c.e.lex.group(n.noun)] {
				return "" // "para mi gato Pelusa": the pet's name, not the owner's
			}
		}
	}
	return name
}

// recipientWords name a field for someone other than the caller.
var recipientWords = wordSet("destinatario", "destinataria", "beneficiario", "beneficiaria", "recipient", "payee",
	"beneficiary", "receptor")

func recipient(f *field) bool {
	for _, w := range strings.Fields(extract.Fold(strings.NewReplacer("_", " ", "-", " ").Replace(f.Name) + " " + f.Description)) {
		if recipientWords[strings.Trim(w, ",.;:()")] {
			return true
		}
	}
	return false
}

// fieldNouns is the set of noun groups a field's name and description say.
func (lx *lexicon) fieldNouns(f *field) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(extract.Fold(strings.NewReplacer("_", " ", "-", " ").Replace(f.Name) + " " + f.Description)) {
		if w = strings.Trim(w, ",.;:()"); len(w) >= 3 && !stopES[w] && !stopEN[w] && !personWords[w] {
			out[lx.group(w)] = true
		}
	}
	return out
}

// group is the object group a folded noun belongs to, or the noun.
func (lx *lexicon) group(w string) string {
	if g, ok := lx.objects[w]; ok {
		return g
	}
	return w
}

type nounName struct{ noun, name string }

// possessives introduce a noun a name follows: "mi gato Pelusa".
var possessives = wordSet("mi", "my", "our", "nuestro", "nuestra", "su", "his", "her", "their", "el", "la", "the", "tu", "your")

// namesAfterNouns finds names said right after a possessed noun: "mi gato
// Pelusa", "my daughter, Emma Jones", "para mi perrita Luna".
func namesAfterNouns(text string) []nounName {
	var out []nounName
	ws := strings.Fields(text)
	for k := 0; k+2 < len(ws); k++ {
		if !possessives[extract.Fold(strings.Trim(ws[k], ",.;:¿?¡!"))] || strings.ContainsAny(ws[k], ",.;:?!") {
			continue
		}
		noun := strings.TrimRight(ws[k+1], ",")
		if noun != extract.Fold(noun) || strings.ContainsAny(noun, ".;:?!") {
			continue // a noun in lower case, unpunctuated
		}
		if name := leadingName(strings.Join(ws[k+2:], " ")); name != "" {
			out = append(out, nounName{noun, name})
		}
	}
	return out
}

// leadingName is the name text starts with, if it starts with one:
// "Pelusa para mañana" is "Pelusa".
func leadingName(text string) string {
	ws := strings.Fields(text)
	end := 0
	for end < len(ws) {
		w := ws[end]
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) && !(end > 0 && nameParticles[extract.Fold(w)]) {
			break
		}
		end++
		if strings.ContainsAny(w, ",.;:?!") {
			break
		}
	}
	for end > 0 && nameParticles[extract.Fold(ws[end-1])] {
		end--
	}
	if end == 0 {
		return ""
	}
	name, sp, ok := personName(strings.Join(ws[:end], " "), "")
	if !ok || sp.Start != 0 {
		return ""
	}
	return name
}

var nameParticles = wordSet("de", "del", "la", "las", "los", "van", "von", "da", "di", "du", "le", "y")

// selfLeads introduce the caller's own name.
var selfLeads = phraseList("habla", "le habla", "te habla", "les habla", "soy", "me llamo", "mi nombre es",
	"this is", "my name is", "i'm", "im", "i am", "it's", "its", "speaking with")

// selfName is the name a caller gives as their own: "habla Ernesto
// Galván", "soy Marta", "this is Dana Brooks".
func selfName(text string) string {
	ft := foldText(text)
	spans := wordSpans(ft.s)
	for i := range spans {
		toks := make([]string, 0, 3)
		for k := i; k < len(spans) && k < i+3; k++ {
			toks = append(toks, ft.s[spans[k][0]:spans[k][1]])
		}
		n := longestMatch(toks, selfLeads)
		if n == 0 || i+n >= len(spans) {
			continue
		}
		sp := ft.span(spans[i+n][0], len(ft.s))
		if name := leadingName(text[sp.Start:]); name != "" {
			return name
		}
	}
	return ""
}

// roleField is the service's field with a role, if any.
func (s *service) roleField(r role) *field {
	for _, f := range s.fields {
		if (f.typ == configs.TypeNumber || f.typ == configs.TypeInteger) == (r == roleQuantity) && fieldRole(f) == r {
			return f
		}
	}
	return nil
}

// routeLead and routeTo frame a trip: "de Medellín para Bogotá", "desde
// Chía hasta Bogotá", "salgo de Chía y voy a Bogotá", "from Leeds to York".
var (
	routeFrom = wordSet("de", "desde", "from", "leaving")
	routeTo   = [][]string{{"a"}, {"para"}, {"pa"}, {"hasta"}, {"hacia"}, {"to"}, {"y", "voy", "a"}, {"y", "vamos", "a"},
		{"y", "llego", "a"}, {"rumbo", "a"}, {"and", "going", "to"}, {"up", "to"}, {"down", "to"}, {"over", "to"}}
)

// routeIn finds where a trip starts and ends, each a proper name.
func routeIn(text string) (from, to string, ok bool) {
	ws := strings.Fields(text)
	clean := func(w string) string { return strings.Trim(w, ",.;:!?¿¡\"'") }
	name := func(k int) (string, int) { // a capitalised run with particles: "San Andrés", "Villa del Rosario"
		n := k
		for n < len(ws) && (isCapitalised(clean(ws[n])) || n > k && nameParticles[extract.Fold(clean(ws[n]))] && n+1 < len(ws) && isCapitalised(clean(ws[n+1]))) {
			n++
			if strings.ContainsAny(ws[n-1], ",.;:!?") {
				break
			}
		}
		parts := make([]string, 0, n-k)
		for _, w := range ws[k:n] {
			parts = append(parts, clean(w))
		}
		return strings.Join(parts, " "), n
	}
	for k := 0; k+3 < len(ws); k++ {
		if !routeFrom[extract.Fold(clean(ws[k]))] {
			continue
		}
		a, n := name(k + 1)
		if a == "" {
			continue
		}
		for _, lead := range routeTo {
			if n+len(lead) >= len(ws) {
				continue
			}
			match := true
			for j, w := range lead {
				if extract.Fold(clean(ws[n+j])) != w {
					match = false
					break
				}
			}
			if !match {
				continue
			}
			if b, _ := name(n + len(lead)); b != "" {
				return a, b, true
			}
		}
	}
	return "", "", false
}

// fillRoute fills a service's free-text start and end fields from a trip
// said whole.
func (c *Call) fillRoute(s *service, text string) bool {
	from, to, ok := routeIn(text)
	if !ok {
		return false
	}
	filled := false
	for _, f := range s.fields {
		if !f.freeText() || c.st.Slots[f.Name] != "" && c.st.Asking != f.Name {
			continue
		}
		switch {
		case f.sense.from:
			c.st.Slots[f.Name], filled = from, true
		case f.sense.to:
			c.st.Slots[f.Name], filled = to, true
		}
	}
	return filled
}

// locationField: a field for where something is (a place, a landmark),
// not a postal address.
// The field's name decides first ("ubicacion", "pickup_address"), then its
// description ("Address where the driver picks the parcels up").
func locationField(f *field) bool {
	for _, text := range []string{f.Name, f.Description} {
		for _, w := range strings.FieldsFunc(extract.Fold(text), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
			switch w {
			case "address", "direccion", "domicilio", "postal", "street", "calle":
				return false
			case "ubicacion", "location", "lugar", "referencia", "landmark", "paradero":
				return true
			}
		}
	}
	return false
}

// productIn finds a product named after a product frame, to the end of its
// clause, without determiners; a count before it is the quantity.
func productIn(text, lang string) (string, int, bool) {
	ft := foldText(text)
	spans := wordSpans(ft.s)
	words := make([]string, len(spans))
	for i, sp := range spans {
		words[i] = ft.s[sp[0]:sp[1]]
	}
	for i := range words {
		n := longestMatch(words[i:], productFrames)
		if n == 0 {
			continue
		}
		start := i + n
		qty := 0
		for start < len(words) && (slices.Contains(determiners, words[start]) || words[start] == "unos" || words[start] == "unas" || words[start] == "some") {
			start++
		}
		if start < len(words) {
			if num, ok := extract.Number(words[start], lang); ok && num.Value == float64(int(num.Value)) && num.Value > 0 && num.Value < 1000 {
				qty = int(num.Value)
				start++
			}
		}
		end := start
		for end < len(words) && !clauseBreak(ft.s, spans, end) && !slices.Contains([]string{"por", "please", "para", "for", "en", "in", "que", "that"}, words[end]) {
			end++
		}
		if end-start == 0 || end-start > 6 || vagueOnly(words[start:end]) {
			return "", 0, false
		}
		sp := ft.span(spans[start][0], spans[end-1][1])
		return strings.Trim(text[sp.Start:sp.End], " ,.;:!?¿¡\"'"), qty, true
	}
	return "", 0, false
}

// sampleIn is the example of the field's description the text names, as
// the caller said it.
func sampleIn(f *field, text string) string {
	if len(f.samples) == 0 {
		return ""
	}
	ft := foldText(text)
	for _, v := range f.samples {
		if at := wordIndex(ft.s, v); at >= 0 {
			sp := ft.span(at, at+len(v))
			return text[sp.Start:sp.End]
		}
	}
	return ""
}

// placeWords end what a caller lost and start where: "my bag on the bus",
// "la mochila en el autobús ayer".
var placeWords = wordSet("on", "in", "at", "inside", "under", "onboard", "aboard", "yesterday", "today", "last",
	"this", "when", "while", "during", "from", "somewhere", "en", "sobre", "dentro", "debajo", "bajo", "ayer", "hoy",
	"anoche", "cuando", "mientras", "durante", "el", "la", "los", "las", "that", "which", "que", "con", "with", "like", "como")

// lostIn is what a caller says they lost or left behind, after the
// lexicon's words for losing: "I left my reading glasses on one of your
// buses" is "reading glasses"; "se me quedó la mochila en el bus" is
// "mochila". The words run from the thing to the place, the time or the
// end of the clause.
func (lx *lexicon) lostIn(text string) string {
	ft := foldText(text)
	ws := splitHeard(ft.s)
	for i := 0; i < len(ws); {
		m, p := lx.verbs.longest(ws, i, nil)
		if m == 0 || verb(p.tag) != verbLost || negated(ws, i) {
			i += max(m, 1)
			continue
		}
		start := i + m
		for start < len(ws) && ws[start].clause == ws[i].clause && (slices.Contains(determiners, ws[start].v) ||
			lostLeads[ws[start].v]) {
			start++
		}
		end := start
		for end < len(ws) && ws[end].clause == ws[i].clause && end-start < 8 && !placeWords[ws[end].v] {
			end++
		}
		if end == start || vagueOnly(wordsOf(ws[start:end])) {
			return ""
		}
		sp := ft.span(ws[start].s, ws[end-1].e)
		return strings.Trim(text[sp.Start:sp.End], " ,.;:!?¿¡\"'")
	}
	return ""
}

// lostLeads may stand between the verb and the thing lost: "left behind
// my", "se me quedó olvidada la".
var lostLeads = wordSet("behind", "some", "unos", "unas", "mis", "los", "las", "olvidado", "olvidada", "olvidados",
	"olvidadas", "tirado", "tirada", "his", "her", "their", "su", "sus", "one", "of")

func wordsOf(ws []hword) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.v
	}
	return out
}

// problemIn finds a problem statement: a clause that starts with my/mi and
// a thing, followed by what goes wrong with it.
func problemIn(text string) (string, bool) {
	ft := foldText(text)
	spans := wordSpans(ft.s)
	for i, sp := range spans {
		w := ft.s[sp[0]:sp[1]]
		if w != "my" && w != "mi" && w != "our" && w != "nuestro" && w != "nuestra" {
			continue
		}
		if i+2 >= len(spans) || !slices.Contains(problemVerbs, ft.s[spans[i+2][0]:spans[i+2][1]]) && !slices.Contains(problemVerbs, ft.s[spans[i+1][0]:spans[i+1][1]]) {
			continue
		}
		end := i + 1
		for end < len(spans) && !clauseBreak(ft.s, spans, end) {
			end++
		}
		if end-i < 3 {
			continue
		}
		span := ft.span(sp[0], spans[end-1][1])
		return strings.Trim(text[span.Start:span.End], " ,.;:!?¿¡\"'"), true
	}
	return "", false
}

// clauseBreak reports whether punctuation ends a clause before word i.
func clauseBreak(s string, spans [][2]int, i int) bool {
	if i == 0 {
		return false
	}
	gap := s[spans[i-1][1]:spans[i][0]]
	return strings.ContainsAny(gap, ",;.?!")
}

// vagueWords name nothing in particular: "¿tienen algo disponible?".
var vagueWords = []string{"algo", "alguno", "alguna", "algun", "nada", "cosa", "cosas", "producto", "productos",
	"disponible", "disponibles", "stock", "existencias", "eso", "esto", "otro", "otra", "de", "en", "something",
	"anything", "stuff", "thing", "things", "items", "item", "available", "product", "products", "that", "this",
	"it", "one", "any", "some", "in"}

func vagueOnly(words []string) bool {
	for _, w := range words {
		if !slices.Contains(vagueWords, w) {
			return false
		}
	}
	return true
}

// problemClauses are the clauses of a request that say what went wrong
// or what needs fixing, by the lexicon's words of problems and repairs:
// "se me fue el internet desde ayer", "the blender showed up cracked",
// "we need to fix the toilet". Greetings and lead-ins are left out.
func (c *Call) problemClauses(text string) string {
	var parts []string
	for _, cl := range clauses(text) {
		if vs := c.e.lex.hearVerbs(cl); vs.has(verbSymptom) || vs.has(verbRepair) { // "we need to fix the toilet"
			if v, _ := c.e.freeText(cl, nil); v != "" {
				parts = append(parts, strings.TrimSpace(trimLeadWords(v)))
			}
		}
	}
	return strings.Join(parts, ", ")
}

// reasonClause is what follows "porque", "ya que", "because", "since" in a
// request: "quiero darme de baja porque me voy a España".
func (c *Call) reasonClause(text string) string {
	ft := foldText(text)
	for _, lead := range []string{"porque", "por que", "ya que", "debido a que", "because", "cause", "since", "as"} {
		at := wordIndex(ft.s, lead)
		if at < 0 || lead == "as" || lead == "since" && at == 0 {
			continue
		}
		sp := ft.span(at+len(lead), len(ft.s))
		rest := text[sp.Start:sp.End]
		if cl := clauses(rest); len(cl) > 0 {
			if v, _ := c.e.freeText(cl[0], nil); len(strings.Fields(v)) >= 2 {
				return v
			}
		}
	}
	return ""
}

// clauses cuts text at commas, periods, semicolons and question marks.
func clauses(text string) []string {
	var out []string
	for _, cl := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(",.;?!¿¡", r) }) {
		if strings.TrimSpace(cl) != "" {
			out = append(out, cl)
		}
	}
	return out
}

// trimLeadWords drops the conjunctions a clause may start with.
func trimLeadWords(s string) string {
	for {
		w, rest, ok := strings.Cut(s, " ")
		if !ok {
			return s
		}
		switch extract.Fold(w) {
		case "but", "and", "so", "pero", "y", "que", "pues", "because", "porque", "i", "think", "creo":
			if extract.Fold(w) == "i" && !strings.HasPrefix(extract.Fold(rest), "think") {
				return s
			}
			s = strings.TrimSpace(rest)
			continue
		}
		return s
	}
}

// streetWords name streets and the parts of an address.
var streetWords = wordSet("calle", "avenida", "av", "jiron", "jr", "pasaje", "psje", "carrera", "cra", "calzada",
	"camino", "paseo", "plaza", "bulevar", "boulevard", "blvd", "street", "st", "avenue", "ave", "road", "rd",
	"drive", "dr", "lane", "ln", "way", "court", "ct", "place", "pl", "terrace", "parkway", "highway", "hwy")

// addressParts may follow a street in an address: "Apartment 2", "colonia
// Centro", "piso 3".
var addressParts = wordSet("apartment", "apt", "unit", "suite", "floor", "departamento", "depto", "dpto", "piso",
	"interior", "int", "colonia", "col", "barrio", "urbanizacion", "urb", "manzana", "mz", "lote", "lt", "numero", "no",
	"bloque", "portal", "puerta", "escalera")

// addressIn finds a street address in a request: from a street number or
// a street's name ("18 Maple Avenue", "Calle Hidalgo 45", "la avenida de
// la Albufera 150", "Calzada de Tlalpan esquina con Taxqueña") across the
// clauses that go on with it (an apartment, a neighbourhood, a city), up
// to a postal code or the end of the sentence.
func addressIn(text string) (string, bool) {
	parts := clauses(text)
	for i, cl := range parts {
		ws := strings.Fields(cl)
		start := -1
		for k, w := range ws {
			fw := strings.Trim(extract.Fold(w), ".")
			if isDigits(strings.Trim(w, ".,")) && len(strings.Trim(w, ".,")) <= 5 && k+1 < len(ws) && isCapitalised(ws[k+1]) ||
				streetWords[fw] && properAfter(ws, k+1) && (k > 0 || isCapitalised(w)) {
				start = k
				break
			}
		}
		if start < 0 || !hasStreetWord(ws[start:]) && !(i+1 < len(parts) && isAddressPart(parts[i+1])) {
			continue
		}
		end := len(ws)
		for k := start + 1; k < len(ws); k++ { // "…150 y mi teléfono es…": the address ends
			if f := extract.Fold(ws[k]); (f == "y" || f == "and") && k+1 < len(ws) && !isCapitalised(ws[k+1]) {
				end = k
				break
			}
		}
		addr := []string{strings.Join(ws[start:end], " ")}
		for _, next := range parts[i+1:] {
			if end < len(ws) {
				break
			}
			nw := strings.Fields(next)
			if len(nw) == 0 || len(nw) > 5 || isDigits(strings.Join(nw, "")) || !isCapitalised(nw[0]) && !addressParts[extract.Fold(nw[0])] && !nearWords[extract.Fold(nw[0])] {
				break
			}
			addr = append(addr, strings.TrimSpace(next))
		}
		return strings.Trim(strings.Join(addr, ", "), " ,.?!¿¡"), true
	}
	return "", false
}

// properAfter reports whether a proper name or a number follows word k,
// past the particles of street names: "avenida de la Albufera", "calle 5".
func properAfter(ws []string, k int) bool {
	for k < len(ws) && nameParticles[extract.Fold(ws[k])] {
		k++
	}
	return k < len(ws) && (isCapitalised(ws[k]) || isDigits(strings.Trim(ws[k], ".,")))
}

// nearWords place something by what is near it: "esquina con Taxqueña", "a
// la altura de Perisur", "frente al parque", "next to the station".
var nearWords = wordSet("esquina", "a", "frente", "junto", "cerca", "entre", "enfrente", "pasando", "antes", "despues",
	"next", "near", "opposite", "across", "by", "corner", "outside", "behind")

// locationIn finds where something is when a field asks for a place, not
// a postal address: a street address if there is one, else the proper
// names after "en", "in", "on", "at" with what places them ("en Insurgentes
// Sur, a la altura de Perisur").
func locationIn(text string) (string, bool) {
	if addr, ok := addressIn(text); ok {
		return addr, true
	}
	parts := clauses(text)
	for i, cl := range parts {
		ws := strings.Fields(cl)
		for k := 0; k+1 < len(ws); k++ {
			switch extract.Fold(ws[k]) {
			case "en", "in", "on", "at", "sobre", "por":
			default:
				continue
			}
			from := k + 1
			if f := extract.Fold(ws[from]); f == "the" || f == "la" || f == "el" {
				from++ // "on the M25"
			}
			n := from
			for n < len(ws) && (isCapitalised(ws[n]) || n > from && nameParticles[extract.Fold(ws[n])] && n+1 < len(ws) && isCapitalised(ws[n+1])) {
				n++
			}
			if n == from {
				continue
			}
			if n < len(ws) && nearWords[extract.Fold(ws[n])] {
				n = len(ws) // "near Junction 10"
			}
			place := []string{strings.Join(ws[from:n], " ")}
			for _, next := range parts[i+1:] {
				nw := strings.Fields(next)
				if len(nw) == 0 || len(nw) > 6 || !nearWords[extract.Fold(nw[0])] {
					break
				}
				place = append(place, strings.TrimSpace(next))
			}
			return strings.Trim(strings.Join(place, ", "), " ,.?!¿¡"), true
		}
	}
	return "", false
}

func isCapitalised(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

func hasStreetWord(ws []string) bool {
	for _, w := range ws {
		if streetWords[strings.Trim(extract.Fold(w), ".,")] {
			return true
		}
	}
	return false
}

func isAddressPart(cl string) bool {
	ws := strings.Fields(cl)
	return len(ws) > 0 && addressParts[extract.Fold(ws[0])]
}

package dialog

import (
	"errors"
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
	"github.com/voiceagent/voiceagent/internal/suggest"
	"github.com/voiceagent/voiceagent/tools/expr"
)

// fill reads field values from text into the slots, in this order:
//  1. fields the caller names ("mi correo es…", "cambia la fecha al 20");
//  2. the field being asked, when asked and it has a typed value;
//  3. other missing fields whose values are unmistakable wherever they
//     appear: an email, a phone number, a date, a time, an enum option;
//  4. the field being asked, when asked and free text: what is left.
//
// It returns acknowledgements of changed values, and the reason the asked
// field's answer could not be used ("" when it could, or when the caller
// gave other fields instead).
func (c *Call) fill(s *service, at time.Time, text string, asked bool) ([]Action, string) {
	now := at.In(c.e.loc)
	var acks []Action
	var claimed []extract.Span
	got := map[string]bool{}
	set := func(f *field, v string, sp extract.Span) {
		if c.reading != nil && slices.Contains(c.reading.Empty, f.Name) {
			return // the model heard no value for it in these words
		}
		old, had := c.st.Slots[f.Name]
		c.st.Slots[f.Name] = v
		got[f.Name] = true
		claimed = append(claimed, sp)
		if had && old != v {
			acks = append(acks, Say{Text: c.phrase("changed", "field", f.label, "value", c.e.spoken(f, v)), Kind: Info})
		}
	}
	// 1. Named fields. The words that name the field are claimed with the
	// value, so "mi correo es" is not left for a free-text answer. A named
	// free-text field takes its words after the typed values have taken
	// theirs ("a nombre de Rosa Quispe y somos seis").
	segs := c.e.cueSegments(s, text)
	var freeSegs []segment
	for _, seg := range segs {
		if got[seg.f.Name] {
			continue
		}
		if seg.f.freeText() {
			freeSegs = append(freeSegs, seg)
			continue
		}
		value := seg.value(text)
		switch seg.f.typ {
		case configs.TypeDate, configs.TypeDateTime, configs.TypeTime:
			// the cue may be part of the value: "the day after tomorrow"
			value = strings.Repeat(" ", seg.cue) + text[seg.cue:seg.end]
		case configs.TypeNumber, configs.TypeInteger:
			// "room 508", "spots: 2", "the amount is 40"; not "spots for
			// yoga on 5th May" (the number of spots comes before them)
			if !numberFollows(text[seg.start:seg.end]) {
				continue
			}
		}
		if v, sp, problem := c.parse(seg.f, value, now); problem == "" {
			if sp.Start-seg.start <= 24 {
				sp = extract.Span{Start: seg.cue, End: max(sp.End, seg.start)} // "código postal 44100"
			}
			// a value said far from the naming words claims only itself: in
			// "a charge on my account for eighty-nine fifty from April
			// first", "charge" still cues the amount as money
			set(seg.f, v, sp)
		}
	}
	named := len(claimed) > 0 || len(freeSegs) > 0 // the caller named a field: a correction
	var target *field
	if asked && c.st.Asking != "" && !got[c.st.Asking] {
		target = s.field(c.st.Asking)
	}
	// 2. Values by competition: every reader proposes what it finds for
	// the missing fields and the one asked, best first. After a correction
	// ("oh no, my number is…") what is left is not a yes or no to the
	// question asked.
	rest := mask(text, claimed)
	var problem string
	if target != nil && (target.freeText() || named && target.typ == configs.TypeBoolean) {
		target = nil
		if s.field(c.st.Asking).freeText() {
			target = s.field(c.st.Asking) // free text: step 4
		}
	}
	typedTarget := target
	if target != nil && target.freeText() {
		typedTarget = nil
	}
	cands := c.candidates(s, rest, now, typedTarget)
	for i := 0; i < len(cands); i++ {
		if got[cands[i].f.Name] {
			cands = slices.Delete(cands, i, i+1)
			i--
		}
	}
	assign(cands, claimed, set)
	if typedTarget != nil && !got[typedTarget.Name] {
		// The asked field got nothing: a datetime in parts, or the reason
		// its answer could not be used.
		switch _, sp, p := c.parse(typedTarget, mask(text, claimed), now); p {
		case "":
		case partial:
			claimed = append(claimed, sp) // part of a datetime: progress
		default:
			problem = p
		}
	}
	// 3. Named free-text fields, from the words left.
	for _, seg := range freeSegs {
		if got[seg.f.Name] {
			continue
		}
		left := mask(text, claimed)
		if v, sp, problem := c.parse(seg.f, seg.value(left), now); problem == "" {
			set(seg.f, v, extract.Span{Start: seg.cue, End: max(sp.End, seg.start)})
		}
	}
	// 4. The asked field, free text: the rest of the answer, when the rest
	// says something ("oh, no," left by a correction does not).
	if target != nil && target.freeText() && !got[target.Name] && (target.sense.from || target.sense.to) && c.fillRoute(s, mask(text, claimed)) {
		got[target.Name] = true // "de Bogotá a Cali" to "¿desde qué ciudad?"
	} else if target != nil && target.freeText() && !got[target.Name] && c.takesFreeText() {
		if v, sp := c.e.freeText(mask(text, claimed), target); v != "" && (!named || hasContent(v)) {
			set(target, v, sp)
		} else if !named {
			problem = c.phrase("invalidString")
		}
	} else if target != nil && target.freeText() && !got[target.Name] && fieldRole(target) == roleAddress {
		// an address given with a question: "77 East Ontario Street, 60611,
		// and could they come on the 21st?"
		read := addressIn
		if locationField(target) {
			read = locationIn
		}
		left := mask(text, claimed)
		if v, ok := read(left); ok {
			if at := strings.Index(left, v); at >= 0 {
				set(target, v, extract.Span{Start: at, End: at + len(v)})
			}
		}
	}
	if target != nil && !got[target.Name] && len(claimed) > 0 {
		problem = "" // the caller gave other fields; ask this one again
	}
	return acks, problem
}

// change applies a new value that names no field ("el 20", "mejor a las
// 11") to the one field it can be: the first that reads it, trying the
// specific types before plain numbers.
func (c *Call) change(s *service, at time.Time, text string, skip *field) []Action {
	now := at.In(c.e.loc)
	fields := slices.Clone(s.fields)
	slices.SortStableFunc(fields, func(a, b *field) int { return specificity(a) - specificity(b) })
	for _, f := range fields {
		if f.freeText() || f.typ == configs.TypeBoolean || f == skip {
			continue
		}
		if skip != nil && (specificity(f) == 3 || c.st.Slots[f.Name] == "") {
			continue // while another field is asked, only corrections of clear values
		}
		if cd, ok := best(c.fieldCandidates(s, f, text, now, true)); ok {
			v := cd.value
			old := c.st.Slots[f.Name]
			c.st.Slots[f.Name] = v
			if old == v {
				return nil
			}
			return []Action{Say{Text: c.phrase("changed", "field", f.label, "value", c.e.spoken(f, v)), Kind: Info}}
		}
	}
	return nil
}

// freeText: a string field whose answer is taken as said.
func (f *field) freeText() bool {
	return f.typ == configs.TypeString && len(f.Enum) == 0 && !f.ident
}

// unmistakable: a value of this field is recognised wherever it appears.
func (f *field) unmistakable() bool {
	switch f.typ {
	case configs.TypeEmail, configs.TypePhone, configs.TypeDate, configs.TypeDateTime, configs.TypeTime:
		return true
	case configs.TypeString:
		return len(f.Enum) > 0 || f.ident && f.pattern != nil // a code that fits its pattern
	}
	return false
}

// parse reads a value of field f from text, normalised: numbers as decimal
// text, dates yyyy-MM-dd, times HH:mm, datetimes yyyy-MM-ddTHH:mm, booleans
// true/false, phones as digits. It returns the value and where it was, or
// the reason it could not.
func (c *Call) parse(f *field, text string, now time.Time) (string, extract.Span, string) {
	lang := c.e.lang
	switch f.typ {
	case configs.TypeNumber, configs.TypeInteger:
		n, ok := amount(text, lang)
		if v, sp, found := countPhrase(text); !ok && found {
			n, ok = extract.Num{Value: v, Span: sp}, true
		}
		if !ok {
			return "", extract.Span{}, c.phrase("invalidNumber")
		}
		if f.typ == configs.TypeInteger && n.Value != math.Trunc(n.Value) {
			return "", extract.Span{}, c.phrase("invalidInteger")
		}
		return c.checkEnum(f, strconv.FormatFloat(n.Value, 'f', -1, 64), n.Span)
	case configs.TypeBoolean:
		switch a, _ := c.read(text).YesNo(); a {
		case extract.Yes:
			return "true", wholeSpan(text), ""
		case extract.No:
			return "false", wholeSpan(text), ""
		}
		return "", extract.Span{}, c.phrase("invalidBoolean")
	case configs.TypeDate:
		d, err := c.read(text).Date(now, extract.DateOptions{Past: f.sense.past})
		if err != nil {
			return "", extract.Span{}, c.dateProblem(err, "invalidDate")
		}
		if cs := c.dateCandidates(f, text, now, 0); len(cs) > 1 {
			return cs[len(cs)-1].value, cs[len(cs)-1].sp, "" // the new date: "from the 12th to the 15th"
		}
		return d.String(), d.Span, ""
	case configs.TypeTime:
		o := f.sense.hours
		if prev, err := time.Parse("15:04", c.st.Slots[f.Name]); err == nil {
			o.Near, o.Nearby = prev.Hour()*60+prev.Minute(), true // a correction keeps its half of the day
		}
		t, err := c.read(text).Time(now, o)
		if err != nil {
			return "", extract.Span{}, c.phrase("invalidTime")
		}
		return t.String(), t.Span, ""
	case configs.TypeDateTime:
		return c.dateTime(f, text, now)
	case configs.TypeEmail:
		e, sp, ok := c.read(text).Email()
		if !ok {
			return "", extract.Span{}, c.phrase("invalidEmail")
		}
		return e, sp, ""
	case configs.TypePhone:
		d, sp, ok := c.read(text).Digits()
		if (!ok || len(d) < 7) && c.callerNumber() != "" && sameNumber(text) {
			return c.callerNumber(), wholeSpan(text), "" // "el mismo desde el que llamo"
		}
		if !ok || len(d) < 7 || len(d) > 15 {
			return "", extract.Span{}, c.phrase("invalidPhone")
		}
		return d, sp, ""
	}
	switch {
	case len(f.Enum) > 0:
		return c.option(f, text)
	case f.ident:
		return c.code(f, text)
	}
	v, sp := c.e.freeText(text, f)
	if v == "" || !c.takesFreeText() {
		return "", extract.Span{}, c.phrase("invalidString")
	}
	return v, sp, ""
}

// takesFreeText reports whether the turn's words may be taken as free
// text: not when the caller also asks for a moment, drops the request,
// says goodbye or asks to hear something again.
func (c *Call) takesFreeText() bool {
	return c.heard == nil || !c.heard.doesAny() && !c.heard.asksSomething()
}

// partial is parse's answer when a datetime got only its date or its time:
// the part is kept and the other asked for.
const partial = "\x00partial"

// dateTime reads a datetime, possibly in parts: a date or a time alone
// completes the one the field already has ("change the time to 4 pm") or
// the part said before ("tomorrow afternoon" … "around 3").
func (c *Call) dateTime(f *field, text string, now time.Time) (string, extract.Span, string) {
	d, derr := c.read(text).Date(now, extract.DateOptions{Past: f.sense.past})
	t, terr := c.read(text).Time(now, f.sense.hours)
	if derr != nil && terr != nil {
		return "", extract.Span{}, c.dateProblem(derr, "invalidDateTime")
	}
	prev, part := c.st.Slots[f.Name], c.st.Partial[f.Name]
	date, clock := "", ""
	var sp extract.Span
	switch {
	case derr == nil:
		date, sp = d.String(), d.Span
	case len(prev) == 16:
		date = prev[:10]
	case strings.HasPrefix(part, "date:"):
		date = part[5:]
	}
	switch {
	case terr == nil:
		clock = t.String()
		if derr == nil {
			sp = extract.Span{Start: min(d.Span.Start, t.Span.Start), End: max(d.Span.End, t.Span.End)}
		} else {
			sp = t.Span
		}
	case len(prev) == 16:
		clock = prev[11:]
	case strings.HasPrefix(part, "time:"):
		clock = part[5:]
	}
	if date == "" || clock == "" {
		if c.st.Partial == nil {
			c.st.Partial = map[string]string{}
		}
		if date != "" {
			c.st.Partial[f.Name] = "date:" + date
		} else {
			c.st.Partial[f.Name] = "time:" + clock
		}
		return "", sp, partial
	}
	delete(c.st.Partial, f.Name)
	return date + "T" + clock, sp, ""
}

// hasContent reports whether text says more than fillers, politeness and
// yes/no words.
func hasContent(text string) bool {
	words := bareWords(text)
	for i := 0; i < len(words); i++ {
		if n := longestMatch(words[i:], neutral); n > 0 {
			i += n - 1
			continue
		}
		if !slices.Contains(fillerWords, words[i]) {
			return true
		}
	}
	return false
}

func (c *Call) dateProblem(err error, key string) string {
	if errors.Is(err, extract.ErrInvalidDate) {
		return c.phrase("impossibleDate")
	}
	return c.phrase(key)
}

func (c *Call) checkEnum(f *field, v string, sp extract.Span) (string, extract.Span, string) {
	if len(f.Enum) > 0 && !slices.Contains(f.Enum, v) {
		return "", extract.Span{}, c.phrase("invalidOption", "options", joinList(f.Enum, c.or()))
	}
	return v, sp, ""
}

// option finds one of an enum field's options in text: said whole (accents
// and case aside); said by its words' roots ("con el cardiólogo" for
// "cardiología", "médico general" for "medicina general"); or, when the
// field is the one asked, by a word only that option has ("con débito" for
// "tarjeta de débito"); or the whole answer within two typos of one.
func (c *Call) option(f *field, text string) (string, extract.Span, string) {
	ft := foldText(text)
	best, bestAt := -1, len(ft.s)+1
	for i, o := range f.foldedEnum {
		if at := wordIndex(ft.s, o); at >= 0 && at < bestAt {
			best, bestAt = i, at
		}
	}
	if best >= 0 {
		return f.Enum[best], ft.span(bestAt, bestAt+len(f.foldedEnum[best])), ""
	}
	if i, sp, ok := c.byAlias(f, text); ok {
		return f.Enum[i], sp, ""
	}
	said := stems(c.e.lex.withGroups(undiminish(text, c.e.lang)), c.e.lang) // "carro" is a "coche", "perrito" a "perro"
	optionStems := f.enumStems
	// Options whose every root is said, the fullest first: "el contador
	// del agua está roto" is "contador roto", not "sin agua".
	var byRoots []int
	most := 0
	for i, os := range optionStems {
		switch {
		case len(os) == 0 || !allIn(os, said) || len(os) < most:
		case len(os) > most:
			byRoots, most = []int{i}, len(os)
		default:
			byRoots = append(byRoots, i)
		}
	}
	if len(byRoots) == 1 {
		return f.Enum[byRoots[0]], wholeSpan(text), ""
	}
	// An option named by a root no other option has: "a pipe just busted"
	// is the burst pipe, "the shower's backing up… a drain" drain
	// cleaning. Said unasked, only a root of a longer option that is no
	// common noun of requests ("consulta" in "consulta general").
	asked := c.st.Asking == f.Name
	var distinct []int
	for i, os := range optionStems {
		for _, w := range os {
			if containsStem(said, w) && !sharedStem(optionStems, i, w) && (asked || len(os) > 1 && !c.e.lex.isObject(w)) {
				distinct = append(distinct, i)
				break
			}
		}
	}
	if len(distinct) == 1 {
		return f.Enum[distinct[0]], wholeSpan(text), ""
	}
	answer := strings.Join(strings.FieldsFunc(ft.s, isSeparator), " ")
	if opt, ok := suggest.Closest(answer, f.Enum); ok && len(answer) >= 4 {
		return opt, wholeSpan(text), ""
	}
	reason := c.phrase("invalidOption", "options", joinList(f.Enum, c.or()))
	if f.listsOptions {
		reason = c.phrase("didNotUnderstand") // the question lists them already
	}
	return "", extract.Span{}, reason
}

// stemsAll stems every word of text, stop-words included: an option like
// "efectivo en OXXO" keeps all its words.
func stemsAll(text, lang string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(extract.Fold(text), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		if len(w) >= 3 && !stopES[w] && !stopEN[w] {
			out = append(out, stem(w, lang))
		}
	}
	return out
}

func allIn(words, in []string) bool {
	for _, w := range words {
		if !containsStem(in, w) {
			return false
		}
	}
	return true
}

// sharedStem reports whether another option than i has w.
func sharedStem(options [][]string, i int, w string) bool {
	for j, os := range options {
		if j != i && containsStem(os, w) {
			return true
		}
	}
	return false
}

// mentionsOptions reports whether the field's question already names at
// least two of its options.
func mentionsOptions(f *field) bool {
	hint := extract.Fold(f.PromptHint)
	n := 0
	for _, opt := range f.Enum {
		if strings.Contains(hint, extract.Fold(opt)) {
			n++
		}
	}
	return n >= 2
}

var codeToken = regexp.MustCompile(`[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)*`)

// code reads an identifier the caller reads out: a token with digits
// ("A-1001", "48213"); a prefix of up to four letters and a number said
// apart ("A 1001", "ORD guion 789", "B two zero four four", "A as in apple,
// one zero zero one"); or digits spoken one by one. The first that fits
// the field's pattern wins, in capitals when the pattern allows.
func (c *Call) code(f *field, text string) (string, extract.Span, string) {
	type cand struct {
		v  string
		sp extract.Span
	}
	var cands []cand
	for _, sp := range c.read(text).Spelled() { // "M as in Mary, 4, T, 9, Q"
		cands = append(cands, cand{sp.Code, sp.Span}, cand{strings.ReplaceAll(sp.Code, "-", ""), sp.Span})
	}
	for _, l := range codeToken.FindAllStringIndex(text, -1) {
		tok := text[l[0]:l[1]]
		if strings.ContainsAny(tok, "0123456789") {
			cands = append(cands, cand{tok, extract.Span{Start: l[0], End: l[1]}})
		}
		if len(tok) > 4 || !isLetters(tok) || len(tok) > 1 && (stopEN[extract.Fold(tok)] || stopES[extract.Fold(tok)]) {
			continue
		}
		from, dash := afterPrefix(text, l[1], len(tok) == 1)
		d, sp, ok := extract.Digits(text[from:], c.e.lang)
		if !ok || strings.Trim(text[from:from+sp.Start], " ,") != "" {
			continue
		}
		whole := extract.Span{Start: l[0], End: from + sp.End}
		if dash {
			cands = append(cands, cand{tok + "-" + d, whole}, cand{tok + d, whole})
		} else {
			cands = append(cands, cand{tok + d, whole}, cand{tok + "-" + d, whole})
		}
	}
	if d, sp, ok := c.read(text).Digits(); ok {
		cands = append(cands, cand{d, sp})
	}
	for _, cd := range cands {
		for _, v := range []string{strings.ToUpper(cd.v), cd.v} {
			if f.pattern == nil || f.pattern.MatchString(v) {
				return v, cd.sp, ""
			}
		}
	}
	if f.pattern == nil && c.takesFreeText() {
		if v, sp := c.e.freeText(text, f); v != "" {
			return v, sp, ""
		}
		return "", extract.Span{}, c.phrase("invalidString")
	}
	return "", extract.Span{}, c.phrase("invalidFormat")
}

// afterPrefix skips what may follow a code's letter prefix before its
// number: "as in apple", "de avión" (after a single letter), and a dash
// ("guion", "dash", "-"), which it reports.
func afterPrefix(text string, i int, single bool) (int, bool) {
	word := func(at int) (string, int) {
		for at < len(text) && (text[at] == ' ' || text[at] == ',') {
			at++
		}
		end := at
		for end < len(text) && text[end] != ' ' && text[end] != ',' {
			end++
		}
		return extract.Fold(text[at:end]), end
	}
	dash := false
	for {
		w, end := word(i)
		switch {
		case w == "as" || w == "como":
			if w2, end2 := word(end); w2 == "in" || w2 == "en" {
				_, end3 := word(end2)
				i = end3
				continue
			}
		case single && (w == "de" || w == "for") && end < len(text):
			if w2, end2 := word(end); end2 > end && isLetters(w2) && !isNumberWord(w2) {
				i = end2 // "A de avión", "A for apple"; not "B de 2044" nor "B de dos"
				continue
			}
		case w == "-" || w == "dash" || w == "hyphen" || w == "guion" || w == "raya":
			dash = true
			i = end
			continue
		}
		return i, dash
	}
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// parseKeys reads a keypad entry for a field: digits for phones, numbers and
// codes, 1/2 for yes/no, HHMM for a time.
func (e *Engine) parseKeys(f *field, digits string) (string, string) {
	if !isDigits(digits) {
		return "", "didNotUnderstand"
	}
	switch f.typ {
	case configs.TypePhone:
		if len(digits) < 7 || len(digits) > 15 {
			return "", "invalidPhone"
		}
		return digits, ""
	case configs.TypeNumber, configs.TypeInteger:
		n, _ := strconv.ParseFloat(digits, 64)
		return strconv.FormatFloat(n, 'f', -1, 64), ""
	case configs.TypeBoolean:
		switch digits {
		case "1":
			return "true", ""
		case "2":
			return "false", ""
		}
		return "", "invalidBoolean"
	case configs.TypeTime:
		if len(digits) == 4 {
			h, _ := strconv.Atoi(digits[:2])
			m, _ := strconv.Atoi(digits[2:])
			if h < 24 && m < 60 {
				return digits[:2] + ":" + digits[2:], ""
			}
		}
		return "", "invalidTime"
	case configs.TypeString:
		if len(f.Enum) == 0 && (f.pattern == nil || f.pattern.MatchString(digits)) {
			return digits, ""
		}
		return "", "invalidFormat"
	}
	return "", "didNotUnderstand"
}

// Cue segments: "mi correo es juan@x.com", "cambia la fecha al 20".

type segment struct {
	f          *field
	cue        int // where the words naming the field start ("mi correo")
	start, end int // of the value, in the original text
}

func (s segment) value(text string) string {
	// Keep offsets: blank everything outside the segment.
	return strings.Repeat(" ", s.start) + text[s.start:s.end]
}

// cueSegments finds the fields the caller names, with the words that follow
// up to the next named field or clause. Free-text fields must be introduced
// as a label ("mi nombre es…", "the problem is…", "cambia la dirección a…").
func (e *Engine) cueSegments(s *service, text string) []segment {
	ft := foldText(text)
	type hit struct {
		f          *field
		start, end int // of the cue, folded
	}
	var hits []hit
	for _, f := range s.fields {
		for _, cue := range f.cues {
			for from := 0; ; {
				at := wordIndex(ft.s[from:], cue)
				if at < 0 {
					break
				}
				at += from
				hits = append(hits, hit{f, at, at + len(cue)})
				from = at + len(cue)
			}
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return a.start - b.start })
	var segs []segment
	for i, h := range hits {
		end := len(ft.s)
		for _, next := range hits[i+1:] {
			if next.f != h.f && next.start >= h.end {
				end = next.start
				break
			}
		}
		nextCue := end
		if b := clauseEnd(ft.s, h.end); b < end {
			end = b
		}
		valueStart := h.end
		if h.f.freeText() {
			lead := labelLead(ft.s[h.end:end])
			before := ft.s[:h.start]
			switch {
			case lead >= 0:
			case h.f.sense.person && (strings.HasSuffix(before, " a ") || before == "a ") && strings.HasPrefix(ft.s[h.end:end], " de "):
				lead = len(" de ") // "a nombre de Rosa Quispe"
			case hasSuffixAny(before, "con el ", "con la ", "with the ", "under the ", "bajo el ", "por el "):
				lead = 1 // "con el concepto luz de octubre"
			default:
				continue
			}
			valueStart += lead
			for _, det := range determiners { // "the device is my laptop"
				if strings.HasPrefix(ft.s[valueStart:end], det+" ") {
					valueStart += len(det) + 1
					break
				}
			}
		}
		cue := h.start
		for _, det := range []string{"mi ", "my ", "el ", "la ", "the ", "tu ", "your ", "su "} {
			if cue >= len(det) && ft.s[cue-len(det):cue] == det {
				cue -= len(det)
				break
			}
		}
		segs = append(segs, segment{f: h.f, cue: ft.orig(cue), start: ft.orig(valueStart), end: ft.orig(end)})
		if !h.f.freeText() && end < nextCue {
			// "the time is wrong, it should be 4 pm": the value may come
			// in the next clause, before another field is named.
			segs = append(segs, segment{f: h.f, cue: ft.orig(cue), start: ft.orig(valueStart), end: ft.orig(nextCue)})
		}
	}
	return segs
}

var labelLeads = []string{" es ", " is ", ": ", " seria ", " sera ", " would be ", " will be ", " a ", " al ", " por ", " to ", " = "}

// labelLead returns where the value starts after a label's cue, or -1 when
// the cue is not followed by one of the label's links.
func labelLead(rest string) int {
	padded := rest
	if !strings.HasPrefix(padded, " ") {
		padded = " " + padded
	}
	for _, l := range labelLeads {
		if strings.HasPrefix(padded, l) {
			return len(l) - (len(padded) - len(rest))
		}
	}
	return -1
}

// clauseEnd finds where the clause that starts at from ends: a comma, a
// semicolon, a period followed by a space, or " y "/" and "/" pero "/" but "
// before another label.
func clauseEnd(s string, from int) int {
	best := len(s)
	for _, sep := range []string{",", ";", ". ", " pero ", " but "} {
		if i := strings.Index(s[from:], sep); i >= 0 && from+i < best {
			if i == 0 && sep == "," {
				continue
			}
			best = from + i
		}
	}
	for _, conj := range []string{" y mi ", " and my ", " y el ", " y la ", " and the "} {
		if i := strings.Index(s[from:], conj); i >= 0 && from+i < best {
			best = from + i
		}
	}
	return best
}

// namedField returns the first field the text names, for "el correo está mal".
func (c *Call) namedField(s *service, text string) *field {
	ft := foldText(text)
	for _, f := range s.fields {
		for _, cue := range f.cues {
			if wordIndex(ft.s, cue) >= 0 {
				return f
			}
		}
	}
	return nil
}

// freeText is an answer to a free-text field without the lead-ins ("sí,
// claro, me llamo…", "yeah, so my name is…"), the fillers and politeness
// around it and edge punctuation, with where it is in text. After a field's
// label ("the device is my laptop") a possessive or article goes too.
func (e *Engine) freeText(text string, f *field) (string, extract.Span) {
	if f != nil && f.sense.person {
		if v, sp, ok := personName(text, e.lang); ok {
			return v, sp
		}
	}
	ft := foldText(text)
	words := wordSpans(ft.s)
	var toks []string
	for _, w := range words {
		toks = append(toks, ft.s[w[0]:w[1]])
	}
	leads := leadInsEN
	if e.lang == "es" {
		leads = leadInsES
	}
	var labels phraseSet
	if f != nil {
		labels = f.labels
	}
	i, j := 0, len(toks)
	for i < j {
		if n := longestMatch(toks[i:j], labels); n > 0 {
			i += n
			if i < j && slices.Contains(determiners, toks[i]) {
				i++
			}
			continue
		}
		if toks[i] == "no" && f != nil && !f.sense.person && i+1 < j && !clauseBreak(ft.s, words, i+1) {
			break // "no come nada desde ayer" says what is wrong; "no, es…" corrects
		}
		if n := longestMatch(toks[i:j], leads); n > 0 && (f == nil || f.sense.person || j-i-n <= 4 || !copulas[strings.Join(toks[i:i+n], " ")]) {
			i += n // "sí, claro, me llamo…"; a long description keeps its start ("it's got dead pixels…")
			continue
		}
		if slices.Contains(fillerWords, toks[i]) {
			i++
			continue
		}
		break
	}
	for j > i {
		if n := longestSuffix(toks[i:j], politeness); n > 0 {
			j -= n
			continue
		}
		if slices.Contains(trailers, toks[j-1]) || slices.Contains(fillerWords, toks[j-1]) {
			j--
			continue
		}
		break
	}
	if i+1 < j && i > 0 && indefinite[toks[i]] {
		if r, _ := utf8.DecodeRuneInString(text[ft.span(words[i+1][0], words[i+1][1]).Start:]); unicode.IsUpper(r) {
			i++ // "es un Toyota Yaris rojo": the car, not "un Toyota"
		}
	}
	if i >= j {
		return "", extract.Span{}
	}
	sp := ft.span(words[i][0], words[j-1][1])
	return strings.Trim(text[sp.Start:sp.End], " ,.;:!?¿¡\"'-"), sp
}

// indefinite articles may start a free-text answer after a lead-in.
var indefinite = wordSet("un", "una", "a", "an")

// determiners may start a value after its label: "the device is my laptop".
var determiners = []string{"my", "mi", "the", "el", "la", "a", "an", "un", "una", "mis", "our", "nuestro", "nuestra"}

// wordSpans splits folded text into words (apostrophes and inner hyphens and
// dots kept), as byte ranges.
func wordSpans(s string) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= len(s); i++ {
		sep := i == len(s) || isSeparator(rune(s[i])) && s[i] != '\'' && !(s[i] == '.' && i > 0 && i+1 < len(s) && isWordByte(s[i-1]) && isWordByte(s[i+1]))
		switch {
		case sep && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		case !sep && start < 0:
			start = i
		}
	}
	return out
}

// longestSuffix returns the length of the longest phrase of set that ends
// words, or 0.
func longestSuffix(words []string, set phraseSet) int {
	best := 0
	for _, p := range set {
		if len(p) > best && len(p) <= len(words) && slices.Equal(words[len(words)-len(p):], p) {
			best = len(p)
		}
	}
	return best
}

// labelLeadsFor are "mi correo es", "the problem is"... for the field's cues.
func labelLeadsFor(f *field) []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, cue := range f.cues {
		for _, pre := range []string{"mi ", "el ", "la ", "my ", "the ", "su ", "your ", ""} {
			for _, link := range []string{" es", " is", ":", " seria", " would be"} {
				out = append(out, pre+cue+link)
			}
		}
	}
	return out
}

var leadInsES = phraseList("me llamo", "mi nombre completo es", "mi nombre es", "el nombre es", "a nombre de", "se llama",
	"soy", "es", "seria", "claro", "si", "ok", "vale", "no", "pues", "este", "bueno", "claro que si", "por supuesto")
var leadInsEN = phraseList("my full name is", "my name is", "the name is", "call me", "i'm", "i am", "it's", "it is",
	"this is", "that's", "that is", "sure", "yes", "yeah", "yep", "ok", "okay", "no", "of course", "right")
var trailers = []string{"y", "and", "e"}

// copulas lead into a value ("es…", "it's…") but also start a
// description said whole ("it's got dead pixels all over the screen").
var copulas = wordSet("es", "seria", "it's", "it is", "that's", "that is", "this is", "soy", "i'm", "i am")

func isSeparator(r rune) bool {
	return r == ' ' || r == ',' || r == '.' || r == ';' || r == ':' || r == '!' || r == '?' || r == '"' || r == '\''
}

func wholeSpan(text string) extract.Span { return extract.Span{Start: 0, End: len(text)} }

// mask blanks the claimed spans of text, keeping offsets.
func mask(text string, claimed []extract.Span) string {
	if len(claimed) == 0 {
		return text
	}
	b := []byte(text)
	for _, sp := range claimed {
		for i := max(sp.Start, 0); i < min(sp.End, len(b)); i++ {
			b[i] = ' '
		}
	}
	return strings.ToValidUTF8(string(b), " ")
}

// spoken renders a value for a read-back: dates with day and month names,
// times as the language says them, booleans as yes/no.
// Spoken is how the agent says a value of the field named field (the
// first service's of that name) when it reads it back: dates and times
// in words, yes or no, anything else as it is.
func (e *Engine) Spoken(field, value string) string {
	for _, s := range e.services {
		for _, f := range s.fields {
			if f.Name == field {
				return e.spoken(f, value)
			}
		}
	}
	return value
}

func (e *Engine) spoken(f *field, v string) string {
	sc := &scope{c: &Call{e: e}, slots: map[string]string{"v": v}}
	var p *expr.Template
	switch f.typ {
	case configs.TypeDate:
		p = spokenDate[e.lang]
	case configs.TypeTime:
		p = spokenTime[e.lang]
	case configs.TypeDateTime:
		p = spokenDateTime[e.lang]
	case configs.TypeBoolean:
		if v == "true" {
			return yesWord(e.lang)
		}
		return "no"
	default:
		return v
	}
	if text, err := p.Render(sc); err == nil {
		return text
	}
	return v
}

func mustTemplates(es, en string) map[string]*expr.Template {
	tes, errES := expr.Parse(es)
	ten, errEN := expr.Parse(en)
	if errES != nil || errEN != nil {
		return nil // caught by TestSpokenTemplates
	}
	return map[string]*expr.Template{"es": tes, "en": ten}
}

var (
	spokenDate     = mustTemplates("{{v|format('EEEE d')}} de {{v|format('MMMM')}}", "{{v|format('EEEE, MMMM d')}}")
	spokenTime     = mustTemplates("{{v|format('HH:mm')}}", "{{v|format('h:mm a')}}")
	spokenDateTime = mustTemplates("{{v|format('EEEE d')}} de {{v|format('MMMM')}} a las {{v|format('HH:mm')}}", "{{v|format('EEEE, MMMM d')}} at {{v|format('h:mm a')}}")
)

// foldedText is text folded for matching, with the way back to the
// original's byte offsets.
type foldedText struct {
	s  string
	at []int // at[i] is the original offset of folded byte i; at[len(s)] = len(original)
}

// foldText folds like extract.Fold, keeping offsets.
func foldText(text string) foldedText {
	var b strings.Builder
	at := make([]int, 0, len(text)+1)
	for i, r := range text {
		for _, fr := range extract.Fold(string(r)) {
			n := utf8.RuneLen(fr)
			b.WriteRune(fr)
			for range n {
				at = append(at, i)
			}
		}
	}
	at = append(at, len(text))
	return foldedText{s: b.String(), at: at}
}

func (ft foldedText) orig(i int) int {
	if i >= len(ft.at) {
		return ft.at[len(ft.at)-1]
	}
	return ft.at[i]
}

func (ft foldedText) span(start, end int) extract.Span {
	return extract.Span{Start: ft.orig(start), End: ft.orig(end)}
}

// wordIndex finds word in s at word boundaries, or -1.
func wordIndex(s, word string) int {
	if word == "" {
		return -1
	}
	for from := 0; ; {
		i := strings.Index(s[from:], word)
		if i < 0 {
			return -1
		}
		i += from
		before := i == 0 || !isWordByte(s[i-1]) && !(s[i-1] == '\'' && i > 1 && isWordByte(s[i-2])) // not the "day" of "g'day"
		after := i+len(word) == len(s) || !isWordByte(s[i+len(word)]) && !(s[i+len(word)] == '\'' && i+len(word)+1 < len(s) && isWordByte(s[i+len(word)+1]))
		if before && after {
			return i
		}
		from = i + 1
	}
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 0x80
}

// specificity orders field types from the hardest to mistake to the easiest.
func specificity(f *field) int {
	switch {
	case f.typ == configs.TypeEmail, f.typ == configs.TypePhone:
		return 0
	case f.typ == configs.TypeDateTime, f.typ == configs.TypeDate, f.typ == configs.TypeTime:
		return 1
	case len(f.Enum) > 0, f.ident:
		return 2
	}
	return 3
}

// countPhrases are amounts said without a number: "un par", "just me".
var countPhrases = map[string]float64{
	"un par": 2, "par": 2, "a couple": 2, "a couple of": 2, "couple": 2, "a pair": 2,
	"solo yo": 1, "yo solo": 1, "yo sola": 1, "solo una persona": 1, "nomas yo": 1, "nada mas yo": 1,
	"just me": 1, "only me": 1, "me only": 1, "just myself": 1, "myself": 1,
	"nadie": 0, "nobody": 0, "no one": 0, "none": 0, "ninguno": 0, "ninguna": 0,
}

func countPhrase(text string) (float64, extract.Span, bool) {
	from := 0
	for _, cl := range clauses(text) {
		at := strings.Index(text[from:], cl) + from
		from = at + len(cl)
		sp := extract.Span{Start: at, End: at + len(cl)}
		words := bareWords(cl)
		if v, ok := countPhrases[strings.Join(words, " ")]; ok {
			return v, sp, true
		}
		words = slices.DeleteFunc(words, func(w string) bool { return slices.Contains(fillerWords, w) || w == "somos" || w == "seriamos" })
		if v, ok := countPhrases[strings.Join(words, " ")]; ok {
			return v, sp, true
		}
	}
	return 0, extract.Span{}, false
}

// sameNumberPhrases say the number to use is the one calling.
var sameNumberPhrases = []string{"el mismo", "este", "este numero", "este mismo", "desde el que llamo", "del que llamo",
	"el numero desde el que llamo", "el numero del que llamo", "al que llamo", "this number", "this one", "the same",
	"same number", "the same number", "the number i'm calling from", "the one i'm calling from", "this phone", "same one"}

func sameNumber(text string) bool {
	folded := " " + strings.Join(splitWords(text), " ") + " "
	for _, p := range sameNumberPhrases {
		if strings.Contains(folded, " "+p+" ") {
			return true
		}
	}
	return false
}

// callerNumber is the digits of the number calling, if any.
func (c *Call) callerNumber() string {
	var b strings.Builder
	for _, r := range c.st.CallerNumber {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() < 7 {
		return ""
	}
	return b.String()
}

func isNumberWord(w string) bool {
	_, es := extract.Number(w, "es")
	_, en := extract.Number(w, "en")
	return es || en
}

// amount reads the first number of an answer, with the ways amounts are
// said: "forty-nine dollars and ninety-nine cents", "cuarenta y nueve con
// noventa y nueve" (49.99), and in English "one twenty" (120).
func amount(text, lang string) (extract.Num, bool) {
	nums := extract.Numbers(text, lang)
	if len(nums) == 0 {
		return extract.Num{}, false
	}
	n := nums[0]
	if len(nums) < 2 {
		return n, true
	}
	m := nums[1]
	between := strings.FieldsFunc(extract.Fold(text[n.Span.End:m.Span.Start]), func(r rune) bool { return isSeparator(r) })
	after := strings.FieldsFunc(extract.Fold(text[m.Span.End:]), func(r rune) bool { return isSeparator(r) })
	whole := n.Value == math.Trunc(n.Value) && m.Value == math.Trunc(m.Value) && m.Value < 100
	connector, other := false, false
	for _, w := range between {
		switch {
		case w == "and" || w == "y" || w == "con" || w == "with":
			connector = true
		case !currencyWords[w]:
			other = true
		}
	}
	cents := len(after) > 0 && (after[0] == "cents" || after[0] == "centavos" || after[0] == "centimos" || after[0] == "cent" || after[0] == "pence" || after[0] == "p")
	if whole && connector && !other && (cents || lang == "es" && slices.Contains(between, "con")) {
		return extract.Num{Value: n.Value + m.Value/100, Span: extract.Span{Start: n.Span.Start, End: m.Span.End}}, true
	}
	// "three hundred and forty-nine pounds ninety-nine", "forty euros fifty"
	if whole && !connector && !other && len(between) == 1 && m.Value >= 1 && spokenWords(text, m) {
		return extract.Num{Value: n.Value + m.Value/100, Span: extract.Span{Start: n.Span.Start, End: m.Span.End}}, true
	}
	if lang == "en" && len(between) == 0 && whole && n.Value >= 1 && n.Value <= 9 && m.Value >= 10 && spokenWords(text, n, m) {
		return extract.Num{Value: n.Value*100 + m.Value, Span: extract.Span{Start: n.Span.Start, End: m.Span.End}}, true
	}
	return n, true
}

// spokenWords reports whether both numbers were said in words.
func spokenWords(text string, ns ...extract.Num) bool {
	for _, n := range ns {
		if strings.ContainsAny(text[n.Span.Start:n.Span.End], "0123456789") {
			return false
		}
	}
	return true
}

var currencyWords = map[string]bool{"dollars": true, "dollar": true, "dolares": true, "dolar": true, "pesos": true,
	"peso": true, "soles": true, "sol": true, "euros": true, "euro": true, "usd": true, "mxn": true, "pen": true, "bucks": true,
	"pounds": true, "pound": true, "quid": true, "gbp": true, "libras": true, "libra": true, "rupees": true, "rupee": true,
	"rands": true, "rand": true, "eur": true, "cad": true, "aud": true, "nzd": true}

// money finds an amount said with its currency: "89 dollars", "$89",
// "cincuenta soles".
func money(text, lang string) (extract.Num, bool) {
	for _, n := range extract.Numbers(text, lang) {
		before := strings.TrimRight(text[:n.Span.Start], " ")
		after := strings.FieldsFunc(extract.Fold(text[n.Span.End:]), func(r rune) bool { return isSeparator(r) })
		if strings.ContainsAny(text[n.Span.Start:n.Span.End], "$€£") || strings.HasSuffix(before, "$") || strings.HasSuffix(before, "£") ||
			len(after) > 0 && currencyWords[after[0]] {
			if m, ok := amount(text[n.Span.Start:], lang); ok { // "… dollars and ninety-nine cents"
				m.Span.Start += n.Span.Start
				m.Span.End += n.Span.Start
				return m, true
			}
			return n, true
		}
	}
	return extract.Num{}, false
}

// onlyNumber reports whether f is the service's one field of type number.
func (s *service) onlyNumber(f *field) bool {
	for _, g := range s.fields {
		if g != f && (g.typ == configs.TypeNumber) {
			return false
		}
	}
	return true
}

func hasSuffixAny(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// undiminish adds to Spanish words said as diminutives ("perrito",
// "gatita", "cafecito") the words they come from, for reading options.
func undiminish(text, lang string) string {
	if lang != "es" {
		return text
	}
	var b strings.Builder
	b.WriteString(text)
	for _, w := range strings.FieldsFunc(extract.Fold(text), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
		for _, suf := range []string{"citos", "citas", "cito", "cita", "itos", "itas", "ito", "ita"} {
			if base, ok := strings.CutSuffix(w, suf); ok && len(base) >= 3 && len(w) >= 6 {
				end := "o"
				if strings.Contains(suf, "a") {
					end = "a"
				}
				b.WriteString(" " + base + end)
				break
			}
		}
	}
	return b.String()
}

// numberFollows reports whether a segment after a number field's cue
// starts with its value: a number, or a link ("is", "es", ":", "of") and
// then a number.
func numberFollows(seg string) bool {
	ws := strings.Fields(strings.NewReplacer(":", " : ", ",", " ").Replace(extract.Fold(seg)))
	for i, w := range ws {
		if i > 2 {
			return false
		}
		if isDigits(strings.Trim(w, ".$€")) || isNumberWord(w) {
			return true
		}
		switch w {
		case ":", "is", "es", "of", "de", "seria", "would", "be", "was", "fue", "=", "number", "numero":
			continue
		}
		return false
	}
	return false
}

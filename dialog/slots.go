package dialog

import (
	"errors"
	"fmt"
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
		old, had := c.st.Slots[f.Name]
		c.st.Slots[f.Name] = v
		got[f.Name] = true
		claimed = append(claimed, sp)
		if had && old != v {
			acks = append(acks, Say{Text: c.phrase("changed", "field", f.label, "value", c.e.spoken(f, v)), Kind: Info})
		}
	}
	// 1. Named fields. The words that name the field are claimed with the
	// value, so "mi correo es" is not left for a free-text answer.
	for _, seg := range c.e.cueSegments(s, text) {
		if got[seg.f.Name] {
			continue
		}
		if v, sp, problem := c.parse(seg.f, seg.value(text), now); problem == "" {
			set(seg.f, v, extract.Span{Start: seg.cue, End: max(sp.End, seg.start)})
		}
	}
	var target *field
	if asked && c.st.Asking != "" && !got[c.st.Asking] {
		target = s.field(c.st.Asking)
	}
	// 2. The asked field, typed.
	var problem string
	if target != nil && !target.freeText() {
		if v, sp, p := c.parse(target, mask(text, claimed), now); p == "" {
			set(target, v, sp)
		} else {
			problem = p
		}
	}
	// 3. Unmistakable values of other fields.
	for _, f := range s.fields {
		if _, ok := c.st.Slots[f.Name]; ok || f == target || !f.unmistakable() {
			continue
		}
		if v, sp, p := c.parse(f, mask(text, claimed), now); p == "" {
			set(f, v, sp)
		}
	}
	// 4. The asked field, free text: the rest of the answer.
	if target != nil && target.freeText() {
		if v, sp := c.e.freeText(mask(text, claimed), target); v != "" {
			set(target, v, sp)
		} else {
			problem = c.phrase("invalidString")
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
func (c *Call) change(s *service, at time.Time, text string) []Action {
	now := at.In(c.e.loc)
	fields := slices.Clone(s.fields)
	slices.SortStableFunc(fields, func(a, b *field) int { return specificity(a) - specificity(b) })
	for _, f := range fields {
		if f.freeText() || f.typ == configs.TypeBoolean {
			continue
		}
		if v, _, p := c.parse(f, text, now); p == "" {
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
		return len(f.Enum) > 0
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
		n, ok := extract.Number(text, lang)
		if !ok {
			return "", extract.Span{}, c.phrase("invalidNumber")
		}
		if f.typ == configs.TypeInteger && n.Value != math.Trunc(n.Value) {
			return "", extract.Span{}, c.phrase("invalidInteger")
		}
		return c.checkEnum(f, strconv.FormatFloat(n.Value, 'f', -1, 64), n.Span)
	case configs.TypeBoolean:
		switch a, _ := extract.YesNo(text, lang); a {
		case extract.Yes:
			return "true", wholeSpan(text), ""
		case extract.No:
			return "false", wholeSpan(text), ""
		}
		return "", extract.Span{}, c.phrase("invalidBoolean")
	case configs.TypeDate:
		d, err := extract.FindDate(text, lang, now)
		if err != nil {
			return "", extract.Span{}, c.dateProblem(err, "invalidDate")
		}
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day), d.Span, ""
	case configs.TypeTime:
		t, err := extract.FindTime(text, lang, now)
		if err != nil {
			return "", extract.Span{}, c.phrase("invalidTime")
		}
		return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute), t.Span, ""
	case configs.TypeDateTime:
		d, derr := extract.FindDate(text, lang, now)
		t, terr := extract.FindTime(text, lang, now)
		if derr != nil || terr != nil {
			return "", extract.Span{}, c.dateProblem(derr, "invalidDateTime")
		}
		sp := extract.Span{Start: min(d.Span.Start, t.Span.Start), End: max(d.Span.End, t.Span.End)}
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d", d.Year, d.Month, d.Day, t.Hour, t.Minute), sp, ""
	case configs.TypeEmail:
		e, sp, ok := extract.Email(text, lang)
		if !ok {
			return "", extract.Span{}, c.phrase("invalidEmail")
		}
		return e, sp, ""
	case configs.TypePhone:
		d, sp, ok := extract.Digits(text, lang)
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
	if v == "" {
		return "", extract.Span{}, c.phrase("invalidString")
	}
	return v, sp, ""
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
// and case aside), or the whole answer within two typos of one.
func (c *Call) option(f *field, text string) (string, extract.Span, string) {
	ft := foldText(text)
	best, bestAt := -1, len(ft.s)+1
	for i, opt := range f.Enum {
		o := extract.Fold(opt)
		if at := wordIndex(ft.s, o); at >= 0 && at < bestAt {
			best, bestAt = i, at
		}
	}
	if best >= 0 {
		o := extract.Fold(f.Enum[best])
		return f.Enum[best], ft.span(bestAt, bestAt+len(o)), ""
	}
	answer := strings.Join(strings.FieldsFunc(ft.s, isSeparator), " ")
	if hint := suggest.DidYouMean(answer, f.Enum); hint != "" && len(answer) >= 4 {
		for _, opt := range f.Enum {
			if strings.Contains(hint, strconv.Quote(opt)) {
				return opt, wholeSpan(text), ""
			}
		}
	}
	return "", extract.Span{}, c.phrase("invalidOption", "options", joinList(f.Enum, c.or()))
}

var codeToken = regexp.MustCompile(`[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)*`)

// code reads an identifier the caller reads out: a token with digits
// ("A-1001", "48213"), a letter and a number said apart ("A 1001"), or
// digits spoken one by one; the first that matches the field's pattern.
func (c *Call) code(f *field, text string) (string, extract.Span, string) {
	type cand struct {
		v  string
		sp extract.Span
	}
	var cands []cand
	locs := codeToken.FindAllStringIndex(text, -1)
	for i, l := range locs {
		tok := text[l[0]:l[1]]
		if strings.ContainsAny(tok, "0123456789") {
			cands = append(cands, cand{tok, extract.Span{Start: l[0], End: l[1]}})
		}
		if i+1 < len(locs) && len(tok) <= 2 && isLetters(tok) {
			next := text[locs[i+1][0]:locs[i+1][1]]
			if isDigits(next) {
				sp := extract.Span{Start: l[0], End: locs[i+1][1]}
				cands = append(cands, cand{tok + next, sp}, cand{tok + "-" + next, sp})
			}
		}
	}
	if d, sp, ok := extract.Digits(text, c.e.lang); ok {
		cands = append(cands, cand{d, sp})
	}
	for _, cd := range cands {
		for _, v := range []string{cd.v, strings.ToUpper(cd.v)} {
			if f.pattern == nil || f.pattern.MatchString(v) {
				return v, cd.sp, ""
			}
		}
	}
	if f.pattern == nil {
		if v, sp := c.e.freeText(text, f); v != "" {
			return v, sp, ""
		}
		return "", extract.Span{}, c.phrase("invalidString")
	}
	return "", extract.Span{}, c.phrase("invalidFormat")
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
		if b := clauseEnd(ft.s, h.end); b < end {
			end = b
		}
		valueStart := h.end
		if h.f.freeText() {
			lead := labelLead(ft.s[h.end:end])
			if lead < 0 {
				continue
			}
			valueStart += lead
		}
		cue := h.start
		for _, det := range []string{"mi ", "my ", "el ", "la ", "the ", "tu ", "your ", "su "} {
			if cue >= len(det) && ft.s[cue-len(det):cue] == det {
				cue -= len(det)
				break
			}
		}
		segs = append(segs, segment{f: h.f, cue: ft.orig(cue), start: ft.orig(valueStart), end: ft.orig(end)})
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

// freeText is an answer to a free-text field without the lead-in ("me llamo",
// "my name is…"), the fillers around it and edge punctuation, with where it
// is in text.
func (e *Engine) freeText(text string, f *field) (string, extract.Span) {
	ft := foldText(text)
	s := ft.s
	start, end := 0, len(s)
	trim := func() {
		for start < end && (isSeparator(rune(s[start])) || s[start] == '-') {
			start++
		}
		for end > start && (isSeparator(rune(s[end-1])) || s[end-1] == '-') {
			end--
		}
	}
	trim()
	leads := leadInsEN
	if e.lang == "es" {
		leads = leadInsES
	}
	for changed := true; changed; {
		changed = false
		trim()
		for _, l := range append(leads, labelLeadsFor(f)...) {
			if strings.HasPrefix(s[start:end]+" ", l+" ") {
				start += len(l)
				changed = true
				break
			}
		}
		for _, t := range trailers {
			if strings.HasSuffix(" "+s[start:end], " "+t) {
				end -= len(t)
				changed = true
				break
			}
		}
	}
	trim()
	if start >= end {
		return "", extract.Span{}
	}
	sp := ft.span(start, end)
	return strings.TrimSpace(text[sp.Start:sp.End]), sp
}

// labelLeadsFor are "mi correo es", "the problem is"... for the field's cues.
func labelLeadsFor(f *field) []string {
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

var leadInsES = []string{"me llamo", "mi nombre completo es", "mi nombre es", "el nombre es", "a nombre de", "se llama",
	"soy", "es", "seria", "pues", "bueno", "este", "eh", "mmm", "claro", "si", "ok", "vale", "no"}
var leadInsEN = []string{"my full name is", "my name is", "the name is", "call me", "i'm", "i am", "it's", "it is",
	"this is", "that's", "that is", "well", "um", "uh", "so", "sure", "yes", "ok", "okay", "no"}
var trailers = []string{"por favor", "gracias", "please", "thanks", "thank you", "y", "and", "e"}

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

// Control phrases, folded, said on their own.
var (
	repeatWords = map[string][]string{
		"es": {"repite", "repitelo", "repita", "repitemelo", "como", "como dice", "como dices", "perdon", "que", "que dijiste",
			"no te entendi", "no entendi", "otra vez", "puedes repetir", "podrias repetir", "me lo repites", "de nuevo", "mande"},
		"en": {"repeat", "repeat that", "say that again", "what", "pardon", "pardon me", "sorry", "come again", "what did you say",
			"i didn't catch that", "again", "can you repeat", "can you repeat that", "could you repeat that"},
	}
	cancelWords = map[string][]string{
		"es": {"cancelar", "cancela", "cancelalo", "cancela eso", "cancelar eso", "olvidalo", "olvida eso", "dejalo", "ya no",
			"ya no quiero", "no importa", "mejor no", "anula", "anulalo", "detente", "para"},
		"en": {"cancel", "cancel that", "cancel it", "never mind", "nevermind", "forget it", "forget about it", "stop", "skip it", "scratch that"},
	}
	goodbyeWords = map[string][]string{
		"es": {"adios", "chao", "chau", "hasta luego", "eso es todo", "nada mas", "no gracias", "nada", "ya esta", "es todo",
			"gracias adios", "muchas gracias adios", "no", "no nada mas", "no eso es todo", "eso seria todo"},
		"en": {"bye", "goodbye", "bye bye", "that's all", "thats all", "that is all", "nothing else", "no thanks", "no thank you",
			"nothing", "i'm done", "we're done", "no", "no that's all", "that's it"},
	}
	fillers = []string{"eh", "bueno", "pues", "mmm", "um", "uh", "oh", "ok", "okay", "vale", "well", "so", "ah", "please", "por favor"}
)

// isControl reports whether the whole utterance is one of the phrases.
func isControl(text, lang string, phrases map[string][]string) bool {
	words := strings.FieldsFunc(extract.Fold(text), func(r rune) bool { return isSeparator(r) && r != '\'' })
	for len(words) > 1 && slices.Contains(fillers, words[0]) {
		words = words[1:]
	}
	for len(words) > 1 && slices.Contains(fillers, words[len(words)-1]) {
		words = words[:len(words)-1]
	}
	for len(words) > 2 && words[len(words)-2]+" "+words[len(words)-1] == "por favor" {
		words = words[:len(words)-2]
	}
	return slices.Contains(phrases[lang], strings.Join(words, " "))
}

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
		before := i == 0 || !isWordByte(s[i-1])
		after := i+len(word) == len(s) || !isWordByte(s[i+len(word)])
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

package session

import (
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/transcript"
)

// Personal data. A session knows which of its agent's fields are
// personal (configs.Field.IsPII), every value of them the call has held,
// and which caller turns gave or answered one, so that whatever shows or
// keeps the call can mask them: the call layer's events, and redacted
// transcripts.
//
// A turn's words are private when the dialog was asking for a personal
// field, when a personal field was set or changed by the turn (the
// dialog's state and the services it asks for, before and after), or
// when the model read a personal value in it. The words are then
// withheld whole: the dialog reads values from speech ("ana arroba gmail
// punto com", digits said one by one, spelled letters) through spans it
// does not keep, so the value's place in the words cannot be told
// reliably. Every other text (what the agent says, requests, responses,
// the words of other turns) has each value masked where it appears as
// collected, as the agent reads it back (dates in words), as digits
// only, and URL-escaped.

// privacy is a call's personal data.
type privacy struct {
	eng    *dialog.Engine
	fields map[string]bool   // the agent's personal fields, by name
	seen   map[string]bool   // values already masked, by field+"\x00"+value
	masks  map[string]string // what replaces each form of a value, by the form lowercased
	forms  []string          // the keys of masks, longest first
	stale  bool              // masks has keys forms lacks
	// turns says, per turn of the transcript, whether its words or keys
	// were private; private is the same for the event being handled.
	turns   []bool
	private bool
}

func newPrivacy(a *Agent, from string) *privacy {
	p := &privacy{eng: a.Engine, seen: map[string]bool{}, masks: map[string]string{}}
	for _, svc := range a.Catalog.Agent.AllServices() {
		for i := range svc.RequiredFields {
			if f := &svc.RequiredFields[i]; f.IsPII() {
				if p.fields == nil {
					p.fields = map[string]bool{}
				}
				p.fields[f.Name] = true
			}
		}
	}
	p.add("", from) // the caller's number is a phone number
	return p
}

// watches reports whether ev may carry personal data the dialog reads.
func (p *privacy) watches(ev dialog.Event) bool {
	if len(p.fields) == 0 {
		return false
	}
	switch ev.(type) {
	case dialog.Utterance, dialog.DTMF:
		return true
	}
	return false
}

// gave reports whether the caller's input ev gave or answered a personal
// field: the state before, after the dialog's step, and the actions of
// the step tell.
func (p *privacy) gave(ev dialog.Event, before, after dialog.State, actions []dialog.Action) bool {
	private := before.Phase == dialog.PhaseCollecting && p.fields[before.Asking]
	if u, ok := ev.(dialog.Utterance); ok && u.Reading != nil {
		for k, v := range u.Reading.Values {
			if p.fields[k] && v != "" {
				private = true
			}
		}
	}
	changed := func(now, was map[string]string) {
		for k, v := range now {
			if p.fields[k] && v != "" && v != was[k] {
				private = true
			}
		}
	}
	changed(after.Slots, before.Slots)
	changed(after.Partial, before.Partial)
	for _, a := range actions {
		switch a := a.(type) {
		case dialog.Execute:
			changed(a.Fields, before.Slots)
		case dialog.Confirm:
			changed(a.Values, before.Slots)
		}
	}
	return private
}

// saw notes the personal values of a state, the actions that led to it
// and the reading of the turn, so that they are masked from now on.
func (p *privacy) saw(ev dialog.Event, st dialog.State, actions []dialog.Action) {
	if len(p.fields) == 0 {
		return
	}
	values := func(m map[string]string) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if p.fields[k] {
				p.add(k, m[k])
			}
		}
	}
	values(st.Slots)
	for _, k := range slices.Sorted(maps.Keys(st.Partial)) {
		if p.fields[k] {
			_, v, _ := strings.Cut(st.Partial[k], ":") // "date:2024-01-11"
			p.add(k, v)
		}
	}
	if st.Readback != nil {
		values(st.Readback.Values)
	}
	if st.Last != nil {
		values(st.Last.Fields)
	}
	for _, a := range actions {
		switch a := a.(type) {
		case dialog.Execute:
			values(a.Fields)
		case dialog.Confirm:
			values(a.Values)
		}
	}
	if u, ok := ev.(dialog.Utterance); ok && u.Reading != nil {
		values(u.Reading.Values)
	}
}

// minForm is the shortest form looked for in text: shorter values ("2",
// "no") would mask words that are not theirs.
const minForm = 3

// add masks v, a value of field ("" for the caller's number), from now
// on.
func (p *privacy) add(field, v string) {
	v = strings.TrimSpace(v)
	key := field + "\x00" + v
	if v == "" || p.seen[key] {
		return
	}
	p.seen[key] = true
	mask := configs.Mask(v)
	forms := []string{v}
	if field != "" && p.eng != nil {
		forms = append(forms, p.eng.Spoken(field, v))
	}
	if d := digitsOf(v); len(d) >= 4 && d != v {
		forms = append(forms, d)
	}
	added := false
	put := func(form, by string) {
		k := strings.ToLower(form)
		if _, ok := p.masks[k]; ok || utf8.RuneCountInString(form) < minForm {
			return
		}
		p.masks[k] = by
		added = true
	}
	for _, f := range forms {
		put(f, mask)
		put(url.QueryEscape(f), url.QueryEscape(mask))
		put(url.PathEscape(f), url.PathEscape(mask))
	}
	p.stale = p.stale || added
}

// sorted lists the forms of masks, longest first, when a value was added
// since.
func (p *privacy) sorted() {
	if !p.stale {
		return
	}
	p.stale = false
	p.forms = slices.Collect(maps.Keys(p.masks))
	slices.SortFunc(p.forms, func(a, b string) int {
		if d := len(b) - len(a); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// text masks every personal value of the call in s where it stands as a
// word of its own.
func (p *privacy) text(s string) string { return p.replace(s, false) }

// url masks the personal values in a URL, the masks escaped as the part
// of the URL they stand in needs.
func (p *privacy) url(s string) string { return p.replace(s, true) }

func (p *privacy) replace(s string, inURL bool) string {
	if len(p.masks) == 0 || s == "" {
		return s
	}
	p.sorted()
	// Forms are compared without case, longest first; a place taken by one
	// is not looked at again.
	lower := strings.ToLower(s)
	var at []int // lower's offsets in s, when lowering changed a length
	if len(lower) != len(s) {
		for i, r := range s {
			for range utf8.RuneLen(unicode.ToLower(r)) {
				at = append(at, i)
			}
		}
		at = append(at, len(s))
	}
	orig := func(i int) int {
		if at == nil {
			return i
		}
		return at[i]
	}
	type span struct {
		i, j int
		by   string
	}
	var found []span
	for _, form := range p.forms {
		for from := 0; ; {
			k := strings.Index(lower[from:], form)
			if k < 0 {
				break
			}
			i, j := orig(from+k), orig(from+k+len(form))
			from += k + len(form)
			if !edge(s, i, j) || slices.ContainsFunc(found, func(o span) bool { return i < o.j && o.i < j }) {
				continue
			}
			found = append(found, span{i, j, p.masks[form]})
		}
	}
	if found == nil {
		return s
	}
	slices.SortFunc(found, func(a, b span) int { return a.i - b.i })
	var b strings.Builder
	last := 0
	q := strings.IndexByte(s, '?')
	for _, m := range found {
		by := m.by
		if inURL && strings.Contains(by, configs.Bullets) {
			if q >= 0 && m.i > q {
				by = url.QueryEscape(by)
			} else {
				by = url.PathEscape(by)
			}
		}
		b.WriteString(s[last:m.i])
		b.WriteString(by)
		last = m.j
	}
	b.WriteString(s[last:])
	return b.String()
}

// edge: s[i:j] is not part of a longer word or number.
func edge(s string, i, j int) bool {
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	if r, _ := utf8.DecodeLastRuneInString(s[:i]); i > 0 && word(r) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(s[j:]); j < len(s) && word(r) {
		return false
	}
	return true
}

// field masks a value of the named field: whole if the field is
// personal, else the personal values in it.
func (p *privacy) field(name, v string) string {
	if p.fields[name] {
		return configs.Mask(v)
	}
	return p.text(v)
}

func (p *privacy) values(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = p.field(k, v)
	}
	return out
}

// state is st with every personal value masked.
func (p *privacy) state(st dialog.State) dialog.State {
	st.Slots = p.values(st.Slots)
	if st.Partial != nil {
		partial := make(map[string]string, len(st.Partial))
		for k, v := range st.Partial {
			if kind, rest, ok := strings.Cut(v, ":"); ok && p.fields[k] {
				partial[k] = kind + ":" + configs.Mask(rest)
			} else {
				partial[k] = p.field(k, v)
			}
		}
		st.Partial = partial
	}
	if st.Readback != nil {
		rb := *st.Readback
		rb.Values = p.values(rb.Values)
		st.Readback = &rb
	}
	if st.Last != nil {
		last := *st.Last
		last.Fields = p.values(last.Fields)
		st.Last = &last
	}
	st.LastPrompt = p.text(st.LastPrompt)
	st.ChoiceText = p.text(st.ChoiceText)
	st.CallerNumber = p.text(st.CallerNumber)
	return st
}

// data masks the personal values in JSON or YAML data: strings, and
// numbers that are one.
func (p *privacy) data(v any) any {
	switch v := v.(type) {
	case string:
		return p.text(v)
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if m := p.text(s); m != s {
			return m
		}
	case int:
		s := strconv.Itoa(v)
		if m := p.text(s); m != s {
			return m
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = p.data(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = p.data(x)
		}
		return out
	}
	return v
}

// turn is a transcript's turn with its personal data masked, and the
// parts masked listed; withheld: its words or keys were private.
func (p *privacy) turn(t transcript.Turn, withheld bool) transcript.Turn {
	var parts []string
	mark := func(part string, changed bool) {
		if changed && !slices.Contains(parts, part) {
			parts = append(parts, part)
		}
	}
	input := func(s *string, part string) {
		if *s == "" {
			return
		}
		was := *s
		if withheld {
			*s = transcript.Withheld
		} else {
			*s = p.text(*s)
		}
		mark(part, *s != was)
	}
	input(&t.Caller, transcript.PartCaller)
	input(&t.DTMF, transcript.PartDTMF)
	was := t.Agent
	t.Agent = p.text(t.Agent)
	mark(transcript.PartAgent, t.Agent != was)

	if len(t.Requests) > 0 {
		reqs := make([]transcript.Request, len(t.Requests))
		for i, r := range t.Requests {
			r.URL = p.url(r.URL)
			r.Body = p.data(r.Body)
			if r.Response != nil {
				resp := *r.Response
				resp.Body = p.data(resp.Body)
				r.Response = &resp
			}
			reqs[i] = r
		}
		mark(transcript.PartRequests, !same(reqs, t.Requests))
		t.Requests = reqs
	}
	if t.Model != nil {
		m := *t.Model
		m.Values = p.values(m.Values)
		m.Answer = p.text(m.Answer)
		mark(transcript.PartModel, !same(m, *t.Model))
		t.Model = &m
	}
	if t.Expect != nil {
		e := *t.Expect
		if e.Slots != nil {
			e.Slots = make(map[string]any, len(t.Expect.Slots))
			for k, v := range t.Expect.Slots {
				if s, ok := v.(string); ok && p.fields[k] {
					e.Slots[k] = configs.Mask(s)
				} else {
					e.Slots[k] = p.data(v)
				}
			}
		}
		e.Says, e.SaysNot = p.text(e.Says), p.text(e.SaysNot)
		if e.Request != nil {
			r := *e.Request
			r.URL = p.url(r.URL)
			if r.Query != nil {
				r.Query, _ = p.data(r.Query).(map[string]any)
			}
			r.Body = p.data(r.Body)
			e.Request = &r
		}
		mark(transcript.PartExpect, !same(e, *t.Expect))
		t.Expect = &e
	}
	t.Redacted = parts
	return t
}

func same(a, b any) bool { return reflect.DeepEqual(a, b) }

// PII reports whether the agent's field of that name holds personal data
// (configs.Field.IsPII, in any of its services).
func (s *Session) PII(field string) bool { return s.priv.fields[field] }

// Private reports whether the caller's words or keys of the event being
// handled, or last handled, gave or answered a personal field, so that
// whatever shows them must withhold them: true from the dialog's step on
// (when the turn's services run) until the next event.
func (s *Session) Private() bool { return s.priv.private }

// Mask masks, in text, every personal value the call has held, and the
// caller's number (configs.Mask).
func (s *Session) Mask(text string) string { return s.priv.text(text) }

// MaskField is a value of the named field as it may be shown: masked
// whole if the field is personal, else with any personal value in it
// masked.
func (s *Session) MaskField(field, value string) string { return s.priv.field(field, value) }

// MaskState is st with every personal value masked: those of personal
// fields whole, and any in the other values and texts.
func (s *Session) MaskState(st dialog.State) dialog.State { return s.priv.state(st) }

// Redacted returns the call so far as a redacted transcript: marked
// redacted, the caller's number masked, the words or keys of each
// private turn withheld, and every personal value masked wherever else it
// appears; each turn lists what of it was masked.
func (s *Session) Redacted() *transcript.Transcript {
	t := s.Transcript()
	t.Redacted = true
	t.From = configs.Mask(t.From)
	for i := range t.Turns {
		t.Turns[i] = s.priv.turn(t.Turns[i], i < len(s.priv.turns) && s.priv.turns[i])
	}
	return t
}

// Masker returns the call's masking as it stands, frozen: safe to use
// from another goroutine while the session goes on (live views of the
// call mask the caller's words as they are recognised with it).
func (s *Session) Masker() func(string) string {
	p := s.priv
	if len(p.masks) == 0 {
		return func(t string) string { return t }
	}
	p.sorted()
	frozen := &privacy{masks: maps.Clone(p.masks), forms: slices.Clone(p.forms)}
	return frozen.text
}

// AskingPrivate says whether the agent is asking for a personal field: the
// caller's next words are then theirs alone.
func (s *Session) AskingPrivate() bool {
	st := s.call.State()
	return st.Phase == dialog.PhaseCollecting && s.priv.fields[st.Asking]
}

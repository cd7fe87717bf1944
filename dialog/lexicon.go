package dialog

import (
	"embed"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog/extract"
)

// The lexicon is how callers say what they do (dialog acts: a hold, a
// refusal, thanks…) and what they want done (the verbs of requests), as
// data: a file per language in lexicon/, which an agent's `lexicon:`
// extends. Phrases compile into an index over folded words, matched
// longest first.

//go:embed lexicon/es.yaml lexicon/en.yaml
var lexiconFiles embed.FS

// act is what an utterance does, besides giving values.
type act uint8

const (
	actNone act = iota
	actAffirm
	actDeny
	actHold
	actRepeat
	actCancel
	actFarewell
	actGoodbye
	actThanks
	actGreeting
	actSmallTalk
	actHuman
	actFiller
	numActs
)

var actNames = [numActs]string{"", "affirm", "deny", "hold", "repeat", "cancel", "farewell", "goodbye", "thanks", "greeting",
	"smalltalk", "human", "filler"}

func (a act) String() string { return actNames[a] }

// verb is a kind of request: what a service does.
type verb uint8

const (
	verbNone verb = iota
	verbBook
	verbCancel
	verbChange
	verbCheck
	verbAvailability
	verbReport
	verbSymptom // what is wrong; it also asks for a report
	verbRefund
	verbPay
	verbBuy
	verbSend
	verbLost
	verbBlock
	verbRequest
	verbContact
	verbQuote
	verbPause
	verbOpen
	verbSubmit
	verbCollect
	verbRepair
	verbUrgent
	numVerbs
)

// verbSet is a set of verbs.
type verbSet uint32

func (s verbSet) has(v verb) bool       { return s&(1<<v) != 0 }
func (s *verbSet) add(v verb)           { *s |= 1 << v }
func (s verbSet) and(o verbSet) verbSet { return s & o }

// elem is one element of a phrase: a word, a word prefix ("reserv*"), the
// rest of the clause ("..."), or a number said in digits or words ("#").
type elem struct {
	word   string
	prefix bool
	rest   bool
	number bool
}

// pattern is one expansion of a phrase, tagged with its act or verb.
type pattern struct {
	seq int32 // the order it was added in
	tag uint8
	// weak: the phrase counts only when the utterance holds nothing else.
	weak bool
}

// phraseIndex finds the longest pattern at a word: the patterns (each
// expansion of a phrase) share a trie of their words, so a turn is matched
// in one walk whatever the size of the lexicon. The trie holds no
// pointers — nodes, edges and patterns are numbers in flat tables — so the
// built-in lexicons' hundred thousand expansions cost the garbage
// collector nothing to scan.
type phraseIndex struct {
	nodes []trieNode // nodes[0] is the root
	// edges are the word edges: (node, word number) → child node.
	edges map[edgeKey]int32
	// words numbers the words and prefixes of edges; text is their text.
	words map[string]int32
	text  []string
	// prefixes and ends are linked lists, headed in trieNode; entry 0 is
	// unused, so 0 ends a list.
	prefixes []prefixEdge
	ends     []patternEnd
	// clitics: a word may carry Spanish object pronouns ("cámbiala",
	// "confírmamela" match "cambia", "confirma").
	clitics bool
}

// trieNode is a node of a phraseIndex; its fields are indexes, 0 for none
// (the root is never a child, and entry 0 of each list is unused).
type trieNode struct {
	number   int32 // "#"
	rest     int32 // "...": the phrase ends with the rest of the clause
	prefixes int32 // "word*": the first of a list in phraseIndex.prefixes
	ends     int32 // patterns that end here: the first in phraseIndex.ends
	hasWords bool
}

type edgeKey struct{ node, word int32 }

type prefixEdge struct{ word, node, next int32 }

type patternEnd struct {
	p    pattern
	next int32
}

// maxRest is how many words "..." takes at most.
const maxRest = 6

// maxExpansions bounds the patterns one phrase expands to.
const maxExpansions = 4096

func (ix *phraseIndex) init() {
	if ix.nodes == nil {
		ix.nodes = []trieNode{{}}
		ix.edges = map[edgeKey]int32{}
		ix.words = map[string]int32{}
		ix.text = []string{""}
		ix.prefixes = []prefixEdge{{}}
		ix.ends = []patternEnd{{}}
	}
}

func (ix *phraseIndex) word(w string) int32 {
	id, ok := ix.words[w]
	if !ok {
		id = int32(len(ix.text))
		ix.words[w] = id
		ix.text = append(ix.text, w)
	}
	return id
}

func (ix *phraseIndex) newNode() int32 {
	ix.nodes = append(ix.nodes, trieNode{})
	return int32(len(ix.nodes) - 1)
}

func (ix *phraseIndex) add(elems []elem, tag uint8, weak bool) {
	ix.init()
	n := int32(0)
	for _, e := range elems {
		switch {
		case e.rest:
			if ix.nodes[n].rest == 0 {
				c := ix.newNode()
				ix.nodes[n].rest = c
			}
			n = ix.nodes[n].rest
		case e.number:
			if ix.nodes[n].number == 0 {
				c := ix.newNode()
				ix.nodes[n].number = c
			}
			n = ix.nodes[n].number
		case e.prefix:
			w := ix.word(e.word)
			next := int32(0)
			for pe := ix.nodes[n].prefixes; pe != 0; pe = ix.prefixes[pe].next {
				if ix.prefixes[pe].word == w {
					next = ix.prefixes[pe].node
				}
			}
			if next == 0 {
				next = ix.newNode()
				ix.prefixes = append(ix.prefixes, prefixEdge{word: w, node: next, next: ix.nodes[n].prefixes})
				ix.nodes[n].prefixes = int32(len(ix.prefixes) - 1)
			}
			n = next
		default:
			k := edgeKey{n, ix.word(e.word)}
			next := ix.edges[k]
			if next == 0 {
				next = ix.newNode()
				ix.edges[k] = next
				ix.nodes[n].hasWords = true
			}
			n = next
		}
	}
	ix.ends = append(ix.ends, patternEnd{p: pattern{seq: int32(len(ix.ends)), tag: tag, weak: weak}, next: ix.nodes[n].ends})
	ix.nodes[n].ends = int32(len(ix.ends) - 1)
}

// longest returns the length in words of the longest pattern that starts
// at word i, and that pattern; 0 when none does. Between patterns of the
// same length a strong one wins over a weak one, then the lower rank (nil:
// the first added).
func (ix *phraseIndex) longest(ws []hword, i int, rank func(uint8) int) (int, pattern) {
	if ix.nodes == nil {
		return 0, pattern{}
	}
	m := matcher{ix: ix, ws: ws, i: i, rank: rank}
	m.walk(0, i, false)
	return m.best, m.bestP
}

type matcher struct {
	ix    *phraseIndex
	ws    []hword
	i     int
	rank  func(uint8) int
	best  int
	bestP pattern
}

// offer takes the patterns ending at node n after word k as candidates;
// a weak phrase takes its words as written, so one reached through a
// word with a pronoun joined to it is not ("¿mande?" asks to repeat,
// "mándelo" does not).
func (m *matcher) offer(n int32, k int, clitic bool) {
	for e := m.ix.nodes[n].ends; e != 0; e = m.ix.ends[e].next {
		p := m.ix.ends[e].p
		if clitic && p.weak {
			continue
		}
		l := k - m.i
		if l > m.best || l == m.best && l > 0 && m.better(p) {
			m.best, m.bestP = l, p
		}
	}
}

func (m *matcher) better(p pattern) bool {
	b := m.bestP
	if b.weak != p.weak {
		return !p.weak
	}
	if m.rank != nil && m.rank(p.tag) != m.rank(b.tag) {
		return m.rank(p.tag) < m.rank(b.tag)
	}
	return p.seq < b.seq
}

// child is the node a word leads to from node n, 0 for none.
func (ix *phraseIndex) child(n int32, w string) int32 {
	id, ok := ix.words[w]
	if !ok {
		return 0
	}
	return ix.edges[edgeKey{n, id}]
}

// walk follows the trie from node n at word k; clitic: a word on the way
// was read without its joined pronoun.
func (m *matcher) walk(n int32, k int, clitic bool) {
	ws, ix := m.ws, m.ix
	node := ix.nodes[n]
	if k > m.i {
		m.offer(n, k, clitic)
	}
	if node.rest != 0 {
		e, c := k, 0
		for e < len(ws) && c < maxRest && ws[e].clause == ws[m.i].clause {
			e++
			c++
		}
		if e > m.i {
			m.offer(node.rest, e, clitic)
		}
	}
	if node.number != 0 {
		if end := numberAt(ws, k); end > k {
			m.walk(node.number, end, clitic)
		}
	}
	if k >= len(ws) || ws[k].sentence != ws[m.i].sentence {
		return
	}
	w := ws[k].v
	if node.hasWords {
		if next := ix.child(n, w); next != 0 {
			m.walk(next, k+1, clitic)
		}
		if ix.clitics {
			for _, c := range clitics {
				if base, ok := strings.CutSuffix(w, c); ok && len(base) >= 4 {
					if next := ix.child(n, base); next != 0 {
						m.walk(next, k+1, true)
					}
				}
			}
		}
	}
	for pe := node.prefixes; pe != 0; pe = ix.prefixes[pe].next {
		if strings.HasPrefix(w, ix.text[ix.prefixes[pe].word]) {
			m.walk(ix.prefixes[pe].node, k+1, clitic)
		}
	}
}

// lexicon is one language's phrases, compiled.
type lexicon struct {
	acts  phraseIndex
	verbs phraseIndex
	// objects maps a noun, folded, to the first of its group: callers'
	// words and services' words meet there.
	objects map[string]string
	// members are each group's words, by the group's first.
	members map[string][]string
	// objectStems are the stems of the objects' nouns.
	objectStems map[string]bool
}

// actLists and verbLists name the lists of configs.Lexicon.
var (
	actLists = []struct {
		act  act
		list func(*configs.Lexicon) []string
	}{
		{actAffirm, func(l *configs.Lexicon) []string { return l.Affirm }},
		{actDeny, func(l *configs.Lexicon) []string { return l.Deny }},
		{actHold, func(l *configs.Lexicon) []string { return l.Hold }},
		{actRepeat, func(l *configs.Lexicon) []string { return l.Repeat }},
		{actCancel, func(l *configs.Lexicon) []string { return l.Cancel }},
		{actFarewell, func(l *configs.Lexicon) []string { return l.Farewell }},
		{actGoodbye, func(l *configs.Lexicon) []string { return l.Goodbye }},
		{actThanks, func(l *configs.Lexicon) []string { return l.Thanks }},
		{actGreeting, func(l *configs.Lexicon) []string { return l.Greeting }},
		{actSmallTalk, func(l *configs.Lexicon) []string { return l.SmallTalk }},
		{actHuman, func(l *configs.Lexicon) []string { return l.Human }},
		{actFiller, func(l *configs.Lexicon) []string { return l.Filler }},
	}
	// verbFields maps the fields of configs.Verbs, in order, to verbs.
	verbFields = []verb{verbBook, verbCancel, verbChange, verbCheck, verbAvailability, verbReport, verbSymptom, verbRefund,
		verbPay, verbBuy, verbSend, verbLost, verbBlock, verbRequest, verbContact, verbQuote, verbPause, verbOpen,
		verbSubmit, verbCollect, verbRepair, verbUrgent}
)

// builtinLexicons are the embedded lexicons, compiled once on first use.
var builtinLexicons = sync.OnceValues(func() (map[string]*configs.Lexicon, error) {
	out := map[string]*configs.Lexicon{}
	for _, lang := range []string{"es", "en"} {
		name := "lexicon/" + lang + ".yaml"
		data, err := lexiconFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		lex, err := configs.ParseLexicon(name, data)
		if err != nil {
			return nil, err
		}
		out[lang] = &lex
	}
	return out, nil
})

// compileLexicon builds the lexicon of a language: the built-in phrases and
// the agent's own (problems in those are reported under path).
func compileLexicon(lang string, own *configs.Lexicon, src *configs.Source) (*lexicon, configs.Problems) {
	if own == nil || reflect.ValueOf(*own).IsZero() {
		if lx := builtinCompiled(lang); lx != nil {
			return lx, nil // shared: a lexicon is never changed once compiled
		}
	}
	return buildLexicon(lang, own, src)
}

// builtinCompiled is the embedded lexicon of a language, compiled once.
func builtinCompiled(lang string) *lexicon {
	switch lang {
	case "es":
		return builtinES()
	case "en":
		return builtinEN()
	}
	return nil
}

var (
	builtinES = sync.OnceValue(func() *lexicon { lx, _ := buildLexicon("es", nil, nil); return lx })
	builtinEN = sync.OnceValue(func() *lexicon { lx, _ := buildLexicon("en", nil, nil); return lx })
)

// buildLexicon compiles the built-in lexicon of a language with an
// agent's own phrases.
func buildLexicon(lang string, own *configs.Lexicon, src *configs.Source) (*lexicon, configs.Problems) {
	var problems configs.Problems
	lx := &lexicon{}
	lx.acts.clitics, lx.verbs.clitics = lang == "es", lang == "es"
	builtins, err := builtinLexicons()
	if err != nil {
		return lx, configs.Problems{{File: "dialog/lexicon", Reason: err.Error()}}
	}
	addAll := func(l *configs.Lexicon, path string, report bool) {
		for _, al := range actLists {
			for i, phrase := range al.list(l) {
				if err := lx.acts.addPhrase(phrase, uint8(al.act)); err != nil && report {
					problems = append(problems, src.Problem(fmt.Sprintf("%s.%s[%d]", path, al.act.listName(), i), err.Error()))
				}
			}
		}
		vs := reflect.ValueOf(l.Verbs)
		for f, v := range verbFields {
			key := vs.Type().Field(f).Tag.Get("yaml")
			for i, phrase := range vs.Field(f).Interface().([]string) {
				if err := lx.verbs.addPhrase(phrase, uint8(v)); err != nil && report {
					problems = append(problems, src.Problem(fmt.Sprintf("%s.verbs.%s[%d]", path, key, i), err.Error()))
				}
			}
		}
	}
	addObjects := func(l *configs.Lexicon, path string, report bool) {
		for i, group := range l.Objects {
			if len(group) < 2 && report {
				problems = append(problems, src.Problem(fmt.Sprintf("%s.objects[%d]", path, i), "a group needs two words or more"))
			}
			first := ""
			for _, w := range group {
				f := lexWord(strings.TrimSpace(w))
				if f == "" || strings.Contains(f, " ") {
					if report {
						problems = append(problems, src.Problem(fmt.Sprintf("%s.objects[%d]", path, i), fmt.Sprintf("%q: one word each", w)))
					}
					continue
				}
				if first == "" {
					first = f
					if c, ok := lx.objects[f]; ok {
						first = c // the group joins one it shares a word with
					}
				}
				if lx.objects == nil {
					lx.objects, lx.members = map[string]string{}, map[string][]string{}
				}
				lx.objects[f] = first
				lx.members[first] = append(lx.members[first], f)
				if lx.objectStems == nil {
					lx.objectStems = map[string]bool{}
				}
				lx.objectStems[stem(f, lang)] = true
			}
		}
	}
	if b := builtins[lang]; b != nil {
		addAll(b, "", false) // TestBuiltinLexicons checks them
		addObjects(b, "", false)
	}
	if own != nil {
		addAll(own, "lexicon", true)
		addObjects(own, "lexicon", true)
	}
	return lx, problems
}

// listName is the key of the act's list in a lexicon file.
func (a act) listName() string {
	switch a {
	case actSmallTalk:
		return "smallTalk"
	}
	return a.String()
}

// addPhrase compiles a phrase and adds its expansions.
func (ix *phraseIndex) addPhrase(phrase string, tag uint8) error {
	weak := false
	if rest, ok := strings.CutPrefix(strings.TrimSpace(phrase), "~"); ok {
		weak, phrase = true, rest
	}
	seqs, err := parsePhrase(phrase)
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		if len(seq) == 0 {
			continue
		}
		if seq[0].rest || seq[0].number {
			return fmt.Errorf("phrase %q: \"...\" and \"#\" cannot start a phrase", phrase)
		}
		ix.add(seq, tag, weak)
	}
	return nil
}

// parsePhrase expands a phrase's alternatives into word sequences.
func parsePhrase(phrase string) ([][]elem, error) {
	p := &phraseParser{s: phrase}
	seqs, err := p.alts(0)
	if err == nil && p.i < len(p.s) {
		err = fmt.Errorf("unexpected %q", p.s[p.i])
	}
	if err != nil {
		return nil, fmt.Errorf("phrase %q: %v", phrase, err)
	}
	if len(seqs) == 0 || len(seqs) == 1 && len(seqs[0]) == 0 {
		return nil, fmt.Errorf("empty phrase")
	}
	return seqs, nil
}

type phraseParser struct {
	s     string
	i     int
	depth int
}

// alts reads sequences separated by "|" until a closing bracket or the end.
func (p *phraseParser) alts(depth int) ([][]elem, error) {
	var out [][]elem
	for {
		seqs, err := p.seq(depth)
		if err != nil {
			return nil, err
		}
		out = append(out, seqs...)
		if len(out) > maxExpansions {
			return nil, fmt.Errorf("more than %d ways to say it", maxExpansions)
		}
		if p.i < len(p.s) && p.s[p.i] == '|' {
			p.i++
			continue
		}
		return out, nil
	}
}

// seq reads items until "|", a closing bracket or the end, and returns
// every expansion.
func (p *phraseParser) seq(depth int) ([][]elem, error) {
	out := [][]elem{nil}
	for p.i < len(p.s) {
		c := p.s[p.i]
		var options [][]elem
		switch {
		case c == ' ' || c == '\t':
			p.i++
			continue
		case c == '|' || c == ')' || c == ']':
			if depth == 0 {
				return nil, fmt.Errorf("unbalanced %q", c)
			}
			return out, nil
		case c == '(' || c == '[':
			if depth >= 4 {
				return nil, fmt.Errorf("brackets nested too deep")
			}
			p.i++
			inner, err := p.alts(depth + 1)
			if err != nil {
				return nil, err
			}
			want := byte(')')
			if c == '[' {
				want = ']'
				inner = append(inner, nil)
			}
			if p.i >= len(p.s) || p.s[p.i] != want {
				return nil, fmt.Errorf("missing %q", want)
			}
			p.i++
			options = inner
		default:
			start := p.i
			for p.i < len(p.s) && !strings.ContainsRune(" \t|()[]", rune(p.s[p.i])) {
				p.i++
			}
			e, err := parseElem(p.s[start:p.i])
			if err != nil {
				return nil, err
			}
			if e.word == "" && !e.rest && !e.number {
				continue // a word that folds to nothing
			}
			options = [][]elem{{e}}
		}
		var next [][]elem
		for _, head := range out {
			for _, tail := range options {
				if len(head) > 0 && head[len(head)-1].rest {
					return nil, fmt.Errorf("\"...\" must end the phrase")
				}
				next = append(next, append(append([]elem(nil), head...), tail...))
			}
		}
		if len(next) > maxExpansions {
			return nil, fmt.Errorf("more than %d ways to say it", maxExpansions)
		}
		out = next
	}
	return out, nil
}

func parseElem(w string) (elem, error) {
	if w == "..." || w == "…" {
		return elem{rest: true}, nil
	}
	if w == "#" {
		return elem{number: true}, nil
	}
	prefix := strings.HasSuffix(w, "*")
	w = strings.TrimSuffix(w, "*")
	if strings.ContainsAny(w, "*.") {
		return elem{}, fmt.Errorf("%q: \"*\" ends a word, \"...\" stands alone", w)
	}
	folded := lexWord(w)
	if prefix && len(folded) < 3 {
		return elem{}, fmt.Errorf("%q: a prefix needs at least three letters", w)
	}
	return elem{word: folded, prefix: prefix}, nil
}

// clitics are the object pronouns Spanish joins to verbs, longest first.
var clitics = []string{"melos", "melas", "selos", "selas", "nosla", "noslo", "telo", "tela", "melo", "mela", "selo",
	"sela", "los", "las", "les", "nos", "me", "te", "se", "lo", "la", "le"}

func isClitic(s string) bool {
	for _, c := range clitics {
		if s == c {
			return true
		}
	}
	return false
}

// withoutClitic is a verb without the pronouns joined to it.
func withoutClitic(w string) (string, bool) {
	for _, c := range clitics {
		if len(w)-len(c) >= 4 && strings.HasSuffix(w, c) {
			return w[:len(w)-len(c)], true
		}
	}
	return "", false
}

// lexWord folds a word for the lexicon: lower case, no accents, no
// apostrophes ("that's" and "thats" are one word).
func lexWord(w string) string {
	return strings.ReplaceAll(extract.Fold(w), "'", "")
}

// englishLexicon is the built-in English lexicon, compiled once: intent
// names are read with it whatever the agent's language.
var englishLexicon = builtinEN // intent names are read with it too

// doneVerbs is what a service's reference says it does: its verbs, less
// those that describe its object — what it went through ("una cita que ya
// está reservada", "a refill that was already requested", "a file that is
// already open") or what it is based on ("a partir de una cotización").
func (lx *lexicon) doneVerbs(ref string) verbSet {
	ft := foldText(ref)
	if loc := basedOn.FindStringIndex(ft.s); loc != nil {
		ft.s = ft.s[:loc[0]]
	}
	ws := splitHeard(ft.s)
	tags := make([]act, len(ws))
	for i := range ws {
		for k := i - 1; k >= 0 && k >= i-2; k-- {
			if described[ws[k].v] {
				tags[i] = actFiller // skipped by verbsIn
			}
		}
	}
	vs, _ := lx.verbsIn(ws, tags)
	return vs
}

// described: words before a verb that make it a state of the object.
var described = wordSet("esta", "estaba", "estan", "fue", "sido", "ha", "han", "hecha", "was", "were", "been", "is",
	"are", "already", "ya", "hasnt", "havent", "has", "have", "had")

var basedOn = regexp.MustCompile(`\b(a partir de|con base en|en base a|based on|from an existing|from a previous)\b`)

// hearVerbs is the verbs of text by this lexicon alone.
func (lx *lexicon) hearVerbs(text string) verbSet {
	vs, _ := lx.verbsIn(splitHeard(foldText(text).s), nil)
	return vs
}

// numberAt returns where a number said at word k ends ("treinta y cinco",
// "35", "ciento veinte"), or k when none starts there.
func numberAt(ws []hword, k int) int {
	end := k
	for j := k; j < len(ws); j++ {
		w := ws[j].v
		if isNumberWord(w) || isDigits(w) {
			end = j + 1
			continue
		}
		if (w == "y" || w == "and") && j > k && j+1 < len(ws) && isNumberWord(ws[j+1].v) {
			continue
		}
		break
	}
	return end
}

// isObject reports whether a stem is one of an object group's nouns:
// "consulta" names the thing every request of a clinic is about.
func (lx *lexicon) isObject(st string) bool { return lx.objectStems[st] }

// withGroups is text with, after it, every word of the object groups its
// words belong to: "carro" brings "coche", "auto"… for reading options.
func (lx *lexicon) withGroups(text string) string {
	var b strings.Builder
	b.WriteString(text)
	for _, w := range splitHeard(foldText(text).s) {
		if g, ok := lx.objects[w.v]; ok {
			for _, m := range lx.members[g] {
				b.WriteString(" " + m)
			}
		}
	}
	return b.String()
}

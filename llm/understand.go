package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
)

// Control functions offered beside the services.
const (
	fnCancel  = "cancel_request"
	fnRepeat  = "repeat_question"
	fnCorrect = "correct_field"
	fnAnswer  = "answer_question"
	fnActs    = "caller_acts"
)

// Understand reads one caller utterance: one chat completion, streamed,
// within the model's budget, whose tool calls become a dialog.Reading. An
// error means the turn must be understood without the model.
//
// Tool calls naming functions or fields the agent does not have are
// dropped and logged (by name, never by value); values are passed on
// unvalidated, for the dialog validates them.
func (m *Model) Understand(ctx context.Context, q *dialog.Query) (*dialog.Reading, error) {
	st := Stats{Kind: "understand"}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Budget)
	defer cancel()
	ok, trial := m.breaker.allow(time.Now())
	if !ok {
		m.finish(ctx, &st, false, ErrBreakerOpen)
		return nil, ErrBreakerOpen
	}
	tb := m.boxes.get(q)
	req := openai.ChatCompletionRequest{
		Model:      m.cfg.Model,
		Messages:   messages(systemPrompt(q, tb), q.History, q.Text),
		Tools:      tb.tools,
		ToolChoice: "auto",
	}
	m.setTemperature(&req)
	ans, err := m.complete(ctx, req, &st, nil)
	var r *dialog.Reading
	if err == nil {
		r, err = m.read(q, tb, ans)
	}
	m.finish(ctx, &st, trial, err)
	return r, err
}

// messages are the system prompt, the exchanges the session kept and the
// caller's words.
func messages(system string, history []dialog.Exchange, text string) []openai.ChatCompletionMessage {
	msgs := []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleSystem, Content: system}}
	for _, ex := range history {
		if ex.Caller != "" {
			msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: ex.Caller})
		}
		if ex.Agent != "" {
			msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: ex.Agent})
		}
	}
	return append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: text})
}

// toolbox is the functions offered for one turn and what they stand for.
// It is shared by every turn of the agent with the same service in
// progress (toolboxes), so nothing changes it once built.
type toolbox struct {
	tools    []openai.Tool
	services map[string]*configs.Service // function name → service
	current  *configs.Service            // the request in progress, or nil
}

// buildTools makes a function of every enabled service (its fields as
// optional parameters, so partial answers come through) and the control
// functions.
func buildTools(q *dialog.Query) *toolbox {
	tb := &toolbox{services: map[string]*configs.Service{}}
	taken := map[string]bool{fnCancel: true, fnRepeat: true, fnCorrect: true, fnAnswer: true, fnActs: true}
	for _, s := range q.Agent.AllServices() {
		if s.Intent == q.State.Intent {
			tb.current = s
		}
		if !s.IsEnabled() {
			continue
		}
		name := functionName(s.Intent, taken)
		taken[name] = true
		tb.services[name] = s
		props := map[string]property{}
		for _, f := range s.RequiredFields {
			props[f.Name] = fieldSchema(f)
		}
		desc := s.Reference
		if len(s.Examples) > 0 {
			desc += " Callers say things like: " + strings.Join(s.Examples, "; ") + "."
		}
		tb.tools = append(tb.tools, function(name, strings.TrimSpace(desc), props))
	}
	tb.tools = append(tb.tools,
		function(fnActs, "What the caller does with these words; call it on every turn, beside any other function. "+
			"inform: gives values or asks for a service; affirm: says yes; deny: says no; hold: needs a moment "+
			"(\"wait, let me check\"); repeat: wants to hear the last thing again; cancel: drops or refuses the "+
			"request; switch: asks for another service instead; question: asks something no service answers; "+
			"smalltalk: greets, thanks or chats; goodbye: ends the call; human: asks for a person.", map[string]property{
			"acts": {Type: "array", Items: &property{Type: "string", Enum: dialog.Acts}},
		}),
		function(fnCancel, "The caller drops the request in progress and wants nothing more of it.", nil),
		function(fnRepeat, "The caller asks to hear the agent's last question again.", nil),
		function(fnAnswer, "The caller asks a question that no other function handles (opening hours, prices, "+
			"where the place is). Answer from the agent's instructions only, in one or two short sentences; when "+
			"they do not say, answer that you do not know.", map[string]property{
			"answer": {Type: "string", Description: "The answer, as the agent will say it."},
		}))
	if tb.current != nil && len(tb.current.RequiredFields) > 0 {
		var names []string
		for _, f := range tb.current.RequiredFields {
			names = append(names, f.Name)
		}
		tb.tools = append(tb.tools, function(fnCorrect, "The caller changes a value given before for the request in progress.",
			map[string]property{
				"field": {Type: "string", Enum: names},
				"value": {Type: "string", Description: "The new value."},
			}))
	}
	return tb
}

// functionName makes an intent a valid function name (letters, digits, _
// and -, at most 64), unique among taken.
func functionName(intent string, taken map[string]bool) string {
	b := []byte(intent)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	name := string(b[:min(len(b), 60)])
	if name == "" {
		name = "service"
	}
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s_%d", string(b[:min(len(b), 58)]), i)
	}
	return name
}

// object and property are the JSON schema of a function's parameters, as
// types: encoding/json writes them straight into a turn's request, where
// a schema given as JSON would be re-read and compacted.
type object struct {
	Type       string              `json:"type"`
	Properties map[string]property `json:"properties"`
}

type property struct {
	Type        string    `json:"type"`
	Description string    `json:"description,omitempty"`
	Enum        []string  `json:"enum,omitempty"`
	Items       *property `json:"items,omitempty"`
}

func function(name, desc string, props map[string]property) openai.Tool {
	if props == nil {
		props = map[string]property{}
	}
	return openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: name, Description: desc, Parameters: object{Type: "object", Properties: props},
	}}
}

// fieldSchema describes a field to the model: its type, what it is and
// the form values should take.
func fieldSchema(f configs.Field) property {
	desc := f.Description
	if desc == "" {
		desc = f.PromptHint
	}
	if desc == "" {
		desc = strings.ReplaceAll(f.Name, "_", " ")
	}
	p := property{Type: "string"}
	switch f.EffectiveType() {
	case configs.TypeNumber:
		p.Type = "number"
	case configs.TypeInteger:
		p.Type = "integer"
	case configs.TypeBoolean:
		p.Type = "boolean"
	case configs.TypeDate:
		desc += ". A date: yyyy-mm-dd, or the caller's words when unsure."
	case configs.TypeTime:
		desc += ". A time of day: HH:mm (24 h)."
	case configs.TypeDateTime:
		desc += ". A date and time: yyyy-mm-ddTHH:mm."
	case configs.TypeEmail:
		desc += ". An email address, written out (juan@example.com)."
	case configs.TypePhone:
		desc += ". A phone number, digits only."
	}
	p.Description = desc
	if len(f.Enum) > 0 {
		p.Type, p.Enum = "string", f.Enum
	}
	return p
}

var languageNames = map[string]string{"es": "Spanish", "en": "English"}

// systemPrompt is the agent's own prompt, how to use the functions, and
// where the call stands.
func systemPrompt(q *dialog.Query, tb *toolbox) string {
	a := q.Agent
	var b strings.Builder
	if p := strings.TrimSpace(a.Prompt); p != "" {
		b.WriteString(p)
		b.WriteString("\n\n")
	}
	lang := languageNames[a.Language]
	fmt.Fprintf(&b, `You are the understanding step of a phone agent that speaks %s. Read the caller's last words and answer only with function calls:
- %s with what the caller does, always;
- the function of the service the caller asks for, with only the values the caller actually gave; never guess or invent a value; leave out what was not said, and give "" for a field the caller's words might seem to fill but do not (a hesitation, a question, "I don't know");
- %s when the caller changes a value given before;
- %s or %s when that is all the caller wants;
- %s only for a question none of the services handles, answered in %s.
Write no other text. You cannot confirm or execute anything: the agent hears the caller's yes itself.
`, lang, fnActs, fnCorrect, fnCancel, fnRepeat, fnAnswer, lang)
	loc := q.Location
	if loc == nil {
		loc = time.UTC
		if l, err := time.LoadLocation(a.Timezone); err == nil {
			loc = l
		}
	}
	now := q.Now.In(loc)
	fmt.Fprintf(&b, "Now: %s %s %s (%s).\n", now.Weekday(), now.Format("2006-01-02"), now.Format("15:04"), a.Timezone)
	st := q.State
	switch {
	case tb.current != nil:
		fmt.Fprintf(&b, "Request in progress: %s (%s).\n", st.Intent, tb.current.Reference)
		if len(st.Slots) > 0 {
			b.WriteString("Collected so far:")
			for _, k := range slices.Sorted(maps.Keys(st.Slots)) {
				fmt.Fprintf(&b, " %s=%q", k, st.Slots[k])
			}
			b.WriteString(".\n")
		}
		if st.Asking != "" {
			fmt.Fprintf(&b, "The agent is asking for: %s.\n", st.Asking)
		}
		if st.Phase == dialog.PhaseConfirming {
			b.WriteString("The agent has read the request back and waits for a yes or a change.\n")
		}
	default:
		b.WriteString("No request in progress.\n")
	}
	if st.LastPrompt != "" {
		fmt.Fprintf(&b, "The agent's last words: %q\n", st.LastPrompt)
	}
	return b.String()
}

// read turns the model's answer into a Reading: the first service called
// (later calls of the same service add values), corrections, controls and
// an answer to a question (from answer_question, or the text of an answer
// with no function calls).
func (m *Model) read(q *dialog.Query, tb *toolbox, ans answer) (*dialog.Reading, error) {
	if ans.refusal != "" && len(ans.calls) == 0 {
		return nil, ErrRefused
	}
	r := &dialog.Reading{}
	var service *configs.Service
	var corrections map[string]string // of the request in progress
	used, malformed := 0, 0
	for _, c := range ans.calls {
		args, ok := decodeArgs(c.args)
		if !ok {
			malformed++
			m.log.Warn("llm: arguments are not a JSON object", "function", logName(c.name))
			continue
		}
		switch c.name {
		case fnActs:
			r.Acts = acts(args["acts"], r.Acts)
		case fnCancel:
			r.Cancel = true
		case fnRepeat:
			r.Repeat = true
		case fnAnswer:
			r.Answer = strings.TrimSpace(text(args["answer"], q.Agent.Language))
		case fnCorrect:
			field, value := text(args["field"], q.Agent.Language), text(args["value"], q.Agent.Language)
			if tb.current == nil || !hasField(tb.current, field) {
				m.log.Info("llm: correction of an unknown field ignored", "field", logName(field))
				continue
			}
			corrections = put(corrections, field, value)
		default:
			s, ok := tb.services[c.name]
			switch {
			case !ok:
				m.log.Info("llm: unknown function ignored", "function", logName(c.name))
				continue
			case service != nil && s != service:
				m.log.Info("llm: second service in one turn ignored", "function", logName(c.name))
				continue
			}
			service = s
			r.Intent = s.Intent
			for _, k := range slices.Sorted(maps.Keys(args)) {
				if !hasField(s, k) {
					m.log.Info("llm: unknown field ignored", "function", c.name, "field", logName(k))
					continue
				}
				if v := text(args[k], q.Agent.Language); v != "" {
					r.Values = put(r.Values, k, v)
				} else if args[k] == nil || args[k] == "" {
					r.Empty = append(r.Empty, k) // left empty on purpose
				}
			}
		}
		used++
	}
	// Corrections belong to the request in progress: kept unless the
	// caller asks for another service in the same breath.
	if len(corrections) > 0 && (service == nil || service == tb.current) {
		for k, v := range corrections {
			if _, ok := r.Values[k]; !ok || service == nil {
				r.Values = put(r.Values, k, v)
			}
		}
	} else if len(corrections) > 0 {
		m.log.Info("llm: corrections dropped: the caller asks for another service", "function", service.Intent)
	}
	if len(ans.calls) == 0 {
		r.Answer = strings.TrimSpace(ans.content)
	}
	switch {
	case used == 0 && malformed > 0:
		return nil, ErrMalformed
	case used == 0 && r.Answer == "":
		if len(ans.calls) > 0 {
			return nil, ErrMalformed // nothing but unknown functions
		}
		return nil, ErrEmpty
	}
	return r, nil
}

func put(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

func hasField(s *configs.Service, name string) bool {
	return slices.ContainsFunc(s.RequiredFields, func(f configs.Field) bool { return f.Name == name })
}

// decodeArgs parses a function's arguments: a JSON object ("" is {}).
func decodeArgs(s string) (map[string]any, bool) {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}, true
	}
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var args map[string]any
	if err := d.Decode(&args); err != nil || args == nil {
		return nil, false
	}
	return args, true
}

// text renders an argument as the dialog reads values: numbers as written,
// booleans as a yes or a no in the agent's language; objects and lists are
// not values.
func text(v any, lang string) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		switch {
		case !v:
			return "no"
		case lang == "es":
			return "sí"
		}
		return "yes"
	}
	return ""
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// logName is a name the model gave, fit for a log line: a name, or a
// placeholder when it could be anything (a model may put a caller's value
// where a name goes).
func logName(s string) string {
	if namePattern.MatchString(s) && !strings.Contains(s, "@") {
		return s
	}
	return "(not a name)"
}

// acts reads the caller_acts argument: the known act names, each once.
func acts(v any, have []string) []string {
	list, _ := v.([]any)
	for _, x := range list {
		if a, ok := x.(string); ok && slices.Contains(dialog.Acts, a) && !slices.Contains(have, a) {
			have = append(have, a)
		}
	}
	return have
}

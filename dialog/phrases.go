package dialog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/tools/expr"
)

// phrase is a fixed sentence of the engine and the variables it may use.
type phrase struct {
	es, en string
	vars   []string
}

// phrases are every fixed sentence, in both languages; an agent's
// `phrases:` overrides them by key (configs.PhraseKeys).
var phrases = map[string]phrase{
	"didNotUnderstand": {"Perdona, no te entendí.", "Sorry, I didn't catch that.", nil},
	"capabilities":     {"Puedo ayudarte a {{options}}. ¿Qué necesitas?", "I can help you {{options}}. What do you need?", []string{"options"}},
	"moreServices":     {"más", "more", nil}, // the last of the capabilities' options, after the first five
	"noServices":       {"Por ahora no puedo hacer gestiones por teléfono.", "I can't take any requests by phone right now.", nil},
	"unavailable":      {"Lo siento, eso no está disponible por ahora.", "Sorry, that isn't available right now.", nil},
	"whichService":     {"¿Quieres {{options}}?", "Would you like to {{options}}?", []string{"options"}},
	"askField":         {"¿Cuál es {{field}}?", "What is the {{field}}?", []string{"field"}},
	"invalidNumber":    {"No entendí un número.", "I didn't get a number.", nil},
	"invalidInteger":   {"Necesito un número entero.", "I need a whole number.", nil},
	"invalidBoolean":   {"Necesito un sí o un no.", "I need a yes or a no.", nil},
	"invalidDate":      {"No reconocí una fecha.", "I didn't recognise a date.", nil},
	"impossibleDate":   {"Esa fecha no existe.", "That date doesn't exist.", nil},
	"invalidDateTime":  {"Necesito el día y la hora.", "I need the day and the time.", nil},
	"invalidTime":      {"No reconocí una hora.", "I didn't recognise a time.", nil},
	"invalidEmail":     {"Ese correo no parece válido.", "That email address doesn't look right.", nil},
	"invalidPhone":     {"El número debe tener entre 7 y 15 dígitos.", "The number should have 7 to 15 digits.", nil},
	"invalidString":    {"No escuché tu respuesta.", "I didn't hear an answer.", nil},
	"invalidOption":    {"Las opciones son {{options}}.", "The options are {{options}}.", []string{"options"}},
	"invalidFormat":    {"Eso no tiene el formato que espero.", "That isn't in the format I expect.", nil},
	"readback":         {"Para confirmar: {{values}}. ¿Es correcto?", "To confirm: {{values}}. Is that right?", []string{"values"}},
	"confirmAgain":     {"¿Me confirmas, sí o no?", "Can you confirm, yes or no?", nil},
	"whatToChange":     {"De acuerdo. ¿Qué dato quieres cambiar?", "All right. What would you like to change?", nil},
	"changed":          {"Anotado, {{field}}: {{value}}.", "Got it, {{field}}: {{value}}.", []string{"field", "value"}},
	"cancelled":        {"De acuerdo, lo dejamos. ¿Puedo ayudarte con algo más?", "All right, I've dropped that. Can I help you with anything else?", nil},
	"anythingElse":     {"¿Puedo ayudarte con algo más?", "Can I help you with anything else?", nil},
	"stillThere":       {"¿Sigues ahí?", "Are you still there?", nil},
	"goodbye":          {"Gracias por llamar. ¡Hasta luego!", "Thanks for calling. Goodbye!", nil},
	"working":          {"Un momento, por favor.", "One moment, please.", nil},
	"takeYourTime":     {"Claro, tómate tu tiempo.", "Sure, take your time.", nil},
	"howCanIHelp":      {"¿En qué puedo ayudarte?", "How can I help you?", nil},
	"askTimeToo":       {"¿Y a qué hora?", "And at what time?", nil},
	"askDateToo":       {"¿Y qué día?", "And on what day?", nil},
	"transferring":     {"Te paso con una persona, un momento.", "I'll put you through to a person, one moment.", nil},
	"smallTalk":        {"¡Muy bien, gracias por preguntar!", "I'm doing well, thanks for asking!", nil},
	"greetBack":        {"¡Hola!", "Hi there!", nil},
	"youAreWelcome":    {"¡Con gusto!", "You're welcome!", nil},
	"cannotAnswer":     {"Eso no lo sé, lo siento.", "I'm sorry, I don't know that.", nil},
	"resumed":          {"Perdona, se ha cortado un momento.", "Sorry, we were cut off for a moment.", nil},
	"outcomeUnknown": {"Se cortó justo mientras lo enviaba y no puedo saber si llegó a completarse. Para no hacerlo dos veces no lo repito; compruébalo más tarde, por favor.",
		"We were cut off just as I was sending it, and I can't tell whether it went through. So as not to do it twice I won't send it again; please check later.", nil},
	"cannotTransfer": {"Ahora mismo no puedo pasarte con una persona, pero puedo ayudarte yo.", "I can't put you through to a person right now, but I can help you myself.", nil},
}

// phraseBook is an agent's phrases, compiled.
type phraseBook map[string]*expr.Template

// compilePhrases takes the agent's overrides over the built-in phrases.
func compilePhrases(a *configs.Agent) (phraseBook, configs.Problems) {
	var problems configs.Problems
	book := make(phraseBook, len(phrases))
	for key, p := range phrases {
		text := p.en
		if a.Language == "es" {
			text = p.es
		}
		book[key], _ = expr.Parse(text) // built-in texts are tested to parse
	}
	for _, kv := range a.Phrases {
		path := "phrases." + kv.Key
		p, ok := phrases[kv.Key]
		if !ok {
			continue // configs reports unknown keys
		}
		t, err := expr.Parse(kv.Value)
		if err != nil {
			problems = append(problems, a.Source.Problem(path, err.Error()))
			continue
		}
		for _, v := range t.Vars() {
			if !slices.Contains(p.vars, v) && !configs.IsSystemVar(v) {
				allowed := "no variables"
				if len(p.vars) > 0 {
					allowed = "{{" + strings.Join(p.vars, "}}, {{") + "}}"
				}
				problems = append(problems, a.Source.Problem(path, fmt.Sprintf("unknown variable {{%s}}: this phrase may use %s or a system variable", v, allowed)))
			}
		}
		book[kv.Key] = t
	}
	return book, problems
}

// say renders a phrase; kv are variable name and value pairs.
func (c *Call) phrase(key string, kv ...string) string {
	t := c.e.phrases[key]
	sc := c.scope(c.st.Slots)
	for i := 0; i+1 < len(kv); i += 2 {
		sc.extra = append(sc.extra, [2]string{kv[i], kv[i+1]})
	}
	text, err := t.Render(sc)
	if err != nil {
		return t.String()
	}
	return text
}

// Phrase renders one of the agent's fixed sentences by key
// (configs.PhraseKeys), its override if the agent has one, outside any call:
// call variables ({{call_id}}, {{caller_number}}) are empty. A voice runtime
// says Phrase("working") while a service without a waitMessage is slow.
// Unknown keys give "". Safe for concurrent use, like the Engine.
func (e *Engine) Phrase(key string) string {
	if e.phrases[key] == nil {
		return ""
	}
	return (&Call{e: e}).phrase(key)
}

// joinList joins items as a spoken list: "a, b y c" / "a, b or c".
func joinList(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

package configs

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest agent file Parse accepts.
const MaxFileSize = 4 << 20

// Load reads and validates the agent file at path.
func Load(path string) (*Agent, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// Parse decodes and validates the contents of an agent file; name is the
// file name used in problems and, without a `name` in the file, to name the
// agent. The file may be a whole agent, a seed-style {"services": [...]}, or
// a single service object.
//
// On problems Parse returns a Problems error together with the agent as far
// as it could be decoded (nil if not at all), so that later stages can
// report their own problems in the same pass.
func Parse(name string, data []byte) (*Agent, error) {
	src := newSource(name)
	if len(data) > MaxFileSize {
		return nil, Problems{{File: name, Reason: fmt.Sprintf("file larger than %d MiB", MaxFileSize>>20)}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Problems{syntaxProblem(name, err)}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, Problems{{File: name, Reason: "empty file: want an agent, a services list or a service (a mapping)"}}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		reason := "want an agent, a services list or a service (a mapping), got " + kindName(doc)
		if isNull(doc) {
			reason = "empty file: want an agent, a services list or a service (a mapping)"
		}
		return nil, Problems{{File: name, Line: doc.Line, Reason: reason}}
	}
	d := &decoder{src: src}
	agent := &Agent{Source: src}
	if isSingleService(doc) {
		agent.Services = make([]Service, 1)
		d.decode(doc, reflect.ValueOf(&agent.Services[0]).Elem(), "")
	} else {
		d.decode(doc, reflect.ValueOf(agent).Elem(), "")
	}
	agent.finish(name, isSingleService(doc))
	problems := append(d.problems, agent.validate()...)
	return agent, problems.Err()
}

// isSingleService reports whether a document is one service object copied
// from the source documents rather than an agent.
func isSingleService(doc *yaml.Node) bool {
	var intent, agentish bool
	for i := 0; i+1 < len(doc.Content); i += 2 {
		switch doc.Content[i].Value {
		case "intent":
			intent = true
		case "services", "integrations", "name", "language", "greeting":
			agentish = true
		}
	}
	return intent && !agentish
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxProblem(file string, err error) Problem {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: file, Line: line, Reason: "syntax error: " + m[2]}
	}
	return Problem{File: file, Reason: "syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
}

// finish fills in defaults, gives every service its path and integration,
// and resolves tools of HTTP integrations against their base URL and headers.
func (a *Agent) finish(file string, single bool) {
	if a.Name == "" {
		a.Name = nameFromFile(file)
	}
	if a.Language == "" {
		a.Language = guessLanguage(a)
	}
	if a.Timezone == "" {
		a.Timezone = DefaultTimezone
	}
	if a.MaxAttempts == 0 {
		a.MaxAttempts = DefaultMaxAttempts
	}
	if a.FallbackMessage == "" {
		a.FallbackMessage = defaultFallback[a.Language]
	}
	if a.NoInput.Timeout == 0 {
		a.NoInput.Timeout = Duration(DefaultNoInput)
	}
	if a.NoInput.Reprompts == 0 {
		a.NoInput.Reprompts = DefaultReprompts
	}
	a.Voice.setDefaults()
	for i := range a.Services {
		a.Services[i].Path = fmt.Sprintf("services[%d]", i)
		if single {
			a.Services[i].Path = ""
		}
		a.Services[i].setDefaults()
	}
	for i := range a.Integrations {
		in := &a.Integrations[i]
		for j := range in.Tools {
			t := &in.Tools[j]
			t.Path = fmt.Sprintf("integrations[%d].tools[%d]", i, j)
			t.Integration = in.Name
			t.setDefaults()
		}
		for j := range in.Overrides {
			o := &in.Overrides[j]
			o.Path = fmt.Sprintf("integrations[%d].overrides[%d]", i, j)
			o.Integration = in.Name
		}
	}
}

func (v *Voice) setDefaults() {
	if v.Silence == 0 {
		v.Silence = Duration(DefaultSilence)
	}
	if v.DictationSilence == 0 {
		v.DictationSilence = max(Duration(DefaultDictationSilence), v.Silence)
	}
	if v.EarlySilence == 0 {
		v.EarlySilence = min(Duration(DefaultEarlySilence), v.Silence)
	}
	if v.WaitMessageAfter == nil {
		d := Duration(DefaultWaitMessageAfter)
		v.WaitMessageAfter = &d
	}
	if v.MaxDuration == 0 {
		v.MaxDuration = Duration(DefaultMaxDuration)
	}
}

func (s *Service) setDefaults() {
	if s.Method == "" {
		s.Method = DefaultMethod
	}
	s.Method = strings.ToUpper(s.Method)
	if s.Timeout == 0 {
		s.Timeout = Duration(DefaultTimeout)
	}
	for i := range s.RequiredFields {
		if s.RequiredFields[i].Type == "" {
			s.RequiredFields[i].Type = TypeString
		}
	}
}

var defaultFallback = map[string]string{
	"es": "Lo siento, no he podido completar tu solicitud en este momento. ¿Puedo ayudarte con otra cosa?",
	"en": "Sorry, I couldn't complete that right now. Is there anything else I can help you with?",
}

var notNameChars = regexp.MustCompile(`[^a-z0-9]+`)

func nameFromFile(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	n := strings.Trim(notNameChars.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if n == "" {
		return "agent"
	}
	return n
}

// guessLanguage decides between es and en for a file that does not say, by
// the words of its greeting, prompts and service texts.
func guessLanguage(a *Agent) string {
	var text strings.Builder
	text.WriteString(a.Greeting + " " + a.Prompt + " " + a.FallbackMessage)
	for _, s := range a.AllServices() {
		text.WriteString(" " + s.Reference + " " + s.ResponseMessage)
		for _, f := range s.RequiredFields {
			text.WriteString(" " + f.PromptHint + " " + f.Description)
		}
	}
	es, en := 0, 0
	for _, w := range strings.FieldsFunc(strings.ToLower(text.String()), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r > 127)
	}) {
		switch w {
		case "de", "el", "la", "los", "las", "que", "qué", "tu", "por", "para", "cuál", "es", "con", "una", "un", "del", "en", "se":
			es++
		case "the", "your", "what", "is", "of", "for", "to", "with", "a", "an", "please", "and", "you":
			en++
		}
	}
	if strings.ContainsAny(text.String(), "¿¡ñ") || es > en {
		return "es"
	}
	return DefaultLanguage
}

// AllServices returns every service of the agent: those at the top level,
// then the tools of its HTTP integrations. The pointers stay valid as long as
// the agent is not modified.
func (a *Agent) AllServices() []*Service {
	out := make([]*Service, 0, len(a.Services))
	for i := range a.Services {
		out = append(out, &a.Services[i])
	}
	for i := range a.Integrations {
		for j := range a.Integrations[i].Tools {
			out = append(out, &a.Integrations[i].Tools[j])
		}
	}
	return out
}

// Service returns the service with the given intent, or nil.
func (a *Agent) Service(intent string) *Service {
	for _, s := range a.AllServices() {
		if s.Intent == intent {
			return s
		}
	}
	return nil
}

// EffectiveType is the type the field is validated as. The source documents
// declare emails and phone numbers as strings, so a string field named like
// one (email, correo, phone, telefono, celular, movil...) or whose
// description starts by saying it is one ("Correo electrónico del
// paciente", "Phone number") is treated as an email or a phone. A
// description that merely mentions one ("the number on your confirmation
// email") does not count.
func (f *Field) EffectiveType() string {
	if f.Type != TypeString {
		return f.Type
	}
	nameWords := strings.FieldsFunc(strings.ToLower(f.Name), func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	descWords := strings.FieldsFunc(strings.ToLower(f.Description), func(r rune) bool {
		return r == ' ' || r == ',' || r == '.' || r == ':' || r == '(' || r == ')' || r == '/'
	})
	if len(descWords) > 4 {
		descWords = descWords[:4] // the subject of the description
	}
	for _, words := range [][]string{nameWords, descWords} {
		for _, w := range words {
			switch w {
			case "email", "e-mail", "mail", "correo":
				return TypeEmail
			case "phone", "telephone", "mobile", "cell", "teléfono", "telefono", "celular", "móvil", "movil", "tel":
				return TypePhone
			}
		}
	}
	return TypeString
}

// ParseLexicon decodes a lexicon file (the schema of an agent's `lexicon:`),
// reporting unknown keys and wrong types with their lines.
func ParseLexicon(name string, data []byte) (Lexicon, error) {
	var lex Lexicon
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return lex, Problems{syntaxProblem(name, err)}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return lex, Problems{{File: name, Reason: "empty lexicon"}}
	}
	d := &decoder{src: newSource(name)}
	d.decode(root.Content[0], reflect.ValueOf(&lex).Elem(), "")
	return lex, d.problems.Err()
}

// Package configs is the agent file: its schema as plain data, strict decoding of
// YAML and JSON that reports every problem with file, line and field path, the
// expansion of ${ENV} references, and the example agents embedded in the binary.
//
// The field names of a service are those of the source documents verbatim
// (intent, reference, enabled, method, endpoint, headers, requiredFields,
// bodyTemplate, responseMapping, responseMessage, responseConditions), so a
// services file written for them loads unchanged.
//
// The zero value of every optional setting means its default; Load fills the
// defaults in, so code that reads a loaded Agent never has to.
package configs

import "time"

// Agent is one agent file.
type Agent struct {
	Name            string        `yaml:"name"`
	Language        string        `yaml:"language"`
	Timezone        string        `yaml:"timezone"`
	Greeting        string        `yaml:"greeting"`
	Prompt          string        `yaml:"prompt"`
	MaxAttempts     int           `yaml:"maxAttempts"`
	FallbackMessage string        `yaml:"fallbackMessage"`
	Services        []Service     `yaml:"services"`
	Integrations    []Integration `yaml:"integrations"`
	// Phrases overrides the engine's fixed sentences, by key (PhraseKeys).
	Phrases Pairs `yaml:"phrases"`
	// NoInput is what happens when the caller stays silent.
	NoInput NoInput `yaml:"noInput"`
	// Phrasing is "configured" (the default: prompts, read-backs and
	// replies are said as written) or "llm" (a configured model rephrases
	// them, sentence by sentence).
	Phrasing string `yaml:"phrasing"`
	// TransferNumber is the phone number a caller who asks for a person is
	// transferred to, digits with an optional leading + ("+5117001234");
	// "" means no transfers. ${ENV} references are expanded.
	TransferNumber string `yaml:"transferNumber"`
	// Voice holds the settings of phone and browser calls.
	Voice Voice `yaml:"voice"`
	// Lexicon adds phrases to how the agent reads callers, in its language;
	// each list extends the built-in one of the same name.
	Lexicon Lexicon `yaml:"lexicon"`

	// Source tells where the agent was loaded from; it is not part of the file.
	Source *Source `yaml:"-"`
}

// Phrasings are the values of Agent.Phrasing.
const (
	PhrasingConfigured = "configured"
	PhrasingLLM        = "llm"
)

// NoInput sets how long the agent waits for the caller and how often it
// asks again before hanging up.
type NoInput struct {
	// Timeout is the silence after which the agent asks again (default 8s).
	Timeout Duration `yaml:"timeout"`
	// Reprompts is how many times it asks again before saying goodbye and
	// hanging up (default 2).
	Reprompts int `yaml:"reprompts"`
}

// Voice holds the settings of phone and browser calls (the voice runtime);
// the dialog ignores them. Load fills in every default.
type Voice struct {
	// Silence is the pause that ends a caller's turn (default 600ms;
	// 100ms to 5s).
	Silence Duration `yaml:"silence"`
	// DictationSilence is the pause allowed while a phone number, digits or
	// an email is being dictated, or after words that lead on to more
	// ("para", "de", "um") (default 1.5s, or Silence when longer; 100ms to
	// 10s, and at least Silence).
	DictationSilence Duration `yaml:"dictationSilence"`
	// EarlySilence is the pause that ends the turn when the words already
	// hold a complete answer of the type asked (default 200ms, or Silence
	// when shorter; 50ms to Silence).
	EarlySilence Duration `yaml:"earlySilence"`
	// UninterruptibleReadbacks: read-backs (confirmations) play to the end
	// even if the caller speaks.
	UninterruptibleReadbacks bool `yaml:"uninterruptibleReadbacks"`
	// WaitMessageAfter is how long a service may run before the caller
	// hears its waitMessage (default 1s; 0 to 30s). It is a pointer so that
	// an explicit 0 (at once) differs from leaving it out; Load sets it, so
	// it is never nil in a loaded agent.
	WaitMessageAfter *Duration `yaml:"waitMessageAfter"`
	// MaxDuration is the longest a call may last (default 15m; 30s to 4h).
	MaxDuration Duration `yaml:"maxDuration"`
}

// Lexicon is how callers say what they do and what they want done, as
// phrases: a word list per dialog act and per kind of request. The engine
// has one per language built in (the same schema, in dialog/lexicon); an
// agent's `lexicon:` adds to it. Phrases are compared without case or
// accents, word by word; "(a|b)" is one of the alternatives, "[a]" an
// optional word, "word*" any word starting so, "..." the rest of the
// clause, and a leading "~" makes a phrase count only when the caller says
// nothing else.
type Lexicon struct {
	Affirm    []string `yaml:"affirm"`
	Deny      []string `yaml:"deny"`
	Hold      []string `yaml:"hold"`
	Repeat    []string `yaml:"repeat"`
	Cancel    []string `yaml:"cancel"`
	Farewell  []string `yaml:"farewell"`
	Goodbye   []string `yaml:"goodbye"`
	Thanks    []string `yaml:"thanks"`
	Greeting  []string `yaml:"greeting"`
	SmallTalk []string `yaml:"smallTalk"`
	Human     []string `yaml:"human"`
	Filler    []string `yaml:"filler"`
	// Verbs are the words of what a request does; a service whose intent,
	// reference or examples use one kind is chosen by callers who use
	// another word of the same kind.
	Verbs Verbs `yaml:"verbs"`
	// Objects are groups of nouns callers use for the same thing ("cita",
	// "turno", "consulta"): a caller's word reaches a service whose
	// reference uses another of its group.
	Objects [][]string `yaml:"objects"`
}

// Verbs are the kinds of request the engine knows, each a phrase list.
type Verbs struct {
	Book         []string `yaml:"book"`
	Cancel       []string `yaml:"cancel"`
	Change       []string `yaml:"change"`
	Check        []string `yaml:"check"`
	Availability []string `yaml:"availability"`
	Report       []string `yaml:"report"`
	Symptom      []string `yaml:"symptom"`
	Refund       []string `yaml:"refund"`
	Pay          []string `yaml:"pay"`
	Buy          []string `yaml:"buy"`
	Send         []string `yaml:"send"`
	Lost         []string `yaml:"lost"`
	Block        []string `yaml:"block"`
	Request      []string `yaml:"request"`
	Contact      []string `yaml:"contact"`
	Quote        []string `yaml:"quote"`
	Pause        []string `yaml:"pause"`
	Open         []string `yaml:"open"`
	Submit       []string `yaml:"submit"`
	Collect      []string `yaml:"collect"`
	Repair       []string `yaml:"repair"`
	// Urgent is not a request but how pressing one is: a service for
	// emergencies takes a problem only when the caller says it presses.
	Urgent []string `yaml:"urgent"`
}

// PhraseKeys are the fixed sentences an agent may override under `phrases:`.
var PhraseKeys = []string{
	"didNotUnderstand", "capabilities", "moreServices", "noServices", "whichService", "askField",
	"invalidNumber", "invalidInteger", "invalidBoolean", "invalidDate", "impossibleDate", "invalidDateTime",
	"invalidTime", "invalidEmail", "invalidPhone", "invalidString", "invalidOption", "invalidFormat",
	"readback", "confirmAgain", "whatToChange", "changed", "cancelled", "anythingElse",
	"stillThere", "goodbye", "working", "takeYourTime", "howCanIHelp", "askTimeToo", "askDateToo", "unavailable",
	"transferring", "cannotTransfer", "resumed", "outcomeUnknown", "smallTalk", "greetBack", "youAreWelcome", "cannotAnswer",
}

// Service is one thing the agent can do for a caller: the data it needs and
// the request that does it.
type Service struct {
	Intent             string      `yaml:"intent"`
	Reference          string      `yaml:"reference"`
	Enabled            *bool       `yaml:"enabled"`
	Method             string      `yaml:"method"`
	Endpoint           string      `yaml:"endpoint"`
	Headers            Pairs       `yaml:"headers"`
	RequiredFields     []Field     `yaml:"requiredFields"`
	BodyTemplate       any         `yaml:"bodyTemplate"`
	ResponseMapping    Pairs       `yaml:"responseMapping"`
	ResponseMessage    string      `yaml:"responseMessage"`
	ResponseConditions []Condition `yaml:"responseConditions"`
	Confirmation       *Confirm    `yaml:"confirmation"`
	Examples           []string    `yaml:"examples"`
	Timeout            Duration    `yaml:"timeout"`
	Retries            int         `yaml:"retries"`
	// WaitMessage is said when the service is slow (after the agent's
	// voice.waitMessageAfter); "" says the agent's "working" phrase. Plain
	// text, at most MaxWaitMessage characters.
	WaitMessage string `yaml:"waitMessage"`
	// IdempotencyKey: false sends no Idempotency-Key header with the
	// service's requests (an API that refuses unknown headers); by
	// default each run confirmed once carries a key of its own, the same
	// if the run is attempted again after a lost connection.
	IdempotencyKey *bool `yaml:"idempotencyKey"`

	// Integration names the integration the service belongs to ("" for a
	// service declared at the top level). Set by Load.
	Integration string `yaml:"-"`
	// Path is where the service sits in the file, like "services[2]" or
	// "integrations[0].tools[1]"; problems found later are reported under it.
	Path string `yaml:"-"`
	// Secrets are the values ${ENV} references put in the endpoint (and the
	// integration's baseUrl); Redact hides them wherever a URL is shown.
	Secrets []string `yaml:"-"`
	// Unset names the environment variables, unset when the agent was
	// loaded, whose ${VAR} references stay in the endpoint or headers (its
	// own or its integration's); a request of the service is not sent
	// while there are any. Only an agent loaded despite such problems
	// (Problems.SplitUnset) has them.
	Unset []string `yaml:"-"`
	// MCP is set on a service that is a tool of an MCP server, listed at
	// run time; its fields' names are the argument paths ("address.city").
	MCP *MCPTool `yaml:"-"`
}

// MCPTool is the tool of an MCP server a service calls.
type MCPTool struct {
	Name string // the tool's name on the server
}

// Redact hides the service's secrets in text, such as a rendered URL.
func (s *Service) Redact(text string) string { return redact(text, s.Secrets) }

// IsEnabled reports whether the service may be chosen; a service without
// `enabled` is enabled.
func (s *Service) IsEnabled() bool { return s.Enabled == nil || *s.Enabled }

// NeedsConfirmation reports whether the caller must say yes to a read-back
// before the service runs.
func (s *Service) NeedsConfirmation() bool {
	return s.Confirmation != nil && s.Confirmation.Required
}

// Field is one piece of data collected from the caller.
type Field struct {
	Name        string   `yaml:"name"`
	Type        string   `yaml:"type"`
	Description string   `yaml:"description"`
	PromptHint  string   `yaml:"promptHint"`
	Optional    bool     `yaml:"optional"`
	Enum        []string `yaml:"enum"`
	Pattern     string   `yaml:"pattern"`
	// When says which way a date field looks from today: "past" (a date of
	// loss, of birth), "future" (a booking), or "" to tell from the
	// field's name and description.
	When string `yaml:"when"`
	// PII marks the field's values as the caller's personal data, masked
	// wherever a call is shown or kept (IsPII). It is a pointer so that
	// an explicit false differs from leaving it out: unset, email and
	// phone fields are personal data.
	PII *bool `yaml:"pii"`
}

// Values of Field.When.
const (
	WhenPast   = "past"
	WhenFuture = "future"
)

// Condition picks a message from the response of a service.
type Condition struct {
	Condition string `yaml:"condition"`
	Message   string `yaml:"message"`
}

// Confirm is the user confirmation of a sensitive service.
type Confirm struct {
	Required bool `yaml:"required"`
	// Message is the read-back; without it one is generated from the
	// collected values in the agent's language.
	Message string `yaml:"message"`
}

// Integration groups tools that share a connection to one external system.
type Integration struct {
	Name    string   `yaml:"name"`
	Type    string   `yaml:"type"`
	BaseURL string   `yaml:"baseUrl"`
	URL     string   `yaml:"url"`
	Command []string `yaml:"command"`
	Headers Pairs    `yaml:"headers"`
	// Tools are the services of an HTTP integration; their endpoints may be
	// relative to BaseURL and they inherit Headers.
	Tools []Service `yaml:"tools"`
	// Confirm, Include and Exclude are tool-name globs of an MCP integration.
	Confirm []string `yaml:"confirm"`
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	// Transport of an MCP url: "" tries streamable HTTP, then SSE.
	Transport string `yaml:"transport"`
	// Timeout bounds each tool call of an MCP integration (default 10s).
	Timeout Duration `yaml:"timeout"`
	// ResponseMapping, ResponseMessage and ResponseConditions read an MCP
	// tool's structuredContent; without them the caller hears the tool's
	// first text content.
	ResponseMapping    Pairs       `yaml:"responseMapping"`
	ResponseMessage    string      `yaml:"responseMessage"`
	ResponseConditions []Condition `yaml:"responseConditions"`
	// Overrides refine tools of an MCP integration, each named by its intent
	// (the tool's name): how callers ask for it (reference, examples), its
	// fields' prompts and types, enabled, confirmation, timeout, and how its
	// answer is read. What a tool leaves unset comes from its server.
	Overrides []Service `yaml:"overrides"`

	// Secrets are the values ${ENV} references put in baseUrl, url and
	// command.
	Secrets []string `yaml:"-"`
	// Unset names the environment variables, unset when the agent was
	// loaded, whose ${VAR} references stay in baseUrl, url, command or
	// headers (see Service.Unset); an MCP server is not connected to
	// while there are any.
	Unset []string `yaml:"-"`
}

// Redact hides the integration's secrets in text.
func (in *Integration) Redact(text string) string { return redact(text, in.Secrets) }

// Field types.
const (
	TypeString   = "string"
	TypeNumber   = "number"
	TypeInteger  = "integer"
	TypeBoolean  = "boolean"
	TypeDate     = "date"
	TypeDateTime = "datetime"
	TypeTime     = "time"
	TypeEmail    = "email"
	TypePhone    = "phone"
)

// FieldTypes lists every field type in the order the documentation gives.
var FieldTypes = []string{TypeString, TypeNumber, TypeInteger, TypeBoolean, TypeDate, TypeDateTime, TypeTime, TypeEmail, TypePhone}

// Integration types.
const (
	IntegrationHTTP = "http"
	IntegrationMCP  = "mcp"
)

// MCP transports for a url.
const (
	TransportAuto       = ""
	TransportStreamable = "streamable"
	TransportSSE        = "sse"
)

// Methods lists the HTTP methods a service may use.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// SystemVars are the variables every template may use besides the fields.
var SystemVars = []string{"now", "today", "call_id", "agent_id", "caller_number", "language"}

// IsSystemVar reports whether name is one of SystemVars.
func IsSystemVar(name string) bool {
	for _, v := range SystemVars {
		if v == name {
			return true
		}
	}
	return false
}

// Defaults filled in by Load.
const (
	DefaultLanguage    = "en"
	DefaultTimezone    = "UTC"
	DefaultMaxAttempts = 3
	DefaultMethod      = "POST"
	DefaultTimeout     = 10 * time.Second
	DefaultNoInput     = 8 * time.Second
	DefaultReprompts   = 2

	DefaultSilence          = 600 * time.Millisecond
	DefaultDictationSilence = 1500 * time.Millisecond
	DefaultEarlySilence     = 200 * time.Millisecond
	DefaultWaitMessageAfter = time.Second
	DefaultMaxDuration      = 15 * time.Minute
)

// MaxWaitMessage is the longest waitMessage, in characters.
const MaxWaitMessage = 300

// Pair is one entry of an ordered string map such as headers.
type Pair struct {
	Key   string
	Value string
}

// Pairs is a string map that keeps the order of the file.
type Pairs []Pair

// Get returns the value for key and whether it is present. Keys compare
// exactly.
func (p Pairs) Get(key string) (string, bool) {
	for _, kv := range p {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Duration is a time.Duration written as "10s", "1.5s", "800ms" or a plain
// number of seconds.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Object is a JSON object that keeps the order of its keys. It is the decoded
// form of an object inside a bodyTemplate; other values are nil, bool, string,
// Number and []any.
type Object []Member

// Member is one key of an Object.
type Member struct {
	Key   string
	Value any
}

// Number is a number literal kept as written (so 2.0 stays 2.0).
type Number string

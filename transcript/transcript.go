// Package transcript is the file format of a call: what the caller said, what
// the agent answered, the requests made and what they returned. `chat`
// saves calls in it and developers write them as tests; `replay` runs both.
package transcript

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Transcript is one call.
type Transcript struct {
	// Redacted says the caller's personal data was masked when the call
	// was kept: the values of the agent's pii fields, the caller's number,
	// and the words or keys of each turn that gave or answered one. Each
	// turn lists what of it was masked (Turn.Redacted).
	Redacted bool `yaml:"redacted,omitempty" json:"redacted,omitempty"`
	// Agent is the agent file, relative to the transcript's folder.
	Agent string `yaml:"agent,omitempty" json:"agent,omitempty"`
	// Now freezes the clock at the start of the call (RFC 3339).
	Now string `yaml:"now,omitempty" json:"now,omitempty"`
	// From is the caller's number ({{caller_number}}).
	From string `yaml:"from,omitempty" json:"from,omitempty"`
	// CallID is the call's id ({{call_id}}); recorded calls keep theirs so
	// that their requests render the same again.
	CallID string `yaml:"callId,omitempty" json:"callId,omitempty"`
	// Stubs answer services by intent, without the network.
	Stubs map[string]Response `yaml:"stubs,omitempty" json:"stubs,omitempty"`
	Turns []Turn              `yaml:"turns" json:"turns"`

	// File is where the transcript was read from.
	File string `yaml:"-" json:"-"`
}

// Turn is one input of the caller (or a silence) and what followed.
type Turn struct {
	Caller string   `yaml:"caller,omitempty" json:"caller,omitempty"`
	DTMF   string   `yaml:"dtmf,omitempty" json:"dtmf,omitempty"`
	Wait   Duration `yaml:"wait,omitempty" json:"wait,omitempty"`
	// Agent is what the agent said, recorded.
	Agent string `yaml:"agent,omitempty" json:"agent,omitempty"`
	// Requests are the requests made during the turn with their responses,
	// recorded; on replay the responses answer the same requests again.
	Requests []Request `yaml:"requests,omitempty" json:"requests,omitempty"`
	// Model is what a language model made of the caller's words, recorded;
	// an offline replay reads the turn the same way again.
	Model  *Reading `yaml:"model,omitempty" json:"model,omitempty"`
	Expect *Expect  `yaml:"expect,omitempty" json:"expect,omitempty"`
	// Redacted lists the parts of the turn that were masked in a redacted
	// transcript (Parts): caller or dtmf when the caller's input was
	// withheld whole (it reads Withheld), the others when a personal value
	// in them was masked.
	Redacted []string `yaml:"redacted,omitempty" json:"redacted,omitempty"`

	// Line is the turn's line in the file.
	Line int `yaml:"-" json:"-"`
}

// Withheld stands for the words or keys of a caller's turn that gave, or
// answered a question for, a personal value, in a redacted transcript.
const Withheld = "[redacted]"

// Parts of a turn that Turn.Redacted names: its keys.
const (
	PartCaller   = "caller"
	PartDTMF     = "dtmf"
	PartAgent    = "agent"
	PartRequests = "requests"
	PartModel    = "model"
	PartExpect   = "expect"
)

// Parts lists every part a turn's redacted may name, in order.
var Parts = []string{PartCaller, PartDTMF, PartAgent, PartRequests, PartModel, PartExpect}

// Withheld reports whether the caller's input of the turn was withheld
// from a redacted transcript, so that it cannot be played again.
func (t *Turn) Withheld() bool {
	return slices.Contains(t.Redacted, PartCaller) || slices.Contains(t.Redacted, PartDTMF)
}

// Reading is a language model's reading of a caller turn.
type Reading struct {
	Intent string            `yaml:"intent,omitempty" json:"intent,omitempty"`
	Values map[string]string `yaml:"values,omitempty" json:"values,omitempty"`
	Cancel bool              `yaml:"cancel,omitempty" json:"cancel,omitempty"`
	Repeat bool              `yaml:"repeat,omitempty" json:"repeat,omitempty"`
	Answer string            `yaml:"answer,omitempty" json:"answer,omitempty"`
	Acts   []string          `yaml:"acts,omitempty" json:"acts,omitempty"`
	Empty  []string          `yaml:"empty,omitempty" json:"empty,omitempty"`
}

// Request is a request a service made.
type Request struct {
	Intent   string    `yaml:"intent" json:"intent"`
	Method   string    `yaml:"method,omitempty" json:"method,omitempty"`
	URL      string    `yaml:"url,omitempty" json:"url,omitempty"`
	Body     any       `yaml:"body,omitempty" json:"body,omitempty"`
	Response *Response `yaml:"response,omitempty" json:"response,omitempty"`
}

// Response is what a service answered.
type Response struct {
	Status int `yaml:"status" json:"status"`
	// Body is JSON data, or a string for a body that is not JSON.
	Body any `yaml:"body,omitempty" json:"body,omitempty"`
}

// Expect is what a turn must show. Unset keys are not checked.
type Expect struct {
	Intent    Optional       `yaml:"intent,omitempty" json:"intent,omitzero"`
	Asks      Optional       `yaml:"asks,omitempty" json:"asks,omitzero"`
	Slots     map[string]any `yaml:"slots,omitempty" json:"slots,omitempty"`
	State     string         `yaml:"state,omitempty" json:"state,omitempty"`
	Says      string         `yaml:"says,omitempty" json:"says,omitempty"`
	SaysNot   string         `yaml:"says_not,omitempty" json:"says_not,omitempty"`
	Request   *RequestExpect `yaml:"request,omitempty" json:"request,omitempty"`
	NoRequest bool           `yaml:"no_request,omitempty" json:"no_request,omitempty"`
}

// RequestExpect is the request a turn must make; every key given must match:
// url as a substring, query and body as subsets.
type RequestExpect struct {
	Intent string         `yaml:"intent,omitempty" json:"intent,omitempty"`
	Method string         `yaml:"method,omitempty" json:"method,omitempty"`
	URL    string         `yaml:"url,omitempty" json:"url,omitempty"`
	Query  map[string]any `yaml:"query,omitempty" json:"query,omitempty"`
	Body   any            `yaml:"body,omitempty" json:"body,omitempty"`
}

// Optional is a string that may be absent, null or set: `asks: null` says
// nothing is asked, while leaving asks out checks nothing.
type Optional struct {
	Set   bool   // the key was present
	Null  bool   // its value was null
	Value string // its value otherwise
}

// UnmarshalYAML records presence. yaml.v3 never calls it for a null value;
// explicitNulls records those.
func (o *Optional) UnmarshalYAML(n *yaml.Node) error {
	o.Set = true
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a string or null", n.Line)
	}
	o.Value = n.Value
	return nil
}

// MarshalYAML writes null or the value.
func (o Optional) MarshalYAML() (any, error) {
	if o.Null {
		return nil, nil
	}
	return o.Value, nil
}

// IsZero reports an absent key.
func (o Optional) IsZero() bool { return !o.Set }

// MarshalJSON writes null or the value.
func (o Optional) MarshalJSON() ([]byte, error) {
	if o.Null {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(o.Value)), nil
}

// Duration is a wait written as "10s", "1m30s" or "500ms".
type Duration time.Duration

// UnmarshalYAML parses the duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: bad duration %q: want like 10s or 500ms", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

// ErrFormat is matched by every error about a malformed transcript; the
// message names the file and line.
var ErrFormat = errors.New("malformed transcript")

// Load reads a transcript file.
func Load(path string) (*Transcript, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// Parse decodes a transcript, rejecting unknown keys; errors name the line.
func Parse(name string, data []byte) (*Transcript, error) {
	fail := func(err error) error {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			msg = strings.Replace(msg, m[0]+": ", "", 1)
			return fmt.Errorf("%w: %s:%s: %s", ErrFormat, name, m[1], msg)
		}
		return fmt.Errorf("%w: %s: %s", ErrFormat, name, msg)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fail(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	t := &Transcript{File: name}
	if err := dec.Decode(t); err != nil {
		return nil, fail(err)
	}
	turns := turnNodes(&root)
	for i := range t.Turns {
		if i < len(turns) {
			t.Turns[i].Line = turns[i].Line
			explicitNulls(turns[i], t.Turns[i].Expect)
		}
		if err := t.Turns[i].check(t.Redacted); err != nil {
			return nil, fmt.Errorf("%w: %s:%d: turns[%d]: %v", ErrFormat, name, t.Turns[i].Line, i, err)
		}
	}
	if len(t.Turns) == 0 {
		return nil, fmt.Errorf("%w: %s: no turns", ErrFormat, name)
	}
	if t.Now != "" {
		if _, err := time.Parse(time.RFC3339, t.Now); err != nil {
			return nil, fmt.Errorf("%w: %s: now: want RFC 3339 like 2024-01-10T09:00:00-05:00, got %q", ErrFormat, name, t.Now)
		}
	}
	return t, nil
}

func (t *Turn) check(redacted bool) error {
	for _, p := range t.Redacted {
		switch {
		case !redacted:
			return errors.New("redacted: only a transcript marked redacted: true has redacted turns")
		case !slices.Contains(Parts, p):
			return fmt.Errorf("redacted: unknown part %q: want some of %s", p, strings.Join(Parts, ", "))
		}
	}
	n := 0
	for _, set := range []bool{t.Caller != "", t.DTMF != "", t.Wait != 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return errors.New("a turn has exactly one of caller, dtmf or wait")
	}
	if t.Model != nil && t.Caller == "" {
		return errors.New("model: is what a model read in a caller's words; this turn has no caller")
	}
	return nil
}

// explicitNulls marks `intent: null` and `asks: null`, which the YAML
// decoder leaves as if absent.
func explicitNulls(turn *yaml.Node, e *Expect) {
	if e == nil {
		return
	}
	expect := child(turn, "expect")
	for key, o := range map[string]*Optional{"intent": &e.Intent, "asks": &e.Asks} {
		if n := child(expect, key); n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			*o = Optional{Set: true, Null: true}
		}
	}
}

// child is the value of key in a mapping node, or nil.
func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func turnNodes(root *yaml.Node) []*yaml.Node {
	if len(root.Content) == 0 {
		return nil
	}
	if turns := child(root.Content[0], "turns"); turns != nil && turns.Kind == yaml.SequenceNode {
		return turns.Content
	}
	return nil
}

// Marshal encodes a transcript as YAML.
func Marshal(t *Transcript) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(t); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// StubsFile is a file of canned service responses: `stubs: {intent:
// {status, body}}`, the same form as a transcript's stubs.
type StubsFile struct {
	Stubs map[string]Response `yaml:"stubs"`
}

// ParseStubs decodes a stubs file, rejecting unknown keys.
func ParseStubs(name string, data []byte) (map[string]Response, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f StubsFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrFormat, name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return f.Stubs, nil
}

// Package tools runs an agent's services: it compiles their templates,
// JSONPath mappings and conditions once (Compile), renders a request from the
// collected fields, sends it (Executor), and turns the response into the
// variables and the sentence the caller hears (Service.Respond).
package tools

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/internal/fieldpath"
	"github.com/voiceagent/voiceagent/internal/suggest"
	"github.com/voiceagent/voiceagent/tools/expr"
)

// Catalog is an agent compiled for execution. It is immutable and safe for
// concurrent use.
type Catalog struct {
	Agent    *configs.Agent
	Location *time.Location

	services []*Service
	fallback *expr.Template
}

// Service is one compiled service.
type Service struct {
	*configs.Service
	catalog *Catalog

	path       *expr.Template // the endpoint up to ?
	query      *expr.Template // the endpoint after ?, or nil
	body       *expr.Body     // nil without a bodyTemplate
	mapping    []mapping
	message    *expr.Template // nil without a responseMessage
	conditions []condition
	header     http.Header // built once; cloned per request
	// idempotencyKey: requests carry Input.IdempotencyKey as a header
	idempotencyKey bool
	bodySize       int // a capacity hint for rendering the body
}

type mapping struct {
	name string
	path *expr.Path
}

type condition struct {
	cond    *expr.Condition
	message *expr.Template
}

// Compile compiles every template, JSONPath and condition of a loaded agent.
// It reports all problems at once, located in the agent's source, as a
// configs.Problems error.
func Compile(a *configs.Agent) (*Catalog, error) {
	c := &compiler{src: a.Source}
	loc, err := time.LoadLocation(a.Timezone)
	if err != nil {
		loc = time.UTC // configs has reported it
	}
	cat := &Catalog{Agent: a, Location: loc}
	c.template(a.Greeting, "greeting", systemOnly)
	cat.fallback = c.template(a.FallbackMessage, "fallbackMessage", systemOnly)
	c.template(a.Prompt, "prompt", systemOnly)
	for _, s := range a.AllServices() {
		cat.services = append(cat.services, c.service(cat, s))
	}
	for i := range a.Integrations {
		if in := &a.Integrations[i]; in.Type == configs.IntegrationMCP {
			c.mcpReplies(in, fmt.Sprintf("integrations[%d].", i))
			for j := range in.Overrides {
				// The tool's fields are known once its server lists it;
				// they are checked then, when its service is compiled.
				o := &in.Overrides[j]
				c.replies(&Service{Service: o, catalog: cat}, o.Path+".", vars{anyField: true})
			}
		}
	}
	return cat, c.problems.Err()
}

// mcpReplies checks an MCP integration's reading of structuredContent: its
// tools are listed at run time, so its messages may use mapped and system
// variables only.
func (c *compiler) mcpReplies(in *configs.Integration, p string) {
	var mapped []string
	for _, m := range in.ResponseMapping {
		mapped = append(mapped, m.Key)
	}
	allowed := vars{mapped: mapped, what: "a responseMapping variable or a system variable (an MCP integration's tools are not known in advance)"}
	c.replies(&Service{Service: &configs.Service{ResponseMapping: in.ResponseMapping, ResponseMessage: in.ResponseMessage, ResponseConditions: in.ResponseConditions}}, p, allowed)
}

type compiler struct {
	src      *configs.Source
	problems configs.Problems
}

func (c *compiler) add(path, format string, args ...any) {
	c.problems = append(c.problems, c.src.Problem(path, fmt.Sprintf(format, args...)))
}

// vars says which names a template may use besides the system variables.
type vars struct {
	fields   []string
	mapped   []string
	anyField bool   // any name may be a field: the fields are not known yet
	what     string // how to describe them in a problem
}

var systemOnly = vars{what: "a system variable"}

func (c *compiler) service(cat *Catalog, cs *configs.Service) *Service {
	s := &Service{Service: cs, catalog: cat}
	p := cs.Path
	if p != "" {
		p += "."
	}
	fields := make([]string, len(cs.RequiredFields))
	for i, f := range cs.RequiredFields {
		fields[i] = f.Name
	}
	mapped := make([]string, len(cs.ResponseMapping))
	for i, m := range cs.ResponseMapping {
		mapped[i] = m.Key
	}
	request := vars{fields: fields, what: "a requiredField or a system variable"}
	reply := vars{fields: fields, mapped: mapped, what: "a requiredField, a responseMapping variable or a system variable"}

	if cs.MCP != nil {
		return c.replies(s, p, reply) // called through MCP, not HTTP
	}
	// Check the endpoint whole, so that columns count from its start; render
	// its path and query apart, to escape their values differently.
	c.template(cs.Endpoint, p+"endpoint", request)
	endpoint, query, hasQuery := strings.Cut(cs.Endpoint, "?")
	s.path = quiet(endpoint)
	if hasQuery {
		s.query = quiet(query)
	}
	s.header = make(http.Header, len(cs.Headers)+3)
	s.header.Set("Accept", "application/json")
	s.header.Set("User-Agent", userAgent)
	if cs.BodyTemplate != nil && cs.Method != http.MethodGet && cs.Method != http.MethodDelete {
		s.header.Set("Content-Type", "application/json")
	}
	for _, h := range cs.Headers {
		s.header.Set(h.Key, h.Value)
	}
	// The author's own Idempotency-Key header, or their no, wins over ours.
	s.idempotencyKey = (cs.IdempotencyKey == nil || *cs.IdempotencyKey) && s.header.Get("Idempotency-Key") == ""
	if cs.BodyTemplate != nil {
		body, errs := expr.CompileBody(bodyValue(cs.BodyTemplate))
		for _, e := range errs {
			c.add(joinBodyPath(p+"bodyTemplate", e.Path), "%v", e.Err)
		}
		for _, u := range body.Uses() {
			c.checkVar(u.Name, joinBodyPath(p+"bodyTemplate", u.Path), request)
		}
		s.body = body
		s.bodySize = 256 + 32*len(body.Uses())
	}
	return c.replies(s, p, reply)
}

// replies compiles how a service's answer becomes what the caller hears:
// its mapping, messages and conditions, and its confirmation message.
func (c *compiler) replies(s *Service, p string, reply vars) *Service {
	cs := s.Service
	request := vars{fields: reply.fields, anyField: reply.anyField, what: "a requiredField or a system variable"}
	for _, m := range cs.ResponseMapping {
		path, err := expr.ParsePath(m.Value)
		if err != nil {
			c.add(fieldpath.Join(p+"responseMapping", m.Key), "bad JSONPath %q: %v", m.Value, err)
			continue
		}
		s.mapping = append(s.mapping, mapping{name: m.Key, path: path})
	}
	if cs.ResponseMessage != "" {
		s.message = c.template(cs.ResponseMessage, p+"responseMessage", reply)
	}
	for i, rc := range cs.ResponseConditions {
		cp := fmt.Sprintf("%sresponseConditions[%d]", p, i)
		msg := c.template(rc.Message, cp+".message", reply)
		cond, err := expr.ParseCondition(rc.Condition)
		if err != nil {
			c.add(cp+".condition", "bad condition %q: %v", rc.Condition, err)
			continue
		}
		for _, name := range cond.Vars() {
			c.checkVar(name, cp+".condition", reply)
		}
		s.conditions = append(s.conditions, condition{cond: cond, message: msg})
	}
	if cs.Confirmation != nil && cs.Confirmation.Message != "" {
		c.template(cs.Confirmation.Message, p+"confirmation.message", request) // checked; the dialog renders it
	}
	return s
}

// quiet compiles a part of a text already checked whole.
func quiet(src string) *expr.Template {
	t, err := expr.Parse(src)
	if err != nil {
		t, _ = expr.Parse(strings.ReplaceAll(src, "{{", "{ {"))
	}
	return t
}

// template compiles a text and checks its variables; on a problem it returns
// a template of the raw text so that compiling can go on.
func (c *compiler) template(src, path string, allowed vars) *expr.Template {
	t, err := expr.Parse(src)
	if err != nil {
		c.add(path, "%v", err)
		t, _ = expr.Parse(strings.ReplaceAll(src, "{{", "{ {"))
		return t
	}
	for _, name := range t.Vars() {
		c.checkVar(name, path, allowed)
	}
	return t
}

func (c *compiler) checkVar(name, path string, allowed vars) {
	if allowed.anyField || configs.IsSystemVar(name) || slices.Contains(allowed.fields, name) || slices.Contains(allowed.mapped, name) {
		return
	}
	known := slices.Concat(allowed.fields, allowed.mapped, configs.SystemVars)
	c.add(path, "unknown variable {{%s}}: not %s%s", name, allowed.what, suggest.DidYouMean(name, known))
}

// bodyValue converts a decoded bodyTemplate to the form expr compiles.
func bodyValue(v any) any {
	switch v := v.(type) {
	case configs.Object:
		out := make([]expr.BodyMember, len(v))
		for i, m := range v {
			out[i] = expr.BodyMember{Key: m.Key, Value: bodyValue(m.Value)}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = bodyValue(item)
		}
		return out
	case configs.Number:
		return expr.NumberLiteral(v)
	}
	return v
}

func joinBodyPath(base, sub string) string {
	switch {
	case sub == "":
		return base
	case strings.HasPrefix(sub, "["):
		return base + sub
	}
	return base + "." + sub
}

// Services returns every service, in the order of the file.
func (c *Catalog) Services() []*Service { return c.services }

// Service returns the service with the given intent, or nil.
func (c *Catalog) Service(intent string) *Service {
	for _, s := range c.services {
		if s.Intent == intent {
			return s
		}
	}
	return nil
}

// Language is the agent's language.
func (c *Catalog) Language() string { return c.Agent.Language }

// Fallback renders the agent's fallback message.
func (c *Catalog) Fallback(in Input) string {
	text, _ := c.fallback.Render(c.newScope(&in, nil))
	return text
}

// Agent is the agent the service belongs to.
func (s *Service) Agent() *configs.Agent { return s.catalog.Agent }

package tools

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/voiceagent/voiceagent/tools/expr"
)

// Input is what a service runs with: the fields collected from the caller
// (validated and normalised: dates yyyy-MM-dd, numbers as decimal text) and
// the facts of the call behind the system variables.
type Input struct {
	Fields       map[string]string
	CallID       string
	CallerNumber string
	// Now is the time of the call; the zero value means time.Now().
	Now time.Time
}

// Request is a rendered request, ready to send.
type Request struct {
	Method string
	URL    string
	// Header holds the service's headers with their real values; print it
	// with RedactedHeader.
	Header http.Header
	Body   []byte // nil for GET and DELETE

	svc *Service
}

// RedactedURL is the URL with the values that came from the environment
// hidden; show this one, never URL.
func (r *Request) RedactedURL() string {
	if r.svc == nil {
		return r.URL
	}
	return r.svc.Redact(r.URL)
}

// RedactedHeader returns the headers as "Name: value" lines in a stable
// order, every value replaced by [redacted] except Accept, Content-Type and
// User-Agent, which say how the body is encoded.
func (r *Request) RedactedHeader() []string {
	var lines []string
	for name, values := range r.Header {
		for _, v := range values {
			if name != "Content-Type" && name != "Accept" && name != "User-Agent" {
				v = "[redacted]"
			}
			lines = append(lines, name+": "+v)
		}
	}
	slices.Sort(lines)
	return lines
}

// Missing returns the names of required (non-optional) fields not present
// in fields.
func (s *Service) Missing(fields map[string]string) []string {
	var missing []string
	for _, f := range s.RequiredFields {
		if _, ok := fields[f.Name]; !ok && !f.Optional {
			missing = append(missing, f.Name)
		}
	}
	return missing
}

// NewRequest renders the service's request. Placeholders in the endpoint are
// path-escaped (query-escaped after ?); GET and DELETE carry the bodyTemplate
// as query parameters, other methods as a JSON body. An MCP tool's request
// carries its typed arguments.
func (s *Service) NewRequest(in Input) (*Request, error) {
	if missing := s.Missing(in.Fields); len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrMissingFields, strings.Join(missing, ", "))
	}
	if s.MCP != nil {
		return s.toolRequest(in)
	}
	sc := s.catalog.newScope(&in, nil)
	dots := false // a value of . or .. would move the request up the path
	u, err := s.path.AppendText(make([]byte, 0, 256), sc, func(dst []byte, v string) []byte {
		dots = dots || v != "" && strings.Trim(v, ".") == ""
		return append(dst, url.PathEscape(v)...)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: endpoint: %v", ErrRender, err)
	}
	if dots {
		return nil, fmt.Errorf("%w: endpoint: a value of . or .. cannot stand in a URL path", ErrRender)
	}
	query := len(u)
	if s.query != nil {
		u = append(u, '?')
		query = len(u)
		if u, err = s.query.AppendText(u, sc, appendQueryEscaped); err != nil {
			return nil, fmt.Errorf("%w: endpoint: %v", ErrRender, err)
		}
	}
	req := &Request{Method: s.Method, Header: s.header.Clone(), svc: s}
	if s.body != nil {
		if s.Method == http.MethodGet || s.Method == http.MethodDelete {
			if len(u) == query {
				u = append(u, '?')
			}
			if u, err = s.body.AppendQuery(u, sc); err != nil {
				return nil, fmt.Errorf("%w: bodyTemplate: %v", ErrRender, err)
			}
			if u[len(u)-1] == '?' {
				u = u[:len(u)-1]
			}
		} else {
			if req.Body, err = s.body.AppendJSON(make([]byte, 0, s.bodySize), sc); err != nil {
				return nil, fmt.Errorf("%w: bodyTemplate: %v", ErrRender, err)
			}
		}
	}
	req.URL = string(u)
	return req, nil
}

const userAgent = "voiceagent/1"

func appendQueryEscaped(dst []byte, s string) []byte {
	return append(dst, url.QueryEscape(s)...)
}

// Response is what a service answered.
type Response struct {
	Status int
	Body   []byte
}

// Var is one variable mapped from a response.
type Var struct {
	Name  string
	Value expr.Value
}

// Outcome is what the caller hears after a service ran.
type Outcome struct {
	// Vars are the responseMapping variables that matched, in file order.
	Vars []Var
	// Message is the sentence for the caller.
	Message string
	// Condition is the index of the responseCondition that chose Message, or
	// -1 for the responseMessage or the fallback.
	Condition int
	// Err is why the service failed; Message is then the fallback message.
	Err error
}

// Failed reports whether the caller hears the fallback message.
func (o *Outcome) Failed() bool { return o.Err != nil }

// Respond maps a response to variables and picks the message: the first
// responseCondition that holds, else the responseMessage for a 2xx answer,
// else the fallback message.
func (s *Service) Respond(in Input, resp Response) Outcome {
	doc := string(resp.Body)
	if !gjson.Valid(doc) {
		doc = "" // not JSON: paths are null, http.status still works
	}
	out := Outcome{Condition: -1, Vars: make([]Var, 0, len(s.mapping))}
	for _, m := range s.mapping {
		if v := m.path.Get(doc); v.Exists() {
			out.Vars = append(out.Vars, Var{Name: m.name, Value: v})
		}
	}
	sc := s.catalog.newScope(&in, out.Vars)
	sc.doc, sc.status = doc, resp.Status
	for i, c := range s.conditions {
		if c.cond.Eval(sc) {
			out.Condition = i
			return s.render(out, c.message, sc)
		}
	}
	if resp.Status < 200 || resp.Status > 299 {
		return s.fail(out, in, fmt.Errorf("%w: %d", ErrStatus, resp.Status))
	}
	if s.message == nil {
		out.Message = doneMessage[s.catalog.Language()]
		return out
	}
	return s.render(out, s.message, sc)
}

// render chooses a message. It never fails: the request is done, and a
// value that a filter cannot format is said as it is.
func (s *Service) render(out Outcome, t *expr.Template, sc *scope) Outcome {
	out.Message = t.RenderLenient(sc)
	return out
}

func (s *Service) fail(out Outcome, in Input, err error) Outcome {
	out.Err = err
	out.Condition = -1
	out.Message = s.catalog.Fallback(in)
	return out
}

// Failure is the outcome of a service that could not be reached or
// rendered: the fallback message with the reason.
func (s *Service) Failure(in Input, err error) Outcome {
	return s.fail(Outcome{Condition: -1}, in, err)
}

var doneMessage = map[string]string{
	"es": "Listo, tu solicitud se ha completado.",
	"en": "Done, your request has been completed.",
}

// scope resolves variables: mapped response variables first (the API's
// answer wins), then collected fields, then system variables.
type scope struct {
	cat    *Catalog
	in     *Input
	mapped []Var
	doc    string
	status int
}

func (c *Catalog) newScope(in *Input, mapped []Var) *scope {
	return &scope{cat: c, in: in, mapped: mapped}
}

func (sc *scope) Lookup(name string) expr.Value {
	for i := range sc.mapped {
		if sc.mapped[i].Name == name {
			return sc.mapped[i].Value
		}
	}
	if v, ok := sc.in.Fields[name]; ok {
		return expr.Str(v)
	}
	switch name {
	case "now":
		return expr.TimeValue(sc.now())
	case "today":
		return expr.Str(sc.now().Format("2006-01-02"))
	case "call_id":
		return expr.Str(sc.in.CallID)
	case "agent_id":
		return expr.Str(sc.cat.Agent.Name)
	case "caller_number":
		return expr.Str(sc.in.CallerNumber)
	case "language":
		return expr.Str(sc.cat.Agent.Language)
	}
	return expr.Value{}
}

func (sc *scope) now() time.Time {
	if sc.in.Now.IsZero() {
		return time.Now().In(sc.cat.Location)
	}
	return sc.in.Now.In(sc.cat.Location)
}

func (sc *scope) Language() string         { return sc.cat.Agent.Language }
func (sc *scope) Location() *time.Location { return sc.cat.Location }
func (sc *scope) Response() string         { return sc.doc }
func (sc *scope) Status() int              { return sc.status }

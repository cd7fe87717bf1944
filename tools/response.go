package tools

import (
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/voiceagent/voiceagent/tools/expr"
)

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

package tools

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
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
	// IdempotencyKey names this run of the service for the API: sent as
	// the Idempotency-Key header of HTTP requests unless the service
	// turns it off (idempotencyKey: false). "" sends none.
	IdempotencyKey string
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
	if s.idempotencyKey && in.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", in.IdempotencyKey)
	}
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

package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/transcript"
)

// ErrNoStub: a service ran that has no stubbed response.
var ErrNoStub = errors.New("no stub for this service")

// Stubs answers services from canned responses, by intent, without the
// network. The request is still rendered for real, and the response mapped
// by the service's real responseMapping and conditions.
type Stubs struct {
	Responses map[string]transcript.Response
	// Next runs services that have no response; nil fails them with
	// ErrNoStub (the caller hears the fallback message).
	Next Executor
}

// Execute answers the service from its stub.
func (s *Stubs) Execute(ctx context.Context, svc *tools.Service, in tools.Input) *tools.Result {
	resp, ok := s.Responses[svc.Intent]
	if !ok {
		if s.Next != nil {
			return s.Next.Execute(ctx, svc, in)
		}
		res := &tools.Result{Outcome: svc.Failure(in, ErrNoStub)}
		res.Request, _ = svc.NewRequest(in)
		return res
	}
	return Answer(svc, in, resp)
}

// Answer renders the service's request and maps resp as its answer.
func Answer(svc *tools.Service, in tools.Input, resp transcript.Response) *tools.Result {
	req, err := svc.NewRequest(in)
	if err != nil {
		return &tools.Result{Outcome: svc.Failure(in, err)}
	}
	body, err := encode(resp.Body)
	if err != nil {
		return &tools.Result{Request: req, Outcome: svc.Failure(in, fmt.Errorf("stub for %s: %w", svc.Intent, err))}
	}
	status := resp.Status
	if status == 0 {
		status = 200
	}
	r := &tools.Response{Status: status, Body: body}
	res := &tools.Result{Request: req, Response: r, Attempts: 1}
	if svc.MCP != nil {
		res.Outcome = svc.RespondTool(in, tools.ToolResultOf(*r))
	} else {
		res.Outcome = svc.Respond(in, *r)
	}
	return res
}

// encode writes a stub body: JSON data as JSON, a string as the raw body.
func encode(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(b), nil
	}
	return json.Marshal(Jsonable(body))
}

// Jsonable converts YAML-decoded data for encoding/json.
func Jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = Jsonable(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[fmt.Sprint(k)] = Jsonable(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = Jsonable(x)
		}
		return out
	}
	return v
}

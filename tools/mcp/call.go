package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/voiceagent/voiceagent/tools"
)

// ErrUnavailable: the tool's server is not connected.
var ErrUnavailable = errors.New("mcp server not connected")

// Execute calls the tool behind an MCP service with the collected fields as
// typed arguments, within the service's timeout; cancelling ctx (the call
// ended) cancels the tool call on the server too. The reply is chosen by
// tools.Service.RespondTool; an error gives the fallback.
func (m *Manager) Execute(ctx context.Context, svc *tools.Service, in tools.Input) *tools.Result {
	start := time.Now()
	req, err := svc.NewRequest(in)
	if err != nil {
		return &tools.Result{Outcome: svc.Failure(in, err)}
	}
	res := &tools.Result{Request: req, Attempts: 1}
	c := m.conn(svc.Integration)
	var session *sdk.ClientSession
	if c != nil {
		c.mu.Lock()
		session = c.session
		c.mu.Unlock()
	}
	if session == nil {
		res.Outcome = svc.Failure(in, fmt.Errorf("%w: %s", ErrUnavailable, svc.Integration))
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, svc.Timeout.Std())
	defer cancel()
	out, err := session.CallTool(ctx, &sdk.CallToolParams{Name: svc.MCP.Name, Arguments: json.RawMessage(req.Body)})
	res.Duration = time.Since(start)
	log := m.opts.Logger.With("integration", svc.Integration, "tool", svc.MCP.Name, "duration", res.Duration)
	if err != nil {
		reason := c.in.Redact(err.Error())
		logged := reason
		var rpc *jsonrpc.Error
		switch {
		case ctx.Err() != nil:
			reason, logged = "timed out or canceled", "timed out or canceled"
		case errors.As(err, &rpc):
			// The server's message may quote the arguments: caller data.
			logged = fmt.Sprintf("the server answered JSON-RPC error %d", rpc.Code)
		}
		log.Warn("mcp tool call failed", "reason", logged)
		res.Outcome = svc.Failure(in, fmt.Errorf("%w: %s", tools.ErrTransport, reason))
		return res
	}
	answer := tools.ToolResult{Text: firstText(out.Content), IsError: out.IsError}
	if out.StructuredContent != nil {
		answer.Structured, _ = json.Marshal(out.StructuredContent)
	}
	if answer.IsError {
		log.Warn("mcp tool reported an error")
	} else {
		log.Info("mcp tool answered")
	}
	resp := answer.Response()
	res.Response = &resp
	res.Outcome = svc.RespondTool(in, answer)
	return res
}

func firstText(content []sdk.Content) string {
	for _, c := range content {
		if t, ok := c.(*sdk.TextContent); ok {
			return t.Text
		}
	}
	return ""
}

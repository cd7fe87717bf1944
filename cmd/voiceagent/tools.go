package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/internal/suggest"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/tools/mcp"
)

func (a *app) toolsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tools",
		Short: "List an agent's services and run one for real",
	}
	cmd.AddCommand(a.toolsListCmd(), a.toolsCallCmd())
	return cmd
}

func (a *app) toolsListCmd() *cobra.Command {
	var (
		paths  []string
		agent  string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list [--config FILE|DIR]... [--agent NAME] [--json]",
		Short: "List the services (tools) of agents",
		Long: `list shows each agent's services: intent, method, endpoint, the fields the
agent collects (with their types; optional ones marked ?), and whether the
caller must confirm. With no --config it lists the embedded example agents.

The tools of MCP integrations are listed from their servers, which list
connects to; a server that is down is reported with the reason.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, err := a.connect(cmd.Context(), paths)
			if err != nil {
				return err
			}
			defer set.Close()
			catalogs := catalogsOf(set)
			if agent != "" {
				c, err := pickAgent(catalogs, agent)
				if err != nil {
					return err
				}
				catalogs = []*tools.Catalog{c}
			}
			status := map[string][]mcp.Status{}
			for _, st := range set.Status() {
				status[st.Agent] = st.MCP
			}
			if asJSON {
				return writeJSON(a.stdout, listJSON(catalogs, status))
			}
			printList(a.stdout, catalogs, status)
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&paths, "config", "c", nil, "agent file or directory (repeatable)")
	cmd.Flags().StringVar(&agent, "agent", "", "only the agent with this name")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printList(w io.Writer, catalogs []*tools.Catalog, status map[string][]mcp.Status) {
	for i, c := range catalogs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		ag := c.Agent
		fmt.Fprintf(w, "%s  (%s, %s)  %s\n", ag.Name, ag.Language, ag.Timezone, ag.Source.File)
		for _, st := range status[ag.Name] {
			if st.Connected {
				fmt.Fprintf(w, "  mcp %s: connected, %s\n", st.Integration, plural(st.Tools, "tool"))
			} else {
				fmt.Fprintf(w, "  mcp %s: UNAVAILABLE (%s); its tools are missing\n", st.Integration, printable(st.Err))
			}
		}
		width := 0
		for _, s := range c.Services() {
			width = max(width, len(s.Intent))
		}
		for _, s := range c.Services() {
			var flags []string
			if s.NeedsConfirmation() {
				flags = append(flags, "confirm")
			}
			if !s.IsEnabled() {
				flags = append(flags, "disabled")
			}
			if s.Integration != "" {
				flags = append(flags, "integration "+s.Integration)
			}
			note := ""
			if len(flags) > 0 {
				note = "  [" + strings.Join(flags, ", ") + "]"
			}
			method, endpoint := endpointOf(s)
			fmt.Fprintf(w, "  %-*s  %-6s %s%s\n", width, s.Intent, method, endpoint, note)
			fmt.Fprintf(w, "  %-*s  %s\n", width, "", fieldSummary(s.RequiredFields))
		}
	}
}

// endpointOf is how a service is reached: an HTTP method and its endpoint
// (redacted), or MCP and its tool.
func endpointOf(s *tools.Service) (method, endpoint string) {
	if s.MCP != nil {
		return tools.MethodMCP, s.ToolURL()
	}
	return s.Method, s.Redact(s.Endpoint)
}

func fieldSummary(fields []configs.Field) string {
	if len(fields) == 0 {
		return "(no fields)"
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		p := f.Name
		if f.Optional {
			p += "?"
		}
		parts[i] = p + ":" + f.EffectiveType()
	}
	return strings.Join(parts, " ")
}

type listedAgent struct {
	Name     string          `json:"name"`
	Language string          `json:"language"`
	Timezone string          `json:"timezone"`
	File     string          `json:"file"`
	MCP      []listedMCP     `json:"mcp,omitempty"`
	Services []listedService `json:"services"`
}

type listedMCP struct {
	Integration string `json:"integration"`
	Connected   bool   `json:"connected"`
	Tools       int    `json:"tools"`
	Error       string `json:"error,omitempty"`
}

type listedService struct {
	Intent       string        `json:"intent"`
	Reference    string        `json:"reference,omitempty"`
	Integration  string        `json:"integration,omitempty"`
	Enabled      bool          `json:"enabled"`
	Method       string        `json:"method"`
	Endpoint     string        `json:"endpoint"`
	Confirmation bool          `json:"confirmation"`
	Fields       []listedField `json:"fields"`
}

type listedField struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Optional   bool     `json:"optional,omitempty"`
	Enum       []string `json:"enum,omitempty"`
	PromptHint string   `json:"promptHint,omitempty"`
}

func listJSON(catalogs []*tools.Catalog, status map[string][]mcp.Status) []listedAgent {
	out := make([]listedAgent, 0, len(catalogs))
	for _, c := range catalogs {
		la := listedAgent{Name: c.Agent.Name, Language: c.Agent.Language, Timezone: c.Agent.Timezone, File: c.Agent.Source.File, Services: []listedService{}}
		for _, st := range status[c.Agent.Name] {
			la.MCP = append(la.MCP, listedMCP{Integration: st.Integration, Connected: st.Connected, Tools: st.Tools, Error: st.Err})
		}
		for _, s := range c.Services() {
			method, endpoint := endpointOf(s)
			ls := listedService{Intent: s.Intent, Reference: s.Reference, Integration: s.Integration, Enabled: s.IsEnabled(),
				Method: method, Endpoint: endpoint, Confirmation: s.NeedsConfirmation(), Fields: []listedField{}}
			for _, f := range s.RequiredFields {
				ls.Fields = append(ls.Fields, listedField{Name: f.Name, Type: f.EffectiveType(), Optional: f.Optional, Enum: f.Enum, PromptHint: f.PromptHint})
			}
			la.Services = append(la.Services, ls)
		}
		out = append(out, la)
	}
	return out
}

func pickAgent(catalogs []*tools.Catalog, name string) (*tools.Catalog, error) {
	var names []string
	for _, c := range catalogs {
		if c.Agent.Name == name {
			return c, nil
		}
		names = append(names, c.Agent.Name)
	}
	return nil, usageErr("no agent %q%s; loaded: %s", name, suggest.DidYouMean(name, names), strings.Join(names, ", "))
}

// pickService finds a service by intent, in the named agent or in the only
// agent that has it.
func pickService(catalogs []*tools.Catalog, agent, intent string) (*tools.Service, error) {
	if agent != "" {
		c, err := pickAgent(catalogs, agent)
		if err != nil {
			return nil, err
		}
		catalogs = []*tools.Catalog{c}
	}
	var found []*tools.Service
	var all []string
	for _, c := range catalogs {
		for _, s := range c.Services() {
			all = append(all, s.Intent)
			if s.Intent == intent {
				found = append(found, s)
			}
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, usageErr("no tool %q%s; run 'voiceagent tools list' to see them", intent, suggest.DidYouMean(intent, all))
	}
	return nil, usageErr("tool %q exists in several agents; choose one with --agent", intent)
}

// withDownServers adds to a tool that was not found the MCP servers that
// are down: the tool may be theirs.
func withDownServers(err error, set *agents.Set) error {
	var down []string
	for _, st := range set.Status() {
		for _, m := range st.MCP {
			if !m.Connected {
				down = append(down, fmt.Sprintf("%s (%s)", m.Integration, m.Err))
			}
		}
	}
	if len(down) == 0 {
		return err
	}
	return usageErr("%v\nunavailable MCP servers, whose tools are missing: %s", err, strings.Join(down, "; "))
}

func (a *app) toolsCallCmd() *cobra.Command {
	var (
		paths  []string
		agent  string
		tool   string
		sets   []string
		caller string
		dryRun bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "call [--config FILE] --tool NAME [--set field=value]...",
		Short: "Run one service for real and show what happened",
		Long: `call renders the service's request from --set values, sends it, and prints the
request (header values redacted), the response, the mapped variables and the
message the caller would hear.

Exit code 0 when the caller would hear the service's message, 1 when they
would hear the fallback message (unreachable, timeout, error status), 2 for
usage or configuration errors.`,
		Example: `  voiceagent tools call --config agent.yaml --tool schedule_appointment \
    --set nombre="Juan Pérez" --set email=juan@email.com --set fecha=2024-01-15`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tool == "" {
				return usageErr("--tool is required; run 'voiceagent tools list' to see the tools")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			set, err := a.connect(ctx, paths)
			if err != nil {
				return err
			}
			defer set.Close()
			svc, err := pickService(catalogsOf(set), agent, tool)
			if err != nil {
				return withDownServers(err, set)
			}
			fields, err := parseSets(svc, sets)
			if err != nil {
				return err
			}
			in := tools.Input{Fields: fields, CallID: "cli-" + time.Now().Format("20060102T150405"), CallerNumber: caller}
			if missing := svc.Missing(fields); len(missing) > 0 {
				return usageErr("missing %s", describeMissing(svc, missing))
			}
			if dryRun {
				req, err := svc.NewRequest(in)
				if err != nil {
					return usageErr("%v", err)
				}
				if asJSON {
					return writeJSON(a.stdout, callJSON(&tools.Result{Request: req}))
				}
				printRequest(a.stdout, req)
				return nil
			}
			res := set.Executor().Execute(ctx, svc, in)
			if asJSON {
				err = writeJSON(a.stdout, callJSON(res))
			} else {
				printResult(a.stdout, svc, res)
			}
			if err == nil && res.Failed() {
				return errFailed
			}
			return err
		},
	}
	cmd.Flags().StringArrayVarP(&paths, "config", "c", nil, "agent file or directory (repeatable)")
	cmd.Flags().StringVar(&agent, "agent", "", "agent name, when several agents have the tool")
	cmd.Flags().StringVar(&tool, "tool", "", "the service's intent (required)")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "field=value for a required field (repeatable)")
	cmd.Flags().StringVar(&caller, "caller", "", "caller number for {{caller_number}}")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the request without sending it")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func parseSets(svc *tools.Service, sets []string) (map[string]string, error) {
	var names []string
	for _, f := range svc.RequiredFields {
		names = append(names, f.Name)
	}
	fields := make(map[string]string, len(sets))
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usageErr("--set %q: want field=value", kv)
		}
		if !slices.Contains(names, k) {
			return nil, usageErr("--set %s: %q has no field %q%s; its fields: %s", k, svc.Intent, k, suggest.DidYouMean(k, names), strings.Join(names, ", "))
		}
		fields[k] = v
	}
	return fields, nil
}

func describeMissing(svc *tools.Service, missing []string) string {
	var b strings.Builder
	b.WriteString("required fields; add:")
	for _, name := range missing {
		for _, f := range svc.RequiredFields {
			if f.Name == name {
				fmt.Fprintf(&b, "\n  --set %s=...   (%s", name, f.EffectiveType())
				if f.PromptHint != "" {
					fmt.Fprintf(&b, ": %s", f.PromptHint)
				}
				b.WriteString(")")
			}
		}
	}
	return b.String()
}

func printRequest(w io.Writer, req *tools.Request) {
	fmt.Fprintf(w, "%s %s\n", req.Method, req.RedactedURL())
	for _, h := range req.RedactedHeader() {
		fmt.Fprintln(w, h)
	}
	if len(req.Body) > 0 {
		fmt.Fprintf(w, "\n%s\n", pretty(req.Body))
	}
}

// maxPrinted bounds how much of a response body is printed.
const maxPrinted = 64 << 10

func printResult(w io.Writer, svc *tools.Service, res *tools.Result) {
	if res.Request != nil {
		printRequest(w, res.Request)
		fmt.Fprintln(w)
	}
	if res.Response != nil {
		took := res.Duration.Round(100 * time.Microsecond)
		if svc.MCP != nil {
			fmt.Fprintf(w, "MCP result  (%s)\n", took)
		} else {
			fmt.Fprintf(w, "HTTP %d  (%s, %s)\n", res.Response.Status, took, plural(res.Attempts, "attempt"))
		}
		if len(res.Response.Body) > 0 {
			fmt.Fprintln(w, pretty(res.Response.Body))
		}
		fmt.Fprintln(w)
	}
	if len(res.Vars) > 0 {
		fmt.Fprintln(w, "mapped:")
		for _, v := range res.Vars {
			fmt.Fprintf(w, "  %s = %s\n", v.Name, printable(string(valueJSON(v))))
		}
		fmt.Fprintln(w)
	}
	switch {
	case res.Failed():
		fmt.Fprintf(w, "message (fallback: %v):\n", res.Err)
	case res.Condition >= 0:
		fmt.Fprintf(w, "message (responseConditions[%d]):\n", res.Condition)
	case svc.MCP != nil && svc.ResponseMessage == "":
		fmt.Fprintln(w, "message (the tool's text):")
	default:
		fmt.Fprintln(w, "message (responseMessage):")
	}
	fmt.Fprintf(w, "  %s\n", printable(res.Message))
}

// printable neutralises control characters from an API's answer, so that
// none reaches the terminal as an escape sequence.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return '\uFFFD'
	}, s)
}

// pretty indents a JSON body; other bodies print as they are, cut short.
func pretty(body []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, body, "", "  ") == nil {
		body = buf.Bytes()
	}
	if len(body) > maxPrinted {
		return printable(string(body[:maxPrinted])) + fmt.Sprintf("\n... (%d more bytes)", len(body)-maxPrinted)
	}
	return printable(string(body))
}

type callOutput struct {
	Request *struct {
		Method  string          `json:"method"`
		URL     string          `json:"url"`
		Headers []string        `json:"headers"`
		Body    json.RawMessage `json:"body,omitempty"`
	} `json:"request,omitempty"`
	Response *struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body,omitempty"`
		Text   string          `json:"text,omitempty"`
	} `json:"response,omitempty"`
	Vars       map[string]json.RawMessage `json:"vars,omitempty"`
	Message    string                     `json:"message,omitempty"`
	Condition  *int                       `json:"condition,omitempty"`
	Error      string                     `json:"error,omitempty"`
	Attempts   int                        `json:"attempts,omitempty"`
	DurationMs float64                    `json:"durationMs,omitempty"`
}

func callJSON(res *tools.Result) callOutput {
	var out callOutput
	if r := res.Request; r != nil {
		out.Request = &struct {
			Method  string          `json:"method"`
			URL     string          `json:"url"`
			Headers []string        `json:"headers"`
			Body    json.RawMessage `json:"body,omitempty"`
		}{Method: r.Method, URL: r.RedactedURL(), Headers: r.RedactedHeader(), Body: r.Body}
	}
	if r := res.Response; r != nil {
		out.Response = &struct {
			Status int             `json:"status"`
			Body   json.RawMessage `json:"body,omitempty"`
			Text   string          `json:"text,omitempty"`
		}{Status: r.Status}
		if json.Valid(r.Body) {
			out.Response.Body = r.Body
		} else {
			out.Response.Text = string(r.Body)
		}
	}
	if len(res.Vars) > 0 {
		out.Vars = make(map[string]json.RawMessage, len(res.Vars))
		for _, v := range res.Vars {
			out.Vars[v.Name] = valueJSON(v)
		}
	}
	out.Message = res.Message
	if res.Message != "" && !res.Failed() {
		out.Condition = &res.Condition
	}
	if res.Err != nil {
		out.Error = res.Err.Error()
	}
	out.Attempts = res.Attempts
	out.DurationMs = float64(res.Duration.Microseconds()) / 1000
	return out
}

func valueJSON(v tools.Var) json.RawMessage {
	raw, err := v.Value.MarshalJSON()
	if err != nil {
		return json.RawMessage("null")
	}
	return raw
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

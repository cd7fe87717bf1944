package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voiceagent/voiceagent/internal/mcptest"
)

// The reference MCP server from the command line: its tools listed with
// their integration, one called, a transcript replayed live against it.
func TestMCPFromTheCommandLine(t *testing.T) {
	mcptest.Everything(t)
	agent := filepath.Join("..", "..", "replay", "testdata", "everything", "agent.yaml")

	code, out, errOut := runCLI(t, "tools", "list", "--config", agent)
	if code != 0 {
		t.Fatalf("tools list: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"mcp everything: connected, 3 tools",
		"echo                            MCP    mcp://everything/echo  [confirm, integration everything]",
		"a:number b:number",
		"duration?:number steps?:number",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tools list lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "tools", "list", "--config", agent, "--json")
	var listed []listedAgent
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed[0].MCP) != 1 || !listed[0].MCP[0].Connected || len(listed[0].Services) != 3 {
		t.Errorf("tools list --json: exit %d\n%s", code, out)
	}

	code, out, _ = runCLI(t, "tools", "call", "--config", agent, "--tool", "get-sum", "--set", "a=40", "--set", "b=2")
	for _, want := range []string{"MCP mcp://everything/get-sum", `"a": 40`, "MCP result", "message (the tool's text):\n  The sum of 40 and 2 is 42."} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("tools call: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	code, out, _ = runCLI(t, "tools", "call", "--config", agent, "--tool", "trigger-long-running-operation", "--json")
	if code != 1 || !strings.Contains(out, `"error": "service unreachable: timed out or canceled"`) {
		t.Errorf("a call past the timeout: exit %d (want 1)\n%s", code, out)
	}
	code, _, errOut = runCLI(t, "tools", "call", "--config", agent, "--tool", "get-summ")
	if code != 2 || !strings.Contains(errOut, `no tool "get-summ" (did you mean "get-sum"?)`) {
		t.Errorf("unknown tool: exit %d\n%s", code, errOut)
	}

	transcript := filepath.Join("..", "..", "replay", "testdata", "everything", "calls.yaml")
	if code, out, errOut := runCLI(t, "replay", "--live", transcript); code != 0 {
		t.Errorf("replay --live: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "replay", transcript); code != 1 || !strings.Contains(out, "no stub for get-sum") {
		t.Errorf("replay without stubs: exit %d (want 1)\n%s", code, out)
	}
}

func TestMCPServerDown(t *testing.T) {
	agent := writeFile(t, "agent.yaml", `name: down
language: en
services:
  - intent: hours
    endpoint: https://shop.example/hours
integrations:
  - name: crm
    type: mcp
    command: ["/nonexistent/mcp-server"]
`)
	code, out, errOut := runCLI(t, "tools", "list", "--config", agent)
	if code != 0 || !strings.Contains(out, "mcp crm: UNAVAILABLE (connect: ") || !strings.Contains(out, "hours") ||
		!strings.Contains(errOut, "mcp server unavailable") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "tools", "call", "--config", agent, "--tool", "find_customer")
	if code != 2 || !strings.Contains(errOut, `no tool "find_customer"`) || !strings.Contains(errOut, "unavailable MCP servers, whose tools are missing: crm (connect: stdio: ") {
		t.Errorf("a tool of a server that is down: exit %d\n%s", code, errOut)
	}
}

package mcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/internal/mcptest"
	"github.com/voiceagent/voiceagent/tools"
)

// The reference server, run as a real process over stdio and over
// streamable HTTP and SSE: tools listed and mapped, called with typed
// arguments, structuredContent read through an override's mapping, a
// timeout giving the fallback.
func TestEverythingServer(t *testing.T) {
	server := mcptest.Everything(t)
	for _, tt := range []struct {
		name, transport string
		reach           func(t *testing.T) string
	}{
		{"stdio", "", func(*testing.T) string { return `command: ["node", "${MCP_EVERYTHING}", "stdio"]` }},
		{"streamable HTTP", "streamableHttp", func(t *testing.T) string {
			return `url: "` + startNode(t, server, "streamableHttp") + `/mcp"` + "\n    transport: streamable"
		}},
		{"SSE", "sse", func(t *testing.T) string { return `url: "` + startNode(t, server, "sse") + `/sse"` }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := loadAgent(t, `name: everything
language: en
fallbackMessage: FALLBACK
integrations:
  - name: everything
    type: mcp
    `+tt.reach(t)+`
    exclude: [toggle-*]
    confirm: [echo]
    timeout: 1s
    overrides:
      - intent: get-structured-content
        responseMapping: {temperature: "$.temperature", conditions: "$.conditions"}
        responseMessage: "{{conditions}}, {{temperature}} degrees."
      - intent: trigger-long-running-operation
        timeout: 300ms
`)
			m := Start(context.Background(), a, Options{ConnectTimeout: 30 * time.Second})
			defer m.Close()
			if st := m.Status()[0]; !st.Connected {
				t.Fatalf("not connected: %+v", st)
			}
			byName := map[string]string{}
			for _, s := range m.Services() {
				if strings.HasPrefix(s.Intent, "toggle-") {
					t.Errorf("%s was excluded", s.Intent)
				}
				var fields []string
				for _, f := range s.RequiredFields {
					opt := ""
					if f.Optional {
						opt = "?"
					}
					fields = append(fields, f.Name+opt+":"+f.Type)
				}
				byName[s.Intent] = fmt.Sprintf("%v confirm=%v", fields, s.NeedsConfirmation())
			}
			for name, want := range map[string]string{
				"get-sum":                        "[a:number b:number] confirm=false",
				"echo":                           "[message:string] confirm=true",
				"trigger-long-running-operation": "[duration?:number steps?:number] confirm=false",
				"get-structured-content":         "[location:string] confirm=false",
			} {
				if byName[name] != want {
					t.Errorf("%s: %q, want %q", name, byName[name], want)
				}
			}
			cat := compile(t, a, m)
			run := func(tool string, fields map[string]string) *tools.Result {
				return m.Execute(context.Background(), cat.Service(tool), tools.Input{Fields: fields})
			}
			if res := run("get-sum", map[string]string{"a": "2", "b": "3.5"}); res.Message != "The sum of 2 and 3.5 is 5.5." {
				t.Errorf("get-sum: %q (%v)", res.Message, res.Err)
			}
			if res := run("echo", map[string]string{"message": "¿qué tal? \"hola\""}); res.Message != `Echo: ¿qué tal? "hola"` {
				t.Errorf("echo: %q (%v)", res.Message, res.Err)
			}
			if res := run("get-structured-content", map[string]string{"location": "Chicago"}); !strings.HasSuffix(res.Message, " degrees.") || res.Failed() {
				t.Errorf("get-structured-content: %q (%v)", res.Message, res.Err)
			}
			start := time.Now()
			res := run("trigger-long-running-operation", map[string]string{})
			if !errors.Is(res.Err, tools.ErrTransport) || res.Message != "FALLBACK" {
				t.Errorf("a 10 s operation with a 300ms timeout: %q (%v)", res.Message, res.Err)
			}
			t.Logf("long operation: fallback after %v", time.Since(start).Round(time.Millisecond))
			// The session is still usable after the canceled call.
			if res := run("get-sum", map[string]string{"a": "1", "b": "1"}); res.Message != "The sum of 1 and 1 is 2." {
				t.Errorf("after the timeout: %q (%v)", res.Message, res.Err)
			}
		})
	}
}

// startNode runs the reference server over HTTP on a free loopback port
// and returns its base URL once it answers.
func startNode(t *testing.T, server, transport string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("node", server, transport)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %s server did not listen on %s", transport, addr)
		}
	}
}

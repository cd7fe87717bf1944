package mcp

import (
	"context"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/internal/mcptest"
	"github.com/voiceagent/voiceagent/tools"
)

// BenchmarkExecuteInMemory is the cost of one tool call on our side and
// the SDK's (JSON-RPC both ways), with the server in process.
func BenchmarkExecuteInMemory(b *testing.B) {
	a := loadAgent(b, agentFile)
	m := Start(context.Background(), a, Options{Dial: inMemory(b, newServer(&calls{}))})
	defer m.Close()
	svc := compile(b, a, m).Service("book_table")
	in := tools.Input{Fields: map[string]string{"name": "Ana", "day": "2024-01-15", "people": "4", "contact.email": "a@x.com"}}
	b.ReportAllocs()
	for b.Loop() {
		if res := m.Execute(context.Background(), svc, in); res.Message != "Booked." {
			b.Fatal(res.Message, res.Err)
		}
	}
}

// BenchmarkEverythingStdio is a round trip to the reference server, a
// node process over stdio.
func BenchmarkEverythingStdio(b *testing.B) {
	mcptest.Everything(b)
	a := loadAgent(b, `name: e
language: en
integrations:
  - name: everything
    type: mcp
    command: ["node", "${MCP_EVERYTHING}", "stdio"]
    include: [get-sum]
`)
	m := Start(context.Background(), a, Options{ConnectTimeout: 30 * time.Second})
	defer m.Close()
	svc := compile(b, a, m).Service("get-sum")
	in := tools.Input{Fields: map[string]string{"a": "2", "b": "3"}}
	b.ReportAllocs()
	for b.Loop() {
		if res := m.Execute(context.Background(), svc, in); res.Failed() {
			b.Fatal(res.Err)
		}
	}
}

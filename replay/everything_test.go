package replay

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/agents"
	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/internal/mcptest"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/tools/mcp"
	"github.com/voiceagent/voiceagent/transcript"
)

// The reference MCP server through the dialog engine, from a transcript:
// get-sum asked field by field, echo run only after a yes (a confirm
// glob), a tool slower than its timeout giving the fallback while the call
// goes on.
func TestEverythingTranscript(t *testing.T) {
	mcptest.Everything(t)
	r := &Runner{Live: true}
	defer r.Close()
	if res := r.RunFile(context.Background(), "testdata/everything/calls.yaml"); !res.Passed {
		t.Fatal(report(res))
	}
}

// Offline, an MCP tool is answered by the transcript's stub (its tools are
// still listed from the server); a recorded call replays from the
// recording.
func TestEverythingStubbedAndRecorded(t *testing.T) {
	mcptest.Everything(t)
	dir := t.TempDir()
	agentFile, err := os.ReadFile("testdata/everything/agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "agent.yaml"), agentFile, 0o644)
	stubbed := filepath.Join(dir, "stubbed.yaml")
	os.WriteFile(stubbed, []byte(`agent: agent.yaml
stubs:
  get-sum: {body: "Ninety-nine, says the stub."}
  echo: {status: 500, body: "broken"}
turns:
  - caller: "add two numbers"
  - caller: "one"
  - caller: "two"
    expect: {says: "Ninety-nine, says the stub.", request: {intent: get-sum, body: {a: 1, b: 2}}}
  - caller: "repeat a message back to me"
  - caller: "hi"
  - caller: "yes"
    expect: {says: "Sorry, that didn't work."}
`), 0o644)
	r := &Runner{}
	defer r.Close()
	if res := r.RunFile(context.Background(), stubbed); !res.Passed {
		t.Error(report(res))
	}

	// Record a live call, then replay the recording offline.
	cfg, err := configs.Load(filepath.Join(dir, "agent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set := agents.New(agents.Options{})
	defer set.Close()
	agent, err := set.Add(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := session.New(agent, set.Executor(), "CA-9", "")
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	s.Start(context.Background(), now)
	for _, text := range []string{"what's the sum of two numbers", "seven", "eight", "bye"} {
		s.Handle(context.Background(), dialog.Utterance{At: now, Text: text})
	}
	rec := s.Transcript()
	rec.Agent = "agent.yaml"
	data, err := transcript.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("The sum of 7 and 8 is 15.")) || !bytes.Contains(data, []byte("method: MCP")) {
		t.Fatalf("recording:\n%s", data)
	}
	recorded := filepath.Join(dir, "recorded.yaml")
	os.WriteFile(recorded, data, 0o644)
	if res := r.RunFile(context.Background(), recorded); !res.Passed {
		t.Errorf("the recording does not replay:\n%s\n%s", data, report(res))
	}
	tampered := filepath.Join(dir, "tampered.yaml")
	os.WriteFile(tampered, bytes.Replace(data, []byte("- text: The sum of 7 and 8 is 15."), []byte("- text: The sum of 7 and 8 is 16."), 1), 0o644)
	if res := r.RunFile(context.Background(), tampered); res.Passed {
		t.Error("a recording whose tool answer changed still passes")
	}
}

func TestMCPServerDownStopsItsTranscripts(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "agent.yaml"), []byte(`name: down
language: en
integrations:
  - name: crm
    type: mcp
    command: ["`+filepath.Join(dir, "no-such-server")+`"]
`), 0o644)
	os.WriteFile(filepath.Join(dir, "t.yaml"), []byte("agent: agent.yaml\nturns:\n  - caller: hi\n"), 0o644)
	r := &Runner{MCP: mcp.Options{Attempts: 1}}
	defer r.Close()
	res := r.RunFile(context.Background(), filepath.Join(dir, "t.yaml"))
	if !errors.Is(res.Err, ErrSetup) || !strings.Contains(res.Err.Error(), "integration crm: the MCP server is unavailable") {
		t.Errorf("got %v", res.Err)
	}
	// The next transcript of the agent gets the same answer without trying again.
	if again := r.RunFile(context.Background(), filepath.Join(dir, "t.yaml")); again.Err == nil || again.Err.Error() != res.Err.Error() {
		t.Errorf("second transcript: %v", again.Err)
	}
}

func report(res Result) string {
	var buf bytes.Buffer
	WriteText(&buf, []Result{res}, true)
	return buf.String()
}

package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/llm"
)

// TestMain keeps a developer's own model settings (OPENAI_API_KEY…) out
// of the tests: a test that wants a model points at a fake one.
func TestMain(m *testing.M) {
	for _, k := range llm.Env {
		os.Unsetenv(k)
	}
	os.Exit(m.Run())
}

func useFakeModel(t *testing.T, srv *openaitest.Server) {
	t.Setenv("VOICEAGENT_LLM", "openai")
	t.Setenv("OPENAI_BASE_URL", srv.URL)
	t.Setenv("OPENAI_API_KEY", "sk-cli-test")
}

// TestReplayLLM: replay --llm asks the model for every caller turn; when
// the model is down the transcripts still pass, read by the rules.
func TestReplayLLM(t *testing.T) {
	srv := openaitest.New(openaitest.Always(openaitest.Reply{Status: 503}))
	defer srv.Close()
	useFakeModel(t, srv)
	code, out, errOut := runCLI(t, "replay", "--llm", "--llm-budget", "300ms", "../../configs/transcripts/")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "Understanding: openai-compatible model "+llm.DefaultModel+" at 127.0.0.1") || !strings.Contains(errOut, "budget 300ms") {
		t.Errorf("stderr does not say which model: %s", errOut)
	}
	if len(srv.Requests()) == 0 {
		t.Error("the model was never asked")
	}
	if strings.Contains(errOut, "sk-cli-test") || strings.Contains(out, "sk-cli-test") {
		t.Error("the API key was printed")
	}
	// Without --llm the model is not asked.
	before := len(srv.Requests())
	if code, _, _ := runCLI(t, "replay", "../../configs/transcripts/clinica/"); code != 0 || len(srv.Requests()) != before {
		t.Errorf("replay without --llm: exit %d, %d model requests", code, len(srv.Requests())-before)
	}
}

func TestReplayLLMUsage(t *testing.T) {
	if code, _, errOut := runCLI(t, "replay", "--llm", "../../configs/transcripts/clinica/"); code != exitUsage || !strings.Contains(errOut, "no model configured") {
		t.Errorf("--llm without a model: exit %d, %s", code, errOut)
	}
	t.Setenv("VOICEAGENT_LLM", "gemini")
	if code, _, errOut := runCLI(t, "chat", "--agent", "clinica-central"); code != exitUsage || !strings.Contains(errOut, `VOICEAGENT_LLM="gemini"`) {
		t.Errorf("bad provider: exit %d, %s", code, errOut)
	}
}

// TestChatWithModel: chat reads the caller with the model — a request the
// rules alone would not place — and records the reading so the saved call
// replays offline.
func TestChatWithModel(t *testing.T) {
	srv := openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		last := r.Messages[len(r.Messages)-1].Content
		if strings.Contains(last, "corazón") {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{{ID: "1", Name: "check_availability",
				Arguments: `{"especialidad": "cardiología", "fecha": "2026-11-27"}`}}}
		}
		return openaitest.Reply{}
	})
	defer srv.Close()
	useFakeModel(t, srv)
	saved := t.TempDir() + "/call.yaml"
	input := "oiga, el doctor del corazón, ¿tiene algo libre el viernes 27?\n/save " + saved + "\n"
	var stdout, stderr bytes.Buffer
	code := run([]string{"chat", "--agent", "clinica-central", "--llm-budget", "2s"}, strings.NewReader(input), &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr.String())
	}
	for _, want := range []string{"Understanding: openai-compatible model", "· GET https://api.clinica-central.example/v1/availability?fecha=2026-11-27&especialidad=cardiolog%C3%ADa → 200 (stub)"} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, out)
		}
	}
	data, _ := os.ReadFile(saved)
	if !strings.Contains(string(data), "model:") {
		t.Errorf("the saved call has no reading:\n%s", data)
	}
	os.Unsetenv("OPENAI_API_KEY")
	t.Setenv("VOICEAGENT_LLM", "off")
	if code, rep, _ := runCLI(t, "replay", saved); code != 0 {
		t.Errorf("the saved call does not replay offline: exit %d\n%s\n%s", code, rep, data)
	}
}

// Package arch_test keeps the package graph one-way, as ARCHITECTURE.md
// draws it: it fails when a package gains a forbidden import, directly or
// through another package.
package arch_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/voiceagent/voiceagent"

// rule forbids packages under From from depending on anything under the
// Forbidden paths (module-relative, or standard library paths).
type rule struct {
	From      string
	Forbidden []string
	Why       string
	// Except are paths under Forbidden that are allowed.
	Except []string
}

var rules = []rule{
	{"configs", []string{"tools", "dialog", "telephony", "llm", "cmd", "net/http"}, "the schema is plain data", nil},
	{"internal", []string{"configs", "tools", "dialog", "telephony", "llm", "speech", "calls", "cmd"}, "internal packages are leaves", nil},
	{"tools/expr", []string{"configs", "tools", "dialog", "telephony", "llm", "cmd", "net/http"}, "the expression language is a leaf", nil},
	{"tools", []string{"dialog", "session", "agents", "replay", "transcript", "telephony", "llm", "calls", "cmd"}, "integrations know nothing of calls", nil},
	{"dialog", []string{"tools", "session", "replay", "transcript", "telephony", "llm", "calls", "cmd", "net/http", "os/exec"}, "the dialog is a pure state machine", []string{"tools/expr"}},
	{"transcript", []string{"configs", "tools", "dialog", "session", "replay", "telephony", "llm", "calls", "cmd"}, "the transcript format is plain data", nil},
	{"session", []string{"agents", "replay", "telephony", "llm", "speech", "calls", "cmd"}, "sessions know nothing of audio or models", nil},
	{"agents", []string{"replay", "telephony", "speech", "calls", "cmd"}, "agents are loaded for calls of any kind", nil},
	{"replay", []string{"telephony", "llm", "speech", "calls", "cmd"}, "replay runs without audio or models", nil},
	{"speech", []string{"configs", "tools", "dialog", "session", "agents", "replay", "transcript", "telephony", "llm", "calls", "cmd", "internal"}, "the speech contract is a leaf both sides import", nil},
	{"speech/openai", []string{"configs", "tools", "dialog", "session", "agents", "replay", "transcript", "telephony", "llm", "calls", "cmd", "internal"}, "a speech provider implements the contract and knows nothing of calls", []string{"speech"}},
	{"speech/deepgram", []string{"configs", "tools", "dialog", "session", "agents", "replay", "transcript", "telephony", "llm", "calls", "cmd", "internal"}, "a speech provider implements the contract and knows nothing of calls", []string{"speech"}},
	{"speech/espeak", []string{"configs", "tools", "dialog", "session", "agents", "replay", "transcript", "telephony", "llm", "calls", "cmd", "internal"}, "a speech provider implements the contract and knows nothing of calls", []string{"speech"}},
	{"telephony/audio", []string{"configs", "tools", "dialog", "llm", "speech", "calls", "cmd", "internal"}, "audio is a leaf", nil},
	{"telephony/twilio", []string{"configs", "tools", "dialog", "session", "agents", "replay", "transcript", "llm", "speech", "calls", "cmd"}, "the Twilio protocol knows nothing of agents or providers", nil},
	{"telephony/twilio/twiliotest", []string{"configs", "tools", "dialog", "telephony", "llm", "speech", "calls", "cmd"}, "the fake Twilio caller speaks only the protocol and audio leaves", []string{"telephony/twilio", "telephony/audio"}},
	{"telephony/webrtc", []string{"tools", "session", "agents", "replay", "transcript", "llm", "speech/openai", "speech/deepgram", "speech/espeak", "calls", "cmd", "telephony/twilio", "telephony/twiliovoice"}, "a transport carries audio, keys and marks to the runtime and knows nothing of sessions, agents, integrations, models, speech providers, the call layer or another carrier", []string{"tools/expr"}},
	{"telephony/webrtc/webrtctest", []string{"configs", "tools", "dialog", "telephony", "llm", "speech", "calls", "cmd"}, "the fake browser caller speaks only the transport's wire protocol and the audio leaf", []string{"telephony/audio"}},
	{"telephony", []string{"tools", "session", "agents", "replay", "transcript", "llm", "speech/openai", "speech/deepgram", "speech/espeak", "calls", "cmd"}, "the runtime and transports know nothing of integrations, sessions, model or speech providers, or the call layer", []string{"tools/expr"}},
	{"calls", []string{"llm", "speech/openai", "speech/deepgram", "speech/espeak", "telephony/twiliovoice", "telephony/twilio", "replay", "cmd"}, "the call layer takes its model and providers through interfaces and knows no carrier", nil},
	{"calls/storetest", []string{"llm", "speech/openai", "speech/deepgram", "speech/espeak", "telephony/twiliovoice", "telephony/twilio", "replay", "cmd", "calls/redisstore", "internal/redistest"}, "the store suite knows only the contract, whatever keeps the calls", nil},
	{"calls/redisstore", []string{"llm", "speech/openai", "speech/deepgram", "speech/espeak", "telephony/twiliovoice", "telephony/twilio", "replay", "cmd", "calls/storetest", "internal/redistest"}, "a store implements the contract, and its tests' helpers stay in its tests", nil},
	{"web", []string{"configs", "tools", "dialog", "session", "agents", "replay", "transcript", "telephony", "llm", "speech", "calls", "cmd", "internal"}, "the page reaches the server only over HTTP", nil},
	{"llm", []string{"telephony", "tools", "session", "agents", "replay", "transcript", "speech", "calls", "cmd"}, "model clients read the dialog's queries and know nothing of calls, audio or integrations", []string{"tools/expr"}},
}

// under reports whether pkg is path or inside it ("tools" holds
// "tools/expr" but not "toolsx").
func under(pkg, path string) bool {
	return pkg == path || strings.HasPrefix(pkg, path+"/")
}

// violations checks a graph of module-relative (or standard) package paths
// to their transitive dependencies.
func violations(graph map[string][]string, rules []rule) []string {
	var out []string
	for pkg, deps := range graph {
		for _, r := range rules {
			if !under(pkg, r.From) || moreSpecificRule(pkg, r, rules) {
				continue
			}
			for _, dep := range deps {
				for _, f := range r.Forbidden {
					if under(dep, f) && !under(dep, pkg) && !slices.ContainsFunc(r.Except, func(e string) bool { return under(dep, e) }) {
						out = append(out, pkg+" imports "+dep+" ("+r.Why+")")
					}
				}
			}
		}
		for _, dep := range deps {
			if under(dep, "cmd") {
				out = append(out, pkg+" imports "+dep+" (nothing imports cmd)")
			}
		}
	}
	return out
}

// moreSpecificRule: a package follows only its most specific rule, so
// tools/expr is judged as tools/expr, not as tools.
func moreSpecificRule(pkg string, r rule, rules []rule) bool {
	for _, other := range rules {
		if len(other.From) > len(r.From) && under(other.From, r.From) && under(pkg, other.From) {
			return true
		}
	}
	return false
}

func TestImportGraph(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	graph := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		if pkg == "" || strings.HasPrefix(pkg, "cmd") {
			continue
		}
		var deps []string
		for _, d := range fields[1:] {
			if strings.HasPrefix(d, module+"/") {
				deps = append(deps, strings.TrimPrefix(d, module+"/"))
			} else if !strings.Contains(strings.Split(d, "/")[0], ".") && !strings.HasPrefix(d, "internal/") && !strings.Contains(d, "/internal/") {
				deps = append(deps, d) // standard library, without its internals (our internal/ is ours)
			}
		}
		graph[pkg] = deps
	}
	if len(graph) < 4 {
		t.Fatalf("go list found only %d packages", len(graph))
	}
	for _, v := range violations(graph, rules) {
		t.Error(v)
	}
}

// TestViolationsDetects proves the check can fail.
func TestViolationsDetects(t *testing.T) {
	graph := map[string][]string{
		"dialog":                      {"configs", "net/http", "tools/expr", "tools"},
		"tools/expr":                  {"configs"},
		"tools":                       {"tools/expr", "configs"},
		"configs":                     {"internal/suggest"},
		"llm":                         {"cmd/voiceagent"},
		"telephony/twiliovoice":       {"telephony", "telephony/audio", "telephony/twilio", "speech/openai"},
		"speech/openai":               {"speech"},
		"calls":                       {"session", "telephony", "llm"},
		"telephony/webrtc":            {"telephony", "telephony/audio", "speech", "calls", "session"},
		"telephony/webrtc/webrtctest": {"telephony/audio", "telephony/webrtc"},
		"calls/redisstore":            {"calls", "internal/redistest"},
		"calls/storetest":             {"calls", "calls/redisstore"},
		"internal/redistest":          {"calls"},
	}
	got := strings.Join(violations(graph, rules), "\n")
	for _, want := range []string{
		"dialog imports net/http",
		"dialog imports tools (",
		"tools/expr imports configs",
		"llm imports cmd/voiceagent (nothing imports cmd)",
		"telephony/twiliovoice imports speech/openai",
		"calls imports llm",
		"telephony/webrtc imports calls",
		"telephony/webrtc imports session",
		"telephony/webrtc/webrtctest imports telephony/webrtc",
		"calls/redisstore imports internal/redistest",
		"calls/storetest imports calls/redisstore",
		"internal/redistest imports calls",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missed %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "tools imports tools/expr") || strings.Contains(got, "configs imports") || strings.Contains(got, "dialog imports tools/expr") ||
		strings.Contains(got, "speech/openai imports speech") || strings.Contains(got, "twiliovoice imports telephony ") || strings.Contains(got, "calls imports telephony") ||
		strings.Contains(got, "webrtc imports telephony ") || strings.Contains(got, "webrtc imports speech") || strings.Contains(got, "webrtctest imports telephony/audio") {
		t.Errorf("false positive:\n%s", got)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// runCLI runs the command line and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidate(t *testing.T) {
	good := writeFile(t, "good.yaml", "name: good\nservices:\n  - intent: x\n    endpoint: https://a.example/x\n")
	bad := writeFile(t, "bad.yaml", "name: bad\nservices:\n  - intent: x\n    endpoint: https://a.example/{{id}}\n    requiredFields:\n      - name: n\n        tipe: string\n")
	alike := writeFile(t, "alike.yaml", "name: alike\nlanguage: es\nservices:\n  - intent: reservar_cita\n    reference: Reservar una cita médica\n    endpoint: https://a.example/a\n  - intent: agendar_consulta\n    reference: Agendar una cita con el médico\n    endpoint: https://a.example/b\n  - intent: cancelar_cita\n    reference: Cancelar una cita médica\n    endpoint: https://a.example/c\n")
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"embedded examples", []string{"validate"}, 0, []string{"ok   configs/clinica.yaml (clinica-central: 3 services)", "ok   configs/helpdesk.yaml", "ok   configs/tienda.yaml"}},
		{"a good file", []string{"validate", "--config", good}, 0, []string{"ok   " + good}},
		{"a bad file", []string{"validate", "--config", good, "--config", bad}, 1, []string{
			bad + `:7: services[0].requiredFields[0].tipe: unknown field "tipe" (did you mean "type"?)`,
			bad + `:4: services[0].endpoint: unknown variable {{id}}`,
			"FAIL 2 problems in 1 file",
		}},
		{"services too alike: a warning, not a failure", []string{"validate", "--config", alike}, 0, []string{
			alike + `:8: services[1].reference: warning: "agendar_consulta" and "reservar_cita" (line 5) are too alike to tell apart`,
		}},
		{"a missing file", []string{"validate", "--config", "/nonexistent/agent.yaml"}, 2, []string{"--config /nonexistent/agent.yaml: no such file or directory"}},
		{"an unknown flag", []string{"validate", "--confg", good}, 2, []string{"unknown flag: --confg"}},
		{"an unknown command", []string{"valdate"}, 2, []string{`unknown command "valdate"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, want := range tt.contains {
				if !strings.Contains(out+errOut, want) {
					t.Errorf("output lacks %q:\n%s%s", want, out, errOut)
				}
			}
		})
	}
}

func TestToolsList(t *testing.T) {
	code, out, _ := runCLI(t, "tools", "list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"clinica-central  (es, America/Lima)", "schedule_appointment", "[confirm]", "fecha:date", "refund", "[confirm, integration helpdesk]"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "tools", "list", "--agent", "acme-helpdesk", "--json")
	var agents []listedAgent
	if code != 0 || json.Unmarshal([]byte(out), &agents) != nil || len(agents) != 1 || len(agents[0].Services) != 4 {
		t.Errorf("--json: exit %d, %d agents:\n%s", code, len(agents), out)
	}
	code, _, errOut := runCLI(t, "tools", "list", "--agent", "acme-helpdesc")
	if code != 2 || !strings.Contains(errOut, `no agent "acme-helpdesc" (did you mean "acme-helpdesk"?)`) {
		t.Errorf("unknown agent: exit %d, %s", code, errOut)
	}
	bad := writeFile(t, "bad.yaml", "name: bad\nservices: 3\n")
	if code, _, errOut := runCLI(t, "tools", "list", "--config", bad); code != 2 || !strings.Contains(errOut, "services: expected a list") {
		t.Errorf("bad config: exit %d, %s", code, errOut)
	}
}

const secretToken = "tok-DO-NOT-PRINT-42"

// callAgent writes an agent whose service points at srv.
func callAgent(t *testing.T, srv *httptest.Server) string {
	return writeFile(t, "agent.yaml", `name: cli
language: es
fallbackMessage: "FALLBACK"
services:
  - intent: book
    endpoint: `+srv.URL+`/citas
    headers: {Authorization: "Bearer ${CLI_TOKEN}"}
    requiredFields:
      - {name: nombre, promptHint: "¿Tu nombre?"}
      - {name: fecha, type: date, promptHint: "¿Qué día?"}
    bodyTemplate: {nombre: "{{nombre}}", fecha: "{{fecha|format('dd/MM/yyyy')}}"}
    responseMapping: {id: "$.id", estado: "$.status"}
    responseMessage: "Cita {{id}} para el {{fecha}}."
    responseConditions:
      - condition: "$.status == 'conflict'"
        message: "Ese horario está ocupado."
`)
}

func TestToolsCall(t *testing.T) {
	t.Setenv("CLI_TOKEN", secretToken)
	var hits atomic.Int32
	var lastBody atomic.Value
	status := 200
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		lastBody.Store(string(b))
		if r.Header.Get("Authorization") != "Bearer "+secretToken {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, `{"id": "apt_9", "status": "ok"}`)
	}))
	defer srv.Close()
	agent := callAgent(t, srv)
	sets := []string{"--set", "nombre=Ana Díaz", "--set", "fecha=2024-01-15"}

	code, out, errOut := runCLI(t, append([]string{"tools", "call", "--config", agent, "--tool", "book", "--log-level", "debug"}, sets...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"POST " + srv.URL + "/citas", "Authorization: [redacted]", `"fecha": "15/01/2024"`,
		"HTTP 200", `"id": "apt_9"`, `id = "apt_9"`, "message (responseMessage):", "Cita apt_9 para el 2024-01-15.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, secretToken) {
		t.Errorf("the header value was printed:\n%s\n%s", out, errOut)
	}
	if got := lastBody.Load(); got != `{"nombre":"Ana Díaz","fecha":"15/01/2024"}` {
		t.Errorf("sent body %v", got)
	}

	code, out, _ = runCLI(t, append([]string{"tools", "call", "-c", agent, "--tool", "book", "--json"}, sets...)...)
	var res callOutput
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || string(res.Vars["id"]) != `"apt_9"` || res.Response.Status != 200 {
		t.Errorf("--json: exit %d\n%s", code, out)
	}

	before := hits.Load()
	code, out, _ = runCLI(t, append([]string{"tools", "call", "-c", agent, "--tool", "book", "--dry-run"}, sets...)...)
	if code != 0 || hits.Load() != before || !strings.Contains(out, "Authorization: [redacted]") {
		t.Errorf("--dry-run: exit %d, %d requests sent\n%s", code, hits.Load()-before, out)
	}

	status = 500
	code, out, errOut = runCLI(t, append([]string{"tools", "call", "-c", agent, "--tool", "book"}, sets...)...)
	if code != 1 || !strings.Contains(out, "message (fallback: service answered with an error status: 500)") || !strings.Contains(out, "FALLBACK") {
		t.Errorf("fallback: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestToolsCallUsageErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	t.Setenv("CLI_TOKEN", secretToken)
	agent := callAgent(t, srv)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no tool", []string{"tools", "call", "-c", agent}, "--tool is required"},
		{"unknown tool", []string{"tools", "call", "-c", agent, "--tool", "bok"}, `no tool "bok" (did you mean "book"?)`},
		{"missing fields", []string{"tools", "call", "-c", agent, "--tool", "book", "--set", "nombre=Ana"}, "--set fecha=...   (date: ¿Qué día?)"},
		{"unknown field", []string{"tools", "call", "-c", agent, "--tool", "book", "--set", "nombr=Ana"}, `has no field "nombr" (did you mean "nombre"?)`},
		{"malformed set", []string{"tools", "call", "-c", agent, "--tool", "book", "--set", "nombre"}, "want field=value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, want 2 and %q\n%s%s", code, tt.want, out, errOut)
			}
		})
	}
}

func TestPrintableNeutralisesEscapes(t *testing.T) {
	if got := printable("a\x1b[31mb\x07\tc\n"); got != "a\uFFFD[31mb\uFFFD\tc\n" {
		t.Errorf("printable = %q", got)
	}
}

func TestReplayExitCodes(t *testing.T) {
	code, out, _ := runCLI(t, "replay", "../../replay/testdata/booking.yaml")
	if code != 0 || !strings.Contains(out, "--- PASS: ../../replay/testdata/booking.yaml (4 turns)") || !strings.Contains(out, "ok   1 transcripts passed") {
		t.Errorf("passing: exit %d\n%s", code, out)
	}
	data, _ := os.ReadFile("../../replay/testdata/booking.yaml")
	agent, _ := os.ReadFile("../../replay/testdata/agent.yaml")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "agent.yaml"), agent, 0o644)
	os.WriteFile(filepath.Join(dir, "wrong.yaml"), []byte(strings.Replace(string(data), "asks: personas", "asks: fecha", 1)), 0o644)
	code, out, _ = runCLI(t, "replay", filepath.Join(dir, "wrong.yaml"))
	if code != 1 || !strings.Contains(out, "FAIL asks: expected fecha, got personas") || !strings.Contains(out, `turn 2 (line 8): caller "Ana Díaz"`) {
		t.Errorf("failing: exit %d\n%s", code, out)
	}
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("agent: agent.yaml\nturns:\n  - callr: hola\n"), 0o644)
	code, out, _ = runCLI(t, "replay", filepath.Join(dir, "bad.yaml"))
	if code != 2 || !strings.Contains(out, "bad.yaml:3: field callr not found") {
		t.Errorf("malformed: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "replay", "--json", "../../replay/testdata/booking.yaml")
	if code != 0 || !strings.Contains(out, `"passed": 1`) || !strings.Contains(out, `"asks": "nombre"`) {
		t.Errorf("--json: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "replay"); code != 2 || !strings.Contains(errOut, "requires at least 1 arg") {
		t.Errorf("no args: exit %d %s", code, errOut)
	}
}

// TestChatBooksAnAppointment is what a new user does first: a Spanish
// appointment booked end to end with the embedded clinic.
func TestChatBooksAnAppointment(t *testing.T) {
	saved := filepath.Join(t.TempDir(), "call.yaml")
	input := strings.Join([]string{
		"hola, quiero agendar una cita de cardiología",
		"me llamo Juan Pérez",
		"/state",
		"juan arroba gmail punto com",
		"/dtmf 987654321#",
		"el viernes a las 10 de la mañana",
		"sí",
		"/save " + saved,
		"no, gracias",
	}, "\n") + "\n"
	var stdout, stderr bytes.Buffer
	code := run([]string{"chat", "--agent", "clinica-central"}, strings.NewReader(input), &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr.String())
	}
	for _, want := range []string{
		"Talking to clinica-central (es). services answered by demo stubs",
		"agent> Hola, gracias por llamar a Clínica Central.",
		"state: collecting  intent: schedule_appointment  asking: email",
		"nombre = Juan Pérez",
		"¿Confirmas la reserva?",
		"· POST https://api.clinica-central.example/v1/appointments → 201 (stub)",
		"Tu código de cita es 48213",
		"(the agent hung up)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, out)
		}
	}
	code, rep, _ := runCLI(t, "replay", saved)
	if code != 0 {
		data, _ := os.ReadFile(saved)
		t.Errorf("the saved call does not replay: exit %d\n%s\n%s", code, rep, data)
	}
}

// Piped input: the agent picker and the conversation read the same stream.
func TestChatPickerThenConversation(t *testing.T) {
	var stdout bytes.Buffer
	code := run([]string{"chat"}, strings.NewReader("2\nI want to check my ticket status\n/quit\n"), &stdout, io.Discard)
	if code != 0 || !strings.Contains(stdout.String(), "you> I want to check my ticket status\nagent> ") {
		t.Errorf("exit %d\n%s", code, stdout.String())
	}
}

// chat with a config calls its services for real (it once crashed here).
func TestChatCallsServicesForReal(t *testing.T) {
	t.Setenv("CLI_TOKEN", secretToken)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id": "apt_7", "status": "ok"}`))
	}))
	defer srv.Close()
	var stdout bytes.Buffer
	code := run([]string{"chat", "--config", callAgent(t, srv)}, strings.NewReader("book\nAna Díaz\nel 15 de enero de 2030\n"), &stdout, io.Discard)
	out := stdout.String()
	if code != 0 || !strings.Contains(out, "· POST "+srv.URL+"/citas → 200") || !strings.Contains(out, "Cita apt_7 para el 2030-01-15.") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestUnsetVariables: an agent whose ${SOME_TOKEN} is unset validates
// with a warning and replays from its stubs, but serve, chat and tools
// refuse to start, naming the variable.
func TestUnsetVariables(t *testing.T) {
	t.Setenv("SOME_TOKEN", "")
	os.Unsetenv("SOME_TOKEN")
	dir := t.TempDir()
	agentData, _ := os.ReadFile("../../replay/testdata/agent.yaml")
	agentData = bytes.ReplaceAll(agentData, []byte("    endpoint: "), []byte("    headers: {Authorization: \"Bearer ${SOME_TOKEN}\"}\n    endpoint: "))
	agent := filepath.Join(dir, "agent.yaml")
	os.WriteFile(agent, agentData, 0o644)
	booking, _ := os.ReadFile("../../replay/testdata/booking.yaml")
	transcriptFile := filepath.Join(dir, "booking.yaml")
	os.WriteFile(transcriptFile, booking, 0o644)
	const notSet = ":9: services[0].headers.Authorization: environment variable SOME_TOKEN is not set"
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"validate: a warning", []string{"validate", "--config", agent}, 0, []string{"ok   " + agent, agent + ":9: services[0].headers.Authorization: warning: environment variable SOME_TOKEN is not set: serve, chat and tools will not start without it"}},
		{"replay: the stubs answer", []string{"replay", transcriptFile}, 0, []string{"--- PASS: " + transcriptFile}},
		{"chat", []string{"chat", "--config", agent}, 2, []string{agent + notSet}},
		{"tools list", []string{"tools", "list", "--config", agent}, 2, []string{agent + notSet}},
		{"tools call --dry-run", []string{"tools", "call", "--config", agent, "--tool", "horarios", "--set", "fecha=2024-01-15", "--dry-run"}, 2, []string{agent + notSet}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, want := range tt.contains {
				if !strings.Contains(out+errOut, want) {
					t.Errorf("output lacks %q:\n%s%s", want, out, errOut)
				}
			}
		})
	}
	t.Run("serve", func(t *testing.T) {
		var out bytes.Buffer
		a := &app{stdout: &out, stderr: &out, log: slog.New(slog.DiscardHandler)}
		vars := map[string]string{"VOICEAGENT_TTS": "off"}
		srv, err := a.newServer(t.Context(), &serveFlags{configs: []string{agent}, drain: time.Second}, func(k string) string { return vars[k] })
		if err == nil {
			srv.close()
			t.Fatal("serve started without SOME_TOKEN")
		}
		if !strings.Contains(err.Error(), agent+notSet) {
			t.Errorf("serve: %v", err)
		}
	})
}

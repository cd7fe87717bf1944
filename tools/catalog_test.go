package tools

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/tools/expr"
)

// compile loads and compiles an agent file, failing the test on problems.
func compile(t testing.TB, file string) *Catalog {
	t.Helper()
	a, err := configs.Parse("test.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestCompileReportsProblems(t *testing.T) {
	file := `name: test
language: es
greeting: "Hola {{caller_numbr}}"
services:
  - intent: book
    endpoint: https://api.example.com/book/{{cita}}
    requiredFields:
      - name: nombre
      - name: fecha
        type: date
    bodyTemplate:
      cliente:
        nombre: "{{nombre|upper}}"
        fecha: "{{fecha|format('yyyy-QQ')}}"
        email: "{{email}}"
    responseMapping:
      id: "$.data.id"
      bad: "data.id"
      worse: "$.items[?(@.x)]"
    responseMessage: "Listo {{nombre}}, tu código es {{id}} y {{codigo}}"
    responseConditions:
      - condition: "$.status = 'ok'"
        message: "ok"
      - condition: "estado == 'x'"
        message: "{{id}}"
    confirmation:
      required: true
      message: "¿Confirmas {{id}}?"
`
	a, err := configs.Parse("test.yaml", []byte(file))
	if err != nil {
		t.Fatalf("structural problems: %v", err)
	}
	_, err = Compile(a)
	if !errors.Is(err, configs.ErrInvalid) {
		t.Fatalf("Compile error %v is not ErrInvalid", err)
	}
	got := err.Error()
	for _, want := range []string{
		`test.yaml:3: greeting: unknown variable {{caller_numbr}}: not a system variable (did you mean "caller_number"?)`,
		`test.yaml:6: services[0].endpoint: unknown variable {{cita}}: not a requiredField or a system variable`,
		`test.yaml:14: services[0].bodyTemplate.cliente.fecha: column 1: format("yyyy-QQ"): unknown pattern letter "Q"`,
		`test.yaml:15: services[0].bodyTemplate.cliente.email: unknown variable {{email}}: not a requiredField or a system variable`,
		`test.yaml:18: services[0].responseMapping.bad: bad JSONPath "data.id": a JSONPath starts with $`,
		`test.yaml:19: services[0].responseMapping.worse: bad JSONPath "$.items[?(@.x)]": filter expressions`,
		`test.yaml:20: services[0].responseMessage: unknown variable {{codigo}}: not a requiredField, a responseMapping variable or a system variable`,
		`test.yaml:22: services[0].responseConditions[0].condition: bad condition "$.status = 'ok'": column 10: use == to compare`,
		`test.yaml:24: services[0].responseConditions[1].condition: unknown variable {{estado}}`,
		`test.yaml:28: services[0].confirmation.message: unknown variable {{id}}: not a requiredField or a system variable`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack\n  %s\ngot:\n%s", want, got)
		}
	}
}

func TestExamplesCompile(t *testing.T) {
	agents, err := configs.LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if _, err := Compile(a); err != nil {
			t.Errorf("%s: %v", a.Name, err)
		}
	}
}

// TestProblemsInOddKeysHaveTheirLine: keys with dots or spaces are located
// on their own line, the same way configs records them.
func TestProblemsInOddKeysHaveTheirLine(t *testing.T) {
	a, err := configs.Parse("k.yaml", []byte(`name: k
services:
  - intent: s
    endpoint: "https://a.example/x?q={{nombre}}&r={{nope}}"
    requiredFields: [nombre]
    bodyTemplate:
      "filter.status": "{{falta}}"
      "cliente nombre": "{{tampoco}}"
    responseMapping:
      "cita.id": "data.id"
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(a)
	got := err.Error()
	for _, want := range []string{
		`k.yaml:4: services[0].endpoint: unknown variable {{nope}}`,
		`k.yaml:7: services[0].bodyTemplate["filter.status"]: unknown variable {{falta}}`,
		`k.yaml:8: services[0].bodyTemplate["cliente nombre"]: unknown variable {{tampoco}}`,
		`k.yaml:10: services[0].responseMapping["cita.id"]: bad JSONPath`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	a2, _ := configs.Parse("q.yaml", []byte("name: q\nservices:\n  - intent: s\n    endpoint: \"https://a.example/x?q={{a|nope}}\"\n"))
	if _, err := Compile(a2); err == nil || !strings.Contains(err.Error(), "column 23:") {
		t.Errorf("an endpoint query's column counts from the endpoint's start: %v", err)
	}
}

// TestSystemVarsResolved: every system variable a file may use (as
// validation knows them) is resolved by expr.System.
func TestSystemVarsResolved(t *testing.T) {
	sc := &scope{cat: &Catalog{Agent: &configs.Agent{Name: "a", Language: "es"}, Location: time.UTC}, in: &Input{Now: time.Now()}}
	for _, name := range configs.SystemVars {
		if _, ok := expr.System(name, sc); !ok {
			t.Errorf("system variable %q is not resolved", name)
		}
	}
}

// TestIdempotencyKey: a run's key goes out as the Idempotency-Key header,
// unless the service says idempotencyKey: false or sets the header
// itself; no key, no header.
func TestIdempotencyKey(t *testing.T) {
	cat := compile(t, `name: test
language: en
services:
  - {intent: a, endpoint: "https://api.example.com/a", method: POST}
  - {intent: b, endpoint: "https://api.example.com/b", method: POST, idempotencyKey: false}
  - {intent: c, endpoint: "https://api.example.com/c", method: POST, headers: {Idempotency-Key: "mine-{{call_id}}"}}
`)
	for _, tt := range []struct {
		intent, key, want string
	}{
		{"a", "k1", "k1"},
		{"a", "", ""},
		{"b", "k1", ""},
		{"c", "k1", "mine-{{call_id}}"},
	} {
		req, err := cat.Service(tt.intent).NewRequest(Input{IdempotencyKey: tt.key, CallID: "c-1"})
		if err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get("Idempotency-Key"); got != tt.want {
			t.Errorf("%s with key %q: header %q, want %q", tt.intent, tt.key, got, tt.want)
		}
	}
}

package configs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// minimal is a valid agent the problem tests start from.
const minimal = `name: test
language: es
services:
  - intent: book
    reference: reservar
    method: POST
    endpoint: https://api.example.com/book
    requiredFields:
      - name: nombre
        type: string
        promptHint: "¿Tu nombre?"
`

func TestParseReportsEveryProblemClass(t *testing.T) {
	t.Setenv("PRESENT_TOKEN", "s3cret-value")
	t.Setenv("PRESENT_HOST", "169.254.1.2")
	tests := []struct {
		name string
		file string
		want []string // substrings of problems, each "line: path: reason"
	}{
		{
			name: "unknown field with did you mean",
			file: strings.Replace(minimal, "promptHint:", "promtHint:", 1),
			want: []string{`:11: services[0].requiredFields[0].promtHint: unknown field "promtHint" (did you mean "promptHint"?)`},
		},
		{
			name: "unknown field at top level without a close match",
			file: minimal + "colour: blue\n",
			want: []string{`:12: colour: unknown field "colour"`},
		},
		{
			name: "unknown type",
			file: strings.Replace(minimal, "type: string", "type: strng", 1),
			want: []string{`:10: services[0].requiredFields[0].type: unknown type "strng" (did you mean "string"?)`},
		},
		{
			name: "unknown method",
			file: strings.Replace(minimal, "method: POST", "method: FETCH", 1),
			want: []string{`:6: services[0].method: unknown method "FETCH"`},
		},
		{
			name: "bad URL",
			file: strings.Replace(minimal, "https://api.example.com/book", "ftp://api.example.com/book", 1),
			want: []string{`:7: services[0].endpoint: bad URL "ftp://api.example.com/book": want http:// or https://`},
		},
		{
			name: "link-local and cloud metadata hosts",
			file: strings.Replace(minimal, "https://api.example.com/book", "http://169.254.169.254/latest/meta-data", 1) + `  - intent: other
    endpoint: "http://[fe80::1%25eth0]:8080/x"
  - intent: third
    endpoint: https://metadata.google.internal./computeMetadata/v1
integrations:
  - name: crm
    type: mcp
    url: http://[fd00:ec2::254]/mcp
  - name: helpdesk
    type: http
    baseUrl: http://100.100.100.200/api
    tools:
      - intent: t
        endpoint: /tickets
`,
			want: []string{
				`:7: services[0].endpoint: URL "http://169.254.169.254/latest/meta-data": its host is a cloud metadata address; services may not reach link-local or cloud metadata addresses`,
				`:13: services[1].endpoint: URL "http://[fe80::1%25eth0]:8080/x": its host is a link-local address`,
				`:15: services[2].endpoint: URL "https://metadata.google.internal./computeMetadata/v1": its host is a cloud metadata name`,
				`:19: integrations[0].url: URL "http://[fd00:ec2::254]/mcp": its host is a cloud metadata address`,
				`:22: integrations[1].baseUrl: URL "http://100.100.100.200/api": its host is a cloud metadata address`,
			},
		},
		{
			name: "a host from the environment is checked, not shown",
			file: strings.Replace(minimal, "https://api.example.com/book", "http://${PRESENT_HOST}/book", 1),
			want: []string{`:7: services[0].endpoint: URL "http://${PRESENT_HOST}/book": its host is a link-local address`},
		},
		{
			name: "placeholder in the host",
			file: strings.Replace(minimal, "https://api.example.com/book", "https://api.example.com{{nombre}}/book", 1),
			want: []string{`:7: services[0].endpoint: placeholders may stand in the path and query, not in the host`},
		},
		{
			name: "relative endpoint outside an integration",
			file: strings.Replace(minimal, "https://api.example.com/book", "/book", 1),
			want: []string{`:7: services[0].endpoint: "/book" is not an absolute http(s) URL`},
		},
		{
			name: "missing environment variable, value never shown",
			file: minimal + "    headers:\n      Authorization: \"Bearer ${ABSENT_TOKEN_X}\"\n      X-Ok: \"${PRESENT_TOKEN}\"\n",
			want: []string{`:13: services[0].headers.Authorization: environment variable ABSENT_TOKEN_X is not set`},
		},
		{
			name: "duplicate intents",
			file: minimal + `  - intent: book
    endpoint: https://api.example.com/other
`,
			want: []string{`:12: services[1].intent: duplicate intent "book" (first at line 4)`},
		},
		{
			name: "duplicate key",
			file: strings.Replace(minimal, "    method: POST\n", "    method: POST\n    method: GET\n", 1),
			want: []string{`:7: services[0].method: duplicate key (first at line 6)`},
		},
		{
			name: "wrong kind",
			file: strings.Replace(minimal, "requiredFields:", "retries: many\n    requiredFields:", 1),
			want: []string{`:8: services[0].retries: expected a whole number, got a string "many"`},
		},
		{
			name: "list expected",
			file: minimal + "    examples: quiero reservar\n",
			want: []string{`:12: services[0].examples: expected a list, got a string "quiero reservar"`},
		},
		{
			name: "bad agent name, language and time zone",
			file: strings.Replace(minimal, "name: test\nlanguage: es\n", "name: Test Agent\nlanguage: fr\ntimezone: Mars/Olympus\n", 1),
			want: []string{
				`:1: name: "Test Agent" is not a valid agent name`,
				`:2: language: unknown language "fr": want es or en`,
				`:3: timezone: unknown time zone "Mars/Olympus"`,
			},
		},
		{
			name: "unknown phrasing",
			file: strings.Replace(minimal, "language: es\n", "language: es\nphrasing: lm\n", 1),
			want: []string{`:3: phrasing: unknown phrasing "lm": want configured or llm (did you mean "llm"?)`},
		},
		{
			name: "retries on POST",
			file: strings.Replace(minimal, "method: POST", "method: POST\n    retries: 2", 1),
			want: []string{`:7: services[0].retries: POST requests are never retried`},
		},
		{
			name: "bad pattern and empty enum value",
			file: minimal + "        pattern: \"([a-z\"\n        enum: [\"\"]\n",
			want: []string{
				`:12: services[0].requiredFields[0].pattern: bad regular expression`,
				`:13: services[0].requiredFields[0].enum[0]: empty value`,
			},
		},
		{
			name: "field named like a system variable, duplicate field",
			file: minimal + "      - name: now\n      - name: nombre\n",
			want: []string{
				`:12: services[0].requiredFields[1].name: "now" is a system variable`,
				`:13: services[0].requiredFields[2].name: duplicate field "nombre"`,
			},
		},
		{
			name: "GET with a list body",
			file: strings.Replace(minimal, "method: POST", "method: GET\n    bodyTemplate: [1, 2]", 1),
			want: []string{`:7: services[0].bodyTemplate: a GET service sends its bodyTemplate as query parameters, so it must be an object`},
		},
		{
			name: "integration problems",
			file: `name: test
integrations:
  - name: crm
    type: htp
  - name: mcp-one
    type: mcp
  - name: helpdesk
    type: http
    baseUrl: "not a url"
    tools:
      - intent: t
        endpoint: /tickets
`,
			want: []string{
				`:4: integrations[0].type: unknown integration type "htp" (did you mean "http"?)`,
				`:5: integrations[1]: an mcp integration needs url (streamable HTTP or SSE) or command (stdio)`,
				`:9: integrations[2].baseUrl: bad URL "not a url"`,
			},
		},
		{
			name: "mcp integration problems",
			file: `name: test
integrations:
  - name: crm
    type: mcp
    url: http://127.0.0.1:3001/mcp
    transport: websocket
    timeout: 5m
    confirm: ["[a-"]
    responseMapping: {now: "$.x"}
    responseConditions: [{condition: "", message: hi}]
    overrides:
      - intent: find_customer
        method: GET
        endpoint: /x
        requiredFields:
          - {name: email, type: emial}
          - {name: phone, optional: true}
          - {promptHint: "¿Nombre?"}
      - reference: no name
      - intent: find_customer
        timeout: 0.5ms
        examples: [""]
  - name: helpdesk
    type: http
    baseUrl: https://acme.example
    overrides: [{intent: x}]
    tools:
      - intent: t
        endpoint: /tickets
`,
			want: []string{
				`:6: integrations[0].transport: unknown transport "websocket"`,
				`:7: integrations[0].timeout: must be between 1ms and 2m0s`,
				`:8: integrations[0].confirm[0]: bad tool-name glob "[a-"`,
				`:9: integrations[0].responseMapping.now: "now" is a system variable`,
				`:10: integrations[0].responseConditions[0].condition: required`,
				`:13: integrations[0].overrides[0].method: an mcp tool is called through its server; remove method`,
				`:14: integrations[0].overrides[0].endpoint: an mcp tool is called through its server; remove endpoint`,
				`:16: integrations[0].overrides[0].requiredFields[0].type: unknown type "emial" (did you mean "email"?)`,
				`:17: integrations[0].overrides[0].requiredFields[1].optional: the tool's schema says which fields are required`,
				`:18: integrations[0].overrides[0].requiredFields[2].name: required: the name of the tool's field`,
				`:19: integrations[0].overrides[1].intent: required: the name of the tool it refines`,
				`:20: integrations[0].overrides[2].intent: a second override of tool "find_customer" (first at line 12)`,
				`:21: integrations[0].overrides[2].timeout: must be between 1ms and 2m0s`,
				`:22: integrations[0].overrides[2].examples[0]: empty example`,
				`:26: integrations[1].overrides: only for mcp integrations`,
			},
		},
		{
			name: "an alias nested in itself",
			file: minimal + "    bodyTemplate: &b [1, {k: *b}]\n",
			want: []string{`:12: services[0].bodyTemplate[1].k: an alias refers to a value that contains it`},
		},
		{
			name: "a merge of itself",
			file: minimal + "    bodyTemplate: &m\n      a: 1\n      <<: *m\n",
			want: []string{`services[0].bodyTemplate: an alias refers to a value that contains it`},
		},
		{
			name: "too deep",
			file: minimal + "    bodyTemplate: " + strings.Repeat("[", 80) + strings.Repeat("]", 80) + "\n",
			want: []string{`: nested more than 64 levels deep`},
		},
		{
			name: "syntax error has a line",
			file: "name: test\nservices:\n  - intent: [unclosed\n",
			want: []string{`test.yaml:2: syntax error: did not find expected ',' or ']'`},
		},
		{
			name: "empty file",
			file: "",
			want: []string{`test.yaml: empty file`},
		},
		{
			name: "JSON file with a line number",
			file: "{\n  \"services\": [\n    {\"intent\": \"x\", \"endpoint\": \"https://a.example\",\n     \"requiredFields\": [{\"name\": \"n\", \"tipe\": \"string\"}]}\n  ]\n}\n",
			want: []string{`:4: services[0].requiredFields[0].tipe: unknown field "tipe" (did you mean "type"?)`},
		},
		{
			name: "transfer number with spaces, voice settings out of range, unknown voice key",
			file: strings.Replace(minimal, "language: es\n", `language: es
transferNumber: "+51 1 700 1234"
voice:
  silence: 50ms
  dictationSilence: 20s
  earlySilence: 10ms
  waitMessageAfter: 1m
  maxDuration: 5h
  silense: 1s
`, 1),
			want: []string{
				`:3: transferNumber: "+51 1 700 1234" is not a phone number: want 6 to 15 digits with an optional leading +, without spaces or dashes`,
				`:5: voice.silence: must be between 100ms and 5s`,
				`:6: voice.dictationSilence: must be between 100ms and 10s`,
				`:7: voice.earlySilence: must be between 50ms and 5s`,
				`:8: voice.waitMessageAfter: must be between 0s and 30s`,
				`:9: voice.maxDuration: must be between 30s and 4h0m0s`,
				`:10: voice.silense: unknown field "silense" (did you mean "silence"?)`,
			},
		},
		{
			name: "voice pauses out of order, negative wait",
			file: strings.Replace(minimal, "language: es\n", `language: es
voice: {silence: 800ms, dictationSilence: 700ms, earlySilence: 900ms, waitMessageAfter: -1s}
`, 1),
			want: []string{
				`:3: voice.dictationSilence: 700ms is shorter than voice.silence (800ms)`,
				`:3: voice.earlySilence: 900ms is longer than voice.silence (800ms)`,
				`:3: voice.waitMessageAfter: must be between 0s and 30s`,
			},
		},
		{
			name: "transfer number from an unset variable, too few digits",
			file: strings.Replace(minimal, "language: es\n", "language: es\ntransferNumber: \"${ABSENT_TRANSFER_X}\"\n", 1) +
				"  - intent: other\n    endpoint: https://api.example.com/other\n    waitMessage: \"Un momento, {{nombre}}\"\n",
			want: []string{
				`:3: transferNumber: environment variable ABSENT_TRANSFER_X is not set`,
				`:15: services[1].waitMessage: plain text only: {{placeholders}} are not filled in here`,
			},
		},
		{
			name: "waitMessage too long, and on an mcp override",
			file: minimal + "    waitMessage: \"" + strings.Repeat("á", 301) + "\"\n" + `integrations:
  - name: crm
    type: mcp
    url: http://127.0.0.1:3001/mcp
    overrides:
      - intent: find_customer
        waitMessage: "Buscando..."
`,
			want: []string{
				`:12: services[0].waitMessage: 301 characters, more than 300`,
				`:19: integrations[0].overrides[0].waitMessage: not supported on mcp tools yet`,
			},
		},
		{
			name: "short transfer number",
			file: strings.Replace(minimal, "language: es\n", "language: es\ntransferNumber: \"12345\"\n", 1),
			want: []string{`:3: transferNumber: "12345" is not a phone number`},
		},
		{
			name: "several problems at once",
			file: strings.Replace(strings.Replace(minimal, "type: string", "type: texto", 1), "method: POST", "method: SEND", 1),
			want: []string{`services[0].method: unknown method`, `services[0].requiredFields[0].type: unknown type "texto"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.file))
			if err == nil {
				t.Fatalf("Parse succeeded; want problems %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			got := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems lack %q; got:\n%s", w, got)
				}
			}
			if strings.Contains(got, "s3cret-value") || strings.Contains(got, "169.254.1.2") {
				t.Errorf("a problem shows an environment value:\n%s", got)
			}
		})
	}
}

func TestParseValidAgent(t *testing.T) {
	a, err := Parse("test.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	s := a.Services[0]
	if a.Timezone != "UTC" || a.MaxAttempts != 3 || a.FallbackMessage == "" {
		t.Errorf("defaults not filled: timezone %q, maxAttempts %d, fallback %q", a.Timezone, a.MaxAttempts, a.FallbackMessage)
	}
	if !s.IsEnabled() || s.Timeout.Std() != 10*time.Second || s.Path != "services[0]" {
		t.Errorf("service defaults: enabled %v, timeout %v, path %q", s.IsEnabled(), s.Timeout.Std(), s.Path)
	}
	if line := a.Source.Line("services[0].requiredFields[0].promptHint"); line != 11 {
		t.Errorf("line of promptHint = %d, want 11", line)
	}
}

func TestVoiceAndTransfer(t *testing.T) {
	t.Setenv("CLINIC_TRANSFER", "+5117001234")
	ms := func(n int) Duration { return Duration(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name     string
		settings string // agent-level lines added after language
		transfer string
		want     Voice // WaitMessageAfter compared through wantWait
		wantWait Duration
	}{
		{name: "defaults", want: Voice{Silence: ms(600), DictationSilence: ms(1500), EarlySilence: ms(200), MaxDuration: Duration(15 * time.Minute)}, wantWait: ms(1000)},
		{
			name:     "everything set; an explicit 0 waits for nothing",
			settings: "transferNumber: \"+5117001234\"\nvoice:\n  silence: 700ms\n  dictationSilence: 2s\n  earlySilence: 0.15\n  uninterruptibleReadbacks: true\n  waitMessageAfter: 0s\n  maxDuration: 1h\n",
			transfer: "+5117001234",
			want:     Voice{Silence: ms(700), DictationSilence: ms(2000), EarlySilence: ms(150), UninterruptibleReadbacks: true, MaxDuration: Duration(time.Hour)},
		},
		{
			name:     "defaults follow a long or a short silence; a number from the environment",
			settings: "transferNumber: \"${CLINIC_TRANSFER}\"\nvoice: {silence: 3s}\n",
			transfer: "+5117001234",
			want:     Voice{Silence: ms(3000), DictationSilence: ms(3000), EarlySilence: ms(200), MaxDuration: Duration(15 * time.Minute)}, wantWait: ms(1000),
		},
		{
			name:     "a short silence shortens the early one; digits without a plus",
			settings: "transferNumber: \"017001234\"\nvoice: {silence: 150ms, waitMessageAfter: null}\n",
			transfer: "017001234",
			want:     Voice{Silence: ms(150), DictationSilence: ms(1500), EarlySilence: ms(150), MaxDuration: Duration(15 * time.Minute)}, wantWait: ms(1000),
		},
		{
			name:     "JSON",
			settings: "",
			want:     Voice{Silence: ms(600), DictationSilence: ms(1500), EarlySilence: ms(200), MaxDuration: Duration(15 * time.Minute)}, wantWait: ms(1000),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := strings.Replace(minimal, "language: es\n", "language: es\n"+tt.settings, 1)
			name := "test.yaml"
			if tt.name == "JSON" {
				name = "test.json"
				file = `{"name": "test", "voice": {"uninterruptibleReadbacks": false}, "services": [{"intent": "x",
  "endpoint": "https://a.example", "waitMessage": "Sigo buscando, un momento."}]}`
			}
			a, err := Parse(name, []byte(file))
			if err != nil {
				t.Fatal(err)
			}
			if a.TransferNumber != tt.transfer {
				t.Errorf("transferNumber %q, want %q", a.TransferNumber, tt.transfer)
			}
			got := a.Voice
			if got.WaitMessageAfter == nil || *got.WaitMessageAfter != tt.wantWait {
				t.Errorf("waitMessageAfter %v, want %v", got.WaitMessageAfter, tt.wantWait)
			}
			got.WaitMessageAfter = nil
			if got != tt.want {
				t.Errorf("voice %+v, want %+v", got, tt.want)
			}
			if tt.name == "JSON" && a.Services[0].WaitMessage != "Sigo buscando, un momento." {
				t.Errorf("waitMessage %q", a.Services[0].WaitMessage)
			}
		})
	}
}

func TestSeedFormats(t *testing.T) {
	tests := []struct {
		name, file   string
		wantName     string
		wantLanguage string
		wantIntents  []string
		wantPath     string
	}{
		{
			name: "services only",
			file: `{"services": [
  {"intent": "schedule_appointment", "reference": "Servicio para reservar citas médicas", "enabled": true,
   "method": "POST", "endpoint": "https://api.example.com/citas",
   "requiredFields": [{"name": "nombre", "type": "string", "description": "Nombre completo del paciente",
                       "promptHint": "¿Podrías indicarme tu nombre completo, por favor?"}],
   "bodyTemplate": {"nombre": "{{nombre}}"}}]}`,
			wantName: "mis-servicios", wantLanguage: "es", wantIntents: []string{"schedule_appointment"}, wantPath: "services[0]",
		},
		{
			name: "a single service object",
			file: `{"intent": "check_order", "reference": "Check the status of an order", "method": "GET",
 "endpoint": "https://api.example.com/orders/{{order_id}}",
 "requiredFields": ["order_id"]}`,
			wantName: "mis-servicios", wantLanguage: "en", wantIntents: []string{"check_order"}, wantPath: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse("dir/Mis Servicios.json", []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if a.Name != tt.wantName || a.Language != tt.wantLanguage {
				t.Errorf("name %q language %q, want %q %q", a.Name, a.Language, tt.wantName, tt.wantLanguage)
			}
			var intents []string
			for _, s := range a.AllServices() {
				intents = append(intents, s.Intent)
			}
			if strings.Join(intents, ",") != strings.Join(tt.wantIntents, ",") {
				t.Errorf("intents %v, want %v", intents, tt.wantIntents)
			}
			if a.Services[0].Path != tt.wantPath {
				t.Errorf("path %q, want %q", a.Services[0].Path, tt.wantPath)
			}
		})
	}
}

func TestShorthandFieldsAndAnchors(t *testing.T) {
	a, err := Parse("a.yaml", []byte(`name: a
x-common: &auth
  Authorization: "Bearer t"
services:
  - intent: one
    endpoint: https://a.example/one
    headers:
      <<: *auth
      X-Extra: "1"
    requiredFields: [nombre, email]
`))
	// x-common is not a field: anchors must live in known fields or be
	// reported; the rest still decodes.
	if err == nil || !strings.Contains(err.Error(), `unknown field "x-common"`) {
		t.Fatalf("want unknown field x-common, got %v", err)
	}
	s := a.Services[0]
	if got := s.RequiredFields; len(got) != 2 || got[0].Name != "nombre" || got[0].Type != TypeString || got[1].EffectiveType() != TypeEmail {
		t.Errorf("shorthand fields decoded as %+v", got)
	}
	if v, _ := s.Headers.Get("Authorization"); v != "Bearer t" {
		t.Errorf("merged header = %q", v)
	}
	if v, _ := s.Headers.Get("X-Extra"); v != "1" {
		t.Errorf("own header = %q", v)
	}
}

func TestIntegrationToolsResolve(t *testing.T) {
	t.Setenv("HD_TOKEN", "tok-123")
	a, err := Parse("h.yaml", []byte(`name: h
language: en
integrations:
  - name: helpdesk
    type: http
    baseUrl: https://acme.example/api/v2/
    headers:
      Authorization: "Bearer ${HD_TOKEN}"
      X-Team: support
    tools:
      - intent: create_ticket
        endpoint: /tickets
        headers: {x-team: billing}
      - intent: elsewhere
        endpoint: https://other.example/x
  - name: crm
    type: mcp
    command: ["npx", "-y", "crm-server", "--token", "${CRM_TOKEN:-none}"]
    confirm: ["delete_*"]
`))
	if err != nil {
		t.Fatal(err)
	}
	tool := a.Service("create_ticket")
	if tool.Endpoint != "https://acme.example/api/v2/tickets" || tool.Integration != "helpdesk" {
		t.Errorf("endpoint %q integration %q", tool.Endpoint, tool.Integration)
	}
	if v, _ := tool.Headers.Get("Authorization"); v != "Bearer tok-123" {
		t.Errorf("inherited Authorization = %q", v)
	}
	if v, _ := tool.Headers.Get("x-team"); v != "billing" || len(tool.Headers) != 2 {
		t.Errorf("tool header should override the integration's: %+v", tool.Headers)
	}
	if a.Service("elsewhere").Endpoint != "https://other.example/x" {
		t.Errorf("absolute endpoint changed: %q", a.Service("elsewhere").Endpoint)
	}
	if got := a.Integrations[1].Command[4]; got != "none" {
		t.Errorf("command default not expanded: %q", got)
	}
}

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"A": "1", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		in, want, missing, secrets, err string
	}{
		{in: "plain", want: "plain"},
		{in: "x${A}y", want: "x1y", secrets: "1"},
		{in: "${B:-def}", want: "def"},
		{in: "${EMPTY:-def}", want: "def"},
		{in: "${B}", want: "${B}", missing: "B"},
		{in: "x${B}y${A}${C:-c}", want: "x${B}y1c", missing: "B"},
		{in: "${EMPTY}", want: "${EMPTY}", missing: "EMPTY (set but empty)"},
		{in: "$${A}", want: "${A}"},
		{in: "${A", err: "unterminated"},
		{in: "${1A}", err: "invalid environment variable name"},
	}
	for _, tt := range tests {
		x, err := expandEnv(tt.in, lookup)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("expandEnv(%q) error %v, want %q", tt.in, err, tt.err)
			}
		case tt.missing != "":
			if strings.Join(x.missing, ",") != tt.missing || x.text != tt.want {
				t.Errorf("expandEnv(%q) = %q missing %v, want %q missing %q", tt.in, x.text, x.missing, tt.want, tt.missing)
			}
		case x.text != tt.want || err != nil || len(x.missing) > 0 || strings.Join(x.secrets, ",") != tt.secrets:
			t.Errorf("expandEnv(%q) = %+v, %v; want %q with secrets %q", tt.in, x, err, tt.want, tt.secrets)
		}
	}
}

// TestEnvValuesStayHidden: values from the environment in URLs are
// redacted wherever a URL is shown, and problems quote the file's text.
func TestEnvValuesStayHidden(t *testing.T) {
	t.Setenv("CRM_KEY", "sk live/42")
	t.Setenv("CRM_HOST", "crm.example.com")
	a, err := Parse("a.yaml", []byte(`name: a
services:
  - intent: s
    endpoint: "https://${CRM_HOST}/api/{{id}}?key=${CRM_KEY}"
    requiredFields: [id]
  - intent: bad
    endpoint: "ftp://${CRM_HOST}/x?key=${CRM_KEY}"
`))
	if err == nil || !strings.Contains(err.Error(), `bad URL "ftp://${CRM_HOST}/x?key=${CRM_KEY}"`) || strings.Contains(err.Error(), "sk live") {
		t.Fatalf("problem should quote the file's text: %v", err)
	}
	s := a.Service("s")
	for _, shown := range []string{s.Endpoint, "https://crm.example.com/api/1?key=sk+live%2F42", "/api/sk%20live%2F42"} {
		if got := s.Redact(shown); strings.Contains(got, "sk") || strings.Contains(got, "crm.example.com") {
			t.Errorf("Redact(%q) = %q", shown, got)
		}
	}
}

func TestEffectiveType(t *testing.T) {
	tests := []struct {
		f    Field
		want string
	}{
		{Field{Name: "email", Type: "string"}, TypeEmail},
		{Field{Name: "correo_contacto", Type: "string"}, TypeEmail},
		{Field{Name: "contacto", Type: "string", Description: "Correo electrónico del paciente"}, TypeEmail},
		{Field{Name: "telefono", Type: "string"}, TypePhone},
		{Field{Name: "numero", Type: "string", Description: "Número de celular"}, TypePhone},
		{Field{Name: "contacto", Type: "string", Description: "Teléfono/celular del paciente"}, TypePhone},
		{Field{Name: "ticket_id", Type: "string", Description: "The ticket number from your confirmation email"}, TypeString},
		{Field{Name: "email", Type: "number"}, TypeNumber},
		{Field{Name: "nombre", Type: "string"}, TypeString},
	}
	for _, tt := range tests {
		if got := tt.f.EffectiveType(); got != tt.want {
			t.Errorf("%+v: EffectiveType() = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", minimal)
	write("b.yml", strings.Replace(minimal, "name: test", "name: other", 1))
	write("c.json", `{"name": "test", "services": []}`)
	write("notes.txt", "ignored")
	agents, err := LoadPaths([]string{dir, filepath.Join(dir, "missing.yaml")})
	if len(agents) != 3 {
		t.Errorf("loaded %d agents, want 3", len(agents))
	}
	got := err.Error()
	for _, want := range []string{`c.json:1: name: agent name "test" is already used by`, `missing.yaml: no such file or directory`} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}

func TestExamplesLoad(t *testing.T) {
	agents, err := LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	if len(agents) < 3 {
		t.Fatalf("%d example agents, want at least 3", len(agents))
	}
	langs := map[string]int{}
	for _, a := range agents {
		langs[a.Language]++
		confirmed := 0
		for _, s := range a.AllServices() {
			if s.NeedsConfirmation() {
				confirmed++
			}
		}
		if confirmed == 0 {
			t.Errorf("%s: no service needs confirmation; the examples should show it", a.Name)
		}
	}
	if langs["es"] == 0 || langs["en"] == 0 {
		t.Errorf("examples should cover es and en: %v", langs)
	}
}

// TestUnsetVariables: an unset variable is a problem of its own
// (UnsetEnv); without the others, the agent is whole, its references left
// as written and listed by the services and integrations that need them.
func TestUnsetVariables(t *testing.T) {
	t.Setenv("SET_VAR", "set-value")
	const file = `name: a
services:
  - intent: s
    endpoint: "${API_BASE}/orders/{{id}}"
    headers: {Authorization: "Bearer ${SOME_TOKEN}", X-Set: "${SET_VAR}"}
    requiredFields: [id]
  - intent: t
    endpoint: https://api.example.com/t
integrations:
  - name: h
    type: http
    baseUrl: "${HELP_BASE:-https://help.example.com}/v2"
    headers: {Authorization: "Bearer ${HELP_TOKEN}"}
    tools:
      - intent: u
        endpoint: /tickets?k=${HELP_KEY}
  - name: m
    type: mcp
    url: "https://crm.example.com/mcp?key=${CRM_KEY}"
`
	a, err := Parse("a.yaml", []byte(file))
	unset, others := AsProblems(err).SplitUnset()
	var names []string
	for _, p := range unset {
		names = append(names, p.String()+" ["+p.UnsetEnv+"]")
	}
	want := []string{
		"a.yaml:4: services[0].endpoint: environment variable API_BASE is not set [API_BASE]",
		"a.yaml:5: services[0].headers.Authorization: environment variable SOME_TOKEN is not set [SOME_TOKEN]",
		"a.yaml:13: integrations[0].headers.Authorization: environment variable HELP_TOKEN is not set [HELP_TOKEN]",
		"a.yaml:16: integrations[0].tools[0].endpoint: environment variable HELP_KEY is not set [HELP_KEY]",
		"a.yaml:19: integrations[1].url: environment variable CRM_KEY is not set [CRM_KEY]",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") || len(others) > 0 {
		t.Fatalf("unset:\n%s\nothers: %v", strings.Join(names, "\n"), others)
	}
	if AllowUnset(err) != nil {
		t.Errorf("AllowUnset = %v", AllowUnset(err))
	}
	for _, tt := range []struct {
		intent, endpoint, unset string
	}{
		{"s", "${API_BASE}/orders/{{id}}", "API_BASE SOME_TOKEN"},
		{"t", "https://api.example.com/t", ""},
		{"u", "https://help.example.com/v2/tickets?k=${HELP_KEY}", "HELP_KEY HELP_TOKEN"},
	} {
		s := a.Service(tt.intent)
		if s.Endpoint != tt.endpoint || strings.Join(s.Unset, " ") != tt.unset {
			t.Errorf("%s: endpoint %q, unset %q; want %q, %q", tt.intent, s.Endpoint, s.Unset, tt.endpoint, tt.unset)
		}
	}
	if v, _ := a.Service("s").Headers.Get("X-Set"); v != "set-value" {
		t.Errorf("a set variable beside unset ones: %q", v)
	}
	if got := strings.Join(a.Integrations[1].Unset, " "); got != "CRM_KEY" || a.Integrations[1].URL != "https://crm.example.com/mcp?key=${CRM_KEY}" {
		t.Errorf("mcp integration: unset %q, url %q", got, a.Integrations[1].URL)
	}

	// Other problems stay problems.
	for _, bad := range []struct{ file, want string }{
		{strings.Replace(file, "${SOME_TOKEN}", "${1TOKEN}", 1), `invalid environment variable name "1TOKEN"`},
		{strings.Replace(file, "intent: t\n", "intent: t\n    method: FETCH\n", 1), `unknown method "FETCH"`},
	} {
		if err := AllowUnset(func() error { _, err := Parse("a.yaml", []byte(bad.file)); return err }()); err == nil || !strings.Contains(err.Error(), bad.want) || strings.Contains(err.Error(), "not set") {
			t.Errorf("AllowUnset = %v, want only %q", err, bad.want)
		}
	}
	if err := AllowUnset(os.ErrNotExist); err != os.ErrNotExist {
		t.Errorf("AllowUnset(os.ErrNotExist) = %v", err)
	}
}

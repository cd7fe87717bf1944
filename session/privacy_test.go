package session

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/transcript"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// privateAgent books with a name marked pii, an email and a phone (pii by
// default) and a reason that is not.
const privateAgent = `name: consultorio
language: es
timezone: Europe/Madrid
greeting: "Hola, ¿en qué puedo ayudarte?"
services:
  - intent: pedir_cita
    reference: pedir una cita
    examples: ["quiero pedir una cita"]
    method: POST
    endpoint: https://api.example.com/citas?tel={{telefono}}
    requiredFields:
      - {name: nombre, type: string, pii: true, promptHint: "¿A nombre de quién?"}
      - {name: email, type: email, promptHint: "¿Tu correo?"}
      - {name: telefono, type: phone, promptHint: "¿Un teléfono de contacto?"}
      - {name: motivo, type: string, promptHint: "¿Cuál es el motivo de la consulta?"}
    confirmation: {required: true}
    bodyTemplate: {paciente: "{{nombre}}", email: "{{email}}", motivo: "{{motivo}}", llamada: "{{caller_number}}"}
    responseMapping: {codigo: "$.id", para: "$.email"}
    responseMessage: "Listo, {{nombre}}: tu cita es la {{codigo}}; te escribimos a {{para}}."
`

func privateSession(t *testing.T, file string) *Session {
	t.Helper()
	a, err := configs.Parse("consultorio.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	sa, err := NewAgent(a)
	if err != nil {
		t.Fatal(err)
	}
	stubs := &Stubs{Responses: map[string]transcript.Response{
		"pedir_cita": {Status: 201, Body: map[string]any{"id": "C-42", "email": "maria.lopez@gmail.com"}}}}
	return New(sa, stubs, "call-1", "+34600111222")
}

// booking is the scripted caller: each input, whether its words are
// private, and what of its turn a redacted transcript masks.
var booking = []struct {
	in       string // words, or keys after "keys "
	private  bool
	redacted []string
}{
	{"quiero pedir una cita", false, nil},
	{"María López", true, []string{"caller"}},
	{"mi correo es maria punto lopez arroba gmail punto com", true, []string{"caller"}},
	{"keys 612345678", true, []string{"dtmf"}},
	{"una revisión de la rodilla", false, []string{"agent"}}, // the read-back
	{"sí", false, []string{"agent", "requests"}},
}

// personal are the booking's personal values, in the forms they take.
var personal = []string{"María López", "maria", "lopez", "612345678", "600111222", "+34600111222"}

// play runs the booking through s, up to turn n (all when n is 0),
// checking Private after each turn if asked to.
func play(t *testing.T, s *Session, n int, check bool) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	s.Start(ctx, now)
	for i, turn := range booking {
		if n > 0 && i == n {
			return
		}
		var ev dialog.Event = dialog.Utterance{At: now, Text: turn.in}
		if keys, ok := strings.CutPrefix(turn.in, "keys "); ok {
			ev = dialog.DTMF{At: now, Digits: keys}
		}
		s.Handle(ctx, ev)
		if check && s.Private() != turn.private {
			t.Errorf("turn %d %q: Private() = %v, want %v", i+1, turn.in, s.Private(), turn.private)
		}
	}
}

func contains(text, v string) bool {
	return strings.Contains(strings.ToLower(text), strings.ToLower(v))
}

// TestRedacted: a redacted transcript withholds the words of the turns
// that gave a personal value, masks the values wherever else they appear
// and says what it masked; the call's own transcript keeps everything.
func TestRedacted(t *testing.T) {
	s := privateSession(t, privateAgent)
	play(t, s, 0, true)
	red := s.Redacted()
	data, err := transcript.Marshal(red)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "redacted.yaml")
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(golden); err != nil || string(data) != string(want) {
		t.Errorf("redacted transcript:\n%s\nwant %s (go test -update rewrites it): %v\n%s", data, golden, err, want)
	}
	for _, v := range personal {
		if contains(string(data), v) {
			t.Errorf("the redacted transcript holds %q", v)
		}
	}
	for _, v := range []string{"una revisión de la rodilla", "quiero pedir una cita", "C-42"} {
		if !contains(string(data), v) {
			t.Errorf("the redacted transcript lacks %q, which is not personal", v)
		}
	}
	if !red.Redacted || red.From != "•••• 1222" {
		t.Errorf("redacted %v, from %q", red.Redacted, red.From)
	}
	for i, turn := range booking {
		if got := red.Turns[i].Redacted; !slices.Equal(got, turn.redacted) {
			t.Errorf("turn %d %q: redacted %v, want %v", i+1, turn.in, got, turn.redacted)
		}
		if got := red.Turns[i].Withheld(); got != turn.private {
			t.Errorf("turn %d %q: Withheld() = %v, want %v", i+1, turn.in, got, turn.private)
		}
	}
	if _, err := transcript.Parse("redacted.yaml", data); err != nil {
		t.Errorf("the redacted transcript does not parse: %v", err)
	}
	full, _ := transcript.Marshal(s.Transcript())
	for _, v := range []string{"María López", "maria.lopez@gmail.com", "612345678", "+34600111222"} {
		if !contains(string(full), v) {
			t.Errorf("the call's transcript lost %q to redaction", v)
		}
	}
}

// TestMaskState: the state as events show it, after the read-back.
func TestMaskState(t *testing.T) {
	s := privateSession(t, privateAgent)
	play(t, s, 5, true)
	st := s.MaskState(s.State())
	want := map[string]string{"nombre": "•••• pez", "email": "m•••@•••.com", "telefono": "•••• 678", "motivo": "una revisión de la rodilla"}
	for k, v := range want {
		if st.Slots[k] != v || st.Readback.Values[k] != v {
			t.Errorf("%s: slot %q, read-back %q; want %q", k, st.Slots[k], st.Readback.Values[k], v)
		}
	}
	if st.CallerNumber != "•••• 1222" || contains(st.LastPrompt, "maria") || !contains(st.LastPrompt, "m•••@•••.com") {
		t.Errorf("caller number %q, last prompt %q", st.CallerNumber, st.LastPrompt)
	}
	if raw := s.State(); raw.Slots["email"] != "maria.lopez@gmail.com" {
		t.Errorf("masking changed the call's own state: %v", raw.Slots)
	}
}

// TestMask: the call's personal values in any text, in their forms, as
// words of their own.
func TestMask(t *testing.T) {
	s := privateSession(t, privateAgent)
	play(t, s, 0, true)
	for _, tt := range []struct{ in, want string }{
		{"escríbeme a MARIA.LOPEZ@GMAIL.COM, gracias", "escríbeme a m•••@•••.com, gracias"},
		{"mi número es 612345678.", "mi número es •••• 678."},
		{"6123456789 no es el mío", "6123456789 no es el mío"}, // another number
		{"llamó el +34600111222 (34600111222)", "llamó el •••• 1222 (•••• 1222)"},
		{"a nombre de maría lópez", "a nombre de •••• pez"},
		{"una revisión de la rodilla", "una revisión de la rodilla"},
		{"", ""},
	} {
		if got := s.Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ field, in, want string }{
		{"email", "maria.lopez@gmail.com", "m•••@•••.com"},
		{"nombre", "Ana", "••••"},
		{"motivo", "dolor, llamar al 612345678", "dolor, llamar al •••• 678"},
	} {
		if got := s.MaskField(tt.field, tt.in); got != tt.want {
			t.Errorf("MaskField(%q, %q) = %q, want %q", tt.field, tt.in, got, tt.want)
		}
	}
}

// TestPIIOff: pii: false keeps an email field's values; a field not
// marked keeps its own.
func TestPIIOff(t *testing.T) {
	file := strings.Replace(privateAgent, "{name: email, type: email,", "{name: email, type: email, pii: false,", 1)
	file = strings.Replace(file, "{name: nombre, type: string, pii: true,", "{name: nombre, type: string,", 1)
	s := privateSession(t, file)
	play(t, s, 0, false)
	if s.PII("email") || s.PII("nombre") || !s.PII("telefono") {
		t.Errorf("PII: email %v, nombre %v, telefono %v", s.PII("email"), s.PII("nombre"), s.PII("telefono"))
	}
	data, _ := transcript.Marshal(s.Redacted())
	for v, kept := range map[string]bool{"María López": true, "maria.lopez@gmail.com": true, "612345678": false} {
		if contains(string(data), v) != kept {
			t.Errorf("%q in the redacted transcript: %v, want %v\n%s", v, !kept, kept, data)
		}
	}
}

// TestMaskText: values found without case, longest first, as words of
// their own, also where lowering the text changes its length.
func TestMaskText(t *testing.T) {
	p := &privacy{fields: map[string]bool{"nombre": true}, seen: map[string]bool{}, masks: map[string]string{}}
	p.add("nombre", "İsmail Kaya")
	p.add("nombre", "Kaya")
	p.add("", "+34600111222")
	for _, tt := range []struct{ in, want string }{
		{"Cita para İSMAIL KAYA, mañana.", "Cita para •••• aya, mañana."},
		{"ẞ İsmail Kaya y Kaya", "ẞ •••• aya y ••••"},
		{"Kayak", "Kayak"},
		{"al +34600111222 o 34600111222", "al •••• 1222 o •••• 1222"},
		{"sin datos", "sin datos"},
	} {
		if got := p.text(tt.in); got != tt.want {
			t.Errorf("text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := p.url("https://a.example/p/Kaya?n=%C4%B0smail+Kaya"); got != "https://a.example/p/%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2?n=%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2+aya" {
		t.Errorf("url: %s", got)
	}
}

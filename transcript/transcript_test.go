package transcript

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestOptionalAsks(t *testing.T) {
	tr, err := Parse("t.yaml", []byte(`turns:
  - caller: a
    expect: {asks: null}
  - caller: b
    expect: {asks: nombre}
  - caller: c
    expect: {state: listening}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := []Optional{tr.Turns[0].Expect.Asks, tr.Turns[1].Expect.Asks, tr.Turns[2].Expect.Asks}
	want := []Optional{{Set: true, Null: true}, {Set: true, Value: "nombre"}, {}}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("turn %d asks = %+v, want %+v", i+1, got[i], want[i])
		}
	}
	if tr.Turns[1].Line != 4 {
		t.Errorf("turn 2 line = %d, want 4", tr.Turns[1].Line)
	}
}

func TestRoundTrip(t *testing.T) {
	in := &Transcript{Agent: "a.yaml", Now: "2024-01-10T09:00:00-05:00", CallID: "CA1", Turns: []Turn{
		{Caller: "hola", Agent: "¿En qué puedo ayudarte?"},
		{Wait: Duration(8e9), Agent: "¿Sigues ahí?"},
		{DTMF: "1", Requests: []Request{{Intent: "s", Method: "POST", URL: "https://a.example/x",
			Body: map[string]any{"n": 2}, Response: &Response{Status: 201, Body: map[string]any{"id": "A"}}}}},
	}}
	data, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse("t.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if out.CallID != "CA1" || out.Turns[1].Wait != Duration(8e9) || out.Turns[2].Requests[0].Response.Status != 201 {
		t.Errorf("round trip lost data:\n%s", data)
	}
}

func TestParseStubs(t *testing.T) {
	stubs, err := ParseStubs("s.yaml", []byte("stubs:\n  a: {status: 404, body: {error: x}}\n"))
	if err != nil || stubs["a"].Status != 404 {
		t.Fatalf("%v %+v", err, stubs)
	}
	if _, err := ParseStubs("s.yaml", []byte("stubs:\n  a: {statu: 404}\n")); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "statu") {
		t.Errorf("unknown key: %v", err)
	}
}

// TestRedactedGolden: a redacted transcript (testdata/redacted.yaml, in
// the form Marshal writes) says it is redacted and, per turn, what was
// masked; it reads and writes back unchanged.
func TestRedactedGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/redacted.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Parse("testdata/redacted.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Redacted || tr.From != "•••• 1222" {
		t.Errorf("redacted %v, from %q", tr.Redacted, tr.From)
	}
	want := []struct {
		parts    []string
		withheld bool
	}{
		{nil, false},
		{[]string{PartCaller, PartModel}, true},
		{[]string{PartDTMF}, true},
		{[]string{PartAgent, PartExpect}, false},
		{[]string{PartAgent, PartRequests}, false},
	}
	for i, w := range want {
		if got := tr.Turns[i].Redacted; !slices.Equal(got, w.parts) || tr.Turns[i].Withheld() != w.withheld {
			t.Errorf("turn %d: redacted %v (withheld %v), want %v (%v)", i+1, got, tr.Turns[i].Withheld(), w.parts, w.withheld)
		}
	}
	if tr.Turns[1].Caller != Withheld || tr.Turns[2].DTMF != Withheld {
		t.Errorf("withheld input: %q %q", tr.Turns[1].Caller, tr.Turns[2].DTMF)
	}
	out, err := Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(data) {
		t.Errorf("written back:\n%s\nwant:\n%s", out, data)
	}
}

func TestRedactedProblems(t *testing.T) {
	for _, tt := range []struct{ name, file, want string }{
		{"a redacted turn in a transcript not marked", "turns:\n  - caller: a\n    redacted: [caller]\n",
			"t.yaml:2: turns[0]: redacted: only a transcript marked redacted: true has redacted turns"},
		{"an unknown part", "redacted: true\nturns:\n  - caller: a\n    redacted: [voice]\n",
			`t.yaml:3: turns[0]: redacted: unknown part "voice": want some of caller, dtmf, agent, requests, model, expect`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.file))
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

// TestExpectRoundTrip: an expectation written back keeps what it leaves
// unchecked unchecked, and a null a null.
func TestExpectRoundTrip(t *testing.T) {
	in := &Transcript{Turns: []Turn{{Caller: "a", Expect: &Expect{Asks: Optional{Set: true, Null: true}, State: "listening"}}}}
	data, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse("t.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if e := out.Turns[0].Expect; e.Intent.Set || e.Asks != (Optional{Set: true, Null: true}) || e.State != "listening" {
		t.Errorf("expect %+v from:\n%s", e, data)
	}
}

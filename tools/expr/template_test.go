package expr

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// testScope is a Scope over a map.
type testScope struct {
	vars map[string]Value
	lang string
	loc  *time.Location
}

func (s testScope) Lookup(name string) Value { return s.vars[name] }
func (s testScope) Language() string         { return s.lang }
func (s testScope) Location() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

func scopeOf(lang string, kv ...any) testScope {
	s := testScope{vars: map[string]Value{}, lang: lang}
	for i := 0; i+1 < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			s.vars[kv[i].(string)] = Str(v)
		case Value:
			s.vars[kv[i].(string)] = v
		case time.Time:
			s.vars[kv[i].(string)] = TimeValue(v)
		}
	}
	return s
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"Hola {{nombre", "column 6: unclosed {{"},
		{"{{}}", "empty placeholder"},
		{"{{ nombre | frmat('x') }}", `unknown filter "frmat" (did you mean "format"?)`},
		{"{{x|format}}", "filter format takes one quoted argument"},
		{"{{x|upper('a')}}", "filter upper takes no arguments"},
		{"{{x|format(yyyy)}}", "arguments are quoted strings"},
		{"{{x|format('yyyy-MM-dd'}}", "expected , or )"},
		{"{{x|format('yyyy-QQ')}}", `unknown pattern letter "Q"`},
		{"{{x|format('0.0.0')}}", `format("0.0.0")`},
		{"{{x|default('a)}}", "unterminated quoted argument"},
		{"{{a b}}", `"a b" is not a variable name`},
		{"{{x|}}", "empty filter after |"},
		{"{{1abc}}", "not a variable name"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want it to contain %q", tt.src, err, tt.want)
		}
	}
}

func TestRender(t *testing.T) {
	lima, _ := time.LoadLocation("America/Lima")
	now := time.Date(2024, 1, 15, 19, 30, 5, 0, time.UTC) // 14:30:05 in Lima
	es := scopeOf("es", "nombre", "Juan Pérez", "fecha", "2024-01-15", "hora", "14:30", "dt", "2024-01-15T09:05",
		"total", "1500", "precio", "1234567.891", "cantidad", "5", "frac", "2.5", "tel", "+51 987-654-321",
		"now", now, "vacio", "", "si", "sí",
		"lista", Value{Kind: JSON, Str: `["09:00","10:30","Isabel"]`},
		"dos", Value{Kind: JSON, Str: `["A","B"]`},
		"anidada", Value{Kind: JSON, Str: `[1,[2,[3]],{"a":4}]`},
		"uno", Value{Kind: JSON, Str: `["A"]`},
		"num", Value{Kind: Number, Num: 299.99, Str: "299.99"},
		"ok", Value{Kind: Bool, Bool: true})
	es.loc = lima
	en := es
	en.lang = "en"
	tests := []struct {
		src  string
		s    testScope
		want string
	}{
		{"Hola {{nombre}}", es, "Hola Juan Pérez"},
		{"{{ nombre }}", es, "Juan Pérez"},
		{"no placeholders", es, "no placeholders"},
		{"{{fecha|format('yyyy-MM-dd')}}", es, "2024-01-15"},
		{"{{fecha|format('dd/MM/yyyy')}}", es, "15/01/2024"},
		{"{{fecha|format('EEEE d')}} de {{fecha|format('MMMM')}}", es, "lunes 15 de enero"},
		{"{{fecha|format('EEEE, MMMM d')}}", en, "Monday, January 15"},
		{"{{hora|format('HH:mm')}}", es, "14:30"},
		{"{{hora|format('h:mm a')}}", en, "2:30 PM"},
		{"{{dt|format('yyyy-MM-dd HH:mm:ss')}}", es, "2024-01-15 09:05:00"},
		{"{{now|format('yyyy-MM-dd HH:mm:ss')}}", es, "2024-01-15 14:30:05"},
		{"{{total|format('0.00')}}", es, "1500.00"},
		{"{{precio|format('#,##0.00')}}", es, "1,234,567.89"},
		{"{{num|format('0.0')}}", es, "300.0"},
		{"{{cantidad|number}}", es, "5"},
		{"{{frac|integer}}", es, "3"},
		{"{{si|boolean}}", es, "true"},
		{"{{nombre|upper}}", es, "JUAN PÉREZ"},
		{"{{nombre|lower}}", es, "juan pérez"},
		{"{{tel|digits}}", es, "51987654321"},
		{"{{vacio|default('n/a')}}", es, "n/a"},
		{"{{ausente|default('n/a')}}", es, "n/a"},
		{"[{{ausente}}]", es, "[]"},
		{"{{ausente|format('yyyy')}}", es, ""},
		{"{{lista}}", es, "09:00, 10:30 e Isabel"},
		{"{{lista}}", en, "09:00, 10:30 and Isabel"},
		{"{{dos}}", es, "A y B"},
		{"{{dos}}", en, "A and B"},
		{"{{anidada}}", es, `1, [2,[3]] y {"a":4}`},
		{"{{uno}}", es, "A"},
		{"{{num}}", es, "299.99"},
		{"{{ok}}", es, "true"},
		{"{{nombre|default('x')|upper}}", es, "JUAN PÉREZ"},
	}
	for _, tt := range tests {
		tmpl, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		got, err := tmpl.Render(tt.s)
		if err != nil || got != tt.want {
			t.Errorf("Render(%q) [%s] = %q, %v; want %q", tt.src, tt.s.lang, got, err, tt.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	s := scopeOf("es", "texto", "mañana por la tarde", "n", "cinco")
	tests := []struct{ src, want string }{
		{"{{texto|format('yyyy-MM-dd')}}", `{{texto}}: cannot format a text of 19 characters as a date or time`},
		{"{{n|number}}", `{{n}}: a text of 5 characters is not a number`},
		{"{{n|format('0.00')}}", `a text of 5 characters is not a number`},
		{"{{n|boolean}}", `a text of 5 characters is not true or false`},
	}
	for _, tt := range tests {
		tmpl, err := Parse(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tmpl.Render(s)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Render(%q) error = %v, want %q", tt.src, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "cinco") || strings.Contains(err.Error(), "tarde")) {
			t.Errorf("the error quotes the caller: %v", err) // errors reach logs
		}
	}
}

func TestRenderLenient(t *testing.T) {
	s := scopeOf("es", "fecha", "20 de enero", "n", "3")
	tmpl, err := Parse("Llega el {{fecha|format('d MMMM')}}: {{n|format('0.0')}} cajas")
	if err != nil {
		t.Fatal(err)
	}
	if got := tmpl.RenderLenient(s); got != "Llega el 20 de enero: 3.0 cajas" {
		t.Errorf("RenderLenient = %q", got)
	}
}

func TestAPITimestamps(t *testing.T) {
	for _, v := range []string{"2024-01-20T10:00:00.000", "2024-01-20 10:00:00.123456", "2024-01-20T10:00:00.5Z", "2024-01-20T10:00:00+0000", "2024-01-20T10:00:00Z"} {
		tmpl, _ := Parse("{{x|format('d MMMM HH')}}")
		got, err := tmpl.Render(scopeOf("es", "x", v))
		if err != nil || got != "20 enero 10" {
			t.Errorf("%s: %q, %v", v, got, err)
		}
	}
}

func TestAppendJSONTyping(t *testing.T) {
	s := scopeOf("es", "cantidad", "5", "precio", "1500.50", "si", "no", "nombre", "Ana", "grande", "1,500")
	tests := []struct{ src, want string }{
		{"{{cantidad|number}}", `5`},
		{"{{precio|number}}", `1500.5`},
		{"{{precio|integer}}", `1501`},
		{"{{grande|number}}", `1500`},
		{"{{si|boolean}}", `false`},
		{"{{ausente|number}}", `null`},
		{"{{cantidad}}", `"5"`},
		{"{{cantidad|number}} unidades", `"5 unidades"`},
		{"{{nombre}}", `"Ana"`},
		{"literal", `"literal"`},
		{"{{cantidad|number|upper}}", `"5"`},
	}
	for _, tt := range tests {
		tmpl, err := Parse(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tmpl.AppendJSON(nil, s)
		if err != nil || string(got) != tt.want {
			t.Errorf("AppendJSON(%q) = %s, %v; want %s", tt.src, got, err, tt.want)
		}
	}
}

func TestAppendJSONStringIsValidJSON(t *testing.T) {
	for _, s := range []string{"", `"quoted"`, `back\slash`, "new\nline\r\t", "\x00\x01\x1f\x7f", "ñandú 🦜", "\xff\xfe bad utf8", "\u2028\u2029", `{{x}}`, `</script>`} {
		out := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Errorf("AppendJSONString(%q) = %s: not JSON: %v", s, out, err)
			continue
		}
		if want := string([]rune(s)); back != want {
			t.Errorf("AppendJSONString(%q) round-trips to %q", s, back)
		}
	}
}

func TestVars(t *testing.T) {
	tmpl, err := Parse("{{a}} {{b|upper}} {{a}} {{c.d}}")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tmpl.Vars(), ","); got != "a,b,c.d" {
		t.Errorf("Vars() = %s", got)
	}
}

// anyScope gives every variable the same value.
type anyScope struct{ v Value }

func (s anyScope) Lookup(string) Value      { return s.v }
func (s anyScope) Language() string         { return "es" }
func (s anyScope) Location() *time.Location { return time.UTC }

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"Hola {{nombre}}", "{{fecha|format('yyyy-MM-dd')}}", "{{total|format('#,##0.00')}}", "{{cantidad|number}}",
		"{{x|default('a|b')|upper}}", `{{ x | format("EEEE d 'de' MMMM") }}`, "{{unclosed", "}} {{a}}{{b}}",
	} {
		f.Add(s, "2024-01-15")
	}
	f.Fuzz(func(t *testing.T, src, value string) {
		tmpl, err := Parse(src)
		if err != nil {
			return
		}
		if tmpl.String() != src {
			t.Fatalf("String() = %q", tmpl.String())
		}
		for _, s := range []Scope{anyScope{Str(value)}, anyScope{}, anyScope{Value{Kind: JSON, Str: `["a","b"]`}}} {
			tmpl.Render(s) // errors are fine (text for a number filter), panics are not
			out, err := tmpl.AppendJSON(nil, s)
			if err == nil && !json.Valid(out) {
				t.Fatalf("AppendJSON(%q) = %s: invalid JSON", src, out)
			}
		}
	})
}

// TestDeepListsRenderLinearly: a list nested as deep as a 1 MiB answer
// allows renders its top level only (it used to take minutes).
func TestDeepListsRenderLinearly(t *testing.T) {
	deep := strings.Repeat("[", 1<<19) + strings.Repeat("]", 1<<19)
	v := Value{Kind: JSON, Str: "[1," + deep + "]"}
	if got := v.Text("es"); got != "1 y "+deep {
		t.Errorf("nested list rendered as %.40q...", got)
	}
}

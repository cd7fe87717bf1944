package expr

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// obj builds an ordered object for CompileBody.
func obj(kv ...any) []BodyMember {
	var m []BodyMember
	for i := 0; i+1 < len(kv); i += 2 {
		m = append(m, BodyMember{Key: kv[i].(string), Value: kv[i+1]})
	}
	return m
}

func TestBodyJSONNested(t *testing.T) {
	body, errs := CompileBody(obj(
		"cliente", obj("nombre", "{{nombre}}", "tel", "{{tel|digits}}"),
		"order", obj("quantity", "{{cantidad|number}}", "total", "{{total|format('0.00')}}", "currency", "USD"),
		"filters", obj("in_stock", true, "min", NumberLiteral("2.0"), "none", nil, "tags", []any{"a", "{{nombre}}"}),
		"optional", "{{ausente|number}}",
	))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := scopeOf("es", "nombre", "Ana", "tel", "+51 987 654 321", "cantidad", "5", "total", "1500")
	got, err := body.AppendJSON(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cliente":{"nombre":"Ana","tel":"51987654321"},"order":{"quantity":5,"total":"1500.00","currency":"USD"},` +
		`"filters":{"in_stock":true,"min":2.0,"none":null,"tags":["a","Ana"]},"optional":null}`
	if string(got) != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
	if v := strings.Join(body.Vars(), ","); v != "nombre,tel,cantidad,total,ausente" {
		t.Errorf("Vars = %s", v)
	}
}

func TestBodyQueryFlattening(t *testing.T) {
	body, errs := CompileBody(obj(
		"query", obj("product_name", "{{producto}}", "category", "{{categoria}}"),
		"filters", obj("in_stock", true, "max_price", "{{max|number}}"),
		"ids", []any{"1", "2"},
		"skip", nil,
		"text", "a {{producto}} b",
	))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := scopeOf("es", "producto", "café & té=1", "max", "20")
	got, err := body.AppendQuery(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	want := "query.product_name=caf%C3%A9+%26+t%C3%A9%3D1&filters.in_stock=true&filters.max_price=20&ids=1&ids=2&text=a+caf%C3%A9+%26+t%C3%A9%3D1+b"
	if string(got) != want {
		t.Errorf("query =\n%s\nwant\n%s", got, want)
	}
}

func TestCompileBodyReportsPaths(t *testing.T) {
	_, errs := CompileBody(obj("a", obj("b", "{{x|nope}}"), "list", []any{"ok", "{{unclosed"}))
	var got []string
	for _, e := range errs {
		got = append(got, e.Path)
	}
	if strings.Join(got, " ") != "a.b list[1]" {
		t.Errorf("error paths = %v", got)
	}
}

// hostile is caller text that tries to break out of a JSON string.
var hostile = []string{
	`"}, "admin": true, "x": "`,
	`\", \"admin\": true`,
	"{{nombre}}", "{{", "}}", "line\nbreak\r\n", "tab\there", "\x00nul", "ñandú 🦜 \u2028",
	"\xff\xfe", `</script><script>`, `'single' "double"`, strings.Repeat("{", 100),
}

// TestInjection: whatever the caller says arrives as exactly that string.
func TestInjection(t *testing.T) {
	body, errs := CompileBody(obj("nombre", "{{nombre}}", "nested", obj("notas", "Nota: {{nombre}}"), "n", "{{nombre|default('x')}}"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, text := range hostile {
		checkInjection(t, body, text)
	}
}

func checkInjection(t *testing.T, body *Body, text string) {
	t.Helper()
	out, err := body.AppendJSON(nil, scopeOf("es", "nombre", text))
	if err != nil {
		t.Fatalf("render %q: %v", text, err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("caller text %q made invalid JSON %s: %v", text, out, err)
	}
	want := string([]rune(text)) // each invalid byte becomes U+FFFD
	expected := map[string]any{"nombre": want, "nested": map[string]any{"notas": "Nota: " + want}, "n": want}
	if text == "" {
		expected["n"] = "x"
	}
	if !reflect.DeepEqual(got, expected) {
		t.Fatalf("caller text %q arrived as %#v", text, got)
	}
}

func FuzzInjection(f *testing.F) {
	for _, h := range hostile {
		f.Add(h)
	}
	body, errs := CompileBody(obj("nombre", "{{nombre}}", "nested", obj("notas", "Nota: {{nombre}}"), "n", "{{nombre|default('x')}}"))
	if len(errs) > 0 {
		f.Fatal(errs)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkInjection(t, body, text)
	})
}

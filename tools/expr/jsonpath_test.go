package expr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const doc = `{
  "response": {"status": "success", "message": "ok", "count": 0},
  "data": {"appointment": {"id": "apt_12345", "date": "2024-01-15"}, "user.name": {"x": 1}},
  "orders": [{"id": "A-1"}, {"id": "A-2"}, {"id": "A-3"}],
  "items": [{"name": "Producto A", "tags": ["x", "y"]}, {"name": "Producto B", "tags": ["z"]}],
  "matrix": [[1, 2], [3, 4]],
  "empty": [],
  "nil": null,
  "flag": false,
  "@odd": "modifier-looking key",
  "a key": "spaced"
}`

func TestPathGet(t *testing.T) {
	tests := []struct {
		path string
		want string // raw JSON of the value, or "<missing>"
	}{
		{"$.response.status", `"success"`},
		{"$['response']['message']", `"ok"`},
		{`$["response"].count`, `0`},
		{"$.data.appointment.id", `"apt_12345"`},
		{"$.data['user.name'].x", `1`},
		{"$.orders[0].id", `"A-1"`},
		{"$.orders[-1].id", `"A-3"`},
		{"$.orders[-2].id", `"A-2"`},
		{"$.orders[-4].id", `<missing>`},
		{"$.orders[3]", `<missing>`},
		{"$.orders[*].id", `["A-1","A-2","A-3"]`},
		{"$.orders.*.id", `["A-1","A-2","A-3"]`},
		{"$.items[*].tags[*]", `["x","y","z"]`},
		{"$.items[*].tags[0]", `["x","z"]`},
		{"$.items[*].tags[-1]", `["y","z"]`},
		{"$.matrix[*][*]", `[1,2,3,4]`},
		{"$.matrix[1][0]", `3`},
		{"$.empty[*]", `<missing>`},
		{"$.empty[*].id", `<missing>`},
		{"$.nil", `null`},
		{"$.flag", `false`},
		{"$['@odd']", `"modifier-looking key"`},
		{"$['a key']", `"spaced"`},
		{"$.nope.deeper", `<missing>`},
		{"$.orders", `[{"id":"A-1"},{"id":"A-2"},{"id":"A-3"}]`},
	}
	for _, tt := range tests {
		p, err := ParsePath(tt.path)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tt.path, err)
			continue
		}
		v := p.Get(doc)
		got := "<missing>"
		if v.Exists() {
			b, _ := v.MarshalJSON()
			var compact bytes.Buffer
			if json.Compact(&compact, b) != nil {
				t.Errorf("%s: invalid JSON %s", tt.path, b)
			}
			got = compact.String()
		}
		if got != tt.want {
			t.Errorf("%s = %s, want %s", tt.path, got, tt.want)
		}
	}
	whole, _ := ParsePath("$")
	if v := whole.Get(`{"a":1}`); v.Kind != JSON || v.Str != `{"a":1}` {
		t.Errorf("$ = %+v", v)
	}
}

func TestParsePathErrors(t *testing.T) {
	tests := []struct{ path, want string }{
		{"response.status", "starts with $"},
		{"$..status", "recursive descent"},
		{"$.items[?(@.x)]", "filter expressions"},
		{"$.items[0:2]", "slices and unions"},
		{"$.items[0,1]", "slices and unions"},
		{"$.items[abc]", "bad index"},
		{"$.items[", "unclosed ["},
		{"$.", "empty key"},
		{"$['']", "empty key"},
		{"$['x'", "expected ] after quoted key"},
		{"$x", "unexpected"},
		{"$.a b", "needs brackets"},
	}
	for _, tt := range tests {
		if _, err := ParsePath(tt.path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParsePath(%q) error = %v, want %q", tt.path, err, tt.want)
		}
	}
}

func FuzzPath(f *testing.F) {
	for _, s := range []string{"$.a.b", "$.orders[-1].id", "$.items[*].tags[*]", "$['a key'][0]", "$", "$.x[?(@)]", "$[*][-3]"} {
		f.Add(s, doc)
	}
	f.Fuzz(func(t *testing.T, path, json string) {
		p, err := ParsePath(path)
		if err != nil {
			return
		}
		if p.String() != path {
			t.Fatalf("String() = %q, want %q", p.String(), path)
		}
		v := p.Get(json) // must not panic on any document
		if v.Kind == JSON && v.Str == "" {
			t.Fatalf("JSON value with no text for %q", path)
		}
	})
}

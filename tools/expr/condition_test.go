package expr

import (
	"strings"
	"testing"
)

type testEnv struct {
	testScope
	doc    string
	status int
}

func (e testEnv) Response() string { return e.doc }
func (e testEnv) Status() int      { return e.status }

func TestConditionEval(t *testing.T) {
	env := testEnv{
		testScope: scopeOf("es", "email", "juan@email.com", "total", Value{Kind: Number, Num: 10, Str: "10"}, "monto", "50", "vacio", ""),
		doc:       `{"response": {"status": "error", "errorCode": "past_date", "count": "12", "n": 3, "ok": true, "none": null}, "items": [{"p": 5}, {"p": 7}], "empty": [ ], "emptyObject": { }}`,
		status:    409,
	}
	tests := []struct {
		cond string
		want bool
	}{
		{`$.response.status == 'error'`, true},
		{`$.response.status == "error" && $.response.errorCode == 'past_date'`, true},
		{`$.response.status == 'error' && $.response.errorCode == 'invalid_email'`, false},
		{`$.response.status == 'success' || http.status == 409`, true},
		{`http.status >= 400 && http.status < 500`, true},
		{`http.status == 200`, false},
		{`$.response.count > 9`, true},        // numeric string vs number: numeric
		{`$.response.count > '9'`, false},     // both strings: text order, "12" < "9"
		{`$.response.count == '012'`, false},  // both strings: text
		{`$.response.count == 12.0`, true},    // a number on one side: numeric
		{`$.response.status > 'apple'`, true}, // text order
		{`$.response.n == 3.0`, true},
		{`$.response.n != 3`, false},
		{`$.response.ok == true`, true},
		{`$.response.ok`, true},
		{`!$.response.ok`, false},
		{`$.response.none == null`, true},
		{`$.response.missing == null`, true},
		{`$.response.missing != null`, false},
		{`$.response.missing < 5`, false},
		{`$.response.missing`, false},
		{`!($.response.missing || http.status == 200)`, true},
		{`$.items[-1].p == 7`, true},
		{`$.items[0].p <= total`, true},
		{`monto == 50`, true},
		{`$.empty`, false},
		{`$.emptyObject`, false},
		{`total > monto`, false},
		{`email == 'juan@email.com'`, true},
		{`vacio`, false},
		{`desconocido == null`, true},
		{`true && !false`, true},
		{`(((http.status == 409)))`, true},
		{`-1 < 0`, true},
		{`1e3 == 1000`, true},
	}
	for _, tt := range tests {
		c, err := ParseCondition(tt.cond)
		if err != nil {
			t.Errorf("ParseCondition(%q): %v", tt.cond, err)
			continue
		}
		if got := c.Eval(env); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.cond, got, tt.want)
		}
	}
}

func TestConditionPrecedence(t *testing.T) {
	env := testEnv{testScope: scopeOf("en")}
	// && binds tighter than ||: true || (false && false)
	c, _ := ParseCondition(`true || false && false`)
	if !c.Eval(env) {
		t.Error("true || false && false should be true")
	}
	c, _ = ParseCondition(`(true || false) && false`)
	if c.Eval(env) {
		t.Error("(true || false) && false should be false")
	}
}

func TestConditionErrors(t *testing.T) {
	tests := []struct{ cond, want string }{
		{``, "empty condition"},
		{`$.a = 'x'`, "column 5: use == to compare"},
		{`$.a == 'x' & true`, "use &&"},
		{`$.a == `, "ends too early"},
		{`($.a == 1`, "expected ) to close ( at column 1"},
		{`$.a == 1)`, "unexpected )"},
		{`$..a == 1`, "recursive descent"},
		{`$.a == 'open`, "unterminated"},
		{`1 < 2 < 3`, "chained comparison"},
		{`http.method == 'GET'`, "only http.status"},
		{`$.a == 1 $.b`, "unexpected $.b"},
		{`1.2.3 == 1`, "bad number"},
		{`#`, `unexpected "#"`},
		{strings.Repeat("(", 100) + "true" + strings.Repeat(")", 100), "nested too deeply"},
		{strings.Repeat("!", 100) + "true", "nested too deeply"},
	}
	for _, tt := range tests {
		if _, err := ParseCondition(tt.cond); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseCondition(%q) error = %v, want %q", tt.cond, err, tt.want)
		}
	}
}

func TestConditionVars(t *testing.T) {
	c, err := ParseCondition(`a == b || $.x == c && a != 'lit' && http.status == 1 && true`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Vars(), ","); got != "a,b,c" {
		t.Errorf("Vars() = %s", got)
	}
}

func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		`$.response.status == 'success'`,
		`$.response.status == 'error' && $.response.errorCode == 'invalid_email'`,
		`http.status >= 500 || !($.ok == true)`,
		`$.items[-1].price <= total`,
		`a != "x\"y" && (b || c)`,
	} {
		f.Add(s)
	}
	env := testEnv{testScope: scopeOf("es", "a", "1", "total", "9"), doc: `{"response":{"status":"success"},"items":[{"price":3}]}`, status: 200}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := ParseCondition(src)
		if err != nil {
			return
		}
		c.Eval(env) // any condition that compiles evaluates without panicking
		if c.String() != src {
			t.Fatalf("String() = %q", c.String())
		}
	})
}

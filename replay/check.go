package replay

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/dialog/extract"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/transcript"
)

// describe reports what a turn did. Intent and slots are those of the
// request in progress after the turn, or, when the turn executed it, of the
// request executed.
func describe(turn transcript.Turn, t *session.Turn) TurnResult {
	tr := TurnResult{
		Line: turn.Line, Caller: turn.Caller, DTMF: turn.DTMF,
		Agent: t.Said(), State: string(t.State.Phase),
		Intent: t.State.Intent, Slots: t.State.Slots,
		Requests: []RequestResult{}, Failures: []string{},
	}
	if turn.Wait > 0 {
		tr.Wait = time.Duration(turn.Wait).String()
	}
	ri := 0
	for _, a := range t.Actions {
		ex, ok := a.(dialog.Execute)
		if !ok {
			continue
		}
		if tr.Intent == "" {
			tr.Intent, tr.Slots = ex.Intent, maps.Clone(ex.Fields)
		}
		rec := session.Record(ex.Intent, t.Results[ri])
		ri++
		rr := RequestResult{Intent: rec.Intent, Method: rec.Method, URL: rec.URL}
		if _, isText := rec.Body.(string); !isText {
			rr.Body = rec.Body
		}
		tr.Requests = append(tr.Requests, rr)
	}
	if t.State.Phase == dialog.PhaseCollecting && t.State.Asking != "" {
		asks := t.State.Asking
		tr.Asks = &asks
	}
	return tr
}

// check compares a turn with its expectations, or with its recording.
func check(turn transcript.Turn, tr TurnResult) []string {
	var f []string
	fail := func(format string, args ...any) { f = append(f, fmt.Sprintf(format, args...)) }
	if e := turn.Expect; e != nil {
		if e.Intent.Set && !e.Intent.Null && e.Intent.Value != tr.Intent || e.Intent.Null && tr.Intent != "" {
			fail("intent: expected %s, got %s", optional(e.Intent), orNone(tr.Intent))
		}
		if e.Asks.Set {
			got := "null"
			if tr.Asks != nil {
				got = *tr.Asks
			}
			if e.Asks.Null && tr.Asks != nil || !e.Asks.Null && got != e.Asks.Value {
				fail("asks: expected %s, got %s", optional(e.Asks), got)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(e.Slots)) {
			want := e.Slots[k]
			got, ok := tr.Slots[k]
			switch {
			case !ok && want == nil: // null: not collected
			case !ok:
				fail("slots.%s: expected %s, got nothing", k, show(want))
			case !sameValue(want, got):
				fail("slots.%s: expected %s, got %q", k, show(want), got)
			}
		}
		if e.State != "" && e.State != tr.State {
			fail("state: expected %s, got %s", e.State, tr.State)
		}
		if e.Says != "" && !strings.Contains(normal(tr.Agent), normal(e.Says)) {
			fail("says: expected the agent to say %q", e.Says)
		}
		if e.SaysNot != "" && strings.Contains(normal(tr.Agent), normal(e.SaysNot)) {
			fail("says_not: the agent said %q", e.SaysNot)
		}
		if e.NoRequest && len(tr.Requests) > 0 {
			fail("no_request: the turn made %s", describeRequests(tr.Requests))
		}
		if e.Request != nil {
			if problems := matchRequest(e.Request, tr.Requests); problems != "" {
				fail("request: %s", problems)
			}
		}
	} else if turn.Agent != "" && normal(turn.Agent) != normal(tr.Agent) {
		fail("agent: recorded %q", turn.Agent)
	}
	if turn.Expect == nil && len(turn.Requests) > 0 {
		for i, rec := range turn.Requests {
			if i >= len(tr.Requests) {
				fail("requests: recorded a %s request, none made", rec.Intent)
				continue
			}
			got := tr.Requests[i]
			if got.Intent != rec.Intent || rec.Method != "" && got.Method != rec.Method || rec.URL != "" && got.URL != rec.URL {
				fail("requests[%d]: recorded %s %s %s, made %s %s %s", i, rec.Intent, rec.Method, rec.URL, got.Intent, got.Method, got.URL)
			}
		}
	}
	return f
}

func optional(o transcript.Optional) string {
	if o.Null {
		return "null"
	}
	return o.Value
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// normal folds text for comparison: no case, accents or repeated spaces.
func normal(s string) string { return strings.Join(strings.Fields(extract.Fold(s)), " ") }

func show(v any) string {
	if v == nil {
		return "null"
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// sameValue compares an expected slot with the stored text; numbers compare
// by value, so 2, 2.0 and "2" all match "2".
func sameValue(want any, got string) bool {
	if want == nil {
		return got == ""
	}
	ws := fmt.Sprint(want)
	if ws == got {
		return true
	}
	a, errA := strconv.ParseFloat(ws, 64)
	b, errB := strconv.ParseFloat(got, 64)
	return errA == nil && errB == nil && a == b
}

// matchRequest finds a request of the turn that has everything expected, or
// says why none does.
func matchRequest(want *transcript.RequestExpect, got []RequestResult) string {
	if len(got) == 0 {
		return "expected a request, none was made"
	}
	var why []string
	for _, r := range got {
		var miss []string
		if want.Intent != "" && r.Intent != want.Intent {
			miss = append(miss, fmt.Sprintf("intent %s", r.Intent))
		}
		if want.Method != "" && !strings.EqualFold(r.Method, want.Method) {
			miss = append(miss, fmt.Sprintf("method %s", r.Method))
		}
		if want.URL != "" && !strings.Contains(r.URL, want.URL) {
			miss = append(miss, fmt.Sprintf("url %s", r.URL))
		}
		if len(want.Query) > 0 {
			if p := queryMismatch(want.Query, r.URL); p != "" {
				miss = append(miss, p)
			}
		}
		if want.Body != nil {
			if p := subset(want.Body, r.Body, "body"); p != "" {
				miss = append(miss, p)
			}
		}
		if len(miss) == 0 {
			return ""
		}
		why = append(why, strings.Join(miss, ", "))
	}
	return "no request matched: " + strings.Join(why, "; ")
}

func queryMismatch(want map[string]any, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "url does not parse"
	}
	q := u.Query()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		w := fmt.Sprint(want[k])
		if !slices.ContainsFunc(q[k], func(v string) bool { return sameValue(w, v) }) {
			return fmt.Sprintf("query %s=%v (expected %s)", k, q[k], w)
		}
	}
	return ""
}

// subset checks that got has everything in want: objects by key, lists item
// by item, numbers by value, other scalars exactly (a number is not a
// string: "5" does not match 5).
func subset(want, got any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: expected an object, got %s", path, jsonText(got))
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing", path, k)
			}
			if p := subset(w[k], gv, path+"."+k); p != "" {
				return p
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: expected %s, got %s", path, jsonText(want), jsonText(got))
		}
		for i := range w {
			if p := subset(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
		return ""
	}
	if wn, ok := number(want); ok {
		if gn, ok := number(got); ok && wn == gn {
			return ""
		}
	} else if fmt.Sprint(want) == fmt.Sprint(got) && fmt.Sprintf("%T", want) == fmt.Sprintf("%T", got) {
		return ""
	}
	return fmt.Sprintf("%s: expected %s, got %s", path, jsonText(want), jsonText(got))
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func jsonText(v any) string {
	b, err := json.Marshal(session.Jsonable(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func describeRequests(rs []RequestResult) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.Intent+" "+r.Method+" "+r.URL)
	}
	return strings.Join(parts, ", ")
}

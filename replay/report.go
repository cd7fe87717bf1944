package replay

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Summary counts results, and the turns of redacted transcripts that
// could not be checked.
type Summary struct {
	Passed, Failed, Broken int
	Unchecked              int
}

// Summarize counts passed, failed and broken (could not run) transcripts.
func Summarize(results []Result) Summary {
	var s Summary
	for _, r := range results {
		s.Unchecked += unchecked(r)
		switch {
		case r.Err != nil:
			s.Broken++
		case r.Passed:
			s.Passed++
		default:
			s.Failed++
		}
	}
	return s
}

// WriteText writes a report that reads like go test: a line per
// transcript, and for each failing turn what was said, what was expected
// and what happened. verbose also lists every turn of passing transcripts.
func WriteText(w io.Writer, results []Result, verbose bool) {
	for _, r := range results {
		switch {
		case r.Err != nil:
			fmt.Fprintf(w, "--- ERROR: %s\n    %v\n", r.File, r.Err)
			continue
		case r.Passed:
			fmt.Fprintf(w, "--- PASS: %s (%s)\n", r.File, turns(r))
		default:
			fmt.Fprintf(w, "--- FAIL: %s (%s)\n", r.File, turns(r))
		}
		for i, t := range r.Turns {
			if t.Unchecked != "" && len(t.Failures) == 0 {
				fmt.Fprintf(w, "    turn %d (line %d): not checked: %s\n", i+1, t.Line, t.Unchecked)
				continue
			}
			if len(t.Failures) == 0 && !verbose {
				continue
			}
			fmt.Fprintf(w, "    turn %d (line %d): %s\n", i+1, t.Line, input(t))
			fmt.Fprintf(w, "        agent: %s\n", strconv.Quote(t.Agent))
			asks := "null"
			if t.Asks != nil {
				asks = *t.Asks
			}
			fmt.Fprintf(w, "        state: %s  intent: %s  asks: %s\n", t.State, orNone(t.Intent), asks)
			for _, rq := range t.Requests {
				fmt.Fprintf(w, "        request: %s %s %s\n", rq.Intent, rq.Method, rq.URL)
			}
			for _, f := range t.Failures {
				fmt.Fprintf(w, "        FAIL %s\n", f)
			}
		}
	}
	s := Summarize(results)
	if s.Failed == 0 && s.Broken == 0 {
		fmt.Fprintf(w, "ok   %d transcripts passed", s.Passed)
		if s.Unchecked > 0 {
			fmt.Fprintf(w, "; %d turns of redacted transcripts not checked", s.Unchecked)
		}
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "FAIL %d passed, %d failed", s.Passed, s.Failed)
	if s.Broken > 0 {
		fmt.Fprintf(w, ", %d could not run", s.Broken)
	}
	if s.Unchecked > 0 {
		fmt.Fprintf(w, "; %d turns of redacted transcripts not checked", s.Unchecked)
	}
	fmt.Fprintln(w)
}

// turns is how many turns a result has, and how many were not checked.
func turns(r Result) string {
	if n := unchecked(r); n > 0 {
		return fmt.Sprintf("%d turns, %d not checked: redacted", len(r.Turns), n)
	}
	return fmt.Sprintf("%d turns", len(r.Turns))
}

func unchecked(r Result) int {
	n := 0
	for _, t := range r.Turns {
		if t.Unchecked != "" {
			n++
		}
	}
	return n
}

func input(t TurnResult) string {
	switch {
	case t.DTMF != "":
		return "dtmf " + strconv.Quote(t.DTMF)
	case t.Wait != "":
		return "wait " + t.Wait
	}
	return "caller " + strconv.Quote(t.Caller)
}

// WriteJSON writes {"transcripts": [...], "passed": N, "failed": N}; a
// transcript that could not run is failed and has an "error".
func WriteJSON(w io.Writer, results []Result) error {
	type item struct {
		Result
		Error string `json:"error,omitempty"`
	}
	out := struct {
		Transcripts []item `json:"transcripts"`
		Passed      int    `json:"passed"`
		Failed      int    `json:"failed"`
	}{Transcripts: []item{}}
	for _, r := range results {
		it := item{Result: r}
		if r.Err != nil {
			it.Error = r.Err.Error()
		}
		if it.Turns == nil {
			it.Turns = []TurnResult{}
		}
		out.Transcripts = append(out.Transcripts, it)
	}
	s := Summarize(results)
	out.Passed, out.Failed = s.Passed, s.Failed+s.Broken
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

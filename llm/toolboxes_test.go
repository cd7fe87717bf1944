package llm

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
)

func names(tb *toolbox) []string {
	var out []string
	for _, t := range tb.tools {
		out = append(out, t.Function.Name)
	}
	return out
}

// TestToolboxes: a turn's functions are built once per agent and service
// in progress, a changed agent (a new value) gets its own, and an agent's
// are let go with it.
func TestToolboxes(t *testing.T) {
	var boxes toolboxes
	at := func(a *configs.Agent, intent string) *toolbox {
		return boxes.get(&dialog.Query{Agent: a, State: dialog.State{Intent: intent}})
	}
	none, booking := at(clinic, ""), at(clinic, "schedule_appointment")
	if at(clinic, "") != none || at(clinic, "schedule_appointment") != booking {
		t.Error("the same agent and service in progress built their functions again")
	}
	if booking == none || booking.current == nil || none.current != nil || !slices.Contains(names(booking), fnCorrect) || slices.Contains(names(none), fnCorrect) {
		t.Errorf("in progress: %v; none: %v", names(booking), names(none))
	}
	if at(clinic, "no_such_service") != none {
		t.Error("an unknown service in progress did not share the functions of none")
	}
	fresh := buildTools(&dialog.Query{Agent: clinic, State: dialog.State{Intent: "schedule_appointment"}})
	if !slices.Equal(names(fresh), names(booking)) {
		t.Errorf("kept %v, built anew %v", names(booking), names(fresh))
	}

	changed := *clinic // as agents.Set rebuilds one: a new value
	changed.Services = slices.Clone(clinic.Services)
	off := false
	changed.Services[0].Enabled = &off
	if got := names(at(&changed, "")); slices.Contains(got, changed.Services[0].Intent) || len(got) != len(names(none))-1 {
		t.Errorf("the changed agent's functions %v still offer %s", got, changed.Services[0].Intent)
	}

	count := func() (n int) {
		boxes.agents.Range(func(any, any) bool { n++; return true })
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("%d agents kept, want 2", n)
	}
	runtime.KeepAlive(&changed)
	for deadline := time.Now().Add(10 * time.Second); count() != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("%d agents kept after the changed one was collected, want 1", count())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

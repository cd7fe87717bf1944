package calls

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/dialog"
)

// TestCloneStateCoversState fails when dialog.State (or a struct it points
// to) gains a map, slice or pointer that cloneState does not copy, which
// MemoryStore would then share with its callers.
func TestCloneStateCoversState(t *testing.T) {
	covered := map[reflect.Type][]string{
		reflect.TypeFor[dialog.State]():    {"Slots", "Partial", "Choices", "Readback", "Last"},
		reflect.TypeFor[dialog.Readback](): {"Values"},
		reflect.TypeFor[dialog.Recent]():   {"Fields"},
	}
	for typ, names := range covered {
		for f := range typ.Fields() {
			switch f.Type.Kind() {
			case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
				if !slices.Contains(names, f.Name) {
					t.Errorf("%s.%s (%s) is not copied by cloneState", typ, f.Name, f.Type)
				}
			}
		}
	}
	s := dialog.State{Slots: map[string]string{"a": "1"}, Partial: map[string]string{"p": "x"}, Choices: []string{"c"},
		Readback: &dialog.Readback{Values: map[string]string{"v": "1"}}, Last: &dialog.Recent{Fields: map[string]string{"f": "1"}}}
	c := cloneState(s)
	c.Slots["a"], c.Partial["p"], c.Choices[0] = "2", "y", "d"
	c.Readback.Values["v"], c.Last.Fields["f"] = "2", "2"
	if s.Slots["a"] != "1" || s.Partial["p"] != "x" || s.Choices[0] != "c" || s.Readback.Values["v"] != "1" || s.Last.Fields["f"] != "1" {
		t.Errorf("the clone shares with the original: %+v", s)
	}
}

// TestMemorySweep: what expired is forgotten by a later write even when
// nothing reads it again, so a long-running single instance does not keep
// every call it ever had.
func TestMemorySweep(t *testing.T) {
	now := time.Now()
	m := NewMemoryStore()
	m.now = func() time.Time { return now }
	ctx := t.Context()
	for _, id := range []string{"a", "b"} {
		_ = m.Save(ctx, &Record{View: View{ID: id, Transport: "twilio", ProviderID: "CA" + id}}, time.Second)
		_ = m.Append(ctx, id, 1, []byte("x"), time.Second)
		_, _ = m.Begin(ctx, id, "k", "i", time.Second)
	}
	_ = m.Append(ctx, "orphan", 1, []byte("x"), time.Second)
	_, _ = m.Begin(ctx, "orphan", "k", "i", time.Second)
	wake, cancel, _ := m.Subscribe(ctx, "watched")
	defer cancel()
	now = now.Add(2 * time.Minute)
	_ = m.Save(ctx, &Record{View: View{ID: "c"}}, time.Hour)
	if len(m.recs) != 1 || len(m.ledger) != 0 || len(m.byCarry) != 0 || len(m.events) != 1 {
		t.Errorf("after the sweep: %d records, %d ledger entries, %d carrier ids, %d event lists; want 1, 0, 0, 1 (the subscribed)",
			len(m.recs), len(m.ledger), len(m.byCarry), len(m.events))
	}
	_ = m.Append(ctx, "watched", 1, []byte("x"), time.Second)
	select {
	case <-wake:
	default:
		t.Error("a subscriber was dropped by the sweep")
	}
}

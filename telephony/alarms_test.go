package telephony

import (
	"testing"
	"time"
)

// The alarms come due earliest first; a stopped one never does; the
// timer is set for the earliest left.
func TestAlarms(t *testing.T) {
	a := newAlarms()
	a.set(alarmKeys, 2*time.Hour)
	a.set(alarmNoInput, time.Hour)
	a.set(alarmFiller, 3*time.Hour)
	a.set(alarmEndWait, 4*time.Hour)
	a.stop(alarmFiller)
	if want := a.at[alarmNoInput]; !a.armed.Equal(want) {
		t.Errorf("armed for %v, want the no-input alarm's %v", a.armed, want)
	}
	if _, ok := a.take(time.Now()); ok {
		t.Error("an alarm came due before its time")
	}
	var got []alarm
	for {
		k, ok := a.take(time.Now().Add(5 * time.Hour))
		if !ok {
			break
		}
		got = append(got, k)
	}
	if len(got) != 3 || got[0] != alarmNoInput || got[1] != alarmKeys || got[2] != alarmEndWait {
		t.Errorf("came due: %v, want no-input, keys, end-wait", got)
	}
	a.arm()
	if !a.armed.IsZero() {
		t.Errorf("armed for %v with no alarm set", a.armed)
	}
	// A short one rings through the timer.
	a.set(alarmMaxDuration, time.Millisecond)
	select {
	case <-a.timer.C:
		a.rang()
		if k, ok := a.take(time.Now()); !ok || k != alarmMaxDuration {
			t.Errorf("took %v, %v", k, ok)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the timer did not ring")
	}
}

package telephony

import "time"

// alarm is one of a call's timers.
type alarm int

const (
	alarmNoInput     alarm = iota // the caller has said nothing for too long
	alarmKeys                     // a keypad entry with no # is over
	alarmMaxDuration              // voice.maxDuration
	alarmFiller                   // a service is slow: say its waitMessage
	alarmEndWait                  // the last words' mark did not come back
	alarmCount
)

// alarms are a call's timers on one time.Timer, set for the earliest, so
// that the call's loop waits on one channel for all of them: its wait for
// each audio frame stays cheap.
type alarms struct {
	timer *time.Timer
	at    [alarmCount]time.Time // zero: not set
	armed time.Time             // what timer is set for; zero: not set
}

func newAlarms() alarms {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return alarms{timer: t}
}

// set makes alarm k ring d from now, instead of when it was to.
func (a *alarms) set(k alarm, d time.Duration) {
	a.at[k] = time.Now().Add(d)
	a.arm()
}

// stop cancels alarm k.
func (a *alarms) stop(k alarm) {
	if !a.at[k].IsZero() {
		a.at[k] = time.Time{}
		a.arm()
	}
}

// rang is told the timer has fired: it is set for nothing now.
func (a *alarms) rang() { a.armed = time.Time{} }

// take returns the alarm due at now that was to ring first, and cancels
// it; false when none is due.
func (a *alarms) take(now time.Time) (alarm, bool) {
	first := alarmCount
	for k, at := range a.at {
		if !at.IsZero() && !at.After(now) && (first == alarmCount || at.Before(a.at[first])) {
			first = alarm(k)
		}
	}
	if first == alarmCount {
		return 0, false
	}
	a.at[first] = time.Time{}
	return first, true
}

// arm sets the timer for the earliest alarm.
func (a *alarms) arm() {
	var next time.Time
	for _, at := range a.at {
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	if next.Equal(a.armed) {
		return
	}
	a.armed = next
	if next.IsZero() {
		a.timer.Stop()
		return
	}
	a.timer.Reset(time.Until(next))
}

package extract

import "time"

// Text is an utterance read once: folded and cut into tokens a single
// time, and each reader's findings kept after their first use, so that
// every reader of a turn shares one reading. Dates and times, which depend
// on the moment and on options, are read again on each call but from the
// same tokens. A Text is not safe for concurrent use.
type Text struct {
	a *analysis

	nums     []Num
	numsDone bool
	digits   struct {
		s    string
		sp   Span
		ok   bool
		done bool
	}
	email struct {
		s    string
		sp   Span
		ok   bool
		done bool
	}
	spelled     []SpelledCode
	spelledDone bool
	yes         struct {
		a    Answer
		rest string
		done bool
	}
}

// Read reads text in lang ("es" or "en") for the readers below.
func Read(text, lang string) *Text { return &Text{a: analyze(text, lang)} }

// String is the text read.
func (t *Text) String() string { return t.a.orig }

// Numbers is Numbers of the text.
func (t *Text) Numbers() []Num {
	if !t.numsDone {
		t.nums, t.numsDone = t.a.numbers(optsNumbers), true
	}
	return t.nums
}

// Digits is Digits of the text.
func (t *Text) Digits() (string, Span, bool) {
	d := &t.digits
	if !d.done {
		d.s, d.sp, d.ok = t.a.digits()
		d.done = true
	}
	return d.s, d.sp, d.ok
}

// Email is Email of the text.
func (t *Text) Email() (string, Span, bool) {
	e := &t.email
	if !e.done {
		e.s, e.sp, e.ok = Email(t.a.orig, t.a.lang)
		e.done = true
	}
	return e.s, e.sp, e.ok
}

// Spelled is Spelled of the text.
func (t *Text) Spelled() []SpelledCode {
	if !t.spelledDone {
		t.spelled, t.spelledDone = t.a.spelled(), true
	}
	return t.spelled
}

// YesNo is YesNo of the text.
func (t *Text) YesNo() (Answer, string) {
	y := &t.yes
	if !y.done {
		y.a, y.rest = t.a.yesNo()
		y.done = true
	}
	return y.a, y.rest
}

// Date is FindDateIn of the text.
func (t *Text) Date(now time.Time, o DateOptions) (Date, error) { return t.a.findDate(now, o) }

// Dates is FindDates of the text.
func (t *Text) Dates(now time.Time, o DateOptions) []Date { return t.a.findDates(now, o) }

// Time is FindTimeIn of the text.
func (t *Text) Time(now time.Time, o TimeOptions) (Time, error) { return t.a.findTime(now, o) }

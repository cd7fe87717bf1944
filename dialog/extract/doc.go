// Package extract pulls typed values out of what phone callers said, in
// Spanish ("es") or English ("en"): numbers, dictated digit strings (phones,
// codes), email addresses (written or spoken), yes/no answers, dates and
// times of day. Speech-to-text output is the input, so spoken forms come
// first: number words ("treinta y cinco", "twenty-five"), "arroba" / "at",
// "doble cinco", "a las diez y media", "pasado mañana".
//
// # Approach
//
// Every function folds its input once (lower case, accents stripped, ¿¡
// removed — see Fold) into a copy that keeps a byte-offset map back to the
// original, then cuts it into word, digit and punctuation tokens. Matching
// runs on the tokens; every Span refers to the ORIGINAL text (accented,
// mixed case), so callers can cut the value out of the utterance.
//
// Dates use our own rules first: a small token grammar for the
// conversational forms (relative days, weekdays with "próximo"/"este"/"que
// viene", day + month in words or digits, dd/MM in es and MM/dd in en, "el
// 20", "dentro de tres días", "la semana que viene"…). Those rules run in a
// few microseconds and know what a general parser gets wrong ("pasado
// mañana", "quince de enero", "a las 3 de la tarde" is a time, a phone number
// is not a date). Only when no rule matches is
// github.com/markusmobius/go-dateparser consulted, through a sync.Pool of
// parsers (a Parser holds a mutex), and its answer is sanity-checked: it
// must name a day (not a month, a year or a bare time), fall within now-1 …
// now+5 years, not be today, and come from text holding a month, weekday or
// relative word; times, amounts and digit runs of five or more digits are
// blanked out before it sees the text. Note that importing this package runs
// go-dateparser's initialisation (about 300 ms, once per process).
//
// The package is pure: no I/O, no goroutines, no mutable global state
// (the only shared values are read-only tables and the parser pool), so all
// functions are safe for concurrent use, and they never panic.
package extract

package extract

import "errors"

// ErrNoDate is returned by FindDate when the text holds no date it can read
// (including a month without a day, "en marzo", and times or amounts alone).
var ErrNoDate = errors.New("extract: no date found")

// ErrInvalidDate is returned by FindDate when the caller named a date that
// does not exist ("30 de febrero", "31/04", "13/13/2024").
var ErrInvalidDate = errors.New("extract: invalid date")

// ErrNoTime is returned by FindTime when the text holds no time of day.
var ErrNoTime = errors.New("extract: no time found")

// ErrInvalidTime is returned by FindTime when the caller named a time that
// does not exist ("25:00", "10:75").
var ErrInvalidTime = errors.New("extract: invalid time")

package espeak

import "errors"

var (
	// ErrNotInstalled is returned by New when the espeak-ng program is not
	// found (apt-get install espeak-ng).
	ErrNotInstalled = errors.New("espeak: espeak-ng is not installed")

	// ErrVoice is returned for a language without a voice, or a voice name
	// that is not one (letters, digits, '-', '+' and '_' only).
	ErrVoice = errors.New("espeak: no such voice")

	// ErrConfig is returned by New for other settings that cannot work: a
	// speed outside 80 to 450 words per minute.
	ErrConfig = errors.New("espeak: bad settings")

	// ErrFailed: espeak-ng exited with an error (an unknown voice, a
	// missing data file); the error holds what it printed.
	ErrFailed = errors.New("espeak: espeak-ng failed")

	// ErrNotWAV: espeak-ng's output is not a WAV stream.
	ErrNotWAV = errors.New("espeak: not a WAV stream")

	// ErrFormat: espeak-ng's WAV is not 16-bit mono PCM at 22050 Hz (as an
	// mbrola voice's 16000 Hz would not be).
	ErrFormat = errors.New("espeak: unexpected audio format")
)

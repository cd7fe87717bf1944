// Package espeak is offline text-to-speech with the espeak-ng program:
// robotic, but free, instant and private, for development, tests and
// calls without a speech service. Each Synthesize runs one espeak-ng
// process that writes a WAV stream to a pipe; the samples are handed on
// as the process makes them (22050 Hz, 16-bit mono).
//
// The text goes to the process's standard input, never to its command
// line: no option can be smuggled in with it, and what callers said
// (names, numbers) does not show in the process list.
//
// It implements speech.TTS and runs the speech/speechtest suite against
// the real program; install it with apt-get install espeak-ng.
package espeak
